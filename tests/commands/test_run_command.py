"""``xxgk run`` failures: a clear message and a non-zero exit, never a traceback (no Prefect run needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xxgk.cli import main
from xxgk.commands.run import SAMPLES_DIR, _summary_lines


def test_bad_lake_location_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--lake", "ftp://example/lake", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "unsupported lake location" in err and "Traceback" not in err


def test_broken_config_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "xxgk.toml"
    bad.write_text("[runner]\nkind = \n", encoding="utf-8")
    monkeypatch.setenv("XXGK_CONFIG", str(bad))
    assert main(["run", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err


def test_the_bundled_samples_are_found_from_any_working_directory(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert SAMPLES_DIR.is_dir() and len(list(SAMPLES_DIR.glob("*.txt"))) == 5


def test_summary_names_counts_reasons_release_and_quality_report() -> None:
    lines = "\n".join(_summary_lines({
        "ingest": {"new": 5, "unchanged": 0, "changed": 0, "failed": 0},
        "parse": {"n_pending": 5, "n_staged": 5, "n_quarantined": 0},
        "publish": {"reports_checked": 5, "reports_quarantined": 1, "reports_warned": 2,
                    "quality_report": "lake/releases/r1/quality_report.html"},
        "reasons": {"cells_incomplete": 1}, "release_id": "r1", "lake": "lake"}))
    assert "5 entries (5 new" in lines and "published:    4 of 5" in lines
    assert "cells_incomplete 1" in lines and "r1" in lines and "quality_report.html" in lines
