"""The Prefect flow `build`: parse, then dbt build into the lake's warehouse (session harness from conftest)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from flows.build import build_marts

from xxgk.ingest import ingest
from xxgk.storage import LocalStore

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.mark.slow
def test_build_flow_parses_and_builds_a_warehouse_any_duckdb_client_opens(local_lake: LocalStore,
                                                                          tmp_path: Path) -> None:
    ingest([str(p) for p in sorted(SAMPLES.glob("*.txt"))], local_lake)
    out = build_marts(lake=local_lake.uri(), docs=False)
    assert out["parse"]["n_staged"] == 5
    warehouse = Path(out["warehouse"])
    assert warehouse == Path(local_lake.uri()) / "warehouse" / "xxgk.duckdb"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("select agency_name, report_year, t3_new_received_total from marts.agency_year "
                           "order by agency_name").fetchall()
    finally:
        con.close()
    assert len(rows) == 5
    assert ("西夏区人民政府办公室", 2024, 9) in rows


def test_build_flow_fails_clearly_when_nothing_is_staged(local_lake: LocalStore) -> None:
    state = build_marts(lake=local_lake.uri(), docs=False, return_state=True)
    assert state.is_failed()
    with pytest.raises(RuntimeError, match="nothing is staged"):
        state.result()
