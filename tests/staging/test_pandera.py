"""The generated pandera schemas accept well-formed batches and reject bad ones with a clear message."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from staging_factory import make_report, outcome, table3_grid

from xxgk.parsing.model import ExtensionCell, Issue
from xxgk.staging.frames import frames_for
from xxgk.staging.pandera import (
    PANDAS_DTYPES,
    StagingSchemaError,
    schema_for,
    str_matches_by_distinct_value,
    validate_frame,
)


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


@pytest.mark.parametrize("pattern", [r"^[0-9a-f]{64}$", r"^\d{4}-\d{2}-\d{2}$", r"^[0-9a-f]{64}\Z",
                                     r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"])
def test_a_pattern_checked_once_per_distinct_value_gives_every_row_the_builtin_verdict(pattern: str) -> None:
    good = "a" * 64 if "0-9a-f" in pattern else "2022-02-26"
    values = [good, good, good + "\n", "x", "٢٠٢٢-02-26", "2022-１２-01", "", good.upper(), good, "x"]
    series = pd.Series(values * 3, dtype=PANDAS_DTYPES["string"], index=range(100, 130))
    result = str_matches_by_distinct_value(pattern)(series)
    expected = series.str.match(pattern, na=False)  # what pandera's Check.str_matches computes
    assert result.index.equals(series.index)
    assert result.tolist() == expected.astype(bool).tolist()


def test_a_string_column_of_another_dtype_is_still_rejected(frames: dict[str, pd.DataFrame]) -> None:
    df = frames["table3_cells"]
    df["agency_name"] = df["agency_name"].astype(object)
    df.loc[3, "agency_name"] = 7
    with pytest.raises(StagingSchemaError, match=r"agency_name.*dtype\('string\[pyarrow\]'\).*e\.g\. 7"):
        validate_frame("table3_cells", df)
    frames["reports"]["title"] = frames["reports"]["title"].astype("category")
    with pytest.raises(StagingSchemaError, match="'title' failed dtype"):
        validate_frame("reports", frames["reports"])


def test_validation_returns_the_frame_it_checked_unchanged(frames: dict[str, pd.DataFrame]) -> None:
    for table, df in frames.items():
        before = df.copy()
        validated = validate_frame(table, df)
        pd.testing.assert_frame_equal(validated, before, check_exact=True)
        pd.testing.assert_frame_equal(df, before, check_exact=True)


@pytest.mark.parametrize(("table", "column", "bad"), [
    ("reports", "source_sha256", "a" * 64 + "\n"),  # `$` would let a trailing newline through
    ("reports", "publication_date", "٢٠٢٢-02-26"),  # `\d` would take Arabic-Indic digits,
    ("reports", "publication_date", "2022-１２-01"),  # and full-width ones; the writer reads ASCII dates only
])
def test_hashes_and_dates_are_ascii_with_nothing_after(frames: dict[str, pd.DataFrame], table: str, column: str,
                                                       bad: str) -> None:
    df = frames[table]
    df.loc[df.index[0], column] = bad
    with pytest.raises(StagingSchemaError, match=column):
        validate_frame(table, df)
