"""Session fixtures for the binary-reader tests: DOCX/XLSX/PDF/scanned versions of the seeds and of generated
reports, built once per session (LibreOffice and OCR are slow)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from binary_fixtures import (  # noqa: E402
    GENERATED,
    SEEDS,
    SYNTH_CASES,
    convert_many,
    need_tool,
    official_blocks,
    random_report,
    report_text,
    scan_pdf,
    seed_blocks,
    seed_text,
    synth_blocks,
    synth_report,
    to_docx,
)


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    """Text originals: the five seeds and the generated reports (pipe rows)."""
    out = {name: seed_text(name) for name in SEEDS}
    out.update({f"gen{n}": report_text(random_report(n)) for n in GENERATED})
    return out


@pytest.fixture(scope="session")
def originals(texts: dict[str, str]) -> dict[str, bytes]:
    """What each binary version is compared with: the seed text, the generated pipe-row text, the synthetic HTML."""
    from xxgk.synth import render

    out = {name: text.encode() for name, text in texts.items()}
    out.update({name: render(synth_report(name), "html") for name in SYNTH_CASES})
    return out


@pytest.fixture(scope="session")
def docx_files(texts: dict[str, str]) -> dict[str, bytes]:
    out = {name: to_docx(seed_blocks(texts[name])) for name in SEEDS}
    out.update({name: to_docx(synth_blocks(synth_report(name))) for name in SYNTH_CASES})
    # generated reports in the official layout: merged cells, vertical table 四 headers, tables split by page breaks
    out.update({f"gen{n}": to_docx(official_blocks(random_report(n), vertical_headers=True),
                                   page_break_in_tables=n == 7) for n in GENERATED})
    return out


@pytest.fixture(scope="session")
def pdf_files(docx_files: dict[str, bytes]) -> dict[str, bytes]:
    """Text-layer PDFs: the DOCX files exported by LibreOffice (CJK font embedded), all in one LibreOffice start."""
    need_tool("soffice")
    return convert_many(docx_files, "docx", "pdf")


@pytest.fixture(scope="session")
def doc_files(docx_files: dict[str, bytes]) -> dict[str, bytes]:
    """Legacy .doc versions (LibreOffice export) of a seed and of a generated report."""
    need_tool("soffice")
    return convert_many({name: docx_files[name] for name in ("003", "gen7")}, "docx", "doc")


@pytest.fixture(scope="session")
def scanned_files(pdf_files: dict[str, bytes]) -> dict[str, bytes]:
    """Image-only PDFs: the text-layer PDFs rendered to 200 dpi greyscale pages."""
    need_tool("pdftoppm")
    return {name: scan_pdf(pdf_files[name]) for name in ("000", "002", "003", "004", "gen1")}
