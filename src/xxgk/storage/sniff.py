"""Media-type and text-encoding sniffing from the bytes themselves: small pure functions, no I/O.

File names, URLs and ``Content-Type`` headers of government sites lie often (PDFs served as ``text/html``, GBK
pages declaring ``utf-8``, RTF saved as ``.doc``), so the bytes decide. The parser's readers reuse these functions.

Media types are one of :data:`MEDIA_TYPES`. Encodings are tried in the order utf-8, then gb18030 (a superset of
GBK and GB2312); a declared charset is reported separately by :func:`find_declared_charset` and never trusted.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile

MEDIA_TYPES: tuple[str, ...] = ("html", "text", "pdf", "docx", "doc", "xlsx", "xls", "image", "zip", "unknown")

MIME_TYPES: dict[str, str] = {
    "html": "text/html",
    "text": "text/plain",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "image": "application/octet-stream",
    "zip": "application/zip",
    "unknown": "application/octet-stream",
}

TEXT_ENCODINGS: tuple[str, ...] = ("utf-8", "gb18030")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGICS: tuple[bytes, ...] = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00",
                                    b"MM\x00*", b"\x00\x00\x00\x0cjP  ")
_HTML_TAG = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|table|div|p|br|span|script|style|font"
                       rb"|center|form|iframe|link)[\s>/]", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_SNIFF_WINDOW = 64 * 1024
# Control characters: below 32, except \t \n \v \f \r and ESC. In utf-8 and gb18030 a byte below 0x20 is always
# a character of its own (never part of a multi-byte one), so they can be counted in the bytes.
_CONTROL_BYTES = bytes(b for b in range(32) if chr(b) not in "\t\n\r\f\v\x1b")


def sniff_media_type(data: bytes) -> str:
    """One of :data:`MEDIA_TYPES`, decided from the leading bytes (and the zip/OLE directory)."""
    head = data[:_SNIFF_WINDOW]
    if not head:
        return "unknown"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(data)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if head.startswith(_IMAGE_MAGICS) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(b"{\\rtf"):
        return "doc"  # RTF: Word opens it, and sites publish it as .doc
    if not is_probably_text(head):
        return "unknown"
    if _HTML_TAG.search(_strip_bom(head)[:8192]):
        return "html"
    return "text"


def _sniff_ole(data: bytes) -> str:
    """Word and Excel 97-2003 (and WPS) are OLE2 containers; the directory names the main stream in UTF-16LE."""
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    return "unknown"


def _sniff_zip(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        names = []
    if names:
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    # a damaged archive: the local file headers still name the parts
    if b"word/" in data[:_SNIFF_WINDOW]:
        return "docx"
    if b"xl/" in data[:_SNIFF_WINDOW]:
        return "xlsx"
    return "zip"


def _strip_bom(data: bytes) -> bytes:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            return data[len(bom):]
    return data


def is_probably_text(sample: bytes) -> bool:
    """True when ``sample`` decodes in a text encoding and has almost no control characters."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in sample:
        return False
    text = _decode_prefix(sample)
    if text is None:
        return False
    body = _strip_bom(sample)
    controls = len(body) - len(body.translate(None, _CONTROL_BYTES))
    return controls <= max(2, len(text) // 200)


def _decode_prefix(sample: bytes) -> str | None:
    """Decode a prefix that may end in the middle of a character."""
    for encoding in TEXT_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            return decoder.decode(_strip_bom(sample), final=False)
        except UnicodeDecodeError:
            continue
    return None


def detect_encoding(data: bytes) -> str | None:
    """The encoding that decodes all of ``data``: a BOM's, else ``utf-8``, else ``gb18030``; None if none does."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return "utf-16"
    for encoding in TEXT_ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def decode_text(data: bytes) -> tuple[str, str | None]:
    """``(text, encoding)``; bytes no encoding fits are decoded as utf-8 with replacement and encoding None."""
    encoding = detect_encoding(data)
    if encoding is None:
        return data.decode("utf-8", errors="replace"), None
    return data.decode("utf-8-sig" if encoding == "utf-8" else encoding), encoding


def find_declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The charset a page *claims* (HTTP header first, then ``<meta>`` or the XML declaration), lowercased."""
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            return match.group(1).lower()
    head = data[:8192]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace").lower() if match else None
