"""The contents of a release: Parquet, CSV, a DuckDB file, the data dictionary and the revisions log against the
previous release.

A release table is a DataFrame or a :class:`DuckTable` (a table in a DuckDB database file, e.g. a mart of the
warehouse). :func:`write_tables` puts every table into the release's DuckDB file and exports each one as Parquet
and CSV with DuckDB, into a folder: a national release (millions of fact rows) never passes through pandas.

Quarantined reports are removed from every mart that carries ``source_sha256`` (or the agency-year key);
warning flags are attached to ``agency_year`` so they travel with the published row.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from xxgk.quality.results import QUALITY_RESULTS_DESCRIPTIONS
from xxgk.schema.keys import (
    TABLE2_CELLS,
    TABLE3_COL_LABELS,
    TABLE3_ROW_SPECS,
    TABLE4_GROUPS,
    TABLE4_LEAVES,
)

logger = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
WAREHOUSE_NAME = "xxgk.duckdb"
AGENCY_YEAR = "agency_year"
AGENCY_KEYS = ("agency_id", "agency_name")
REVISION_COLUMNS = ("change", "agency", "report_year", "column", "old_value", "new_value")  # + agency_name

COMMON_DESCRIPTIONS: dict[str, str] = {
    "agency_id": "agency identifier (official 区划代码-based where resolvable)",
    "agency_name": "agency name as found in the report",
    "report_year": "report (data) year, not the publication year",
    "format_version": "national format version of the tables (2019 试行 or 2021)",
    "source_sha256": "SHA-256 of the source report's exact bytes (raw/<sha256[:2]>/<sha256>)",
    "quality_warnings": "comma-separated warning rule ids that failed for this report (published with the flag)",
    "n_quality_warnings": "number of failed warning checks for this report",
    "rules": "comma-separated blocking rule ids that failed",
    "failed_checks": "number of failed blocking checks",
    "reasons": "why the report was quarantined (first messages)",
    "snippet": "the offending cells as found in the source: raw label, raw text and location",
}


def _cell_column_descriptions() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in TABLE2_CELLS:
        unit = " (万元)" if c.unit == "wan_yuan" else ""
        out[f"t2_{c.key}"] = f"表二 {c.item} {c.row_label} · {c.col_label}{unit}"
    for r in TABLE3_ROW_SPECS:
        for col, label in TABLE3_COL_LABELS.items():
            out[f"t3_{r.key}_{col}"] = f"表三 {r.row_id} {r.label} · {label}"
    for g, glabel in TABLE4_GROUPS.items():
        for leaf, llabel in TABLE4_LEAVES.items():
            out[f"t4_{g}_{leaf}"] = f"表四 {glabel} · {llabel}"
    return out


CELL_COLUMN_DESCRIPTIONS = _cell_column_descriptions()


CSV_BOM = "\ufeff".encode()
DUCKDB_MEMORY_LIMIT = "400MB"  # DuckDB spills to disk beyond this: a national release stays well under 2 GB
QUALITY_RESULTS = "quality_results"
# marts/quality_results.csv holds the failed checks only (the Parquet file and xxgk.duckdb hold every check)
CSV_ROW_FILTERS: dict[str, str] = {QUALITY_RESULTS: "not passed"}
# Spreadsheets open at most 1 048 576 rows (Excel, LibreOffice), header included: a CSV longer than that serves no
# one who could not read the Parquet file, and a national release's long facts (millions of cells) would cost a
# gigabyte and seconds of every run.
SPREADSHEET_MAX_ROWS = 1_048_576
CSV_NOTES: dict[str, str] = {
    QUALITY_RESULTS: "`marts/quality_results.csv` holds only the failed checks (`passed` = false); "
                     "`marts/quality_results.parquet` and `xxgk.duckdb` hold every check.",
}


class ScratchDatabase:
    """A private DuckDB file in a temporary folder, removed when the last object holding it is gone."""

    def __init__(self, prefix: str = "xxgk-marts-") -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.path = self.folder / "scratch.duckdb"
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, True)


@dataclass(frozen=True)
class DuckTable:
    """A table inside a DuckDB database file, copied into a release without passing through pandas."""

    path: str
    schema: str
    name: str
    owner: object | None = field(default=None, compare=False, repr=False)  # keeps a scratch database alive

    def df(self) -> pd.DataFrame:
        con = duckdb.connect(self.path, read_only=True)
        try:
            return con.execute(f'select * from "{self.schema}"."{self.name}"').df()
        finally:
            con.close()


ReleaseTable = pd.DataFrame | DuckTable


@dataclass(frozen=True)
class TableInfo:
    """What the data dictionary says about a table: its columns with their (pandas) types and its row count."""

    columns: tuple[tuple[str, str], ...]
    rows: int


def frame_to_parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def frame_to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese text correctly (pandas, DuckDB and BI tools skip the BOM)."""
    return df.to_csv(index=False).encode("utf-8-sig")


