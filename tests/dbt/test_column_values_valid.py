"""The grouped column test (``column_values_valid`` in ``dbt_project/macros/tests.sql``): one query per model that
fails, like dbt's own not_null and accepted_values tests, on exactly the rows and columns that break them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from marts_corpus import planted_outcomes

from xxgk.staging.build import dbt_paths, run_dbt
from xxgk.staging.stage import stage_outcomes
from xxgk.storage import open_lake

pytestmark = pytest.mark.slow

AUDIT_SCHEMA = "dbt_test__audit"


def _break_reports(lake: Path) -> Path:
    """One report loses its fee statement (not_null) and another gets an unknown parse status (accepted_values);
    a null format version stays allowed. Written over the staged Parquet, as a writer without pandera could."""
    for path in sorted((lake / "staging" / "reports").rglob("*.parquet")):
        table = pq.read_table(path)
        n = table.num_rows
        if n >= 2:
            fee = table["fee_status"].to_pylist()
            status = table["parse_status"].to_pylist()
            fee[0], status[1] = None, "exploded"
            table = table.set_column(table.schema.get_field_index("fee_status"), "fee_status",
                                     pa.array(fee, type=table.schema.field("fee_status").type))
            table = table.set_column(table.schema.get_field_index("parse_status"), "parse_status",
                                     pa.array(status, type=table.schema.field("parse_status").type))
            table = table.set_column(table.schema.get_field_index("format_version"), "format_version",
                                     pc.if_else(pa.array([True] + [False] * (n - 1)),
                                                pa.scalar(None, table.schema.field("format_version").type),
                                                table["format_version"]))
            pq.write_table(table, path)
            return path
    raise AssertionError("no staged file holds two reports")


def test_broken_columns_fail_the_build_with_their_row_counts(tmp_path: Path) -> None:
    store = open_lake(str(tmp_path / "lake"))
    stage_outcomes(store, planted_outcomes(), "1")
    paths = dbt_paths(store, work_dir=tmp_path / "work")
    assert run_dbt(paths, [("build", "--select", "stg_xxgk__reports")]).ok  # as staged: every test passes

    _break_reports(tmp_path / "lake")
    result = run_dbt(paths, [("build", "--select", "stg_xxgk__reports", "--store-failures")], atomic=False)
    assert not result.ok
    assert "column_values_valid_stg_xxgk__reports" in result.output
    con = duckdb.connect(str(result.warehouse_path), read_only=True)
    try:
        failed = con.execute(f'select failed_test, n_rows from "{AUDIT_SCHEMA}".column_values_valid_stg_xxgk__reports '
                             "order by failed_test").fetchall()
    finally:
        con.close()
    assert failed == [("accepted_values_parse_status", 1), ("not_null_fee_status", 1)]
