"""Attachment links found on report pages."""

from __future__ import annotations

from xxgk.ingest.links import find_attachment_links, has_attachment_extension

PAGE = """<?xml version="1.0" encoding="gbk"?>
<html><head><title>年度报告</title></head><body>
<a href="/files/2023nb.pdf">PDF</a>
<a href="../att/表格.XLSX">表格</a>
<a href="download.jsp?filename=报告.doc">下载</a>
<a href="/files/2023nb.pdf#page=2">again</a>
<a href="other.html">page</a>
<a href="javascript:void(0)">js</a>
<a href="ftp://ftp.gov.cn/r.pdf">ftp</a>
<iframe src="/viewer/r.docx"></iframe>
</body></html>"""


def test_finds_attachments_resolved_and_deduplicated() -> None:
    links = find_attachment_links(PAGE.encode("gbk"), "http://www.x.gov.cn/xxgk/ndbg/index.html")
    assert links == [
        "http://www.x.gov.cn/files/2023nb.pdf",
        "http://www.x.gov.cn/xxgk/att/表格.XLSX",
        "http://www.x.gov.cn/xxgk/ndbg/download.jsp?filename=报告.doc",
        "http://www.x.gov.cn/viewer/r.docx",
    ]


def test_base_href_and_limit() -> None:
    page = b"<html><head><base href='http://files.gov.cn/a/'></head><a href='1.pdf'>1</a><a href='2.pdf'>2</a>"
    assert find_attachment_links(page, "http://www.gov.cn/p.html", limit=1) == ["http://files.gov.cn/a/1.pdf"]


def test_garbage_pages_give_no_links() -> None:
    assert find_attachment_links(b"", "http://a/") == []
    assert find_attachment_links(b"\x00\x01\x02", "http://a/") == []
    assert not has_attachment_extension("http://a/report.html?x=1")