def build_duckdb(tables: Mapping[str, pd.DataFrame], schema: str = MARTS_SCHEMA,
                 comments: Mapping[str, Mapping[str, str]] | None = None,
                 table_comments: Mapping[str, str] | None = None) -> bytes:
    """A DuckDB database file holding ``tables`` in ``schema``, returned as bytes."""
    with tempfile.TemporaryDirectory(prefix="xxgk-release-") as tmp:
        path = Path(tmp) / WAREHOUSE_NAME
        con = duckdb.connect(str(path))
        try:
            con.execute(f'create schema if not exists "{schema}"')
            for name, df in tables.items():
                con.register("_frame", df)
                con.execute(f'create table "{schema}"."{name}" as select * from _frame')
                con.unregister("_frame")
                if (table_comments or {}).get(name):
                    quoted = table_comments[name].replace("'", "''")
                    con.execute(f'comment on table "{schema}"."{name}" is \'{quoted}\'')
                for col, text in (comments or {}).get(name, {}).items():
                    if col in df.columns:
                        if text:
                            quoted = text.replace("'", "''")
                            con.execute(f'comment on column "{schema}"."{name}"."{col}" is \'{quoted}\'')
            con.execute("checkpoint")
        finally:
            con.close()
        return path.read_bytes()


def _sql(text: str) -> str:
    return text.replace("'", "''")


def _csv_select(con: duckdb.DuckDBPyConnection, target: str) -> str:
    """A SELECT writing the columns as pandas' ``to_csv`` did: True/False, ``…+00:00`` timestamps, dates without
    a time of day. The first column's header starts with the UTF-8 byte order mark (spreadsheets read the file as
    UTF-8), so DuckDB writes the whole file in one pass."""
    parts = []
    for index, (name, dtype, *_) in enumerate(con.execute(f"describe {target}").fetchall()):
        col = f'"{name}"'
        header = f'"{CSV_BOM.decode()}{name}"' if index == 0 else col
        if dtype == "BOOLEAN":
            parts.append(f"case when {col} then 'True' when not {col} then 'False' end as {header}")
        elif dtype == "TIMESTAMP WITH TIME ZONE":
            parts.append(f"strftime({col}, '%Y-%m-%d %H:%M:%S.%f+00:00') as {header}")
        elif dtype == "TIMESTAMP" and not con.execute(
                f"select count(*) from {target} where {col}::time <> time '00:00:00'").fetchone()[0]:
            parts.append(f"strftime({col}, '%Y-%m-%d') as {header}")
        else:
            parts.append(f"{col} as {header}" if index == 0 else col)
    return ", ".join(parts)


def _pandas_types(con: duckdb.DuckDBPyConnection, target: str) -> TableInfo:
    """The columns with the dtype pandas gives them when reading the whole table (nullable integer and boolean
    types where a column holds nulls; ``str`` for text, ``object`` when a column holds none)."""
    empty = con.execute(f"select * from {target} limit 0").df()
    described = con.execute(f"describe {target}").fetchall()
    counts = con.execute("select count(*)" + "".join(f', count("{r[0]}")' for r in described)
                         + f" from {target}").fetchone()
    rows = int(counts[0])
    out = []
    for (c, duck_type, *_), n in zip(described, counts[1:], strict=True):
        dtype = str(empty[c].dtype)
        if duck_type == "VARCHAR":
            dtype = "str" if n else "object"
        elif duck_type == "BOOLEAN" and n < rows:
            dtype = "boolean"
        elif n < rows and dtype.startswith("int"):
            dtype = dtype.capitalize()
        elif n < rows and dtype.startswith("uint"):
            dtype = "UInt" + dtype[4:]
        out.append((c, dtype))
    return TableInfo(tuple(out), rows)


