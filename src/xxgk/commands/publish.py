"""``xxgk publish [--lake DIR|s3://bucket/prefix]``: run the quality gate and publish a release.

Loads the staging tables and the warehouse ``xxgk build`` wrote, runs the Great Expectations ``publication_gate``
checkpoint (from the repository's ``expectations/``), rebuilds the marts without quarantined reports, writes
``releases/<release_id>/`` completely and then switches ``releases/CURRENT``. Alerts go to the channels configured
in ``XXGK_ALERT_*`` (see ``xxgk.alerts.config``).

Exit status: 0 published, no report quarantined; 2 published, some reports quarantined; 3 another run holds the
publication lock; 1 the run failed (the previous release stays current).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from xxgk.storage import StorageError, lake_spec, open_lake

REPO_ROOT = Path(__file__).resolve().parents[3]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish", help="run the quality gate and publish an atomic, versioned release of the marts",
        description="Great Expectations decides what is published: reports failing a blocking rule are "
                    "quarantined with their reasons; the release (Parquet, CSV, DuckDB, data dictionary, Data "
                    "Docs, revisions, quality report) is written completely before releases/CURRENT moves.")
    parser.add_argument("--lake", help="folder or s3://bucket/prefix (default: $XXGK_LAKE, else ./lake)")
    parser.add_argument("--warehouse", help="the DuckDB warehouse of `xxgk build` (default: the lake's)")
    parser.add_argument("--work-dir", help="where `xxgk build` put the warehouse for an S3 lake")
    parser.add_argument("--release-id", help="id of the new release (default: UTC time + random suffix)")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="filter quarantined rows out of the marts instead of rebuilding them with dbt")
    parser.add_argument("--no-ge", action="store_true", help="decide with the rule engine instead of GX")
    parser.add_argument("--break-lock", action="store_true", help="take over a publication lock left by a crash")
    parser.add_argument("--max-year", type=int, help="latest plausible report year (default: this year)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(func=run)


def _ge_gate(thresholds: Any) -> Any:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("expectations.gate").make_gate(thresholds)


def run(args: argparse.Namespace) -> int:
    # heavy imports (pandas, DuckDB, GX) only when the command runs, so `xxgk --help` stays fast
    from xxgk.publish.lock import PublishLocked
    from xxgk.publish.pipeline import library_gate, load_staging, load_warehouse, publish
    from xxgk.publish.rebuild import rebuild_with_dbt
    from xxgk.quality.checks import CheckThresholds
    from xxgk.staging.build import dbt_paths, default_project_dir, has_staging, prestart_dbt

    try:
        store = open_lake(args.lake)
    except ValueError as exc:
        print(f"xxgk publish: {exc}", file=sys.stderr)
        return 1
    thresholds = CheckThresholds(max_year=args.max_year) if args.max_year else CheckThresholds()
    try:
        if not has_staging(store):
            print(f"xxgk publish: nothing is staged in {store.uri('staging')}; run `xxgk build` first",
                  file=sys.stderr)
            return 1
        if not args.no_rebuild:
            prestart_dbt()  # the rebuild's dbt imports itself while staging is loaded and checked
        wh_path = Path(args.warehouse) if args.warehouse else dbt_paths(store, work_dir=args.work_dir).warehouse_path
        warehouse = (load_warehouse(wh_path, models_dir=default_project_dir() / "models" / "marts", copy=False)
                     if wh_path.exists() else None)
        if warehouse is None:
            print(f"xxgk publish: no warehouse at {wh_path}; publishing the quality results only "
                  "(run `xxgk build` to publish the marts)", file=sys.stderr)
        outcome = publish(
            store, staging=lambda: load_staging(store), warehouse=warehouse,
            gate=library_gate if args.no_ge else _ge_gate(thresholds),
            rebuild=None if args.no_rebuild else (lambda excluded: rebuild_with_dbt(store, excluded)),
            release_id=args.release_id, thresholds=thresholds, break_lock=args.break_lock)
    except PublishLocked as exc:
        print(f"xxgk publish: {exc}", file=sys.stderr)
        return 3
    except StorageError as exc:
        print(f"xxgk publish: the lake {lake_spec(args.lake)} cannot be read or written: {exc}; the previous "
              "release stays current", file=sys.stderr)
        return 1
    summary = {"lake": lake_spec(args.lake), "release_id": outcome.release_id,
               "previous_release": outcome.previous_release, "gate": outcome.gate_engine,
               "reports_checked": outcome.reports_checked, "reports_quarantined": outcome.reports_quarantined,
               "reports_warned": outcome.reports_warned, "quality_report": outcome.report_uri}
    if args.json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 2 if outcome.reports_quarantined else 0
