"""The dbt build over staging on S3 (moto's server on loopback), read through an fsspec filesystem (no httpfs)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from marts_corpus import EXPECTED_GRANTED_2022, STREET, planted_outcomes

from xxgk.staging.build import dbt_paths, run_dbt
from xxgk.staging.stage import stage_outcomes
from xxgk.storage import open_lake

pytestmark = pytest.mark.slow


def test_dbt_builds_the_marts_from_staging_on_s3(s3_bucket: str, tmp_path: Path) -> None:
    store = open_lake(f"s3://{s3_bucket}/lake")
    assert stage_outcomes(store, planted_outcomes(), "1").n_staged == len(planted_outcomes())
    paths = dbt_paths(store, work_dir=tmp_path / "work")
    assert paths.staging_uri == f"s3://{s3_bucket}/lake/staging" and paths.target == "s3"
    result = run_dbt(paths, [("build",)])
    assert result.ok, result.tail(60)
    con = duckdb.connect(str(result.warehouse_path), read_only=True)  # a plain client: no fsspec registered
    try:
        assert con.execute("select count(*) from staging.stg_xxgk__reports").fetchall() == [(len(planted_outcomes()),)]
        for (level, code), granted in EXPECTED_GRANTED_2022.items():
            assert con.execute("select t3_granted_total from marts.region_year where region_level = ? and "
                               "region_code = ? and report_year = 2022", [level, code]).fetchall() == [(granted,)]
        assert con.execute("select has_stock_break from marts.agency_panel where agency_name = ? and "
                           "report_year = 2022", [STREET]).fetchall() == [(True,)]
    finally:
        con.close()
    assert not list(tmp_path.glob("work/.building/*"))
