"""Prefect flow ``ingest``: sources → raw zone (exact bytes under their SHA-256) + one manifest file per run.

Thin: the work is :mod:`xxgk.ingest`. Tasks receive the lake *location*, not a store. Only tasks that touch the
network or the bucket retry, and only on errors that can pass (storage, connection, timeouts); the store and the
fetcher already retry each call, so task retries cover a bucket or site that is away for longer. Batches run one
after another so the per-host politeness limits of the fetcher hold for the whole run.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from xxgk.ingest import (
    IngestOptions,
    ManifestRow,
    PreviousVersion,
    SourceEntry,
    expand_sources,
    ingest_entries,
    new_run_id,
    previous_versions,
    summarize,
    write_manifest,
)
from xxgk.storage import StorageError, open_lake

DEFAULT_BATCH_SIZE = 500


def is_transient_failure(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn``: retry storage and network trouble, not bugs or bad input."""
    try:
        state.result()
    except (StorageError, ConnectionError, TimeoutError, OSError):
        return True
    except Exception:
        return False
    return False


_RETRYING = {"retries": 2, "retry_delay_seconds": [1, 10], "retry_condition_fn": is_transient_failure,
             "cache_policy": NO_CACHE}


@task(name="expand_sources", **_RETRYING)
def expand_sources_task(sources: list[str]) -> list[SourceEntry]:
    return expand_sources(sources)


@task(name="previous_versions", **_RETRYING)
def previous_versions_task(lake: str | None) -> dict[str, PreviousVersion]:
    return previous_versions(open_lake(lake))


@task(name="ingest_entries", **_RETRYING)
def ingest_entries_task(lake: str | None, entries: list[SourceEntry], run_id: str,
                        previous: dict[str, PreviousVersion], options: IngestOptions | None,
                        claimed: list[str]) -> list[ManifestRow]:
    return ingest_entries(entries, open_lake(lake), run_id=run_id, previous=previous, options=options,
                          claimed=claimed)


@task(name="write_manifest", **_RETRYING)
def write_manifest_task(lake: str | None, run_id: str, rows: list[ManifestRow]) -> str:
    return write_manifest(open_lake(lake), run_id, rows)


@flow(name="ingest")
def ingest_reports(sources: list[str], lake: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                   options: IngestOptions | None = None) -> dict[str, Any]:
    """Ingest files, folders, globs, URLs, URL-list CSVs and ``s3://`` prefixes; returns the run summary."""
    logger = get_run_logger()
    run_id = new_run_id()
    entries = expand_sources_task(sources)
    previous = previous_versions_task(lake)
    rows: list[ManifestRow] = []
    for start in range(0, len(entries), max(1, batch_size)):
        batch = entries[start:start + batch_size]
        claimed = sorted({r.source for r in rows})
        rows.extend(ingest_entries_task(lake, batch, run_id, previous, options, claimed))
    key = write_manifest_task(lake, run_id, rows) if rows else None
    summary = summarize(rows, run_id, key)
    for line in summary.lines():
        logger.info("%s", line)
    return summary.to_dict()


ingest = ingest_reports

__all__ = ["ingest", "ingest_reports"]
