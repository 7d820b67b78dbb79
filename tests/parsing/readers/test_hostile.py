"""Hostile files end in a clear error for that file, never an exception, a hang or a blown memory budget."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from binary_fixtures import official_blocks, random_report, to_docx, to_xlsx

from xxgk.parsing.readers.binary import MAX_ZIP_UNPACKED_BYTES, read_binary
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.readers.sniff import sniff_media_type
from xxgk.parsing.report import parse_bytes


def _replace_member(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    return out.getvalue()


def _zip_bomb(base: bytes) -> bytes:
    out = io.BytesIO(base)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("word/media/bomb.bin", "w", force_zip64=True) as member:
            chunk = b"\0" * (16 * 2**20)
            for _ in range(MAX_ZIP_UNPACKED_BYTES // len(chunk) + 2):
                member.write(chunk)
    return out.getvalue()


def _pdf(objects: list[bytes], media_box: str = "0 0 595 842") -> bytes:
    """A minimal PDF: catalog, pages, one page, then ``objects`` (object 4 is the page content stream)."""
    body = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [{media_box}] /Contents 4 0 R >>".encode(), *objects]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(body, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(body) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(body) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, flate: bool = False) -> bytes:
    extra = b" /Filter /FlateDecode" if flate else b""
    return b"<< /Length " + str(len(data)).encode() + extra + b" >>\nstream\n" + data + b"\nendstream"


def _png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + b"\0\0\0\0IEND\xaeB`\x82")


def _hostile_files() -> dict[str, tuple[bytes, str]]:
    docx = to_docx(official_blocks(random_report(1)))
    xlsx = to_xlsx(official_blocks(random_report(1)))
    bomb = zlib.compress(b"\0" * (40 * 2**20), 9)  # beyond the 16 MiB content-stream limit
    return {
        "docx-zip-bomb": (_zip_bomb(docx), "zip bomb"),
        "docx-malformed-xml": (_replace_member(docx, "word/document.xml", b"<w:document><w:body><w:p>"), "DOCX"),
        "docx-billion-laughs": (_replace_member(docx, "word/document.xml", (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8))
            + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
            + b"<w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>")), "DOCX"),
        "xlsx-malformed-xml": (_replace_member(xlsx, "xl/workbook.xml", b"<workbook><sheets>"), "XLSX"),
        "xlsx-truncated": (xlsx[: len(xlsx) // 2], ""),
        "pdf-flate-bomb": (_pdf([_stream(bomb, flate=True)]), "bomb"),
        "pdf-enormous-page": (_pdf([_stream(b"BT /F1 12 Tf 10 10 Td (x) Tj ET")], "0 0 90000 90000"), "beyond"),
        "pdf-encrypted": (_pdf([_stream(b"")]).replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /Standard "
                                                          b"/V 2 /R 3 /O <00> /U <00> /P -4 /Length 128 >> /ID [<01><01>]"),
                          ""),
        "pdf-garbage": (b"%PDF-1.7\n" + bytes(range(256)) * 64, ""),
        "pdf-no-text": (_pdf([_stream(b"")]), "no readable text"),
        "image-pixel-bomb": (_png_claiming(100_000, 100_000), ""),
        "office-encrypted": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
                             + "EncryptedPackage".encode("utf-16-le"), "password"),
        "ole-garbage": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "Workbook".encode("utf-16-le"), ""),
    }


HOSTILE = _hostile_files()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_a_clear_reader_error(name: str) -> None:
    data, expected = HOSTILE[name]
    media_type = sniff_media_type(data)
    with pytest.raises(ReaderError, match=expected or None):
        read_binary(data, media_type)


def test_hostile_files_never_stop_a_run() -> None:
    reports = [parse_bytes(data, name=name) for name, (data, _) in sorted(HOSTILE.items())]
    assert all(r.has_error and r.issues[0].rule == "unreadable" for r in reports)
    assert all(r.issues[0].message for r in reports)
