"""Prefect flow ``build``: the ``parse`` flow, then ``dbt build`` (and ``dbt docs generate``) for the lake.

Thin: dbt runs through :func:`xxgk.staging.build.run_dbt` (a subprocess with the lake's paths); a failed dbt
build fails the flow with dbt's last lines and keeps the previous warehouse.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.parse import parse_reports
from xxgk.staging.build import DEFAULT_BATCH_SIZE, dbt_paths, has_staging, run_dbt
from xxgk.storage import open_lake


@task(name="run_dbt", cache_policy=NO_CACHE)
def run_dbt_task(lake: str | None, work_dir: str | None, commands: list[tuple[str, ...]]) -> dict[str, object]:
    store = open_lake(lake)
    if not has_staging(store):
        raise RuntimeError(f"nothing is staged in {store.uri('staging')}; ingest reports first")
    result = run_dbt(dbt_paths(store, work_dir=work_dir), commands)
    if not result.ok:
        raise RuntimeError(f"dbt failed (exit {result.returncode}); the previous warehouse is kept:\n{result.tail()}")
    return {"warehouse": str(result.warehouse_path)}


@flow(name="build")
def build_marts(lake: str | None = None, work_dir: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                docs: bool = True) -> dict[str, object]:
    """Stage new reports and rebuild the warehouse; returns the parse summary and the warehouse path."""
    logger = get_run_logger()
    parsed = parse_reports(lake=lake, batch_size=batch_size)
    built = run_dbt_task(lake, work_dir, [("build",), ("docs", "generate")] if docs else [("build",)])
    logger.info("build: warehouse %s", built["warehouse"])
    return {"parse": parsed, **built}
