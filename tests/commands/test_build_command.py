"""`xxgk build` without dbt: staging from the command line, and clear failures (the dbt path is tests/dbt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xxgk.cli import main
from xxgk.ingest import ingest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_build_stages_the_seeds_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    from xxgk.storage import LocalStore

    ingest([str(p) for p in sorted(SAMPLES.glob("*.txt"))], LocalStore(lake))
    assert main(["build", "--lake", str(lake), "--skip-dbt", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["parsed"], summary["staged"], summary["quarantined"]) == (5, 5, 0)
    assert main(["build", "--lake", str(lake), "--skip-dbt", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["parsed"] == 0


def test_build_on_an_empty_lake_says_there_is_nothing_to_build(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--lake", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert "nothing is staged" in err and "Traceback" not in err


def test_build_rejects_an_unsupported_lake_location(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--lake", "ftp://example.org/lake"]) == 1
    err = capsys.readouterr().err
    assert "unsupported lake location" in err and "Traceback" not in err
