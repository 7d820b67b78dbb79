"""The publication run without an orchestrator: load, check, gate, rebuild, write the release, alert.

1. :func:`load_staging` reads the staging tables from the lake; :func:`load_warehouse` reads the marts and the
   current-version choice (``int_reports_deduplicated``) from the DuckDB warehouse ``xxgk build`` wrote.
2. :func:`gate_population` picks the reports the gate judges: every current report, plus reports the warehouse
   could not place (no agency, no year, unreadable), which then fail their blocking rules visibly.
3. The rule engine (:mod:`xxgk.quality.checks`) computes ``quality_results`` and the gate frame; a ``gate``
   callable (the Great Expectations checkpoint ``publication_gate`` from ``expectations/``, injected by the flow
   and the command; :func:`library_gate` otherwise) decides which checks failed.
4. Reports failing a blocking rule are quarantined. The published marts are rebuilt without their agency-years
   (``rebuild``; by default dbt over a filtered copy of staging) so roll-ups exclude them too.
5. The release is written under the publication lock and ``releases/CURRENT`` switched; alerts go out when a
   blocking rule failed or the run failed.
"""

from __future__ import annotations

import ctypes
import io
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xxgk.alerts import AlertConfig, AlertSummary, Delivery, load_alert_config, send_alerts, summarize_results
from xxgk.alerts.message import RUN_FAILED
from xxgk.publish import content
from xxgk.publish.lock import PublishLock
from xxgk.publish.release import (
    ReleaseManifest,
    new_release_id,
    read_current,
    release_prefix,
    release_workspace,
    remove_incomplete,
    write_release,
)
from xxgk.publish.report_html import QualityReportData, render_quality_report
from xxgk.quality.checks import CheckInputs, CheckThresholds, gate_frame, prepare_inputs, run_checks
from xxgk.quality.frames import stack_cells
from xxgk.quality.results import (
    compact_results,
    decoded,
    offending_snippets,
    quarantine_reasons,
    warning_flags,
)
from xxgk.schema.identities import ERROR
from xxgk.storage.base import ObjectStore
from xxgk.storage.paths import raw_key
from xxgk.storage.sniff import decode_text

logger = logging.getLogger(__name__)

STAGING_TABLES = ("reports", "sections", "table2_cells", "table3_cells", "table4_cells")
STAGING_PREFIX = "staging"
QUALITY_TABLES = ("quality_results", "quarantine")
QUALITY_TABLE_DESCRIPTIONS = {
    "quality_results": "One row per gate run × report × check: every rule's result (rule_id, severity, the two "
                       "sides, delta, passed). Filter on it to see why a report was quarantined or flagged.",
    "quarantine": "One row per quarantined report: the blocking rules it failed, the reasons and the offending "
                  "source snippet. These reports are absent from every other table of the release.",
}


# ---------------------------------------------------------------------------------------------------------------
# gate verdicts
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateVerdict:
    """What the gate decided: the failed (source_sha256, gate_column) pairs among the columns it evaluated."""

    engine: str
    evaluated_columns: frozenset[str]
    failed: frozenset[tuple[str, str]]
    success: bool
    docs: Mapping[str, bytes] = field(default_factory=dict)  # Data Docs files, relative path → bytes
    statistics: Mapping[str, Any] = field(default_factory=dict)


Gate = Callable[[pd.DataFrame, pd.DataFrame, str], GateVerdict]


def library_gate(frame: pd.DataFrame, results: pd.DataFrame, run_id: str) -> GateVerdict:
    """The verdict of the rule engine itself (used when no expectation suite is plugged in)."""
    failed = results[~results["passed"].astype(bool)]
    blocking = results[results["severity"] == ERROR]
    return GateVerdict(
        engine="xxgk.quality",
        evaluated_columns=frozenset(results["gate_column"]),
        failed=frozenset(zip(failed["source_sha256"], failed["gate_column"], strict=True)),
        success=bool(blocking["passed"].all()),
    )


