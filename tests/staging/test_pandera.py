"""The generated pandera schemas accept well-formed batches and reject bad ones with a clear message."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from staging_factory import make_report, outcome, table3_grid

from xxgk.parsing.model import ExtensionCell, Issue
from xxgk.staging.frames import frames_for
from xxgk.staging.pandera import StagingSchemaError, schema_for, validate_frame


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    ext = (ExtensionCell("table2", "x2019_licensing_change", -3, "-3", "行政许可", "line 9"),)
    return frames_for([
        outcome(make_report("银川市西夏区人民政府", 2022, t3=table3_grid({"granted": [2, 1, 0, 0, 0, 0]}),
                            issues=(Issue("cell_derived", "warning", "derived", ("table3.total.research",)),))),
        outcome(make_report("银川市西夏区教育局", 2020, fmt="2019", extensions=ext)),
    ])


def test_a_well_formed_batch_passes_every_schema(frames: dict[str, pd.DataFrame]) -> None:
    for table, df in frames.items():
        assert validate_frame(table, df) is not None
    assert (frames["table2_cells"]["value"] < 0).sum() == 1  # 本年增/减 may be negative


def _set(table: str, column: str, value: object, row: int = 0) -> Callable[[dict[str, pd.DataFrame]], str]:
    def mutate(frames: dict[str, pd.DataFrame]) -> str:
        frames[table].loc[row, column] = value
        return table
    return mutate


def _retype(table: str, column: str, dtype: str) -> Callable[[dict[str, pd.DataFrame]], str]:
    def mutate(frames: dict[str, pd.DataFrame]) -> str:
        frames[table][column] = frames[table][column].astype(dtype)
        return table
    return mutate


def _duplicate(table: str) -> Callable[[dict[str, pd.DataFrame]], str]:
    def mutate(frames: dict[str, pd.DataFrame]) -> str:
        frames[table] = pd.concat([frames[table], frames[table].iloc[[0]]], ignore_index=True)
        return table
    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(_set("table3_cells", "value", -1.0), ["'value'", ">= 0", "-1.0"], id="negative-count-t3"),
        pytest.param(_set("table4_cells", "value", -2.0), ["'value'", ">= 0"], id="negative-count-t4"),
        pytest.param(_set("table2_cells", "value", -5.0), ["canonical counts must be >= 0"], id="negative-count-t2"),
        pytest.param(_set("table3_cells", "row_key", "granted_typo"), ["'row_key'", "granted_typo"],
                     id="unknown-row-key"),
        pytest.param(_set("table3_cells", "col_key", "subtotal_org"), ["'col_key'", "subtotal_org"],
                     id="unknown-col-key"),
        pytest.param(_set("table4_cells", "row_key", "review_dismissed"), ["'row_key'", "review_dismissed"],
                     id="unknown-t4-key"),
        pytest.param(_set("table2_cells", "col_key", "made"), ["'col_key'", "made"], id="t2-has-no-columns"),
        pytest.param(_set("table3_cells", "status", "guessed"), ["'status'", "guessed"], id="unknown-status"),
        pytest.param(_set("parse_issues", "rule", "made_up_rule"), ["'rule'"], id="unknown-rule"),
        pytest.param(_set("reports", "source_sha256", "not-a-hash"), ["'source_sha256'", "not-a-hash"],
                     id="bad-sha"),
        pytest.param(_set("reports", "format_version", "2017"), ["'format_version'", "2017"], id="bad-format"),
        pytest.param(_retype("reports", "report_year", "float64"), ["'report_year'", "Int64"], id="year-as-float"),
        pytest.param(_retype("table3_cells", "value", "string"), ["'value'", "float64"], id="value-as-text"),
        pytest.param(_set("reports", "parse_status", None), ["'parse_status'", "null"], id="null-required"),
        pytest.param(_duplicate("table3_cells"), ["table3_cells"], id="duplicate-primary-key"),
    ],
)
def test_a_bad_frame_is_rejected_with_a_message_naming_table_column_and_value(
    frames: dict[str, pd.DataFrame], mutate: Callable[[dict[str, pd.DataFrame]], str], expected: list[str]
) -> None:
    table = mutate(frames)
    with pytest.raises(StagingSchemaError) as info:
        validate_frame(table, frames[table])
    message = str(info.value)
    assert message.startswith(f"{table}: ")
    for part in expected:
        assert part in message, message


def test_an_extra_column_is_rejected(frames: dict[str, pd.DataFrame]) -> None:
    frames["reports"]["surprise"] = 1
    with pytest.raises(StagingSchemaError, match="surprise"):
        validate_frame("reports", frames["reports"])


def test_schemas_are_generated_once_per_table() -> None:
    assert schema_for("table3_cells") is schema_for("table3_cells")
    assert list(schema_for("table3_cells").columns)[:6] == [
        "source_sha256", "parser_version", "parsed_at", "report_year", "agency_name", "format_version"]
