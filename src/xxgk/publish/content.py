"""The contents of a release, built from DataFrames: Parquet, CSV, a DuckDB file, the data dictionary and the
revisions log against the previous release. Pure functions apart from a temporary folder for DuckDB.

Quarantined reports are removed from every mart that carries ``source_sha256`` (or the agency-year key);
warning flags are attached to ``agency_year`` so they travel with the published row.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd

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


def filter_quarantined(marts: Mapping[str, pd.DataFrame], quarantine: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Drop the rows of quarantined reports from every mart keyed by report or by agency-year.

    A mart with ``source_sha256`` loses those reports; a mart with ``report_year`` and an agency key loses the
    quarantined agency-years; other marts (dimensions, roll-ups built before the gate) are kept as they are.
    """
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
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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


def data_dictionary(tables: Mapping[str, pd.DataFrame], table_descriptions: Mapping[str, str] | None = None,
                    column_descriptions: Mapping[str, Mapping[str, str]] | None = None) -> tuple[bytes, bytes]:
    """The data dictionary as Markdown and as JSON: every table, every column, its type and meaning."""
    doc: dict[str, dict] = {}
    lines = ["# xxgk release: data dictionary", "",
             f"Every table is in `{WAREHOUSE_NAME}` (schema `{MARTS_SCHEMA}`) and as `marts/<table>.parquet` "
             "and `marts/<table>.csv` (UTF-8 with BOM).", ""]
    for name, df in tables.items():
        desc = (table_descriptions or {}).get(name, "")
        cols = [{"name": c, "type": str(df[c].dtype), "description": describe_column(name, c, column_descriptions)}
                for c in df.columns]
        doc[name] = {"description": desc, "rows": int(len(df)), "columns": cols}
        lines += [f"## {name}", "", desc, "", f"{len(df)} rows.", "", "| column | type | description |",
                  "|---|---|---|"]
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
    for col in [x for x in c.columns if x in p.columns and x not in skip]:
        old, new = p.loc[common, col], c.loc[common, col]
        both_null = old.isna() & new.isna()
        differs = ~both_null & ((old.isna() != new.isna()) | (old.astype(str) != new.astype(str)))
        for idx in differs[differs].index:
            rows.append({"change": "changed", "agency": idx[0], "report_year": idx[1], "column": col,
                         "old_value": None if pd.isna(old[idx]) else str(old[idx]),
                         "new_value": None if pd.isna(new[idx]) else str(new[idx])})
    for col in [x for x in c.columns if x not in p.columns and x not in skip]:
        rows.append({"change": "column_added", "column": col})
    for col in [x for x in p.columns if x not in c.columns and x not in skip]:
        rows.append({"change": "column_removed", "column": col})
    out = pd.DataFrame(rows, columns=list(REVISION_COLUMNS))
    out = out.astype({"old_value": "string", "new_value": "string", "column": "string"})
    return _with_names(out, current, previous)


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
