"""``validate_and_publish`` as a real Prefect flow run over a lake built by ``xxgk build`` (seeds + the planted
multi-year corpus of tests/dbt): Great Expectations decides, quarantined reports are absent from every published
mart (dbt rebuilds them), warnings travel with the published rows; ``xxgk publish`` reports a held lock clearly."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "staging"))
sys.path.insert(0, str(ROOT / "tests" / "dbt"))

from flows.publish import validate_and_publish  # noqa: E402
from marts_corpus import COUNTY, STREET, planted_outcomes  # noqa: E402

from xxgk.cli import main  # noqa: E402
from xxgk.ingest import ingest  # noqa: E402
from xxgk.publish import PublishLock, is_complete, read_current  # noqa: E402
from xxgk.staging.agencies import normalize_name  # noqa: E402
from xxgk.staging.stage import stage_outcomes  # noqa: E402
from xxgk.storage import LocalStore  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("publish") / "lake"
    store = LocalStore(lake)
    ingest([str(p) for p in sorted((ROOT / "samples").glob("*.txt"))], store)
    assert stage_outcomes(store, planted_outcomes(), "1").n_quarantined == 0
    assert main(["build", "--lake", str(lake), "--no-docs", "--json"]) == 0
    return lake


def _parquet(store: LocalStore, release: str, name: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(store.get_bytes(f"releases/{release}/marts/{name}.parquet")))


def test_flow_gates_and_publishes_a_release(lake: Path) -> None:
    store = LocalStore(lake)
    summary = validate_and_publish(lake=str(lake), release_id="r1", max_year=2025)
    assert read_current(store) == "r1" and is_complete(store, "r1")
    assert summary["reports_quarantined"] == 3 and summary["reports_warned"] >= 2

    q = _parquet(store, "r1", "quarantine")
    rules = dict(zip(q["source_sha256"], q["rules"], strict=True))
    # the report without an agency, seed 001 (no tables at all) and the bytes the parser could not read
    assert sorted(rules.values()) == ["agency_year_plausible", "cells_incomplete", "unreadable"]
    ay = _parquet(store, "r1", "agency_year")
    assert set(ay["source_sha256"]).isdisjoint(rules)
    assert "霍邱县扈胡镇人民政府" not in set(ay["agency_name"])  # seed 001: no tables
    flags = {(a, y): w for a, y, w in zip(ay["agency_name"], ay["report_year"], ay["quality_warnings"], strict=True)}
    assert flags[(normalize_name(COUNTY), 2022)] == "X1"
    assert flags[(normalize_name(STREET), 2022)] == "X2"
    assert flags[(normalize_name(COUNTY), 2021)] == ""

    db = duckdb.connect(str(lake / "releases/r1/xxgk.duckdb"), read_only=True)
    try:
        tables = {r[0] for r in db.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        assert {"agency_year", "dim_agency", "region_year", "agency_panel", "fct_applications", "quality_results",
                "quarantine"} <= tables
        n_published = db.execute("select count(*) from marts.agency_year").fetchone()[0]
        assert n_published == len(ay)
        failing = db.execute("select count(distinct source_sha256) from marts.quality_results "
                             "where severity = 'error' and not passed").fetchone()[0]
        assert failing == 3
        leaked = db.execute("select count(*) from marts.fct_applications f join marts.quarantine q "
                            "using (source_sha256)").fetchone()[0] if "source_sha256" in {
            r[0] for r in db.execute("describe marts.fct_applications").fetchall()} else 0
        assert leaked == 0
    finally:
        db.close()
    report = store.get_bytes("releases/r1/quality_report.html").decode()
    assert "霍邱县扈胡镇人民政府" in report and "cells_incomplete" in report
    assert any(k.endswith("data_docs/index.html") for k in store.list_keys("releases/r1/data_docs/"))
    manifest = json.loads(store.get_bytes("releases/r1/_MANIFEST.json"))
    assert manifest["meta"]["gate_engine"] == "great_expectations"


def test_cli_reports_a_held_lock_and_then_publishes(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = LocalStore(lake)
    before = read_current(store)
    args = ["publish", "--lake", str(lake), "--no-ge", "--no-rebuild", "--max-year", "2025", "--json"]
    with PublishLock(store, owner="someone-else"):
        assert main(args) == 3
    err = capsys.readouterr().err
    assert "another publish run holds the lock" in err and "someone-else" in err
    assert read_current(store) == before
    assert main([*args, "--release-id", "cli-r2"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["release_id"] == "cli-r2" and out["reports_quarantined"] == 3
    assert read_current(store) == "cli-r2"
    if before:
        revisions = store.get_bytes("releases/cli-r2/revisions.md").decode()
        assert f"against {before}" in revisions
