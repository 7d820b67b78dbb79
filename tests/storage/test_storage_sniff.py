"""Media types and encodings are decided by the bytes, whatever the name or the declared charset says."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest

from xxgk.storage.sniff import MEDIA_TYPES, decode_text, detect_encoding, find_declared_charset, sniff_media_type

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def zipped(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, "<x/>")
    return buf.getvalue()


REPORT = "乌恰镇人民政府2024年政府信息公开工作年度报告\n一、总体情况\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf", id="pdf"),
        pytest.param(b"\r\n\r\n%PDF-1.4 junk first", "pdf", id="pdf-leading-junk"),
        pytest.param(zipped("[Content_Types].xml", "word/document.xml"), "docx", id="docx"),
        pytest.param(zipped("[Content_Types].xml", "xl/workbook.xml"), "xlsx", id="xlsx"),
        pytest.param(zipped("readme.txt"), "zip", id="zip"),
        pytest.param(zipped("word/document.xml")[:60], "docx", id="truncated-docx"),
        pytest.param(OLE + "WordDocument".encode("utf-16-le"), "doc", id="doc"),
        pytest.param(OLE + "Workbook".encode("utf-16-le"), "xls", id="xls"),
        pytest.param(OLE, "unknown", id="other-ole"),
        pytest.param(b"{\\rtf1\\ansi 2024", "doc", id="rtf-as-doc"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "image", id="png"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "image", id="jpeg"),
        pytest.param(b"<!DOCTYPE html><html><body>x</body></html>", "html", id="html"),
        pytest.param(codecs.BOM_UTF8 + "<html><p>报告</p>".encode(), "html", id="html-bom"),
        pytest.param(f"<div>{REPORT}</div>".encode("gbk"), "html", id="html-gbk-fragment"),
        pytest.param(REPORT.encode(), "text", id="text-utf8"),
        pytest.param(REPORT.encode("gb18030"), "text", id="text-gbk"),
        pytest.param(REPORT.encode("utf-16"), "text", id="text-utf16"),
        pytest.param(bytes(range(256)) * 4, "unknown", id="binary"),
        pytest.param(b"", "unknown", id="empty"),
    ],
)
def test_sniff_media_type(data: bytes, expected: str) -> None:
    assert expected in MEDIA_TYPES
    assert sniff_media_type(data) == expected


def test_seed_reports_are_utf8_text() -> None:
    for path in sorted(Path(__file__).parents[2].joinpath("samples").glob("*.txt")):
        data = path.read_bytes()
        assert (sniff_media_type(data), detect_encoding(data)) == ("text", "utf-8"), path.name


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(REPORT.encode("utf-8"), "utf-8", id="utf8"),
        pytest.param(codecs.BOM_UTF8 + REPORT.encode("utf-8"), "utf-8", id="utf8-bom"),
        pytest.param(REPORT.encode("gbk"), "gb18030", id="gbk"),
        pytest.param("𠀀镕".encode("gb18030"), "gb18030", id="gb18030-4byte"),
        pytest.param(REPORT.encode("utf-16"), "utf-16", id="utf16"),
        pytest.param(b"ascii only", "utf-8", id="ascii"),
        pytest.param(b"\x81\x30\xff\xff", None, id="neither"),
    ],
)
def test_detect_encoding(data: bytes, expected: str | None) -> None:
    assert detect_encoding(data) == expected


def test_decode_text_never_fails() -> None:
    assert decode_text(REPORT.encode("gbk")) == (REPORT, "gb18030")
    assert decode_text(codecs.BOM_UTF8 + b"x") == ("x", "utf-8")
    text, encoding = decode_text(b"\x81\x30\xff\xff")
    assert encoding is None and "\ufffd" in text


def test_declared_charset_is_reported_not_trusted() -> None:
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>报告'.encode("gbk")
    assert find_declared_charset(page) == "utf-8"
    assert detect_encoding(page) == "gb18030"
    assert find_declared_charset(page, "text/html; charset=GBK") == "gbk"
    assert find_declared_charset(b"<meta charset='gb2312'>") == "gb2312"
    assert find_declared_charset(b'<?xml version="1.0" encoding="GBK"?><html/>') == "gbk"
    assert find_declared_charset(b"<html>no declaration</html>") is None
