from __future__ import annotations

import pytest

from xxgk.parsing.readers import doc as doc_reader
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.report import parse_bytes


def test_no_converter_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doc_reader, "available_converters", lambda: [])
    with pytest.raises(ReaderError, match="libreoffice-writer-nogui"):
        doc_reader.read_doc(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)


def test_a_corrupt_doc_fails_clearly_through_every_converter() -> None:
    if not doc_reader.available_converters():
        pytest.skip("no .doc converter installed")
    report = parse_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "WordDocument".encode("utf-16-le"))
    assert report.has_error and report.issues[0].rule == "unreadable"


@pytest.mark.slow
@pytest.mark.parametrize("converter", ["soffice", "antiword"])
def test_doc_tables_through_each_converter(converter: str, docx_files: dict[str, bytes]) -> None:
    from binary_fixtures import convert_many

    if converter not in doc_reader.available_converters():
        pytest.skip(f"{converter} is not installed")
    data = convert_many({"r": docx_files["gen1"]}, "docx", "doc")["r"]
    document = doc_reader.read_doc(data, converters=[converter])
    from binary_fixtures import random_report

    licensing = random_report(1).table2["licensing"]
    texts = [[c.text for c in r.cells if not c.is_span] for r in document.rows]
    assert ["行政许可", licensing] in [t[:2] for t in texts]
    assert document.media_type == "doc"
