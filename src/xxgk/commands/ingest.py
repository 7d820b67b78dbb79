"""``xxgk ingest SOURCE... [--lake DIR|s3://bucket/prefix]``: store report bytes in the raw zone (no Prefect).

Exit status: 0 when every entry was ingested, 2 when the run finished but some entries failed (listed, and in the
manifest), 1 when the lake itself could not be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xxgk.ingest import FetchOptions, IngestOptions, ingest
from xxgk.ingest.manifest import ManifestRow
from xxgk.storage import StorageError, lake_spec, open_lake


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest", help="store report files, URLs (CSV lists) and S3 objects in the raw zone",
        description="SOURCE is a file, a folder, a glob, an http(s) URL, a CSV with a 'url' column (optional "
                    "'agency', 'year') or s3://bucket/prefix. Identical bytes are stored once.")
    parser.add_argument("sources", nargs="+", metavar="SOURCE")
    parser.add_argument("--lake", help="folder or s3://bucket/prefix (default: $XXGK_LAKE, else ./lake)")
    defaults = FetchOptions()
    parser.add_argument("--no-attachments", action="store_true", help="do not follow links to PDF/DOC/XLS files")
    parser.add_argument("--timeout", type=float, default=defaults.read_timeout, help="read timeout, seconds")
    parser.add_argument("--total-timeout", type=float, default=defaults.total_timeout,
                        help="deadline for one download, seconds")
    parser.add_argument("--max-mb", type=float, default=defaults.max_bytes / 2**20, help="size cap per object, MiB")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="requests in flight")
    parser.add_argument("--per-host", type=int, default=defaults.per_host_concurrency,
                        help="requests in flight per host")
    parser.add_argument("--interval", type=float, default=defaults.per_host_interval,
                        help="seconds between requests to one host")
    parser.add_argument("--attempts", type=int, default=defaults.attempts, help="tries per URL (5xx, timeouts)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> IngestOptions:
    fetch = replace(FetchOptions(), read_timeout=args.timeout, total_timeout=args.total_timeout,
                    max_bytes=int(args.max_mb * 2**20), concurrency=args.concurrency,
                    per_host_concurrency=args.per_host, per_host_interval=args.interval, attempts=args.attempts)
    return IngestOptions(fetch=fetch, follow_attachments=not args.no_attachments)


def run(args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    try:
        store = open_lake(args.lake)
    except ValueError as exc:
        sys.stderr.write(f"xxgk ingest: {exc}\n")
        return 1
    options = options_from_args(args)
    progress = Progress(TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                        TimeElapsedColumn(), console=err, disable=args.no_progress or not err.is_terminal,
                        transient=True)
    task = progress.add_task("", total=0)

    def planned(n: int) -> None:
        progress.update(task, total=(progress.tasks[0].total or 0) + n)

    def done(row: ManifestRow) -> None:
        progress.update(task, advance=1, description=f"{row.status}: {row.source[-60:]}")

    try:
        with progress:
            result = ingest(args.sources, store, options=options, on_planned=planned, on_row=done)
    except StorageError as exc:
        sys.stderr.write(f"xxgk ingest: the lake {lake_spec(args.lake)} cannot be written: {exc}\n")
        return 1
    summary = result.summary
    if args.json:
        sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(summary.lines()) + "\n")
    return 2 if summary.counts["failed"] else 0
