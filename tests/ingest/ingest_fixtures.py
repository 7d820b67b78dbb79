"""Fixture bodies and options shared by the ingest tests (pages, attachments, misbehaving routes)."""

from __future__ import annotations

import io
import zipfile

from http_fixtures import Route

from xxgk.ingest import FetchOptions
from xxgk.storage import RetryPolicy

TITLE = "某某区人民政府2023年政府信息公开工作年度报告"
UTF8_PAGE = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}</title></head>'
             f"<body><h1>{TITLE}</h1><p>一、总体情况</p></body></html>").encode()
GBK_WRONG_PAGE = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                  f"<title>{TITLE}</title></head><body><p>二、主动公开政府信息情况</p></body></html>").encode("gbk")
GBK_MISSING_PAGE = f"<html><head><title>{TITLE}</title></head><body><p>三、收到和处理</p></body></html>".encode("gbk")
PDF = b"%PDF-1.4\n% fixture report\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 120 + "WordDocument".encode("utf-16-le") + b"\x00" * 64


def zipped(name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(name, "<x/>")
    return buf.getvalue()


XLSX = zipped("xl/workbook.xml")
ATTACHMENT_PAGE = ("<html><head><meta charset='utf-8'><title>附件</title></head><body>"
                   "<a href='/files/report.pdf'>年度报告PDF</a>"
                   "<a href='files/table.xlsx#sheet1'>统计表</a>"
                   "<a href='http://127.0.0.1:{port}/files/old.doc'>旧版</a>"
                   "<a href='/files/gone.pdf'>失效附件</a>"
                   "<a href='/utf8.html'>not an attachment</a>"
                   "<a href='mailto:x@example.gov.cn'>mail</a>"
                   "</body></html>")
HTML = {"Content-Type": "text/html; charset=utf-8"}


def standard_routes(port: int) -> dict[str, Route]:
    return {
        "/utf8.html": Route(UTF8_PAGE, headers=HTML, use_etag=True),
        "/gbk-wrong.html": Route(GBK_WRONG_PAGE, headers={"Content-Type": "text/html; charset=utf-8"}),
        "/gbk-missing.html": Route(GBK_MISSING_PAGE, headers={"Content-Type": "text/html"}),
        "/2023/report.html": Route(ATTACHMENT_PAGE.format(port=port).encode(), headers=HTML),
        "/files/report.pdf": Route(PDF, headers={"Content-Type": "application/octet-stream"}),
        "/2023/files/table.xlsx": Route(XLSX, headers={"Content-Type": "application/vnd.ms-excel"}),
        "/files/old.doc": Route(DOC, headers={"Content-Type": "application/msword"}),
        "/flaky.html": Route(UTF8_PAGE.replace(b"<h1>", b"<h1>flaky "), headers=HTML, fail_first=1),
        "/always500.html": Route(b"never", fail_first=10**6),
        "/loop-a": Route(status=302, headers={"Location": "/loop-b"}),
        "/loop-b": Route(status=302, headers={"Location": "/loop-a"}),
        "/moved": Route(status=301, headers={"Location": "/gbk-missing.html"}),
        "/to-ftp": Route(status=302, headers={"Location": "ftp://127.0.0.1/report.pdf"}),
        "/big.pdf": Route(b"%PDF-1.4 " + b"0" * 200_000),
        "/big-no-length.html": Route(b"<html>" + b"x" * 200_000, no_length=True),
        "/slow.html": Route(b"<html>" + b"x" * 60, headers=HTML, trickle=0.1),
    }


FAST_FETCH = FetchOptions(connect_timeout=1.0, read_timeout=0.5, total_timeout=1.0, max_bytes=100_000,
                          max_redirects=3, attempts=2, backoff=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02),
                          per_host_concurrency=4, per_host_interval=0.0, concurrency=8, trust_env=False)


