"""Attachment links on a report page: pure HTML → absolute URLs of PDF/DOC/DOCX/XLS/XLSX files."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from xxgk.storage.sniff import decode_text

ATTACHMENT_EXTENSIONS: tuple[str, ...] = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def has_attachment_extension(url: str) -> bool:
    """True when the URL's path (or a ``file=``-style query value) ends in an attachment extension."""
    parts = urlsplit(url)
    candidates = [unquote(parts.path)] + [unquote(v) for v in re.split(r"[&=]", parts.query) if v]
    return any(c.lower().endswith(ATTACHMENT_EXTENSIONS) for c in candidates)


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def find_attachment_links(page: bytes, page_url: str, *, limit: int = 50) -> list[str]:
    """Absolute http(s) URLs of attachments linked from ``page`` (``<a href>``, ``<iframe/embed/object src>``).

    Relative links resolve against ``<base href>`` or ``page_url``; duplicates and the page itself are dropped.
    """
    text, _ = decode_text(page)
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return []
    try:
        root = lxml.html.fromstring(text)
    except (etree.ParserError, ValueError):
        return []
    base = page_url
    for href in root.xpath("//base/@href"):
        base = urljoin(page_url, str(href).strip())
        break
    found: list[str] = []
    seen = {strip_fragment(page_url)}
    for value in root.xpath("//a/@href | //iframe/@src | //embed/@src | //object/@data"):
        raw = str(value).strip()
        if not raw or raw.lower().startswith(("javascript:", "mailto:", "#", "data:")):
            continue
        url = strip_fragment(urljoin(base, raw))
        if urlsplit(url).scheme not in ("http", "https") or url in seen or not has_attachment_extension(url):
            continue
        seen.add(url)
        found.append(url)
        if len(found) >= limit:
            break
    return found
