"""Media-type detection from the bytes of a report, never from its file name.

:func:`sniff_media_type` returns one of :data:`MEDIA_TYPES`. It reads magic numbers, the member names of a ZIP
container (without unpacking anything) and the stream names of an OLE2 compound file (legacy Word, WPS and Excel),
then tells HTML from plain text by its markup. Ingestion stores the result in the manifest; the parser dispatches on
it.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

logger = logging.getLogger(__name__)

MEDIA_TYPES = ("html", "text", "pdf", "docx", "doc", "xlsx", "xls", "image", "zip", "unknown")

PDF_MAGIC_WINDOW = 1024  # the PDF spec allows junk before %PDF-; readers accept it within the first KiB
TEXT_SNIFF_BYTES = 64 * 1024  # how much of a text/HTML file is inspected
HTML_MARKER_WINDOW = 4096
OLE_NAME_SCAN_BYTES = 8 * 1024 * 1024  # OLE directory entries are looked for in this much of the file
CONTROL_CHAR_RATIO = 0.05  # more control characters than this (outside \t \r \n \f) and it is not text

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_IMAGE_MAGICS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
)
_BMP_HEADER_SIZES = (b"\x0c\0\0\0", b"\x28\0\0\0", b"\x40\0\0\0", b"\x6c\0\0\0", b"\x7c\0\0\0")
# Matched against ASCII-lowercased bytes: IGNORECASE makes the scan of a 64 KiB text file several times slower.
_HTML_MARKERS = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|table|tr|td|div|p|meta|title|span|br)\b")


CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20)])  # outside \t \n \f \r


def count_control_bytes(data: bytes) -> int:
    return len(data) - len(data.translate(None, CONTROL_BYTES))


def sniff_media_type(data: bytes) -> str:
    """The media type of ``data``: ``html``, ``text``, ``pdf``, ``docx``, ``doc``, ``xlsx``, ``xls``, ``image``,
    ``zip`` or ``unknown``."""
    if not data:
        return "unknown"
    if b"%PDF-" in data[:PDF_MAGIC_WINDOW]:
        return "pdf"
    if data.startswith(_ZIP_MAGICS):
        return _sniff_zip(data)
    if data.startswith(_OLE_MAGIC):
        return _sniff_ole(data)
    if is_mht(data):
        return "doc"  # Word's "single file web page" (.mht, often published as .doc)
    if data.startswith(b"{\\rtf"):
        return "doc"  # RTF: LibreOffice converts it like a legacy Word file
    if (any(data.startswith(m) for m in _IMAGE_MAGICS) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
            or (data[:2] == b"BM" and data[14:18] in _BMP_HEADER_SIZES)):
        return "image"
    return _sniff_text(data[:TEXT_SNIFF_BYTES])


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        logger.debug("zip magic but no readable central directory")
        return "unknown"
    if "word/document.xml" in names or any(n.startswith("word/document") and n.endswith(".xml") for n in names):
        return "docx"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    return "zip"


def _sniff_ole(data: bytes) -> str:
    window = data[:OLE_NAME_SCAN_BYTES]
    if _utf16(b"WordDocument") in window or _utf16(b"WpsContent") in window:
        return "doc"
    if _utf16(b"Workbook") in window or _utf16(b"Book") in window:
        return "xls"
    return "unknown"


def is_mht(data: bytes) -> bool:
    """MHTML: a MIME multipart/related message wrapping an HTML page and its images."""
    head = data[:2048].lstrip().lower()
    return head.startswith((b"mime-version:", b"from:", b"content-type: multipart/related")) and (
        b"multipart/related" in head
    )


def is_encrypted_office(data: bytes) -> bool:
    """A password-protected DOCX/XLSX: Office wraps it in an OLE2 file holding an ``EncryptedPackage`` stream."""
    return data.startswith(_OLE_MAGIC) and _utf16(b"EncryptedPackage") in data[:OLE_NAME_SCAN_BYTES]


def _utf16(name: bytes) -> bytes:
    return name.decode("ascii").encode("utf-16-le")


def _sniff_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
        head = text.encode("utf-8")
    if b"<" in head and _has_html_marker(head):
        return "html"
    controls = count_control_bytes(head)
    if b"\x00" in head or controls > CONTROL_CHAR_RATIO * len(head):
        return "unknown"
    if _decodes(head):
        return "text"
    return "unknown"


def _has_html_marker(head: bytes) -> bool:
    """Whether the bytes hold HTML markup; pages show it in their first few KiB, so those are looked at first."""
    if len(head) > HTML_MARKER_WINDOW:
        found = _HTML_MARKERS.search(head[:HTML_MARKER_WINDOW].lower())
        if found and found.end() < HTML_MARKER_WINDOW:  # one ending at the cut might go on past it (``<table`` + x)
            return True
    return _HTML_MARKERS.search(head.lower()) is not None


def _decodes(head: bytes) -> bool:
    """True when the bytes are UTF-8 or GB18030 text (a cut multi-byte character at the end is allowed)."""
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:
                return True
    return False