def write_tables(tables: Mapping[str, ReleaseTable], folder: Path, *,
                 comments: Mapping[str, Mapping[str, str]] | None = None,
                 table_comments: Mapping[str, str] | None = None,
                 csv_filters: Mapping[str, str] | None = None) -> tuple[dict[str, Path], dict[str, TableInfo]]:
    """Every table into ``folder/xxgk.duckdb`` (schema ``marts``, with comments) and as ``marts/<name>.parquet``
    and ``marts/<name>.csv`` (UTF-8 with BOM; ``csv_filters`` may keep only some rows of a table's CSV; no CSV
    for a table longer than a spreadsheet opens, :data:`SPREADSHEET_MAX_ROWS`).

    Returns the written files (release path → file) and each table's :class:`TableInfo`.
    """
    csv_filters = CSV_ROW_FILTERS if csv_filters is None else csv_filters
    (folder / "marts").mkdir(parents=True, exist_ok=True)
    (folder / "_tmp").mkdir(exist_ok=True)
    db = folder / WAREHOUSE_NAME
    files: dict[str, Path] = {}
    infos: dict[str, TableInfo] = {}
    con = duckdb.connect(str(db))
    # CSV exports (DuckDB writes a CSV in order, on one thread) run one after another in a second thread on their
    # own cursor, while this one goes on with the next tables: a national release's 1 GB CSV no longer holds up
    # the rest. Every export is waited for (and its error raised) before the database is closed.
    csv_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xxgk-release-csv")
    pending: list[Future[None]] = []
    try:
        con.execute("set TimeZone = 'Etc/UTC'")
        con.execute(f"set temp_directory = '{_sql(str(folder / '_tmp'))}'")
        con.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        con.execute(f'create schema if not exists "{MARTS_SCHEMA}"')
        csv_cursor = con.cursor()
        csv_cursor.execute("set TimeZone = 'Etc/UTC'")  # a session setting: the CSV's timestamps are in UTC
        attached: dict[str, str] = {}
        for table in tables.values():
            if isinstance(table, DuckTable) and table.path not in attached:
                attached[table.path] = f"src{len(attached)}"
                con.execute(f"attach '{_sql(table.path)}' as {attached[table.path]} (read_only)")
        source = {name: f'{attached[t.path]}."{t.schema}"."{t.name}"' for name, t in tables.items()
                  if isinstance(t, DuckTable)}
        csv_rows = {name: _csv_rows(con, table, source.get(name), csv_filters.get(name))
                    for name, table in tables.items()}
        with_csv = {name for name, n in csv_rows.items() if n <= SPREADSHEET_MAX_ROWS}
        for name in sorted(tables, key=csv_rows.__getitem__, reverse=True):  # the largest CSV starts first
            table = tables[name]
            target = f'"{MARTS_SCHEMA}"."{name}"'
            csv = folder / "marts" / f"{name}.csv"
            where = f" where {csv_filters[name]}" if name in csv_filters else ""
            if name in source:  # exported from where it is (same rows, same order) while it is copied here
                if name in with_csv:
                    pending.append(csv_pool.submit(_export_csv, csv_cursor, source[name], where, csv))
                con.execute(f"create table {target} as select * from {source[name]}")
            else:
                con.register("_frame", _scannable(table))
                con.execute(f"create table {target} as select {_frame_select(table)} from _frame")
                con.unregister("_frame")
            if (table_comments or {}).get(name):
                con.execute(f"comment on table {target} is '{_sql(table_comments[name])}'")
            infos[name] = _pandas_types(con, target) if isinstance(table, DuckTable) else _info(table)
            for col, text in (comments or {}).get(name, {}).items():
                if text and col in dict(infos[name].columns):
                    con.execute(f'comment on column {target}."{col}" is \'{_sql(text)}\'')
            parquet = folder / "marts" / f"{name}.parquet"
            con.execute(f"copy {target} to '{_sql(str(parquet))}' (format parquet)")
            if name not in source and name in with_csv:
                pending.append(csv_pool.submit(_export_csv, csv_cursor, target, where, csv))
        for name in tables:  # listed in the callers' order, whatever order they were written in
            files[f"marts/{name}.parquet"] = folder / "marts" / f"{name}.parquet"
            if name in with_csv:
                files[f"marts/{name}.csv"] = folder / "marts" / f"{name}.csv"
        for future in pending:
            future.result()
        for alias in attached.values():
            con.execute(f"detach {alias}")
        con.execute("checkpoint")
    finally:
        for future in pending:
            future.cancel()
        csv_pool.shutdown(wait=True)
        con.close()
    shutil.rmtree(folder / "_tmp", ignore_errors=True)
    files[WAREHOUSE_NAME] = db
    return files, {name: infos[name] for name in tables}