def apply_verdict(results: pd.DataFrame, verdict: GateVerdict) -> pd.DataFrame:
    """Set ``passed`` from the gate's verdict for the columns it evaluated; log any disagreement."""
    out = results.copy(deep=False)  # copy-on-write: setting ``passed`` below leaves ``results`` as it was
    covered = out["gate_column"].isin(verdict.evaluated_columns)
    gate_failed = pd.Series(False, index=out.index, dtype=bool)
    if verdict.failed:
        gate_failed[:] = _pairs_in(out["source_sha256"], out["gate_column"], verdict.failed)
    disagree = covered & (gate_failed == out["passed"].astype(bool))
    if disagree.any():
        logger.warning("%s and the rule engine disagree on %d checks (first: %s); the gate decides",
                       verdict.engine, int(disagree.sum()),
                       out.loc[disagree, ["source_sha256", "check_name"]].head(3).to_dict("records"))
    out.loc[covered, "passed"] = ~gate_failed[covered]
    return out


def _pairs_in(first: pd.Series, second: pd.Series, pairs: frozenset[tuple[str, str]]) -> np.ndarray:
    """Which rows' (``first``, ``second``) values are among ``pairs``, compared as integer codes (the columns may be
    categoricals: nothing is expanded to one string per row)."""
    a_codes, a_values = pd.factorize(first)
    b_codes, b_values = pd.factorize(second)
    a_pos = pd.Index(np.asarray(a_values, dtype=object)).get_indexer([a for a, _ in pairs])
    b_pos = pd.Index(np.asarray(b_values, dtype=object)).get_indexer([b for _, b in pairs])
    known = (a_pos >= 0) & (b_pos >= 0)
    width = max(len(b_values), 1)
    wanted = a_pos[known].astype(np.int64) * width + b_pos[known]
    keys = np.where((a_codes >= 0) & (b_codes >= 0), a_codes.astype(np.int64) * width + b_codes, -1)
    return np.isin(keys, wanted)


# ---------------------------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Warehouse:
    marts: dict[str, content.ReleaseTable]  # agency_year as a DataFrame; the other marts may stay in DuckDB
    versions: pd.DataFrame | None  # int_reports_deduplicated: source_sha256, agency_id, report_year, is_current
    descriptions: dict[str, str] = field(default_factory=dict)
    column_descriptions: dict[str, dict[str, str]] = field(default_factory=dict)


def load_warehouse(path: str | Path, schema: str = "marts", models_dir: Path | None = None, *,
                   copy: bool = True) -> Warehouse:
    """The marts (every table in ``schema``) and the version choice from a DuckDB warehouse, read-only; with
    ``models_dir`` (the dbt project's ``models/marts``) also the documented descriptions.

    ``agency_year`` (which the gate and the warning flags need) is read into pandas; every other mart stays in
    DuckDB as a :class:`~xxgk.publish.content.DuckTable`: copied into a private scratch database (``copy``, the
    default: the warehouse file may then go away, as the rebuild's temporary one does), or referencing ``path``.
    """
    scratch = content.ScratchDatabase() if copy else None
    con = duckdb.connect(str(scratch.path) if scratch else ":memory:")
    try:
        con.execute(f"set memory_limit = '{content.DUCKDB_MEMORY_LIMIT}'")
        con.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as wh (read_only)")
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'wh' and table_schema = ? "
            "order by table_name", [schema]).fetchall()]
        if scratch is not None:
            con.execute(f'create schema if not exists "{schema}"')
        marts: dict[str, content.ReleaseTable] = {}
        for n in names:
            if n in QUALITY_TABLES:
                continue
            if n == content.AGENCY_YEAR:
                marts[n] = con.execute(f'select * from wh."{schema}"."{n}"').df()
            elif scratch is not None:
                con.execute(f'create table "{schema}"."{n}" as select * from wh."{schema}"."{n}"')
                marts[n] = content.DuckTable(str(scratch.path), schema, n, owner=scratch)
            else:
                marts[n] = content.DuckTable(str(path), schema, n)
        versions = None
        has = con.execute("select count(*) from information_schema.tables where table_catalog = 'wh' and "
                          "table_schema = 'intermediate' and table_name = 'int_reports_deduplicated'").fetchone()
        if has and has[0]:
            versions = con.execute("select source_sha256, agency_id, report_year, is_current "
                                   "from wh.intermediate.int_reports_deduplicated").df()
        descriptions = {r[0]: r[1] for r in con.execute(
            "select table_name, comment from duckdb_tables() where database_name = 'wh' and schema_name = ? "
            "and comment is not null", [schema]).fetchall()}
        con.execute("detach wh")
        if scratch is not None:
            con.execute("checkpoint")
    finally:
        con.close()
    columns: dict[str, dict[str, str]] = {}
    if models_dir is not None and Path(models_dir).is_dir():
        tables, columns = content.load_dbt_descriptions(Path(models_dir))
        descriptions = {**tables, **descriptions}
    return Warehouse(marts, versions, descriptions, columns)


