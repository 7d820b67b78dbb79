"""``run_dbt`` with a dbt child started ahead (``prestart_dbt``): the job reaches the waiting process, in its own
folder and environment, and a child nobody uses ends cleanly."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from marts_corpus import planted_outcomes

from xxgk.staging import build
from xxgk.staging.build import dbt_paths, prestart_dbt, run_dbt, stop_prestarted_dbt
from xxgk.staging.stage import stage_outcomes
from xxgk.storage import open_lake

pytestmark = pytest.mark.slow


@pytest.fixture()
def staged(tmp_path: Path):
    store = open_lake(str(tmp_path / "lake"))
    stage_outcomes(store, planted_outcomes(), "1")
    return dbt_paths(store, work_dir=tmp_path / "work")


def test_a_prestarted_child_runs_the_next_build(staged, monkeypatch: pytest.MonkeyPatch) -> None:
    prestart_dbt()
    waiting = build._warm_child
    assert waiting is not None and waiting.poll() is None
    monkeypatch.setenv("XXGK_DUCKDB_MEMORY_LIMIT", "300MB")  # set after the child started: the job carries it
    result = run_dbt(staged, [("run", "--select", "stg_xxgk__reports")])
    assert result.ok, result.tail(60)
    assert build._warm_child is None and waiting.returncode == 0  # this very process did the job
    con = duckdb.connect(str(result.warehouse_path), read_only=True)
    try:
        assert con.execute("select count(*) from staging.stg_xxgk__reports").fetchone() == (len(planted_outcomes()),)
    finally:
        con.close()
    log = (staged.work_dir / "dbt_logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
    assert "stg_xxgk__reports" in log


def test_a_failed_command_in_a_prestarted_child_keeps_the_warehouse_and_says_why(staged) -> None:
    assert run_dbt(staged, [("run", "--select", "stg_xxgk__reports")]).ok
    before = staged.warehouse_path.read_bytes()
    prestart_dbt()
    result = run_dbt(staged, [("run", "--select", "stg_xxgk__reports", "--vars", "{not yaml")])
    assert not result.ok and result.returncode != 0 and result.output.strip()
    assert staged.warehouse_path.read_bytes() == before


def test_an_unused_prestarted_child_ends_when_stopped() -> None:
    prestart_dbt()
    waiting = build._warm_child
    prestart_dbt()  # one is enough: the same process stays
    assert build._warm_child is waiting
    stop_prestarted_dbt()
    assert build._warm_child is None and waiting.poll() is not None


def test_a_new_lake_reuses_the_saved_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local lake's staging folder reaches dbt through a link of the same name for every lake, so dbt's saved
    parse of the project holds for a new lake instead of being redone."""
    import json

    from xxgk.staging.build import STAGING_LINK

    monkeypatch.setenv("XXGK_DBT_PARSE_CACHE", str(tmp_path / "parse-cache"))
    for name in ("first", "second"):
        store = open_lake(str(tmp_path / name))
        stage_outcomes(store, planted_outcomes(), "1")
        paths = dbt_paths(store, work_dir=tmp_path / f"work-{name}")
        result = run_dbt(paths, [("run", "--select", "stg_xxgk__reports")])
        assert result.ok, result.tail(60)
        con = duckdb.connect(str(result.warehouse_path), read_only=True)
        try:
            assert con.execute("select count(*) from staging.stg_xxgk__reports").fetchone() == (
                len(planted_outcomes()),)
        finally:
            con.close()
        assert not list((tmp_path / f"work-{name}").rglob(STAGING_LINK))  # the link is gone after the run
    perf = json.loads((tmp_path / "work-second" / "dbt_target" / "perf_info.json").read_text(encoding="utf-8"))
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0
