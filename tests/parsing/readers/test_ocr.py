"""Scanned reports: OCR output goes through the same label matching; every misread cell is caught or flagged."""

from __future__ import annotations

import io

import pytest

from xxgk.parsing.readers import ocr
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.report import parse_bytes
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS, cell_id

needs_tesseract = pytest.mark.skipif(
    not ocr.tesseract_available(), reason="tesseract-ocr with chi_sim is not installed (scripts/apt-packages.txt)"
)


def _flat(report) -> dict[str, object]:  # type: ignore[no-untyped-def]
    out: dict[str, object] = {cell_id("table2", k): report.table2[k].value for k in TABLE2_KEYS}
    out.update({cell_id("table3", r, c): report.table3[r][c].value for r in TABLE3_ROWS for c in TABLE3_COLS})
    out.update({cell_id("table4", k): report.table4[k].value for k in TABLE4_KEYS})
    return out


@pytest.mark.slow
@needs_tesseract
@pytest.mark.parametrize("name", ["000", "002", "003", "004", "gen1"])
def test_scanned_tables_match_or_are_flagged(name: str, texts: dict[str, str],
                                             scanned_files: dict[str, bytes]) -> None:
    original = parse_bytes(texts[name].encode())
    scanned = parse_bytes(scanned_files[name])
    assert any(i.rule == "ocr_derived" for i in scanned.issues)
    assert scanned.tables_present == original.tables_present
    flagged = {cell for issue in scanned.issues if issue.rule != "ocr_derived" for cell in issue.cells}
    expected, got = _flat(original), _flat(scanned)
    wrong = [k for k in expected if got[k] != expected[k] and k not in flagged and k not in scanned.derived]
    assert not wrong, f"misread cells neither flagged nor derived: {wrong[:10]}"
    matched = sum(1 for k in expected if got[k] == expected[k] or scanned.derived.get(k) == expected[k])
    assert matched >= 0.95 * len(expected)
    t3 = scanned.table3["new_received"]["total"]
    assert t3.loc is None or t3.loc.startswith("ocr page")


@pytest.mark.slow
@needs_tesseract
def test_image_file_is_read_by_ocr(scanned_files: dict[str, bytes]) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(scanned_files["003"])
    image = pdf[2].render(scale=200 / 72, grayscale=True).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(200, 200))
    document = ocr.read_image(out.getvalue())
    assert document.media_type == "image"
    assert [i.rule for i in document.reader_issues] == ["ocr_derived"]
    assert all(r.loc.startswith("ocr page") for r in document.rows)
    assert any(len(r.cells) >= 7 for r in document.rows)


def test_without_tesseract_a_scan_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "tesseract_available", lambda: False)
    with pytest.raises(ReaderError, match="tesseract-ocr-chi-sim"):
        ocr.read_image(b"\x89PNG\r\n\x1a\n")


@pytest.mark.slow
@needs_tesseract
def test_a_skewed_scan_is_turned_upright(texts: dict[str, str], scanned_files: dict[str, bytes]) -> None:
    import pypdfium2
    from PIL import Image

    pdf = pypdfium2.PdfDocument(scanned_files["gen1"])
    pages = [pdf[i].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
             .rotate(1.2 if i % 2 else -0.8, resample=Image.Resampling.BICUBIC, fillcolor=255) for i in range(len(pdf))]
    assert abs(ocr.skew_angle(pages[0]) - 0.8) < 0.15
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=200.0)
    original, scanned = parse_bytes(texts["gen1"].encode()), parse_bytes(out.getvalue())
    flagged = {cell for issue in scanned.issues if issue.rule != "ocr_derived" for cell in issue.cells}
    expected, got = _flat(original), _flat(scanned)
    assert not [k for k in expected if got[k] != expected[k] and k not in flagged and k not in scanned.derived]
    assert sum(1 for k in expected if got[k] == expected[k]) >= 0.9 * len(expected)
