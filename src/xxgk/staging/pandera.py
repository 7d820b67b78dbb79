"""Pandera schemas generated from :data:`xxgk.schema.tables.TABLE_SPECS`, and the one validation entry point.

Nobody writes a schema by hand: dtypes, nullability, allowed values (canonical keys, statuses, rule ids), lower
bounds (counts are non-negative) and the primary key all come from the table spec. :func:`validate_frame` returns
the validated frame or raises :class:`StagingSchemaError` whose message names the table, the column, the check and
a few offending values, so a rejected batch can be quarantined with a reason a person can read.

pandera itself is imported when the first schema is built: processes that only describe staging frames (the flow
process, which hands parsing and validation to sandbox processes) never load it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from xxgk.schema.tables import NON_NEGATIVE_ROW_KEYS, TABLE_SPECS, FieldSpec, TableSpec

if TYPE_CHECKING:
    import pandera.pandas as pa

logger = logging.getLogger(__name__)

# Logical dtype → pandas dtype of a staging DataFrame. Dates travel as ISO strings and become date32 in Parquet.
PANDAS_DTYPES: dict[str, object] = {
    "string": pd.StringDtype(),
    "int": pd.Int64Dtype(),
    "float": "float64",
    "bool": pd.BooleanDtype(),
    "timestamp": pd.DatetimeTZDtype("us", "UTC"),
    "date": pd.StringDtype(),
}
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"  # ASCII digits only (\d takes any script's), no trailing newline


class StagingSchemaError(ValueError):
    """A staging DataFrame broke its schema; ``reason`` is a short human-readable summary."""

    def __init__(self, table: str, reason: str, failures: pd.DataFrame | None = None) -> None:
        super().__init__(f"{table}: {reason}")
        self.table = table
        self.reason = reason
        self.failures = failures


def _checks(f: FieldSpec) -> list[pa.Check]:
    import pandera.pandas as pa

    checks: list[pa.Check] = []
    if f.allowed is not None:
        checks.append(pa.Check.isin(list(f.allowed), error=f"{f.name} must be one of {list(f.allowed)[:8]}"
                                    + (" …" if len(f.allowed) > 8 else "")))
    if f.min_value is not None:
        checks.append(pa.Check.ge(f.min_value, error=f"{f.name} must be >= {f.min_value:g}"))
    pattern = f.pattern or (_DATE_PATTERN if f.dtype == "date" else None)
    if pattern:
        checks.append(pa.Check(str_matches_by_distinct_value(pattern), name="str_matches",
                               error=f"{f.name} must match {pattern}", statistics={"pattern": pattern},
                               determined_by_unique=True))
    return checks


def str_matches_by_distinct_value(pattern: str) -> Callable[[pd.Series], pd.Series]:
    """pandera's ``Check.str_matches(pattern)`` (``series.str.match(pattern, na=False)``), computed once per distinct
    value and spread back to every row: a cell table repeats each report's hash on its ~200 rows, so the regex runs
    on ~1/200 of the strings. The result is the same row by row, and so are the failure cases pandera reports."""

    def check(series: pd.Series) -> pd.Series:
        codes, distinct = series.factorize()  # a null (if any reached here) is code -1: not a match
        matches = pd.Series(distinct, dtype=series.dtype).str.match(pattern, na=False)
        ok = matches.to_numpy(dtype=bool, na_value=False)
        return pd.Series(np.where(codes >= 0, ok[codes] if len(ok) else False, False), index=series.index,
                         name=series.name)

    return check


def _non_negative_rows(keys: tuple[str, ...]) -> pa.Check:
    import pandera.pandas as pa

    key_set = list(keys)

    def check(df: pd.DataFrame) -> pd.Series:
        return ~(df["row_key"].isin(key_set).fillna(False) & (df["value"] < 0).fillna(False))

    return pa.Check(check, error="canonical counts must be >= 0 (value < 0 on a canonical row_key)")


@cache
def _string_dtype() -> object:
    """pandera's data type for ``PANDAS_DTYPES["string"]``, answering a passing dtype check with one bool.

    pandera's STRING answers row by row (an all-True array for a StringDtype column), and pandera then builds and
    formats an empty table of failure cases for every string column of every frame. The verdict is the same: the
    column passes exactly when every row does; a failing check still gets its rows."""
    from pandera.engines import pandas_engine

    base = pandas_engine.Engine.dtype(PANDAS_DTYPES["string"])

    class StagingString(type(base)):  # type: ignore[misc, valid-type]
        def check(self, pandera_dtype: object, data_container: object = None) -> object:
            result = super().check(pandera_dtype, data_container)
            if isinstance(result, np.ndarray) and bool(result.all()):
                return True
            return result

    return StagingString(storage=base.storage)


def _pandera_dtype(dtype: str) -> object:
    return _string_dtype() if PANDAS_DTYPES[dtype] == PANDAS_DTYPES["string"] else PANDAS_DTYPES[dtype]


@cache
def schema_for(table: str) -> pa.DataFrameSchema:
    """The pandera schema of one staging table, built from its :class:`TableSpec`."""
    import pandera.pandas as pa

    spec: TableSpec = TABLE_SPECS[table]
    columns = {
        f.name: pa.Column(_pandera_dtype(f.dtype), checks=_checks(f), nullable=f.nullable, title=f.label_zh,
                          description=f.description)
        for f in spec.fields
    }
    frame_checks = [_non_negative_rows(NON_NEGATIVE_ROW_KEYS[table])] if table in NON_NEGATIVE_ROW_KEYS else []
    return pa.DataFrameSchema(
        columns, checks=frame_checks, strict=True, ordered=True, coerce=False, unique=list(spec.primary_key),
        name=table, report_duplicates="all",
    )


def _summarize(table: str, failures: pd.DataFrame) -> str:
    parts = []
    for (column, check), group in failures.groupby(["column", "check"], dropna=False, sort=False):
        examples = ", ".join(repr(v) for v in group["failure_case"].drop_duplicates().head(3))
        where = f"column {column!r}" if isinstance(column, str) and column else "table"
        parts.append(f"{where} failed {check} ({len(group)} rows; e.g. {examples})")
    return "; ".join(parts) or f"{table} failed validation"


def validate_frame(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate ``df`` against the staging schema of ``table``; raise :class:`StagingSchemaError` on failure."""
    from pandera.errors import SchemaError, SchemaErrors

    try:
        # inplace: nothing is coerced, so validating is reading; the frame returned is ``df`` itself (no copy)
        return schema_for(table).validate(df, lazy=True, inplace=True)
    except SchemaErrors as exc:
        failures = exc.failure_cases
        reason = _summarize(table, failures)
    except SchemaError as exc:  # non-lazy errors (e.g. a missing column)
        failures, reason = None, str(exc).splitlines()[0]
    logger.warning("staging schema violation in %s: %s", table, reason)
    raise StagingSchemaError(table, reason, failures)
