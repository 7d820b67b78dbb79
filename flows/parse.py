"""Prefect flow ``parse``: stage every raw object not yet parsed under the current parser version.

Thin: the work is :mod:`xxgk.staging` (manifest → pending objects → batches of parse + validate + write). One task
run per batch of many reports (Prefect costs ~10 ms per task run). Tasks receive the lake *location*, not a store,
so they can run on Dask workers (``parse_reports.with_options(task_runner=DaskTaskRunner(...))``). Parsing is
deterministic and is never retried; listing the lake is retried (storage retries its own calls too).

:class:`~xxgk.staging.stage.IngestedBatches` lets a caller that runs ingest (the ``annual_run`` flow) parse the
objects it reports while it still runs.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from xxgk import PARSER_VERSION
from xxgk.staging import stage
from xxgk.staging.build import manifest_objects
from xxgk.staging.frames import RawObject
from xxgk.staging.stage import chunks, close_sandboxes, pending, stage_batch
from xxgk.storage import open_lake


def default_batch_size() -> int:
    """Reports per ``stage_batch`` task run: ``[run] batch_size`` / ``XXGK_BATCH_SIZE`` (default 1000). Each batch
    is validated and written as one set of staging files, so a batch of hundreds keeps both costs small."""
    from xxgk.settings import load_settings

    return load_settings().batch_size


@task(name="pending", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def pending_objects(lake: str | None, parser_version: str) -> list[RawObject]:
    store = open_lake(lake)
    return pending(store, manifest_objects(store), parser_version)


@task(name="parsed_shas", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def parsed_shas(lake: str | None, parser_version: str) -> set[str]:
    """The reports already staged (or quarantined) under ``parser_version``: those :func:`pending_objects` skips."""
    return stage.parsed_shas(open_lake(lake), parser_version)


@task(name="stage_batch", cache_policy=NO_CACHE)
def stage_batch_task(lake: str | None, objects: list[RawObject], parser_version: str) -> dict[str, object]:
    result = stage_batch(open_lake(lake), objects, parser_version)
    return {
        "n_reports": len(objects),
        "n_staged": result.n_staged,
        "n_quarantined": result.n_quarantined,
        "quarantined": [{"batch_id": b.batch_id, "reason": b.reason, "offending": b.offending}
                        for b in result.batches if b.quarantined],
    }


@flow(name="parse")
def parse_reports(lake: str | None = None, batch_size: int | None = None,
                  parser_version: str = PARSER_VERSION) -> dict[str, object]:
    """Parse new raw objects into staging Parquet; returns counts and the quarantined batches."""
    logger = get_run_logger()
    todo = pending_objects(lake, parser_version)
    futures = [stage_batch_task.submit(lake, batch, parser_version)
               for batch in chunks(todo, batch_size or default_batch_size())]
    try:
        results = [f.result() for f in futures]
    finally:
        close_sandboxes()
    summary: dict[str, object] = {
        "n_pending": len(todo),
        "n_batches": len(results),
        "n_staged": sum(int(r["n_staged"]) for r in results),  # type: ignore[call-overload]
        "n_quarantined": sum(int(r["n_quarantined"]) for r in results),  # type: ignore[call-overload]
        "quarantined": [q for r in results for q in r["quarantined"]],  # type: ignore[attr-defined]
    }
    logger.info("parse: %(n_pending)s pending, %(n_staged)s staged, %(n_quarantined)s quarantined", summary)
    return summary
