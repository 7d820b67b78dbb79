"""The staging table specs: shared columns, keys restricted to the canonical sets, one dictionary of fields."""

from __future__ import annotations

import pytest

from xxgk.schema.identities import RULES, SEVERITIES
from xxgk.schema.keys import (
    CELL_STATUSES,
    FEE_STATUSES,
    SECTION_IDS,
    TABLE2_KEYS,
    TABLE3_COLS,
    TABLE3_ROWS,
    TABLE4_KEYS,
)
from xxgk.schema.tables import DTYPES, FIELDS, PARTITION_COLUMN, TABLE_SPECS

SHARED = ("source_sha256", "parser_version", "parsed_at", "report_year", "agency_name", "format_version")
CELL_COLUMNS = ("row_key", "col_key", "value", "raw_text", "raw_label", "status", "loc")


def test_the_staging_tables_are_the_six_of_the_architecture() -> None:
    assert set(TABLE_SPECS) == {"reports", "table2_cells", "table3_cells", "table4_cells", "sections", "parse_issues"}


@pytest.mark.parametrize("table", list(TABLE_SPECS))
def test_every_table_starts_with_the_shared_columns_and_is_partitioned_by_report_year(table: str) -> None:
    spec = TABLE_SPECS[table]
    assert spec.field_names[: len(SHARED)] == SHARED
    assert spec.partition_column == PARTITION_COLUMN == "report_year"
    assert set(spec.primary_key) <= set(spec.field_names)
    assert spec.primary_key[0] == "source_sha256"
    assert len(set(spec.field_names)) == len(spec.field_names)


@pytest.mark.parametrize("table", list(TABLE_SPECS))
def test_every_field_is_documented_typed_and_shared_by_name(table: str) -> None:
    for f in TABLE_SPECS[table].fields:
        assert f.dtype in DTYPES
        assert f.description and f.label_zh
        base = FIELDS[f.name]
        assert (f.dtype, f.description, f.label_zh) == (base.dtype, base.description, base.label_zh)


@pytest.mark.parametrize(
    ("table", "rows", "cols"),
    [
        pytest.param("table2_cells", TABLE2_KEYS, (), id="table2"),
        pytest.param("table3_cells", TABLE3_ROWS, TABLE3_COLS, id="table3"),
        pytest.param("table4_cells", TABLE4_KEYS, (), id="table4"),
    ],
)
def test_cell_tables_allow_only_canonical_keys_and_statuses(table: str, rows: tuple, cols: tuple) -> None:
    spec = TABLE_SPECS[table]
    assert set(CELL_COLUMNS) <= set(spec.field_names)
    allowed_rows = spec.field("row_key").allowed
    assert allowed_rows is not None and set(rows) <= set(allowed_rows)
    assert all(r in rows or r.startswith("x2019_") for r in allowed_rows)
    assert spec.field("col_key").allowed == cols
    assert spec.field("status").allowed == CELL_STATUSES
    assert spec.field("value").dtype == "float"


def test_counts_are_bounded_below_except_2019_changes() -> None:
    assert TABLE_SPECS["table3_cells"].field("value").min_value == 0
    assert TABLE_SPECS["table4_cells"].field("value").min_value == 0
    # 本年增/减 (x2019_*_change) can be negative: table 二 is bounded row-wise by the pandera schema instead
    assert TABLE_SPECS["table2_cells"].field("value").min_value is None


def test_issue_rules_severities_and_sections_come_from_the_schema_modules() -> None:
    issues = TABLE_SPECS["parse_issues"]
    assert issues.field("rule").allowed == tuple(RULES)
    assert issues.field("severity").allowed == SEVERITIES
    assert TABLE_SPECS["sections"].field("section_id").allowed == SECTION_IDS
    assert TABLE_SPECS["reports"].field("fee_status").allowed == FEE_STATUSES
