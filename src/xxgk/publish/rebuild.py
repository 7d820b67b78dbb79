"""Rebuild the marts without the quarantined reports, for the release: dbt again, over what the build left.

Roll-ups (``region_year``, ``agency_panel``) and the prior-year columns of ``agency_year`` are computed over
agency-years, so a quarantined report cannot simply be filtered out of them afterwards; dbt builds them again with
the excluded reports left out (the models read the list from the Parquet file named by ``XXGK_EXCLUDED_URI``, see
``int_reports_deduplicated``), which gives exactly the marts dbt builds from staging without those reports.

Two routes, the same marts:

* **from the lake's warehouse** (the usual case: ``xxgk build`` left a warehouse built from the current staging).
  A copy of the warehouse file; dbt runs only the models downstream of ``int_reports_deduplicated`` that are not
  tagged ``report_cells``. The ``report_cells`` marts (one row per cell of a current report: the long facts) hold
  rows that are a function of their report alone, so when every report current after the exclusion was current
  before (always so when whole agency-years are withheld, as the publication gate does), the rebuilt marts are the
  old ones without the rows of reports no longer current: those rows are deleted in place, order kept. Seconds
  instead of a full build at national scale.
* **from staging** (no warehouse, a warehouse built from other staging, or an exclusion that makes an older version
  current again): every model, over the lake's staging, with the same exclusion.

dbt's partial-parsing state is kept in ``dbt_rebuild_target/`` next to the lake's warehouse, so the rebuild does not
parse the project again. The lake's own warehouse is never touched.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from xxgk.storage.base import ObjectStore

if TYPE_CHECKING:
    from xxgk.staging.build import DbtPaths

logger = logging.getLogger(__name__)

STAGING_PREFIX = "staging/"
REPORTS_PREFIX = "staging/reports/"
REBUILD_TARGET = "dbt_rebuild_target"
EXCLUDED_FILE = "excluded_reports.parquet"
REPORT_CELLS_TAG = "report_cells"
# dbt selection for the route from the warehouse: what depends on the version choice, except the per-cell models
LIGHT_SELECTION = ("run", "--select", "int_reports_deduplicated+", "--exclude", f"tag:{REPORT_CELLS_TAG}")
# the latest parse of each report identifies what a warehouse was built from
_REPORT_KEY = ("source_sha256", "parser_version", "parsed_at")


def write_excluded(excluded: set[str], path: Path) -> Path:
    """The excluded reports as a one-column Parquet file (``source_sha256``), for ``XXGK_EXCLUDED_URI``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"source_sha256": pa.array(sorted(s for s in excluded if s), type=pa.string())}), path)
    return path


def staging_report_keys(store: ObjectStore) -> set[tuple[str, str, str]]:
    """(source_sha256, parser_version, parsed_at) of every staged report row."""
    keys: set[tuple[str, str, str]] = set()
    for key in store.list_keys(REPORTS_PREFIX):
        if not key.endswith(".parquet") or "/_" in key:
            continue
        table = pq.read_table(io.BytesIO(store.get_bytes(key)), columns=list(_REPORT_KEY))
        keys |= set(zip(*(_as_text(table[c].to_pylist()) for c in _REPORT_KEY), strict=True))
    return keys


def _as_text(values: list[object]) -> list[str]:
    """Comparable text: timestamps in UTC (DuckDB hands them out in its session time zone)."""
    out = []
    for v in values:
        if isinstance(v, datetime):
            v = (v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)).isoformat()
        out.append("" if v is None else str(v))
    return out


def warehouse_report_keys(warehouse: Path) -> set[tuple[str, str, str]] | None:
    """The same keys from the warehouse's ``staging.stg_xxgk__reports`` (None when it cannot be read)."""
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        logger.info("the warehouse %s cannot be opened (%s)", warehouse, exc)
        return None
    try:
        rows = con.execute(f"select {', '.join(_REPORT_KEY)} from staging.stg_xxgk__reports").fetchall()
    except duckdb.Error as exc:
        logger.info("the warehouse %s has no staged reports (%s)", warehouse, exc)
        return None
    finally:
        con.close()
    return {tuple(_as_text(list(r))) for r in rows}  # type: ignore[misc]


def _current_reports(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "select source_sha256 from intermediate.int_reports_deduplicated where is_current").fetchall()}


def report_cell_marts(target_dir: Path) -> list[tuple[str, str]]:
    """(schema, table) of the marts tagged ``report_cells``, from the manifest dbt wrote in ``target_dir``."""
    manifest = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for node in manifest["nodes"].values():
        if (node.get("resource_type") == "model" and REPORT_CELLS_TAG in node.get("tags", [])
                and node.get("schema") == "marts" and node["config"].get("materialized") == "table"):
            out.append((node["schema"], node.get("alias") or node["name"]))
    return sorted(out)


def _copy_database(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, dest.with_name(dest.name + ".wal"))