def _csv_rows(con: duckdb.DuckDBPyConnection, table: ReleaseTable, source: str | None, where: str | None) -> int:
    """Data rows of a table's CSV (those matching the CSV's row filter), plus one for the header."""
    if source is not None:
        return 1 + int(con.execute(f"select count(*) from {source}" + (f" where {where}" if where else ""))
                       .fetchall()[0][0])
    if where:
        con.register("_frame", table)
        try:
            return 1 + int(con.execute(f"select count(*) from _frame where {where}").fetchall()[0][0])
        finally:
            con.unregister("_frame")
    return 1 + len(table)


def csv_too_long_note(name: str, rows: int) -> str:
    return (f"`marts/{name}.csv` is not published: its {rows} rows are more than a spreadsheet opens "
            f"({SPREADSHEET_MAX_ROWS} with the header); `marts/{name}.parquet` and `{WAREHOUSE_NAME}` hold them.")


def _export_csv(con: duckdb.DuckDBPyConnection, target: str, where: str, csv: Path) -> None:
    """``target`` (rows matching ``where``) as ``csv``: UTF-8 with a BOM, written by DuckDB."""
    con.execute(f"copy (select {_csv_select(con, target)} from {target}{where}) to '{_sql(str(csv))}' "
                "(header, delimiter ',')")
    with open(csv, "rb") as written:
        if not written.read(len(CSV_BOM)) == CSV_BOM:  # the header was quoted around the mark: not expected
            raise RuntimeError(f"{csv.name}: DuckDB did not start the CSV with the byte order mark")


