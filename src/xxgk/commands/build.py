"""``xxgk build [--lake DIR|s3://bucket/prefix]``: parse new raw objects into staging, then build the dbt marts.

No Prefect here (the flows in ``flows/parse.py`` and ``flows/build.py`` do the same under an orchestrator). The
warehouse DuckDB file is written to ``<lake>/warehouse/xxgk.duckdb`` for a local lake, or to ``--work-dir`` (default
``$XXGK_WORK_DIR``, else ``~/.cache/xxgk/<bucket>_<prefix>/``) for an S3 lake; it opens in any DuckDB client.

Exit status: 0 on success; 2 when the warehouse was built but some reports were quarantined; 1 when the lake
cannot be read, nothing is staged, or dbt failed (its last lines are printed).
"""

from __future__ import annotations

import argparse
import json
import sys

from xxgk.staging.build import DEFAULT_BATCH_SIZE, dbt_paths, has_staging, prestart_dbt, run_dbt, stage_lake
from xxgk.storage import StorageError, lake_spec, open_lake


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build", help="parse new raw objects into staging Parquet and build the dbt marts (DuckDB)",
        description="Parses every raw object not yet staged under the current parser version (batched), writes "
                    "pandera-validated staging Parquet, then runs `dbt build` (and `dbt docs generate`). One report "
                    "may take at most $XXGK_PARSE_TIMEOUT seconds to parse (default 120; 0: no limit).")
    parser.add_argument("--lake", help="folder or s3://bucket/prefix (default: $XXGK_LAKE, else ./lake)")
    parser.add_argument("--work-dir", help="where the warehouse DuckDB file and dbt artifacts go")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="reports per staging batch")
    parser.add_argument("--skip-parse", action="store_true", help="only run dbt over the existing staging")
    parser.add_argument("--skip-dbt", action="store_true", help="only parse into staging")
    parser.add_argument("--no-docs", action="store_true", help="do not run `dbt docs generate`")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        store = open_lake(args.lake)
    except ValueError as exc:
        print(f"xxgk build: {exc}", file=sys.stderr)
        return 1
    summary: dict[str, object] = {"lake": lake_spec(args.lake)}
    try:
        if not args.skip_dbt:
            prestart_dbt()  # dbt's import overlaps the parsing (one batch at a time here)
        if not args.skip_parse:
            staged = stage_lake(store, batch_size=args.batch_size)
            summary.update(parsed=staged.n_pending, staged=staged.n_staged, quarantined=staged.n_quarantined,
                           batches=len(staged.batches))
            for b in staged.batches:
                if b.quarantined:
                    print(f"xxgk build: batch {b.batch_id} quarantined: {b.reason}", file=sys.stderr)
        if not args.skip_dbt:
            if not has_staging(store):
                print(f"xxgk build: nothing is staged in {store.uri('staging')}; ingest reports first",
                      file=sys.stderr)
                return 1
            paths = dbt_paths(store, work_dir=args.work_dir)
            commands = [("build",)] if args.no_docs else [("build",), ("docs", "generate")]
            result = run_dbt(paths, commands)
            summary.update(dbt_ok=result.ok, warehouse=str(result.warehouse_path))
            if not result.ok:
                print(f"xxgk build: dbt failed (exit {result.returncode}); the previous warehouse is kept:\n"
                      f"{result.tail()}", file=sys.stderr)
                return 1
    except StorageError as exc:
        print(f"xxgk build: the lake {lake_spec(args.lake)} cannot be read or written: {exc}", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 2 if summary.get("quarantined") else 0
