"""ParsedReport → staging rows → typed DataFrames (one per staging table), shaped by ``TABLE_SPECS``.

Pure functions, no I/O. Every canonical cell of every parsed report becomes one row (status ``absent`` when the
parser did not find it), so completeness can be counted in SQL. A cell forced by the identities carries the
derived value with status ``derived``; the table value the parser kept (null) is never overwritten silently.

The row functions (``report_row``, ``cell_rows``, …) say what a row is; :func:`frames_for` builds the same rows
column by column in Arrow (a batch has ~200 cell rows per report): each report's shared values once, repeated over
its rows by ``take``; cell ids as indexes into a fixed vocabulary; every CellValue in one struct conversion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xxgk.parsing.model import CellValue, ParsedReport
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS, cell_id
from xxgk.schema.tables import TABLE2_2019_EXTENSION_KEYS, TABLE_SPECS
from xxgk.staging.pandera import PANDAS_DTYPES

STAGING_TABLES: tuple[str, ...] = tuple(TABLE_SPECS)
Row = dict[str, Any]


@dataclass(frozen=True)
class RawObject:
    """One raw object to parse, as listed in the manifest."""

    sha256: str
    name: str | None = None
    source: str | None = None
    source_url: str | None = None
    agency_hint: str | None = None  # from the manifest; used only when the report itself names no agency
    year_hint: int | None = None  # from the manifest; used only when the report itself gives no year


@dataclass(frozen=True)
class ParseOutcome:
    """The result of parsing one raw object: a report, or the error that stopped the parser."""

    raw: RawObject
    parser_version: str
    parsed_at: dt.datetime
    report: ParsedReport | None
    error: str | None = None


def _shared(o: ParseOutcome) -> Row:
    r = o.report
    return {
        "source_sha256": o.raw.sha256,
        "parser_version": o.parser_version,
        "parsed_at": o.parsed_at,
        "report_year": (r.year if r and r.year is not None else None) or o.raw.year_hint,
        "agency_name": (r.agency if r and r.agency else None) or o.raw.agency_hint,
        "format_version": r.format_version if r else None,
    }


def parse_status(report: ParsedReport | None) -> str:
    """ok | warning | error | failed (see ``xxgk.schema.tables.PARSE_STATUSES``)."""
    if report is None or any(i.rule == "unreadable" for i in report.issues):
        return "failed"
    if report.has_error:
        return "error"
    return "warning" if report.issues else "ok"


def _iso_date(text: str | None) -> str | None:
    if not text:
        return None
    head = str(text).strip()[:10].replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(head).isoformat()
    except ValueError:
        return None


def report_row(o: ParseOutcome) -> Row:
    r = o.report
    issues = r.issues if r else ()
    present = r.tables_present if r else {"table2": False, "table3": False, "table4": False}
    return {
        **_shared(o),
        "title": r.title if r else None,
        "publication_date": _iso_date(r.publication_date) if r else None,
        "index_number": r.index_number if r else None,
        "source": o.raw.source,
        "source_url": o.raw.source_url,
        "media_type": r.media_type if r else None,
        "encoding": r.encoding if r else None,
        "fee_status": r.fee.status if r else "not_stated",
        "fee_amount_yuan": r.fee.amount_yuan if r else None,
        "fee_text": r.fee.text if r else None,
        "has_spam": bool(r.has_spam) if r else False,
        "has_table2": present["table2"],
        "has_table3": present["table3"],
        "has_table4": present["table4"],
        "parse_status": parse_status(r),
        "n_errors": sum(i.severity == "error" for i in issues) + (1 if r is None else 0),
        "n_warnings": sum(i.severity == "warning" for i in issues),
    }


def _cell_row(shared: Row, cid: str, row_key: str, col_key: str | None, cell: CellValue | None,
              derived: Mapping[str, float | int]) -> Row:
    value = None if cell is None else cell.value
    status = "absent" if cell is None else cell.status
    if cid in derived:
        value, status = derived[cid], "derived"
    return {
        **shared,
        "cell_id": cid,
        "row_key": row_key,
        "col_key": col_key,
        "value": None if value is None else float(value),
        "raw_text": cell.raw_text if cell else None,
        "raw_label": cell.raw_label if cell else None,
        "status": status,
        "loc": cell.loc if cell else None,
    }


def cell_rows(o: ParseOutcome) -> dict[str, list[Row]]:
    """The rows of ``table2_cells``, ``table3_cells`` and ``table4_cells`` for one report."""
    out: dict[str, list[Row]] = {"table2_cells": [], "table3_cells": [], "table4_cells": []}
    r = o.report
    if r is None:
        return out
    shared = _shared(o)
    for k in TABLE2_KEYS:
        out["table2_cells"].append(_cell_row(shared, cell_id("table2", k), k, None, r.table2.get(k), r.derived))
    for ext in r.extensions:
        if ext.table == "table2" and ext.key in TABLE2_2019_EXTENSION_KEYS:
            cell = CellValue(ext.value, "reported" if ext.value is not None else "blank", ext.raw_text,
                             ext.raw_label, ext.loc)
            out["table2_cells"].append(_cell_row(shared, cell_id("table2", ext.key), ext.key, None, cell, {}))
    for row in TABLE3_ROWS:
        cells = r.table3.get(row, {})
        for col in TABLE3_COLS:
            out["table3_cells"].append(
                _cell_row(shared, cell_id("table3", row, col), row, col, cells.get(col), r.derived))
    for k in TABLE4_KEYS:
        out["table4_cells"].append(_cell_row(shared, cell_id("table4", k), k, None, r.table4.get(k), r.derived))
    return out


def section_rows(o: ParseOutcome) -> list[Row]:
    if o.report is None:
        return []
    shared = _shared(o)
    return [
        {**shared, "section_id": sid, "text": text, "n_chars": len(text)}
        for sid, text in o.report.sections.items() if text is not None
    ]


def issue_rows(o: ParseOutcome) -> list[Row]:
    shared = _shared(o)
    if o.report is None:
        return [{**shared, "issue_index": 0, "rule": "unreadable", "severity": "error", "cells": None,
                 "message": f"the parser failed: {o.error}", "loc": None}]
    return [
        {**shared, "issue_index": n, "rule": i.rule, "severity": i.severity,
         "cells": ",".join(i.cells) if i.cells else None, "message": i.message, "loc": i.loc}
        for n, i in enumerate(o.report.issues)
    ]


def rows_for(outcomes: Iterable[ParseOutcome]) -> dict[str, list[Row]]:
    """All staging rows of a batch, by table."""
    out: dict[str, list[Row]] = {t: [] for t in STAGING_TABLES}
    for o in outcomes:
        out["reports"].append(report_row(o))
        for table, rows in cell_rows(o).items():
            out[table].extend(rows)
        out["sections"].extend(section_rows(o))
        out["parse_issues"].extend(issue_rows(o))
    return out


_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"), "date": pa.string(),  # dates stay ISO strings until Parquet
}
_LARGE_TYPES = {**_ARROW_TYPES, "string": pa.large_string()}  # pandas keeps its strings as large_string
_PANDAS_TYPES = {pa.string(): PANDAS_DTYPES["string"], pa.large_string(): PANDAS_DTYPES["string"],
                 pa.int64(): PANDAS_DTYPES["int"], pa.bool_(): PANDAS_DTYPES["bool"]}


def frame_from_columns(table: str, columns: Mapping[str, list[Any]]) -> pd.DataFrame:
    """A DataFrame with exactly the columns, order and dtypes of the staging spec, from one list per column."""
    spec = TABLE_SPECS[table]
    arrays = [pa.array(columns[f.name], type=_ARROW_TYPES[f.dtype], from_pandas=True) for f in spec.fields]
    tbl = pa.Table.from_arrays(arrays, names=[f.name for f in spec.fields])
    return tbl.to_pandas(types_mapper=_PANDAS_TYPES.get)


def frame(table: str, rows: list[Row]) -> pd.DataFrame:
    """A DataFrame of ``rows`` with exactly the columns, order and dtypes of the staging spec."""
    return frame_from_columns(table, {f.name: [r.get(f.name) for r in rows] for f in TABLE_SPECS[table].fields})


_SHARED = ("source_sha256", "parser_version", "parsed_at", "report_year", "agency_name", "format_version")
_CELL_TABLES = ("table2_cells", "table3_cells", "table4_cells")
_ABSENT = CellValue(None, "absent")
_CELL_FIELDS: tuple[str, ...] = CellValue._fields  # value, status, raw_text, raw_label, loc: column names too
_T2_ABSENT = (_ABSENT,) * len(TABLE2_KEYS)
_T3_ABSENT = (_ABSENT,) * len(TABLE3_COLS)
_T4_ABSENT = (_ABSENT,) * len(TABLE4_KEYS)
_T2_EXTENSIONS = frozenset(TABLE2_2019_EXTENSION_KEYS)


def _id_vocabulary(table: str) -> tuple[tuple[str, str, str | None], ...]:
    """Every (cell_id, row_key, col_key) a cell table can hold; a row's ids are an index into this."""
    if table == "table2_cells":
        return tuple((cell_id("table2", k), k, None) for k in (*TABLE2_KEYS, *TABLE2_2019_EXTENSION_KEYS))
    if table == "table3_cells":
        return tuple((cell_id("table3", r, c), r, c) for r in TABLE3_ROWS for c in TABLE3_COLS)
    return tuple((cell_id("table4", k), k, None) for k in TABLE4_KEYS)