def rebuild_from_warehouse(lake_paths: DbtPaths, warehouse: Path, excluded: set[str], dest: Path,
                           target_dir: Path) -> bool:
    """Build ``dest`` (a DuckDB file named like the warehouse) from a copy of ``warehouse`` without ``excluded``.

    Returns False, leaving ``dest`` unusable, when the shortcut does not apply (a report becomes current that was
    not, so its cells were never in the marts); raises RuntimeError when dbt fails.
    """
    from xxgk.staging.build import run_dbt

    _copy_database(warehouse, dest)
    con = duckdb.connect(str(dest), read_only=True)
    try:
        before = _current_reports(con)
    finally:
        con.close()
    excluded_file = write_excluded(excluded, target_dir / EXCLUDED_FILE)
    # the lake's paths (same staging location, so dbt's saved parse stays valid), writing into the copy
    paths = dataclasses.replace(lake_paths, warehouse_path=dest)
    result = run_dbt(paths, [LIGHT_SELECTION], atomic=False, target_dir=target_dir,
                     env={"XXGK_EXCLUDED_URI": str(excluded_file)})
    if not result.ok:
        raise RuntimeError(f"dbt failed while rebuilding the published marts (exit {result.returncode}):\n"
                           f"{result.tail()}")
    con = duckdb.connect(str(dest))
    try:
        after = _current_reports(con)
        if not after <= before:
            logger.info("%d reports become current without the excluded ones; rebuilding from staging",
                        len(after - before))
            return False
        gone = before - after
        con.execute("create temp table withheld (source_sha256 varchar)")
        if gone:
            con.executemany("insert into withheld values (?)", [(s,) for s in sorted(gone)])
        for schema, table in report_cell_marts(target_dir):
            con.execute(f'delete from "{schema}"."{table}" where source_sha256 in (select source_sha256 from withheld)')
        con.execute("checkpoint")
    finally:
        con.close()
    logger.info("rebuilt the marts from %s without %d reports (%d no longer current)", warehouse, len(excluded),
                len(gone))
    return True


def rebuild_from_staging(store: ObjectStore, excluded: set[str], dest: Path, target_dir: Path, *,
                         project_dir: Path | None = None,
                         commands: tuple[tuple[str, ...], ...] = (("run",),)) -> None:
    """Build ``dest`` with every model over the lake's staging, ``excluded`` left out; RuntimeError when dbt fails."""
    from xxgk.staging.build import dbt_paths, run_dbt

    base = dbt_paths(store, project_dir=project_dir)
    paths = dataclasses.replace(base, warehouse_path=dest)
    excluded_file = write_excluded(excluded, target_dir / EXCLUDED_FILE)
    logger.info("rebuilding the marts from staging without %d reports", len(excluded))
    result = run_dbt(paths, commands, target_dir=target_dir, env={"XXGK_EXCLUDED_URI": str(excluded_file)})
    if not result.ok:
        raise RuntimeError(f"dbt failed while rebuilding the published marts (exit {result.returncode}):\n"
                           f"{result.tail()}")


def rebuild_with_dbt(store: ObjectStore, excluded: set[str], *, project_dir: Path | None = None,
                     commands: tuple[tuple[str, ...], ...] = (("run",),), warehouse: Path | None = None) -> dict:
    """The marts dbt builds from staging minus ``excluded``; raises RuntimeError when dbt fails.

    ``warehouse`` is the lake's warehouse (default: where ``xxgk build`` writes it for ``store``); it is used when
    it was built from the lake's current staging. The result holds ``agency_year`` as a DataFrame and the other
    marts as tables of a private DuckDB file (see :func:`xxgk.publish.pipeline.load_warehouse`).
    """
    from xxgk.publish.content import DuckTable, ScratchDatabase
    from xxgk.publish.pipeline import load_warehouse
    from xxgk.staging.build import dbt_paths

    lake_paths = dbt_paths(store, project_dir=project_dir)
    target_dir = lake_paths.work_dir / REBUILD_TARGET
    warehouse = warehouse or lake_paths.warehouse_path
    scratch = ScratchDatabase(prefix="xxgk-publish-build-")
    dest = scratch.folder / "warehouse" / warehouse.name
    done = False
    if warehouse.exists():
        built_from = warehouse_report_keys(warehouse)
        if built_from is not None and built_from == staging_report_keys(store):
            done = rebuild_from_warehouse(lake_paths, warehouse, excluded, dest, target_dir)
        else:
            logger.info("the warehouse %s was not built from the lake's current staging", warehouse)
    if not done:
        shutil.rmtree(dest.parent, ignore_errors=True)
        rebuild_from_staging(store, excluded, dest, target_dir, project_dir=project_dir, commands=commands)
    marts = load_warehouse(dest, copy=False).marts
    # the marts stay in the scratch file: it lives as long as any of them
    return {name: dataclasses.replace(t, owner=scratch) if isinstance(t, DuckTable) else t
            for name, t in marts.items()}
