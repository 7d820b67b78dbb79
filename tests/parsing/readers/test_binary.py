"""Every binary version of a report parses to the same values as its text original (seeds and generated reports)."""

from __future__ import annotations

import pytest
from binary_fixtures import (
    GENERATED,
    SEEDS,
    SYNTH_CASES,
    convert_many,
    need_tool,
    random_report,
    seed_blocks,
    synth_report,
    to_xlsx,
)

from xxgk.parsing.readers.binary import read_binary
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.report import parse_bytes

COMPARED = ("agency", "year", "format_version", "table2", "table3", "table4", "derived", "fee", "has_spam")
NAMES = [*SEEDS, *(f"gen{n}" for n in GENERATED), *SYNTH_CASES]


def _values(data: bytes) -> dict[str, object]:
    out = parse_bytes(data).to_json_dict()
    return {k: out[k] for k in COMPARED}


@pytest.mark.parametrize("name", NAMES)
def test_docx_parses_like_text(name: str, originals: dict[str, bytes], docx_files: dict[str, bytes]) -> None:
    assert _values(docx_files[name]) == _values(originals[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_pdf_parses_like_text(name: str, originals: dict[str, bytes], pdf_files: dict[str, bytes]) -> None:
    assert parse_bytes(pdf_files[name]).media_type == "pdf"
    assert _values(pdf_files[name]) == _values(originals[name])


@pytest.mark.parametrize("name", NAMES)
def test_xlsx_parses_like_text(name: str, texts: dict[str, str], originals: dict[str, bytes]) -> None:
    from binary_fixtures import official_blocks, synth_blocks

    if name in SEEDS:
        blocks = seed_blocks(texts[name])
    elif name in SYNTH_CASES:
        blocks = synth_blocks(synth_report(name))
    else:
        blocks = official_blocks(random_report(int(name[3:])))
    expected = _values(originals[name])
    assert _values(to_xlsx(blocks)) == expected
    assert _values(to_xlsx(blocks, sheet_per_table=True))["table3"] == expected["table3"]


@pytest.mark.slow
def test_xls_and_doc_parse_like_text(texts: dict[str, str], doc_files: dict[str, bytes]) -> None:
    need_tool("soffice")
    xls = convert_many({"gen1": to_xlsx(seed_blocks(texts["003"]))}, "xlsx", "xls")["gen1"]
    assert _values(xls) == _values(texts["003"].encode())
    for name, data in doc_files.items():
        assert parse_bytes(data).media_type == "doc"
        assert _values(data) == _values(texts[name].encode())


def test_generated_values_are_read_as_published(docx_files: dict[str, bytes]) -> None:
    report = random_report(1)
    parsed = parse_bytes(docx_files["gen1"])
    assert {k: str(v.value) for k, v in parsed.table2.items()} == report.table2
    assert [str(parsed.table3["total"][c].value) for c in parsed.table3["total"]] == report.table3["total"]
    assert [str(v.value) for v in parsed.table4.values()] == report.table4
    assert not parsed.derived


@pytest.mark.parametrize("media_type", ["zip", "unknown", "html"])
def test_dispatcher_refuses_what_it_cannot_read(media_type: str) -> None:
    with pytest.raises(ReaderError):
        read_binary(b"PK\x05\x06" + b"\0" * 18, media_type)


@pytest.mark.slow
def test_isolated_reader_returns_the_same_document_and_enforces_its_time_limit(docx_files: dict[str, bytes]) -> None:
    from xxgk.parsing.readers.binary import read_binary_isolated

    data = docx_files["003"]
    assert read_binary_isolated(data, "docx") == read_binary(data, "docx")
    with pytest.raises(ReaderError, match="longer than"):
        read_binary_isolated(data, "docx", timeout=0.001)
    with pytest.raises(ReaderError, match="PDF could not be read"):
        read_binary_isolated(b"%PDF-1.4 not really", "pdf")