CELL_TABLES = ("table2_cells", "table3_cells", "table4_cells")
# What the checks read of each staging table (None: every column). Raw text, labels and locations are read later,
# for the quarantined reports only (:func:`load_cell_details`).
CHECK_COLUMNS: dict[str, tuple[str, ...] | None] = {
    "reports": None,
    "sections": ("source_sha256", "parser_version", "section_id", "text"),
    **{t: ("source_sha256", "parser_version", "cell_id", "row_key", "col_key", "value", "status")
       for t in CELL_TABLES},
}
DETAIL_COLUMNS = ("source_sha256", "parser_version", "cell_id", "row_key", "col_key", "value", "status", "raw_text",
                  "raw_label", "loc")
COMPACT_COLUMNS = ("source_sha256", "parser_version", "cell_id", "row_key", "col_key", "status", "section_id")
VERSION_SEPARATOR = "\x1f"
READ_THREADS = 4


def _staging_keys(store: ObjectStore, table: str) -> list[str]:
    return [k for k in store.list_keys(f"{STAGING_PREFIX}/{table}/") if k.endswith(".parquet")]


def _read_staging_file(store: ObjectStore, key: str, columns: tuple[str, ...] | None) -> pa.Table:
    """One staging Parquet file, only ``columns`` (those it has; ``cell_id`` makes the row/col keys redundant)."""
    source = pq.ParquetFile(io.BytesIO(store.get_bytes(key)))
    names = source.schema_arrow.names
    if columns is None:
        return source.read()
    wanted = [c for c in columns if c in names]
    if "cell_id" in wanted:
        wanted = [c for c in wanted if c not in ("row_key", "col_key")]
    return source.read(columns=wanted)


