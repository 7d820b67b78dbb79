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