def filter_quarantined(marts: Mapping[str, ReleaseTable], quarantine: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Drop the rows of quarantined reports from every mart keyed by report or by agency-year.

    A mart with ``source_sha256`` loses those reports; a mart with ``report_year`` and an agency key loses the
    quarantined agency-years; other marts (dimensions, roll-ups built before the gate) are kept as they are.
    A :class:`DuckTable` is read into pandas here (the national path rebuilds the marts with dbt instead).
    """
    marts = {n: (t.df() if isinstance(t, DuckTable) else t) for n, t in marts.items()}
    shas = set(quarantine["source_sha256"]) if not quarantine.empty else set()
    pairs = zip(quarantine.get("agency_name", []), quarantine.get("report_year", []), strict=True)
    years = {(a, int(y)) for a, y in pairs if a is not None and pd.notna(y)}
    out: dict[str, pd.DataFrame] = {}
    for name, df in marts.items():
        if "source_sha256" in df.columns:
            out[name] = df[~df["source_sha256"].isin(shas)].reset_index(drop=True)
        elif "report_year" in df.columns and "agency_name" in df.columns and years:
            keys = list(zip(df["agency_name"], df["report_year"], strict=True))
            keep = [(a, int(y) if pd.notna(y) else None) not in years for a, y in keys]
            out[name] = df[keep].reset_index(drop=True)
        else:
            out[name] = df
        dropped = len(df) - len(out[name])
        if dropped:
            logger.info("mart %s: %d quarantined rows withheld", name, dropped)
    return out


def attach_warnings(agency_year: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Add ``quality_warnings`` and ``n_quality_warnings`` to the published agency-year rows."""
    if "source_sha256" not in agency_year.columns:
        return agency_year
    base = agency_year.drop(columns=[c for c in ("quality_warnings", "n_quality_warnings") if c in agency_year])
    merged = base.merge(flags, on="source_sha256", how="left")
    merged["quality_warnings"] = merged["quality_warnings"].fillna("").astype("string")
    merged["n_quality_warnings"] = merged["n_quality_warnings"].fillna(0).astype("int64")
    return merged


def load_dbt_descriptions(models_dir: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Table and column descriptions from the dbt project's yml files (``models/marts/*.yml``)."""
    import yaml

    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    for path in sorted(Path(models_dir).glob("*.yml")):
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when available
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        except (OSError, yaml.YAMLError) as exc:
            logger.warning("cannot read dbt docs from %s: %s", path, exc)
            continue
        for model in doc.get("models") or []:
            name = model.get("name")
            if not name:
                continue
            tables[name] = " ".join(str(model.get("description") or "").split())
            for col in model.get("columns") or []:
                label = (col.get("meta") or {}).get("label_zh")
                text = " ".join(str(col.get("description") or "").split())
                described = f"{text} ({label})" if label and text else text or label or ""
                columns.setdefault(name, {})[col["name"]] = described
    return tables, columns


def describe_column(table: str, column: str, extra: Mapping[str, Mapping[str, str]] | None = None) -> str:
    if extra and extra.get(table, {}).get(column):
        return extra[table][column]
    if table == "quality_results" and column in QUALITY_RESULTS_DESCRIPTIONS:
        return QUALITY_RESULTS_DESCRIPTIONS[column]
    return CELL_COLUMN_DESCRIPTIONS.get(column) or COMMON_DESCRIPTIONS.get(column, "")


def _is_text_categorical(column: pd.Series) -> bool:
    dtype = column.dtype
    return isinstance(dtype, pd.CategoricalDtype) and not pd.api.types.is_numeric_dtype(dtype.categories.dtype)


def _scannable(df: pd.DataFrame) -> pd.DataFrame | pa.Table:
    """The frame as Arrow when it converts as it is (DuckDB reads Arrow's strings in C++, pandas' through Python
    objects: quality_results, 1.3 M rows nationally, 3.0 → 1.8 s to copy); otherwise the frame itself."""
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):  # mixed Python objects in a column: DuckDB copes
        return df


def _frame_select(df: pd.DataFrame) -> str:
    """The columns of a registered DataFrame, text categoricals as VARCHAR (DuckDB would make them ENUMs): a
    compact frame is published with the types of the plain one."""
    return ", ".join(f'"{c}"::VARCHAR as "{c}"' if _is_text_categorical(df[c]) else f'"{c}"' for c in df.columns)


def _dtype_name(column: pd.Series) -> str:
    """The column's pandas type; a text categorical is described by the type of its values."""
    if _is_text_categorical(column):
        return str(column.dtype.categories.dtype)
    return str(column.dtype)


def _info(table: pd.DataFrame | TableInfo) -> TableInfo:
    if isinstance(table, TableInfo):
        return table
    return TableInfo(tuple((c, _dtype_name(table[c])) for c in table.columns), int(len(table)))


def data_dictionary(tables: Mapping[str, pd.DataFrame | TableInfo],
                    table_descriptions: Mapping[str, str] | None = None,
                    column_descriptions: Mapping[str, Mapping[str, str]] | None = None,
                    csv_notes: Mapping[str, str] | None = None) -> tuple[bytes, bytes]:
    """The data dictionary as Markdown and as JSON: every table, every column, its type and meaning (and where a
    table's CSV holds only some of its rows, ``csv_notes`` says which)."""
    csv_notes = CSV_NOTES if csv_notes is None else csv_notes
    doc: dict[str, dict] = {}
    lines = ["# xxgk release: data dictionary", "",
             f"Every table is in `{WAREHOUSE_NAME}` (schema `{MARTS_SCHEMA}`) and as `marts/<table>.parquet` "
             "and `marts/<table>.csv` (UTF-8 with BOM)"
             + "".join(f"; {note}" for name, note in csv_notes.items() if name in tables) + ".", ""]
    for name, table in tables.items():
        info = _info(table)
        desc = (table_descriptions or {}).get(name, "")
        cols = [{"name": c, "type": t, "description": describe_column(name, c, column_descriptions)}
                for c, t in info.columns]
        doc[name] = {"description": desc, "rows": info.rows, "columns": cols}
        lines += [f"## {name}", "", desc, "", f"{info.rows} rows."]
        if name in csv_notes:
            doc[name]["csv"] = csv_notes[name]
            lines += ["", csv_notes[name]]
        lines += ["", "| column | type | description |", "|---|---|---|"]
        lines += [f"| `{c['name']}` | {c['type']} | {c['description'].replace('|', '/')} |" for c in cols]
        lines.append("")
    return "\n".join(lines).encode(), json.dumps(doc, ensure_ascii=False, indent=2).encode()


def _agency_key(df: pd.DataFrame) -> str:
    for k in AGENCY_KEYS:
        if k in df.columns:
            return k
    raise KeyError("agency_year has neither agency_id nor agency_name")


def revisions(previous: pd.DataFrame | None, current: pd.DataFrame,
              ignore: Iterable[str] = ("quality_warnings", "n_quality_warnings")) -> pd.DataFrame:
    """What changed in ``agency_year`` against the previous release: added and removed agency-years and every
    changed value (one row per cell)."""
    if previous is None:
        rows = [{"change": "added", "agency": a, "report_year": y, "column": None, "old_value": None,
                 "new_value": None}
                for a, y in zip(current[_agency_key(current)], current["report_year"], strict=True)]
        return _with_names(pd.DataFrame(rows, columns=list(REVISION_COLUMNS)), current, None)
    key = _agency_key(current)
    prev_key = key if key in previous.columns else _agency_key(previous)
    p = previous.rename(columns={prev_key: key}).drop_duplicates([key, "report_year"]).set_index([key, "report_year"])
    c = current.drop_duplicates([key, "report_year"]).set_index([key, "report_year"])
    rows: list[dict] = []
    for idx in c.index.difference(p.index):
        rows.append({"change": "added", "agency": idx[0], "report_year": idx[1]})
    for idx in p.index.difference(c.index):
        rows.append({"change": "removed", "agency": idx[0], "report_year": idx[1]})
    common = c.index.intersection(p.index)
    skip = set(ignore)
    p_common, c_common = p.loc[common], c.loc[common]
    for col in [x for x in c.columns if x in p.columns and x not in skip]:
        old, new = p_common[col], c_common[col]
        candidates = _maybe_changed(old, new)
        if not candidates.any():
            continue
        old, new = old[candidates], new[candidates]
        both_null = old.isna() & new.isna()
        differs = ~both_null & ((old.isna() != new.isna()) | (old.astype(str) != new.astype(str)))
        for idx, o, n in zip(differs.index[differs.to_numpy()], old[differs], new[differs], strict=True):
            rows.append({"change": "changed", "agency": idx[0], "report_year": idx[1], "column": col,
                         "old_value": None if pd.isna(o) else str(o), "new_value": None if pd.isna(n) else str(n)})
    for col in [x for x in c.columns if x not in p.columns and x not in skip]:
        rows.append({"change": "column_added", "column": col})
    for col in [x for x in p.columns if x not in c.columns and x not in skip]:
        rows.append({"change": "column_removed", "column": col})
    out = pd.DataFrame(rows, columns=list(REVISION_COLUMNS))
    out = out.astype({"old_value": "string", "new_value": "string", "column": "string"})
    return _with_names(out, current, previous)


def _maybe_changed(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Positions where two aligned columns may differ as text: everything but equal values of the same dtype and
    pairs of nulls (a cheap vectorised pre-filter for the exact comparison in :func:`revisions`)."""
    both_null = (old.isna() & new.isna()).to_numpy(dtype=bool)
    if old.dtype != new.dtype:
        return ~both_null
    try:
        equal = np.asarray(old.to_numpy() == new.to_numpy(), dtype=bool)
    except (TypeError, ValueError):
        return ~both_null
    return ~(equal | both_null)


def _with_names(rev: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Add ``agency_name`` beside an ``agency_id`` key, so a person can read the log."""
    key = _agency_key(current)
    names: dict[object, object] = {}
    for df in (previous, current):
        if df is not None and key != "agency_name" and key in df.columns and "agency_name" in df.columns:
            names.update(zip(df[key], df["agency_name"], strict=True))
    rev.insert(2, "agency_name", rev["agency"].map(names) if names else rev["agency"])
    return rev


def revisions_markdown(rev: pd.DataFrame, previous_id: str | None, release_id: str) -> bytes:
    counts = rev["change"].value_counts().to_dict() if not rev.empty else {}
    lines = [f"# Revisions: {release_id} against {previous_id or '(no previous release)'}", ""]
    for change in ("added", "removed", "changed", "column_added", "column_removed"):
        lines.append(f"* {change}: {counts.get(change, 0)}")
    changed = rev[rev["change"] == "changed"]
    if not changed.empty:
        lines += ["", "## Changed values (first 200)", "", "| agency | year | column | old | new |",
                  "|---|---|---|---|---|"]
        for r in changed.head(200).itertuples():
            lines.append(f"| {r.agency_name} | {r.report_year} | `{r.column}` | {r.old_value} | {r.new_value} |")
    for change in ("added", "removed"):
        sub = rev[rev["change"] == change]
        if not sub.empty:
            lines += ["", f"## {change.capitalize()} agency-years (first 200)", ""]
            lines += [f"* {r.agency_name} {r.report_year}" for r in sub.head(200).itertuples()]
    return ("\n".join(lines) + "\n").encode()