def _version_keys(table: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(table["source_sha256"].cast(pa.string()),
                                       table["parser_version"].cast(pa.string()), VERSION_SEPARATOR)


@dataclass(frozen=True)
class LatestVersions:
    """The latest parse of each raw object: ``keys`` (``sha<US>parser_version``); when every latest parse has the
    same parser version (the usual lake), that ``version`` and the ``shas``, which test the same rows faster."""

    keys: pa.Array
    version: str | None
    shas: pa.Array


def _latest_only(table: pa.Table, keep: LatestVersions | None) -> pa.Table:
    """The rows of the latest parse of each raw object."""
    if keep is None or "parser_version" not in table.column_names or table.num_rows == 0:
        return table
    if keep.version is None:
        return table.filter(pc.is_in(_version_keys(table), value_set=keep.keys))
    mask = pc.and_(pc.equal(table["parser_version"].cast(pa.string()), keep.version),
                   pc.is_in(table["source_sha256"], value_set=keep.shas))
    return table.filter(mask)


def _compact(table: pa.Table) -> pa.Table:
    """Repeated strings (hashes, cell ids, statuses) dictionary-encoded: categoricals once in pandas."""
    for name in COMPACT_COLUMNS:
        if name in table.column_names and not pa.types.is_dictionary(table.schema.field(name).type):
            i = table.column_names.index(name)
            table = table.set_column(i, name, pc.dictionary_encode(table[name]))
    return table


def _to_pandas(tables: list[pa.Table]) -> pd.DataFrame:
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pd.DataFrame()
    combined = pa.concat_tables(tables, promote_options="permissive").unify_dictionaries()
    return combined.to_pandas()


def load_staging(store: ObjectStore, tables: tuple[str, ...] = STAGING_TABLES,
                 columns: Mapping[str, tuple[str, ...] | None] | None = None) -> dict[str, pd.DataFrame]:
    """The staging tables the gate needs, as compact DataFrames (all year partitions), through the object store.

    Only the latest parse of each raw object counts. Only the ``columns`` the checks read are loaded
    (:data:`CHECK_COLUMNS` by default; ``None`` for a table: every column); hashes, cell ids and statuses are
    categoricals. Cell text and locations for the quarantined reports: :func:`load_cell_details`.
    """
    columns = CHECK_COLUMNS if columns is None else columns
    out: dict[str, pd.DataFrame] = {}
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:  # Parquet decoding and S3 reads release the GIL
        reports = (list(pool.map(lambda k: _read_staging_file(store, k, columns.get("reports")),
                                 _staging_keys(store, "reports"))) if "reports" in tables else [])
        keep = latest_versions(_to_pandas(reports))
        for table in tables:
            if table == "reports":
                out[table] = _to_pandas([_latest_only(f, keep) for f in reports])
                continue
            wanted = columns.get(table)
            out[table] = _to_pandas(list(pool.map(
                lambda k, w=wanted: _compact(_latest_only(_read_staging_file(store, k, w), keep)),
                _staging_keys(store, table))))
        logger.info("staging %s: %d rows, %.1f MB", table, len(out[table]),
                    out[table].memory_usage(deep=False).sum() / 1e6)
    release_memory()
    return out


def latest_versions(reports: pd.DataFrame) -> LatestVersions | None:
    """The latest parse of each raw object (None: no parse times to choose by)."""
    if reports.empty or "parsed_at" not in reports.columns:
        return None
    latest = reports.sort_values(["parsed_at", "parser_version"]).drop_duplicates("source_sha256", keep="last")
    shas, versions = latest["source_sha256"].astype(str), latest["parser_version"].astype(str)
    keys = pa.array((shas + VERSION_SEPARATOR + versions).tolist(), type=pa.string())
    single = versions.iloc[0] if versions.nunique() == 1 else None
    return LatestVersions(keys, single, pa.array(shas.tolist(), type=pa.string()))


def load_cell_details(store: ObjectStore, shas: set[str], reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cell rows (with raw label, raw text and location) of the reports ``shas`` only: for their snippets."""
    if not shas:
        return pd.DataFrame(columns=list(DETAIL_COLUMNS))
    keep = latest_versions(reports) if reports is not None else None
    wanted = pa.array(sorted(shas), type=pa.string())
    frames: dict[str, pd.DataFrame] = {}
    def read(key: str) -> pa.Table:
        t = _read_staging_file(store, key, DETAIL_COLUMNS)
        return _latest_only(t.filter(pc.is_in(t["source_sha256"], value_set=wanted)), keep)

    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        for table in CELL_TABLES:
            frames[table] = _to_pandas(list(pool.map(read, _staging_keys(store, table))))
    return stack_cells(*(frames[t] for t in CELL_TABLES))


def gate_population(staging: Mapping[str, pd.DataFrame], warehouse: Warehouse | None) -> pd.DataFrame:
    """The reports the gate judges, with ``agency_id``, ``is_current``, ``level`` and ``region`` where known."""
    reports = staging.get("reports", pd.DataFrame()).copy()
    if reports.empty:
        return reports
    reports = reports.drop_duplicates("source_sha256")
    if warehouse is not None and warehouse.versions is not None and not warehouse.versions.empty:
        v = warehouse.versions[["source_sha256", "agency_id", "is_current"]].drop_duplicates("source_sha256")
        reports = reports.drop(columns=[c for c in ("agency_id", "is_current") if c in reports]).merge(
            v, on="source_sha256", how="left")
        # not placed by the warehouse (no agency, no year, unreadable): judged, so its failures are visible
        reports["is_current"] = reports["is_current"].astype("boolean").fillna(True).astype(bool)
    else:
        reports["is_current"] = True
    ay = (warehouse.marts.get(content.AGENCY_YEAR) if warehouse else None)
    if ay is not None and not ay.empty and "source_sha256" in ay.columns:
        geo = ay[[c for c in ("source_sha256", "agency_level", "province_name") if c in ay.columns]]
        reports = reports.merge(geo.rename(columns={"agency_level": "level", "province_name": "region"}),
                                on="source_sha256", how="left")
    for col in ("level", "region"):
        if col not in reports.columns:
            reports[col] = None
    return reports[reports["is_current"]].reset_index(drop=True)


def check_staging(staging: Mapping[str, pd.DataFrame], population: pd.DataFrame, *, run_id: str,
                  thresholds: CheckThresholds | None = None) -> tuple[CheckInputs, pd.DataFrame]:
    """The rule engine over the gate population."""
    shas = set(population["source_sha256"])

    def only(name: str) -> pd.DataFrame:
        df = staging.get(name, pd.DataFrame())
        if df.empty:
            return df
        keep = df["source_sha256"].isin(shas)
        return df if keep.all() else df[keep]  # no copy of a national table when every report is judged

    inputs = prepare_inputs(only("table2_cells"), only("table3_cells"), only("table4_cells"), population,
                            only("sections"))
    return inputs, run_checks(inputs, run_id=run_id, thresholds=thresholds)


# ---------------------------------------------------------------------------------------------------------------
# the release
# ---------------------------------------------------------------------------------------------------------------
def _previous_agency_year(store: ObjectStore, release_id: str | None) -> pd.DataFrame | None:
    if not release_id:
        return None
    try:
        data = store.get_bytes(f"{release_prefix(release_id)}marts/{content.AGENCY_YEAR}.parquet")
    except KeyError:
        return None
    return pd.read_parquet(io.BytesIO(data))


def release_files(
    *,
    marts: Mapping[str, content.ReleaseTable],
    results: pd.DataFrame,
    quarantine: pd.DataFrame,
    report_html: str,
    previous_agency_year: pd.DataFrame | None,
    previous_id: str | None,
    release_id: str,
    folder: Path,
    docs: Mapping[str, bytes] | None = None,
    table_descriptions: Mapping[str, str] | None = None,
    column_descriptions: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, bytes | Path]:
    """Every file of a release, keyed by its path inside ``releases/<release_id>/``: the tables are written into
    ``folder`` by DuckDB (Parquet, CSV, ``xxgk.duckdb``), the small files are bytes."""
    tables: dict[str, content.ReleaseTable] = {**marts, "quality_results": results, "quarantine": quarantine}
    table_descriptions = {**QUALITY_TABLE_DESCRIPTIONS, **(table_descriptions or {})}
    files: dict[str, bytes | Path] = {}
    written, infos = content.write_tables(
        tables, folder, table_comments=table_descriptions,
        comments={n: {c: content.describe_column(n, c, column_descriptions) for c in _columns(t)}
                  for n, t in tables.items()})
    files.update(written)
    csv_notes = {**content.CSV_NOTES, **{name: content.csv_too_long_note(name, info.rows) for name, info in infos.items()
                                         if f"marts/{name}.csv" not in written}}
    md, js = content.data_dictionary(infos, table_descriptions, column_descriptions, csv_notes=csv_notes)
    files["data_dictionary.md"], files["data_dictionary.json"] = md, js
    current_ay = marts.get(content.AGENCY_YEAR)
    if isinstance(current_ay, content.DuckTable):
        current_ay = current_ay.df()
    if current_ay is not None:
        rev = content.revisions(previous_agency_year, current_ay)
        files["revisions.csv"] = content.frame_to_csv(rev)
        files["revisions.md"] = content.revisions_markdown(rev, previous_id, release_id)
    for rel, data in (docs or {}).items():
        files[f"data_docs/{rel}"] = data
    files["quality_report.html"] = report_html.encode()
    return files


def _columns(table: content.ReleaseTable) -> list[str]:
    if isinstance(table, content.DuckTable):
        con = duckdb.connect(table.path, read_only=True)
        try:
            return [r[0] for r in con.execute(f'describe "{table.schema}"."{table.name}"').fetchall()]
        finally:
            con.close()
    return list(table.columns)


@dataclass
class PublishOutcome:
    run_id: str
    release_id: str | None
    previous_release: str | None
    reports_checked: int
    reports_quarantined: int
    reports_warned: int
    gate_engine: str
    report_uri: str | None
    deliveries: list[Delivery] = field(default_factory=list)
    manifest: ReleaseManifest | None = None
    results: pd.DataFrame | None = None
    quarantine: pd.DataFrame | None = None


Rebuild = Callable[[set[str]], dict[str, pd.DataFrame]]


def quarantined_agency_years(quarantine: pd.DataFrame, population: pd.DataFrame) -> set[tuple[str, int]]:
    pop = population.set_index("source_sha256")
    out = set()
    for sha in quarantine["source_sha256"]:
        if sha in pop.index:
            row = pop.loc[sha]
            key = row.get("agency_id") if "agency_id" in pop.columns and pd.notna(row.get("agency_id")) else None
            if key is not None and pd.notna(row.get("report_year")):
                out.add((str(key), int(row["report_year"])))
    return out


def excluded_shas(quarantine: pd.DataFrame, staging: Mapping[str, pd.DataFrame], warehouse: Warehouse | None,
                  population: pd.DataFrame) -> set[str]:
    """Quarantined reports and every other version of their agency-years (an older version is not published in
    place of a quarantined newer one)."""
    out = set(quarantine["source_sha256"])
    years = quarantined_agency_years(quarantine, population)
    if warehouse is not None and warehouse.versions is not None and years:
        v = warehouse.versions
        out |= {s for s, a, y in zip(v["source_sha256"], v["agency_id"], v["report_year"], strict=True)
                if pd.notna(y) and (str(a), int(y)) in years}
    return out


def quarantine_cells(store: ObjectStore, staging: Mapping[str, pd.DataFrame], shas: set[str]) -> pd.DataFrame:
    """The stacked cell rows of the quarantined reports with their raw text and location: from the staging frames
    when they hold them, else read from the lake for these reports only."""
    frames = [staging.get(t, pd.DataFrame()) for t in CELL_TABLES]
    if not shas:
        return stack_cells(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    if any("raw_text" in f.columns for f in frames if not f.empty):
        return stack_cells(*(f[f["source_sha256"].isin(shas)] if not f.empty else f for f in frames))
    return load_cell_details(store, shas, staging.get("reports"))


LINE_LOC = re.compile(r"^line (\d+)")
TEXT_MEDIA_TYPES = ("text", "text/plain")  # line numbers of plain text are lines of the raw file
MAX_SOURCE_LINES = 24


def source_lines(text: str, line_numbers: list[int], context: int = 1, limit: int = MAX_SOURCE_LINES,
                 width: int = 160) -> str:
    """The numbered source lines around ``line_numbers`` (1-based), at most ``limit`` lines of ``width`` chars."""
    lines = text.splitlines()
    wanted: list[int] = []
    for n in sorted(set(line_numbers)):
        for i in range(max(1, n - context), min(len(lines), n + context) + 1):
            if i not in wanted:
                wanted.append(i)
    shown = wanted[:limit]
    out = [f"{i:>5} | {lines[i - 1][:width]}{'…' if len(lines[i - 1]) > width else ''}" for i in shown]
    if len(wanted) > limit:
        out.append("  … more lines")
    return "\n".join(out)


def add_source_lines(store: ObjectStore, quarantine: pd.DataFrame, results: pd.DataFrame, cells: pd.DataFrame,
                     population: pd.DataFrame) -> pd.DataFrame:
    """Append the raw source lines of the failing cells to each quarantined text report's snippet."""
    if quarantine.empty or cells.empty or "media_type" not in population.columns:
        return quarantine
    media = dict(zip(population["source_sha256"], population["media_type"], strict=True))
    failed = results[(results["severity"] == ERROR) & ~results["passed"]]
    failed_cells = failed.groupby("source_sha256", observed=True)["cells"].agg(list).to_dict()
    located = cells[cells["loc"].notna()] if "loc" in cells.columns else cells.iloc[:0].assign(loc=None)
    out = quarantine.copy()
    snippets = list(out["snippet"])
    locs_of: dict[str, list[tuple[str, str]]] = {}
    for sha, cid, loc in zip(*(located[c].astype(str).to_numpy(dtype=object).tolist()
                               for c in ("source_sha256", "cell_id", "loc")), strict=True):
        locs_of.setdefault(sha, []).append((cid, loc))
    for i, sha in enumerate(out["source_sha256"]):
        if str(media.get(sha) or "").split(";")[0].strip() not in TEXT_MEDIA_TYPES:
            continue
        ids = {c for cl in failed_cells.get(sha, []) for c in str(cl).split(",") if c}
        locs = [loc for cid, loc in locs_of.get(sha, []) if cid in ids]
        numbers = [int(m.group(1)) for loc in locs if (m := LINE_LOC.match(str(loc)))]
        try:
            text, _ = decode_text(store.get_bytes(raw_key(sha)))
        except (KeyError, ValueError):
            continue
        if numbers:
            shown = f"— source lines —\n{source_lines(text, numbers)}"
        else:  # nothing located (no tables, no agency): the start of the source tells what the file is
            first = [n for n, line in enumerate(text.splitlines(), 1) if line.strip()][:8]
            shown = f"— start of the source —\n{source_lines(text, first, context=0)}"
        snippets[i] = f"{snippets[i]}\n{shown}"
    out["snippet"] = pd.Series(snippets, index=out.index, dtype=out["snippet"].dtype)
    return out


StagingFrames = Mapping[str, pd.DataFrame]


def publish(
    store: ObjectStore,
    *,
    staging: StagingFrames | Callable[[], StagingFrames],
    warehouse: Warehouse | None,
    gate: Gate = library_gate,
    rebuild: Rebuild | None = None,
    run_id: str | None = None,
    release_id: str | None = None,
    thresholds: CheckThresholds | None = None,
    alert_config: AlertConfig | None = None,
    hook: Callable[[str], None] = lambda step: None,
    break_lock: bool = False,
) -> PublishOutcome:
    """Check, gate and publish one release; alerts on blocking failures and on a failed run (then re-raises).

    ``staging``: the frames of :func:`load_staging`, or a function returning them (called under the publication
    lock); given a function, the frames are let go once the checks and snippets are done, so a national run does not
    hold them while the release is written.
    """
    run_id = run_id or f"run-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"
    alert_config = alert_config if alert_config is not None else load_alert_config()
    try:
        with PublishLock(store, owner=run_id, break_lock=break_lock):
            outcome = _publish_locked(store, staging=staging, warehouse=warehouse, gate=gate, rebuild=rebuild,
                                      run_id=run_id, release_id=release_id, thresholds=thresholds, hook=hook)
    except Exception as exc:
        logger.error("publish run %s failed: %s: %s", run_id, type(exc).__name__, exc)
        summary = AlertSummary(kind=RUN_FAILED, run_id=run_id, lake=store.uri(), error=f"{type(exc).__name__}: {exc}")
        send_alerts(summary, alert_config)
        raise
    if outcome.reports_quarantined and outcome.results is not None:
        failed = decoded(outcome.results[~outcome.results["passed"]])
        summary = summarize_results(failed.to_dict("records"), run_id=run_id, lake=store.uri(),
                                    release_id=outcome.release_id, report_location=outcome.report_uri,
                                    reports_checked=outcome.reports_checked)
        outcome.deliveries = send_alerts(summary, alert_config)
    return outcome


def _finish_quietly(future: Future[Any]) -> None:
    """Wait for a result nobody needs any more (a dbt process is not interrupted midway); its errors do not matter."""
    try:
        future.result()
    except Exception as exc:  # noqa: BLE001 - the result is discarded anyway
        logger.debug("discarded rebuild failed: %s", exc)


def release_memory() -> None:
    """Hand memory freed by a large step back to the system (Arrow's pool and, on glibc, the C heap), so the
    peak of a national run is what it holds, not what it once held."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _publish_locked(store: ObjectStore, *, staging: StagingFrames | Callable[[], StagingFrames],
                    warehouse: Warehouse | None, gate: Gate, rebuild: Rebuild | None, run_id: str,
                    release_id: str | None, thresholds: CheckThresholds | None,
                    hook: Callable[[str], None]) -> PublishOutcome:
    remove_incomplete(store)
    release_id = release_id or new_release_id()
    frames = staging() if callable(staging) else staging
    population = gate_population(frames, warehouse)
    inputs, results = check_staging(frames, population, run_id=run_id, thresholds=thresholds)
    frame = gate_frame(inputs, results)
    del inputs
    release_memory()
    marts = dict(warehouse.marts) if warehouse is not None else {}

    def excluded_by(quarantine: pd.DataFrame) -> set[str] | None:
        return excluded_shas(quarantine, frames, warehouse, population) if not quarantine.empty and marts else None

    # The rebuild (dbt in a process of its own) runs in a second thread. The gate nearly always agrees with the
    # rule engine, so the rebuild starts on the engine's quarantine while the gate runs, and starts again if the
    # gate decides otherwise; then the snippets are made here while it runs.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xxgk-rebuild") as pool:
        guess = quarantine_reasons(results) if rebuild is not None else None
        guessed = excluded_by(guess) if guess is not None else None
        rebuilding = pool.submit(rebuild, guessed) if guessed is not None and rebuild is not None else None
        try:
            verdict = gate(frame, results, run_id)
            del frame
            engine_passed = results["passed"]
            results = apply_verdict(results, verdict)
            release_memory()
            agreed = guess is not None and results["passed"].equals(engine_passed)
            quarantine = guess if agreed else quarantine_reasons(results)
            excluded = guessed if agreed else excluded_by(quarantine)
            if rebuild is not None and excluded != guessed:
                logger.info("the gate's quarantine differs from the rule engine's: rebuilding the marts again")
                if rebuilding is not None:
                    _finish_quietly(rebuilding)
                rebuilding = pool.submit(rebuild, excluded) if excluded is not None and rebuild is not None else None
            cells = quarantine_cells(store, frames, set(quarantine["source_sha256"]))
            sections = frames.get("sections")
            if sections is not None and not sections.empty:
                sections = sections[sections["source_sha256"].isin(set(quarantine["source_sha256"]))]
            failed = results[(results["severity"] == ERROR) & ~results["passed"]]
            quarantine = quarantine.merge(offending_snippets(failed, cells, sections), on="source_sha256",
                                          how="left")
            quarantine = add_source_lines(store, quarantine, failed, cells, population)
            # what follows needs neither the staging frames nor the cells
            del frames, cells, sections, failed
            results = compact_results(results)
            release_memory()
            flags = warning_flags(results)
            flags = flags[~flags["source_sha256"].isin(set(quarantine["source_sha256"]))]
            logger.info("gate (%s): %d reports, %d quarantined, %d with warnings", verdict.engine,
                        len(population), len(quarantine), len(flags))
        except BaseException:
            if rebuilding is not None:
                rebuilding.cancel()
            raise
        if rebuilding is not None:
            marts = rebuilding.result()
        elif excluded is not None:
            marts = content.filter_quarantined(marts, quarantine)
    if content.AGENCY_YEAR in marts:
        marts[content.AGENCY_YEAR] = content.attach_warnings(marts[content.AGENCY_YEAR], flags)

    coverage = population[["source_sha256", "level", "region"]].assign(
        is_published=~population["source_sha256"].isin(set(quarantine["source_sha256"])))
    release_memory()
    previous = read_current(store)
    html = render_quality_report(QualityReportData(run_id=run_id, release_id=release_id, results=results,
                                                   quarantine=quarantine, coverage=coverage,
                                                   data_docs_href="data_docs/index.html" if verdict.docs else None))
    with release_workspace(store) as tmp:
        files = release_files(marts=marts, results=results, quarantine=quarantine, report_html=html,
                              previous_agency_year=_previous_agency_year(store, previous), previous_id=previous,
                              release_id=release_id, folder=tmp, docs=verdict.docs,
                              table_descriptions=warehouse.descriptions if warehouse else None,
                              column_descriptions=warehouse.column_descriptions if warehouse else None)
        manifest = write_release(store, release_id, files, hook=hook, move=True, meta={
            "run_id": run_id, "gate_engine": verdict.engine, "reports_checked": len(population),
            "reports_quarantined": len(quarantine), "reports_warned": len(flags),
            "gate_statistics": dict(verdict.statistics)})
    return PublishOutcome(
        run_id=run_id, release_id=release_id, previous_release=previous, reports_checked=len(population),
        reports_quarantined=len(quarantine), reports_warned=len(flags), gate_engine=verdict.engine,
        report_uri=store.uri(f"{release_prefix(release_id)}quality_report.html"), manifest=manifest,
        results=results, quarantine=quarantine)