_VOCABULARY = {t: _id_vocabulary(t) for t in _CELL_TABLES}
# The position of each canonical cell in its report's block of rows (what ``derived`` can replace).
_CANONICAL_POSITION = {
    "table2_cells": {cid: i for i, (cid, _, _) in enumerate(_VOCABULARY["table2_cells"][:len(TABLE2_KEYS)])},
    "table3_cells": {cid: i for i, (cid, _, _) in enumerate(_VOCABULARY["table3_cells"])},
    "table4_cells": {cid: i for i, (cid, _, _) in enumerate(_VOCABULARY["table4_cells"])},
}
_T2_EXTENSION_INDEX = {k: len(TABLE2_KEYS) + i for i, k in enumerate(TABLE2_2019_EXTENSION_KEYS)}


@dataclass
class _CellTable:
    """One cell table of a batch being collected: a CellValue per row, the vocabulary index of its ids, how many
    rows each report has and where its block starts, and the (row, value) pairs ``derived`` replaces."""

    cells: list[CellValue | None] = field(default_factory=list)
    ids: list[int] | np.ndarray = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    derived: list[tuple[int, float]] = field(default_factory=list)

    def add_derived(self, table: str, start: int, derived: Mapping[str, float | int]) -> None:
        position = _CANONICAL_POSITION[table]
        self.derived.extend((start + position[cid], float(v)) for cid, v in derived.items() if cid in position)


