from __future__ import annotations

import io
import re
import zipfile

import pytest
from binary_fixtures import official_blocks, random_report, to_docx, to_xlsx
from hypothesis import given
from hypothesis import strategies as st

from xxgk.parsing.readers.sniff import MEDIA_TYPES, count_control_bytes, sniff_media_type


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (4, 4), 255).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"%PDF-1.7\n%...", "pdf", id="pdf"),
        pytest.param(b"\r\n  junk %PDF-1.4\n", "pdf", id="pdf-after-junk"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "WordDocument".encode("utf-16-le"), "doc",
                     id="ole-word"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "Workbook".encode("utf-16-le"), "xls",
                     id="ole-excel"),
        pytest.param(b"{\\rtf1\\ansi hello}", "doc", id="rtf"),
        pytest.param("<html><body><table><tr><td>规章</td></tr></table></body></html>".encode("gbk"), "html",
                     id="html-gbk"),
        pytest.param("一、总体情况\n规章 | 0 | 0 | 0 |\n".encode(), "text", id="text-utf8"),
        pytest.param("一、总体情况\n规章\t0\n".encode("gb18030"), "text", id="text-gb18030"),
        pytest.param(bytes(range(256)) * 4, "unknown", id="binary-noise"),
        pytest.param(b"", "unknown", id="empty"),
        pytest.param("BMW 政府信息公开工作年度报告".encode(), "text", id="text-starting-with-BM"),
        pytest.param(_zip({"a.txt": b"x"}), "zip", id="plain-zip"),
        pytest.param(b"PK\x03\x04garbage", "unknown", id="broken-zip"),
        pytest.param("<!DOCTYPE HTML>\n<HTML><BODY><P>报告</P></BODY></HTML>".encode(), "html", id="html-uppercase"),
        pytest.param("<  TABLE border=1><TR><TD>0</TD></TR></TABLE>".encode("gbk"), "html", id="html-uppercase-gbk"),
        pytest.param("申请数量 <3 件，规章 | 0 |\n".encode(), "text", id="text-with-less-than"),
        pytest.param(("报告\x01\x02正文\n" * 50).encode(), "unknown", id="text-with-control-characters"),
    ],
)
def test_sniffs_media_type_from_bytes(data: bytes, expected: str) -> None:
    assert sniff_media_type(data) == expected
    assert expected in MEDIA_TYPES


def test_sniffs_office_containers_and_images_whatever_their_name() -> None:
    blocks = official_blocks(random_report(3))
    assert sniff_media_type(to_docx(blocks)) == "docx"
    assert sniff_media_type(to_xlsx(blocks)) == "xlsx"
    assert sniff_media_type(_png()) == "image"


def test_agrees_with_the_ingestion_sniffer(docx_files: dict[str, bytes]) -> None:
    """Ingestion records the media type with xxgk.storage.sniff; the parser dispatches with this one: they agree."""
    storage_sniff = pytest.importorskip("xxgk.storage.sniff")
    blocks = official_blocks(random_report(3))
    samples = [to_docx(blocks), to_xlsx(blocks), _png(), b"%PDF-1.7\n", b"{\\rtf1 x}", "规章 | 0 |".encode(),
               "<html><body>规章</body></html>".encode(), _zip({"a.txt": b"x"}), docx_files["003"]]
    for data in samples:
        assert storage_sniff.sniff_media_type(data) == sniff_media_type(data)


@given(st.binary(max_size=300))
def test_control_bytes_are_counted_like_the_control_character_class(data: bytes) -> None:
    assert count_control_bytes(data) == len(re.findall(rb"[\x00-\x08\x0b\x0e-\x1f]", data))
