"""ParsedReport → staging rows → typed DataFrames (one per staging table), shaped by ``TABLE_SPECS``.

Pure functions, no I/O. Every canonical cell of every parsed report becomes one row (status ``absent`` when the
parser did not find it), so completeness can be counted in SQL. A cell forced by the identities carries the
derived value with status ``derived``; the table value the parser kept (null) is never overwritten silently.

The row functions (``report_row``, ``cell_rows``, …) say what a row is; :func:`frames_for` builds the same rows
column by column (a batch has ~200 cell rows per report) and converts each table through Arrow in one step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

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
_PANDAS_TYPES = {pa.string(): PANDAS_DTYPES["string"], pa.int64(): PANDAS_DTYPES["int"],
                 pa.bool_(): PANDAS_DTYPES["bool"]}


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
_CELL_COLUMNS = (*_SHARED, "cell_id", "row_key", "col_key", "value", "raw_text", "raw_label", "status", "loc")
_TABLE2_IDS = tuple((cell_id("table2", k), k, None) for k in TABLE2_KEYS)
_TABLE3_IDS = tuple((cell_id("table3", r, c), r, c) for r in TABLE3_ROWS for c in TABLE3_COLS)
_TABLE4_IDS = tuple((cell_id("table4", k), k, None) for k in TABLE4_KEYS)


def _add_cells(cols: dict[str, list[Any]], shared: Row, ids: tuple[tuple[str, str, str | None], ...],
               cells: list[CellValue | None], derived: Mapping[str, float | int]) -> None:
    """Append one report's cells (in ``ids`` order) to the column lists of a cell table; as :func:`_cell_row`."""
    n = len(ids)
    for name in _SHARED:
        cols[name].extend([shared[name]] * n)
    cols["cell_id"].extend([i[0] for i in ids])
    cols["row_key"].extend([i[1] for i in ids])
    cols["col_key"].extend([i[2] for i in ids])
    present = [_ABSENT if cell is None else cell for cell in cells]
    cols["raw_text"].extend([c.raw_text for c in present])
    cols["raw_label"].extend([c.raw_label for c in present])
    cols["loc"].extend([c.loc for c in present])
    values = [None if c.value is None else float(c.value) for c in present]
    statuses = [c.status for c in present]
    if derived:
        for i, (cid, _, _) in enumerate(ids):
            if cid in derived:
                values[i], statuses[i] = float(derived[cid]), "derived"
    cols["value"].extend(values)
    cols["status"].extend(statuses)


_ABSENT = CellValue(None, "absent")


def _cell_columns(outcomes: list[ParseOutcome]) -> dict[str, dict[str, list[Any]]]:
    out = {t: {c: [] for c in _CELL_COLUMNS} for t in ("table2_cells", "table3_cells", "table4_cells")}
    for o in outcomes:
        r = o.report
        if r is None:
            continue
        shared = _shared(o)
        t2 = r.table2
        _add_cells(out["table2_cells"], shared, _TABLE2_IDS, [t2.get(k) for _, k, _ in _TABLE2_IDS], r.derived)
        ext = [(cell_id("table2", e.key), e.key, None) for e in r.extensions
               if e.table == "table2" and e.key in TABLE2_2019_EXTENSION_KEYS]
        if ext:
            cells = [CellValue(e.value, "reported" if e.value is not None else "blank", e.raw_text, e.raw_label, e.loc)
                     for e in r.extensions if e.table == "table2" and e.key in TABLE2_2019_EXTENSION_KEYS]
            _add_cells(out["table2_cells"], shared, tuple(ext), cells, {})
        t3 = r.table3
        _add_cells(out["table3_cells"], shared, _TABLE3_IDS,
                   [t3.get(row, {}).get(col) for _, row, col in _TABLE3_IDS], r.derived)
        t4 = r.table4
        _add_cells(out["table4_cells"], shared, _TABLE4_IDS, [t4.get(k) for _, k, _ in _TABLE4_IDS], r.derived)
    return out


def frames_for(outcomes: Iterable[ParseOutcome]) -> dict[str, pd.DataFrame]:
    """Typed DataFrames for every staging table of a batch (tables with no rows are empty frames)."""
    outcomes = list(outcomes)
    cells = _cell_columns(outcomes)
    rows: dict[str, list[Row]] = {"reports": [], "sections": [], "parse_issues": []}
    for o in outcomes:
        rows["reports"].append(report_row(o))
        rows["sections"].extend(section_rows(o))
        rows["parse_issues"].extend(issue_rows(o))
    return {table: frame_from_columns(table, cells[table]) if table in cells else frame(table, rows[table])
            for table in STAGING_TABLES}