def _getter(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """``mapping[k] for k in keys`` as one C call (a tuple even for one key); KeyError when one is missing."""
    get = itemgetter(*keys)
    return get if len(keys) > 1 else lambda m: (get(m),)


_T2_GET, _T4_GET = _getter(TABLE2_KEYS), _getter(TABLE4_KEYS)
_T3_ROWS_GET, _T3_COLS_GET = _getter(TABLE3_ROWS), _getter(TABLE3_COLS)


def _keyed_cells(cells: Mapping[str, CellValue], keys: tuple[str, ...], get: Callable, absent: tuple
                 ) -> Iterable[CellValue | None]:
    """``cells.get(k)`` for every key (absent when missing), in one C call when every key is there."""
    if type(cells) is dict:  # a subclass could answer [] differently from .get (a defaultdict inserts)
        try:
            return get(cells)
        except KeyError:
            pass
    return map(cells.get, keys, absent)


def _table3_cells(table3: Mapping[str, Mapping[str, CellValue]]) -> Iterable[CellValue | None]:
    """The 175 cells of table 三 in ``TABLE3_ROWS`` × ``TABLE3_COLS`` order (absent when missing)."""
    if type(table3) is dict:
        try:
            rows = _T3_ROWS_GET(table3)
            if set(map(type, rows)) == {dict}:
                return chain.from_iterable(tuple(map(_T3_COLS_GET, rows)))
        except KeyError:
            pass
    out: list[CellValue | None] = []
    for row in TABLE3_ROWS:
        cells = table3.get(row)
        out.extend(_T3_ABSENT if cells is None else _keyed_cells(cells, TABLE3_COLS, _T3_COLS_GET, _T3_ABSENT))
    return out


def _collect_cells(outcomes: list[ParseOutcome]) -> tuple[list[Row], dict[str, _CellTable]]:
    """The shared values of every report with tables, and its cells in staging order (as :func:`cell_rows`)."""
    shared: list[Row] = []
    out = {t: _CellTable() for t in _CELL_TABLES}
    t2, t3, t4 = out["table2_cells"], out["table3_cells"], out["table4_cells"]
    n2, n3, n4 = len(TABLE2_KEYS), len(TABLE3_ROWS) * len(TABLE3_COLS), len(TABLE4_KEYS)
    t2_ids = range(n2)
    for o in outcomes:
        r = o.report
        if r is None:
            continue
        shared.append(_shared(o))
        start = len(t2.cells)
        t2.cells.extend(_keyed_cells(r.table2, TABLE2_KEYS, _T2_GET, _T2_ABSENT))
        t2.ids.extend(t2_ids)
        if r.extensions:
            ext = [e for e in r.extensions if e.table == "table2" and e.key in _T2_EXTENSIONS]
            t2.cells.extend(CellValue(e.value, "reported" if e.value is not None else "blank", e.raw_text,
                                      e.raw_label, e.loc) for e in ext)
            t2.ids.extend(_T2_EXTENSION_INDEX[e.key] for e in ext)
            t2.counts.append(n2 + len(ext))
        else:
            t2.counts.append(n2)
        t3.cells.extend(_table3_cells(r.table3))
        t4.cells.extend(_keyed_cells(r.table4, TABLE4_KEYS, _T4_GET, _T4_ABSENT))
        if r.derived:
            t2.add_derived("table2_cells", start, r.derived)
            t3.add_derived("table3_cells", (len(shared) - 1) * n3, r.derived)
            t4.add_derived("table4_cells", (len(shared) - 1) * n4, r.derived)
    t3.counts = [n3] * len(shared)
    t4.counts = [n4] * len(shared)
    t3.ids = np.tile(np.arange(n3, dtype=np.int64), len(shared))
    t4.ids = np.tile(np.arange(n4, dtype=np.int64), len(shared))
    return shared, out


_CELL_STRUCT = pa.struct([pa.field(name, pa.float64() if name == "value" else pa.large_string())
                          for name in _CELL_FIELDS])


def _cell_field_arrays(cells: list[CellValue | None], derived: list[tuple[int, float]]) -> dict[str, pa.Array]:
    """``value`` … ``loc`` of every row; a missing cell is absent, a derived one carries its value and status."""
    if None in cells:
        cells = [_ABSENT if c is None else c for c in cells]
    try:  # every CellValue in one conversion
        arrays = dict(zip(_CELL_FIELDS, pa.array(cells, type=_CELL_STRUCT, from_pandas=True).flatten(), strict=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # an int beyond 2**53, a numeric string: converted as float() does
        return _cell_field_arrays_slow(cells, derived)
    if derived:
        rows = np.fromiter((i for i, _ in derived), dtype=np.int64, count=len(derived))
        values = arrays["value"].to_numpy(zero_copy_only=False, writable=True)  # null: NaN, made null again below
        values[rows] = np.fromiter((v for _, v in derived), dtype=np.float64, count=len(derived))
        arrays["value"] = pa.array(values, type=pa.float64(), from_pandas=True)
        mask = np.zeros(len(cells), dtype=bool)
        mask[rows] = True
        arrays["status"] = pc.if_else(pa.array(mask), pa.scalar("derived", pa.large_string()), arrays["status"])
    return arrays


def _cell_field_arrays_slow(cells: list[CellValue], derived: list[tuple[int, float]]) -> dict[str, pa.Array]:
    columns = {name: list(map(itemgetter(i), cells)) for i, name in enumerate(_CELL_FIELDS)}
    values, statuses = columns["value"], columns["status"]
    for i, v in derived:
        values[i], statuses[i] = v, "derived"
    values = [None if v is None else float(v) for v in values]
    arrays = {name: pa.array(columns[name], type=pa.large_string(), from_pandas=True)
              for name in ("status", "raw_text", "raw_label", "loc")}
    return {"value": pa.array(values, type=pa.float64(), from_pandas=True), **arrays}


def _repeated_frame(table: str, shared: list[Row], counts: list[int], own: Mapping[str, pa.Array]) -> pd.DataFrame:
    """A frame whose rows come in blocks, one per report (``counts[i]`` rows for ``shared[i]``): the shared columns
    repeated over each block, the table's own columns given whole."""
    spec = TABLE_SPECS[table]
    per_report = np.repeat(np.arange(len(counts), dtype=np.int64), np.asarray(counts, dtype=np.int64))
    arrays = dict(own)
    for name in _SHARED:
        values = pa.array([s[name] for s in shared], type=_LARGE_TYPES[spec.field(name).dtype], from_pandas=True)
        arrays[name] = values.take(per_report)
    tbl = pa.Table.from_arrays([arrays[f.name] for f in spec.fields], names=list(spec.field_names))
    return tbl.to_pandas(types_mapper=_PANDAS_TYPES.get)


def _cell_frame(table: str, shared: list[Row], cells: _CellTable) -> pd.DataFrame:
    """A cell table's frame: the per-report columns repeated over each report's rows, the ids from the vocabulary."""
    ids = np.asarray(cells.ids, dtype=np.int64)
    arrays = _cell_field_arrays(cells.cells, cells.derived)
    for i, name in enumerate(("cell_id", "row_key", "col_key")):
        arrays[name] = pa.array([v[i] for v in _VOCABULARY[table]], type=pa.large_string()).take(ids)
    return _repeated_frame(table, shared, cells.counts, arrays)


def _sections_frame(outcomes: list[ParseOutcome]) -> pd.DataFrame:
    """The ``sections`` frame, column by column (as :func:`section_rows`)."""
    shared: list[Row] = []
    counts: list[int] = []
    ids: list[str] = []
    texts: list[str] = []
    for o in outcomes:
        if o.report is None:
            continue
        found = [(sid, text) for sid, text in o.report.sections.items() if text is not None]
        shared.append(_shared(o))
        counts.append(len(found))
        ids.extend(sid for sid, _ in found)
        texts.extend(text for _, text in found)
    own = {"section_id": pa.array(ids, type=pa.large_string()),
           "text": pa.array(texts, type=pa.large_string(), from_pandas=True),
           "n_chars": pa.array([len(t) for t in texts], type=pa.int64())}
    return _repeated_frame("sections", shared, counts, own)


def frames_for(outcomes: Iterable[ParseOutcome]) -> dict[str, pd.DataFrame]:
    """Typed DataFrames for every staging table of a batch (tables with no rows are empty frames)."""
    outcomes = list(outcomes)
    shared, cells = _collect_cells(outcomes)
    frames = {table: _cell_frame(table, shared, cells[table]) for table in _CELL_TABLES}
    frames["reports"] = frame("reports", [report_row(o) for o in outcomes])
    frames["sections"] = _sections_frame(outcomes)
    frames["parse_issues"] = frame("parse_issues", [row for o in outcomes for row in issue_rows(o)])
    return {table: frames[table] for table in STAGING_TABLES}
