"""The publication rebuild (xxgk.publish.rebuild): from the lake's warehouse it gives exactly the marts dbt builds
from staging without the excluded reports, and it falls back to staging when the shortcut does not apply.

One `xxgk build` (seeds + the planted multi-year corpus of tests/dbt) per module; each rebuild is a real dbt run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from marts_corpus import COUNTY, DEPT, planted_outcomes

from xxgk.cli import main
from xxgk.ingest import ingest
from xxgk.publish.pipeline import load_warehouse
from xxgk.publish.rebuild import (
    REBUILD_TARGET,
    rebuild_from_staging,
    rebuild_with_dbt,
    report_cell_marts,
)
from xxgk.staging.agencies import normalize_name
from xxgk.staging.stage import stage_outcomes
from xxgk.storage import LocalStore

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("rebuild") / "lake"
    store = LocalStore(lake)
    ingest([str(p) for p in sorted(SAMPLES.glob("*.txt"))], store)
    assert stage_outcomes(store, planted_outcomes(), "1").n_quarantined == 0
    assert main(["build", "--lake", str(lake), "--no-docs", "--json"]) == 0
    return lake


def _versions(lake: Path) -> pd.DataFrame:
    con = duckdb.connect(str(lake / "warehouse" / "xxgk.duckdb"), read_only=True)
    try:
        return con.execute("select source_sha256, agency_name, report_year, is_current, publication_date "
                           "from intermediate.int_reports_deduplicated").df()
    finally:
        con.close()


def _frames(marts: dict) -> dict[str, pd.DataFrame]:
    return {n: (t if isinstance(t, pd.DataFrame) else t.df()) for n, t in marts.items()}


def _same(a: pd.DataFrame, b: pd.DataFrame, ordered: bool) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    if not ordered:
        a = a.sort_values(list(a.columns)[:2]).reset_index(drop=True)
        b = b.sort_values(list(b.columns)[:2]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
    return True


def test_rebuild_from_the_warehouse_equals_dbt_over_staging_without_the_agency_year(
        lake: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = LocalStore(lake)
    v = _versions(lake)
    county = normalize_name(COUNTY)
    withheld = v[(v["agency_name"] == county) & (v["report_year"] == 2021)]  # has a year before and after
    excluded = set(withheld["source_sha256"])
    assert len(excluded) == 1

    with caplog.at_level(logging.INFO, logger="xxgk.publish.rebuild"):
        fast = _frames(rebuild_with_dbt(store, excluded))
    assert any("rebuilt the marts from" in r.getMessage() for r in caplog.records)
    assert (lake / "warehouse" / REBUILD_TARGET / "partial_parse.msgpack").exists()

    dest = tmp_path / "full" / "xxgk.duckdb"
    rebuild_from_staging(store, excluded, dest, tmp_path / "target")
    full = _frames(load_warehouse(dest, copy=False).marts)

    assert set(fast) == set(full)
    cell_marts = {t for _, t in report_cell_marts(lake / "warehouse" / REBUILD_TARGET)}
    assert cell_marts == {"fct_applications", "fct_proactive_disclosure", "fct_review_litigation"}
    for name in full:
        assert _same(fast[name], full[name], ordered=name.startswith("fct_")), name

    ay = fast["agency_year"]
    assert excluded.isdisjoint(set(ay["source_sha256"]))
    assert excluded.isdisjoint(set(fast["fct_applications"]["source_sha256"]))
    after = ay[(ay["agency_name"] == county) & (ay["report_year"] == 2022)].iloc[0]
    assert not after["has_prior_year"]  # its prior year is withheld, as if it had never been reported
    panel = fast["agency_panel"]
    assert not panel[(panel["agency_name"] == county) & (panel["report_year"] == 2022)].iloc[0]["has_prior_year"]

    # the lake's own warehouse is untouched
    assert set(_versions(lake)["source_sha256"]) == set(v["source_sha256"])


def test_an_exclusion_that_makes_an_older_version_current_is_rebuilt_from_staging(
        lake: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = LocalStore(lake)
    v = _versions(lake)
    dept = v[(v["agency_name"] == DEPT) & (v["report_year"] == 2022)]
    assert len(dept) == 2
    newest = set(dept.loc[dept["is_current"], "source_sha256"])
    older = set(dept.loc[~dept["is_current"], "source_sha256"])

    with caplog.at_level(logging.INFO, logger="xxgk.publish.rebuild"):
        marts = _frames(rebuild_with_dbt(store, newest))
    assert any("rebuilding from staging" in r.getMessage() for r in caplog.records)
    ay = marts["agency_year"]
    row = ay[(ay["agency_name"] == DEPT) & (ay["report_year"] == 2022)]
    assert set(row["source_sha256"]) == older and int(row.iloc[0]["n_versions"]) == 1
    facts = marts["fct_applications"]
    assert set(facts.loc[(facts["agency_name"] == DEPT) & (facts["report_year"] == 2022), "source_sha256"]) == older


def test_a_warehouse_built_from_other_staging_is_not_used(lake: Path, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    stale = tmp_path / "stale" / "xxgk.duckdb"
    stale.parent.mkdir()
    con = duckdb.connect(str(stale))
    con.execute("create schema staging")
    con.execute("create table staging.stg_xxgk__reports as select 'x' as source_sha256, '1' as parser_version, "
                "now() as parsed_at")
    con.close()
    with caplog.at_level(logging.INFO, logger="xxgk.publish.rebuild"):
        marts = _frames(rebuild_with_dbt(LocalStore(lake), set(), warehouse=stale))
    assert any("was not built from the lake's current staging" in r.getMessage() for r in caplog.records)
    assert len(marts["agency_year"]) == len(_versions(lake).query("is_current"))
