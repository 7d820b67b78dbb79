"""Session fixtures for the binary-reader tests: DOCX/XLSX/PDF/scanned versions of the seeds and of generated
reports, built once per session (LibreOffice and OCR are slow)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from binary_fixtures import (  # noqa: E402
    convert_many,
    official_blocks,
    random_report,
    report_text,
    scan_pdf,
    seed_blocks,
    seed_text,
    synth_blocks,
    to_docx,
)

SEEDS = ("000", "001", "002", "003", "004")
GENERATED = (1, 7)
# reports of the project's synthetic generator (xxgk.synth): both layouts and the defects a reader must carry over
SYNTH_CASES: dict[str, dict[str, object]] = {
    "synth2019": {"format_version": "2019", "year": 2020},
    "synth2019blank": {"format_version": "2019", "year": 2019, "defects": ("blank_cell",)},
    "synthmissingrow": {"defects": ("missing_row",)},
    "synthlostcolumn": {"defects": ("lost_column",)},
    "synthidentitybreak": {"defects": ("identity_break",)},
    "synthspam": {"defects": ("spam",)},
}


def _need(tool: str) -> None:
    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed (scripts/apt-packages.txt lists the Debian package)")


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    """Text originals: the five seeds and the generated reports (pipe rows)."""
    out = {name: seed_text(name) for name in SEEDS}
    out.update({f"gen{n}": report_text(random_report(n)) for n in GENERATED})
    return out


def synth_report(name: str):  # type: ignore[no-untyped-def]
    import random

    from xxgk.synth import random_report as synth_random_report

    seed = sorted(SYNTH_CASES).index(name) + 100
    return synth_random_report(random.Random(seed), serialization="html", **SYNTH_CASES[name])  # type: ignore[arg-type]


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
    _need("soffice")
    return convert_many(docx_files, "docx", "pdf")


@pytest.fixture(scope="session")
def scanned_files(pdf_files: dict[str, bytes]) -> dict[str, bytes]:
    """Image-only PDFs: the text-layer PDFs rendered to 200 dpi greyscale pages."""
    _need("pdftoppm")
    return {name: scan_pdf(pdf_files[name]) for name in ("000", "002", "003", "004", "gen1")}
