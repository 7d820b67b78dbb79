"""Prefect flow ``validate_and_publish``: the quality gate (Great Expectations) and an atomic, versioned release.

Thin: each task wraps one library function (``xxgk.publish.pipeline``) or the ``publication_gate`` checkpoint in
``expectations/`` (imported in a background thread while the warehouse and staging are loaded and checked). A
failed run alerts the configured channels and fails the flow; quarantined reports alert too, but the release of
everything else is still published.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from xxgk.publish.pipeline import Gate, GateVerdict, Warehouse, load_staging, load_warehouse, publish
from xxgk.publish.rebuild import rebuild_with_dbt
from xxgk.quality.checks import CheckThresholds
from xxgk.staging.build import dbt_paths, default_project_dir, prestart_dbt
from xxgk.storage import open_lake


def import_gate_in_background() -> threading.Thread:
    """Start importing the Great Expectations gate (seconds of imports, ~150 MB) while other work goes on;
    :func:`lazy_gate` waits for it. A failed import is raised by :func:`lazy_gate`'s own import."""
    def load() -> None:
        try:
            import expectations.gate  # noqa: F401
        except Exception:  # noqa: BLE001 - raised again where the gate is used
            pass

    thread = threading.Thread(target=load, name="xxgk-import-gx", daemon=True)
    thread.start()
    return thread


def lazy_gate(thresholds: CheckThresholds) -> Gate:
    """The ``publication_gate`` checkpoint as a ``Gate``, imported when the gate first runs."""
    def gate(frame: pd.DataFrame, results: pd.DataFrame, run_id: str) -> GateVerdict:
        from expectations.gate import make_gate

        return make_gate(thresholds)(frame, results, run_id)
    return gate


@task(name="load_warehouse", cache_policy=NO_CACHE)
def load_warehouse_task(lake: str | None, warehouse: str | None, work_dir: str | None) -> Warehouse | None:
    path = Path(warehouse) if warehouse else dbt_paths(open_lake(lake), work_dir=work_dir).warehouse_path
    if not path.exists():
        return None
    return load_warehouse(path, models_dir=default_project_dir() / "models" / "marts", copy=False)


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(lake: str | None, warehouse: Warehouse | None, release_id: str | None, rebuild: bool,
                 break_lock: bool, max_year: int | None) -> dict[str, Any]:
    """The gate and the release. The staging frames are loaded inside (not passed in as a task result), so they are
    let go before the release is written (see :func:`xxgk.publish.pipeline.publish`)."""
    store = open_lake(lake)
    thresholds = CheckThresholds(max_year=max_year) if max_year else CheckThresholds()

    def staging() -> dict[str, pd.DataFrame]:
        frames = load_staging(store)
        if rebuild:  # the rebuild's dbt imports itself on the other core while the checks run on one
            prestart_dbt()
        return frames

    outcome = publish(
        store, staging=staging, warehouse=warehouse, gate=lazy_gate(thresholds),
        rebuild=(lambda excluded: rebuild_with_dbt(store, excluded)) if rebuild else None,
        release_id=release_id, thresholds=thresholds, break_lock=break_lock)
    return {
        "release_id": outcome.release_id, "previous_release": outcome.previous_release,
        "reports_checked": outcome.reports_checked, "reports_quarantined": outcome.reports_quarantined,
        "reports_warned": outcome.reports_warned, "quality_report": outcome.report_uri,
        "alerts": [d.channel for d in outcome.deliveries if d.delivered],
    }


@flow(name="validate_and_publish")
def validate_and_publish(lake: str | None = None, warehouse: str | None = None, work_dir: str | None = None,
                         release_id: str | None = None, rebuild: bool = True, break_lock: bool = False,
                         max_year: int | None = None) -> dict[str, Any]:
    """Gate the staged reports and publish a release of the marts; returns the release summary."""
    logger = get_run_logger()
    import_gate_in_background()  # at once unless the annual run started it during the build
    wh = load_warehouse_task(lake, warehouse, work_dir)
    summary = publish_task(lake, wh, release_id, rebuild, break_lock, max_year)
    logger.info("release %s: %d reports checked, %d quarantined, %d with warnings; %s", summary["release_id"],
                summary["reports_checked"], summary["reports_quarantined"], summary["reports_warned"],
                summary["quality_report"])
    return summary
