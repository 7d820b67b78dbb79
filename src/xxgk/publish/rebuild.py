"""Rebuild the marts without the quarantined reports: dbt over a filtered copy of staging, in a scratch folder.

Roll-ups (``region_year``, ``agency_panel``) are sums over agency-years, so a quarantined report cannot simply be
filtered out of them afterwards; building the marts again from staging without it keeps every published number
consistent. The lake's own warehouse is not touched.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from xxgk.storage.base import ObjectStore

logger = logging.getLogger(__name__)

STAGING_PREFIX = "staging/"


def copy_staging_without(store: ObjectStore, excluded: set[str], target: Path) -> int:
    """Copy every staging Parquet file to ``target/staging/…`` without the rows of ``excluded`` reports."""
    n = 0
    for key in store.list_keys(STAGING_PREFIX):
        if not key.endswith(".parquet") or "/_" in key:
            continue
        table = pq.read_table(io.BytesIO(store.get_bytes(key)))
        if "source_sha256" in table.column_names and excluded:
            df = table.to_pandas()
            keep = ~df["source_sha256"].isin(excluded)
            table = table.filter(pa.array(keep.to_numpy(dtype=bool)))  # keeps the typed schema, even when empty
        path = target / key
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        n += 1
    return n


def rebuild_with_dbt(store: ObjectStore, excluded: set[str], *, project_dir: Path | None = None,
                     commands: tuple[tuple[str, ...], ...] = (("run",),)) -> dict[str, pd.DataFrame]:
    """The marts dbt builds from staging minus ``excluded``; raises RuntimeError when dbt fails."""
    from xxgk.publish.pipeline import load_warehouse
    from xxgk.staging.build import DbtPaths, default_project_dir, run_dbt

    with tempfile.TemporaryDirectory(prefix="xxgk-publish-build-") as tmp:
        root = Path(tmp)
        n = copy_staging_without(store, excluded, root)
        paths = DbtPaths(project_dir or default_project_dir(), str(root / "staging"),
                         root / "warehouse" / "xxgk.duckdb",
                         "local")
        logger.info("rebuilding the marts without %d reports (%d staging files)", len(excluded), n)
        result = run_dbt(paths, commands)
        if not result.ok:
            raise RuntimeError(f"dbt failed while rebuilding the published marts (exit {result.returncode}):\n"
                               f"{result.tail()}")
        return load_warehouse(result.warehouse_path).marts
