"""Prefect flows ``annual_run`` and ``backfill``: sources → raw zone → staging → marts → quality gate → release.

The parent flow of the project's main job. It composes the other flows' tasks and flows and adds no parsing or
publishing logic of its own:

1. **ingest** — :func:`xxgk.ingest.ingest` in one task run (as ``flows/ingest.py``, whose retry rule it shares);
2. **repair** — staging batches a killed run left half written are removed, so their reports are parsed again;
3. **parse** — ``flows/parse.py``'s ``stage_batch`` task, one task run per batch, submitted to the flow's task
   runner (threads by default; ``annual_run.with_options(task_runner=DaskTaskRunner(...))`` spreads the batches
   over a Dask cluster). Only (sha256, parser_version) pairs not yet staged are parsed. Parsing starts while
   ingest runs: full batches of the objects it reports go to the runner as they fill, at most one fewer at a time
   than there are workers (ingest keeps one), and when ingest ends every pending object not yet submitted
   follows, so the end state is that of a parse stage run after ingest (:class:`_ParseStage`);
4. **build** — ``flows/build.py``'s ``run_dbt`` task (dbt build + docs);
5. **publish** — the ``validate_and_publish`` flow (Great Expectations gate, atomic release, alerts).

An unchanged re-run (no new bytes, nothing new staged, the release of the previous run still current) skips
build and publish: it lists the lake and stops. Each run leaves a small JSON record under ``runs/annual_run/``.

Progress: a caller in the same process (the ``xxgk run`` command) may register a listener with
:func:`add_progress_listener`; it receives ``(stage, event, info)`` calls while the flow runs. Ingest and parse
overlap: parse ``start``s with its first batch (often while ingest runs), its total grows with ``more`` as batches
are submitted, and it is ``done`` when its last batch is; so each stage's time runs from its first work to its end,
and ingest's and parse's times overlap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import queue
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import copy_context
from dataclasses import replace
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed

from flows.build import run_dbt_task
from flows.ingest import is_transient_failure
from flows.parse import default_batch_size, parsed_shas, pending_objects, stage_batch_task
from flows.publish import import_gate_in_background, validate_and_publish
from xxgk import PARSER_VERSION
from xxgk.ingest import (
    ManifestRow,
    expand_sources,
    ingest,
    ingest_entries,
    new_run_id,
    previous_versions,
    summarize,
    write_manifest,
)
from xxgk.publish import read_current
from xxgk.staging.build import prestart_dbt
from xxgk.staging.frames import RawObject
from xxgk.staging.stage import IngestedBatches, chunks, close_sandboxes, prestart_sandboxes
from xxgk.staging.write import QUARANTINE_PREFIX, STAGING_PREFIX
from xxgk.storage import ObjectStore, open_lake

RUNS_PREFIX = "runs/annual_run"
STAGES = ("ingest", "parse", "build", "publish")

ProgressListener = Callable[[str, str, dict[str, Any]], None]
_listeners: list[ProgressListener] = []


def add_progress_listener(listener: ProgressListener) -> None:
    _listeners.append(listener)


def remove_progress_listener(listener: ProgressListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


@contextmanager
def progress_listener(listener: ProgressListener) -> Iterator[None]:
    add_progress_listener(listener)
    try:
        yield
    finally:
        remove_progress_listener(listener)


def _emit(stage: str, event: str, **info: Any) -> None:
    """``event``: ``start`` (info: total), ``more`` (info: n, added to the total), ``advance`` (info: n),
    ``done`` (info: summary)."""
    for listener in list(_listeners):
        try:
            listener(stage, event, info)
        except Exception:  # noqa: BLE001 - a display problem never stops the run
            pass


class _Advance:
    """``advance`` events of a stage, at most a few per second (an entry costs microseconds when unchanged)."""

    def __init__(self, stage: str, interval: float = 0.2) -> None:
        self.stage, self.interval = stage, interval
        self.pending, self.last = 0, time.monotonic()
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.pending += n
            if time.monotonic() - self.last < self.interval:
                return
            n, self.pending, self.last = self.pending, 0, time.monotonic()
        _emit(self.stage, "advance", n=n)

    def flush(self) -> None:
        with self.lock:
            n, self.pending = self.pending, 0
        if n:
            _emit(self.stage, "advance", n=n)


# --- staging fingerprint and half-written batches (small helpers over the staging layout) ---------------------

_PART = re.compile(r"^staging/(?P<table>[^/_][^/]*)/(?P<partition>[^/]+)/part-(?P<bid>[0-9a-f]+)\.parquet$")


def staging_parts(store: ObjectStore) -> dict[str, dict[str, set[str]]]:
    """batch id → table → partitions, from the keys under ``staging/``."""
    out: dict[str, dict[str, set[str]]] = {}
    for key in store.list_keys(f"{STAGING_PREFIX}/"):
        m = _PART.match(key)
        if m:
            out.setdefault(m["bid"], {}).setdefault(m["table"], set()).add(m["partition"])
    return out


def incomplete_batches(parts: dict[str, dict[str, set[str]]], tables: tuple[str, ...]) -> list[str]:
    """Batches whose files are not all there: a run killed between two of a batch's writes. Every complete batch
    writes every table in every partition of its reports (see :mod:`xxgk.staging.write`)."""
    bad = []
    for bid, by_table in parts.items():
        partitions = by_table.get("reports", set())
        if any(by_table.get(t, set()) != partitions for t in tables):
            bad.append(bid)
    return sorted(bad)


def staging_fingerprint(store: ObjectStore) -> str:
    """A hash of the staging keys (batch ids carry the parser version and the report hashes)."""
    h = hashlib.sha256()
    for key in sorted(store.list_keys(f"{STAGING_PREFIX}/")):
        if key.startswith(f"{QUARANTINE_PREFIX}/") or _PART.match(key):
            h.update(key.encode() + b"\n")
    return h.hexdigest()


def quarantine_reasons(store: ObjectStore, release_id: str | None) -> dict[str, int]:
    """Quarantined reports of a release, counted by blocking rule."""
    if not release_id:
        return {}
    key = f"releases/{release_id}/marts/quarantine.parquet"
    if not store.exists(key):
        return {}
    import pandas as pd

    frame = pd.read_parquet(io.BytesIO(store.get_bytes(key)), columns=["rules"])
    counts: Counter[str] = Counter()
    for rules in frame["rules"].dropna():
        for rule in re.split(r"[,;\s]+", str(rules)):
            if rule:
                counts[rule] += 1
    return dict(counts.most_common())


def last_run(store: ObjectStore) -> dict[str, Any] | None:
    key = f"{RUNS_PREFIX}/last.json"
    return json.loads(store.get_bytes(key)) if store.exists(key) else None


def record_run(store: ObjectStore, summary: dict[str, Any]) -> str:
    data = json.dumps(summary, ensure_ascii=False, indent=1, default=str).encode()
    key = f"{RUNS_PREFIX}/{summary['run_id']}.json"
    store.put_bytes(key, data, content_type="application/json")
    store.put_bytes(f"{RUNS_PREFIX}/last.json", data, content_type="application/json")
    return key


@contextmanager
def quiet_forked_children() -> Iterator[None]:
    """Processes forked while the flow runs (the staging parser sandbox) inherit Prefect's SIGTERM handler, which
    raises in the child and prints a traceback when the sandbox is terminated. In a forked child, SIGTERM now just
    ends the child; in this process the previous handler runs as before."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    parent = os.getpid()
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != parent:
            os._exit(128 + signum)
        if callable(previous):
            previous(signum, frame)
        else:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(parent, signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def make_task_runner(kind: str | None = None, workers: int | None = None, address: str | None = None) -> Any:
    """The task runner for parsing: ``threads`` (one machine) or ``dask`` (``address`` of a running scheduler, or a
    LocalCluster of ``workers`` processes started for the run). Unset arguments come from :mod:`xxgk.settings`
    (``XXGK_TASK_RUNNER``, ``XXGK_WORKERS``, ``XXGK_DASK_ADDRESS`` or ``[runner]`` in xxgk.toml)."""
    from xxgk.settings import load_settings

    settings = load_settings()
    kind = (kind or settings.task_runner).lower()
    workers = workers or settings.workers or os.cpu_count() or 1
    address = address or settings.dask_address
    if kind == "dask" or address:
        from prefect_dask import DaskTaskRunner

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                              cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    if kind != "threads":
        raise ValueError(f"unknown task runner {kind!r}: use threads or dask")
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers)


def prestart_parsing(task_runner: Any) -> None:
    """Before the flow starts: with the threads runner, the parser processes for the first batches start now (their
    imports take a core for 1–2 s), e.g. while ``xxgk run`` waits for Prefect's server to answer."""
    from prefect.task_runners import ThreadPoolTaskRunner

    if isinstance(task_runner, ThreadPoolTaskRunner):
        prestart_sandboxes(_parse_slots_while_ingesting())


def _default_task_runner() -> Any:
    try:
        return make_task_runner()
    except Exception:  # noqa: BLE001 - a bad setting must not break importing the flows; `xxgk run` reports it
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)


# --- tasks ---------------------------------------------------------------------------------------------------

@task(name="repair_staging", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def repair_staging_task(lake: str | None) -> list[str]:
    """Delete the files of half-written staging batches so their reports count as pending again."""
    from xxgk.schema.tables import TABLE_SPECS

    store = open_lake(lake)
    parts = staging_parts(store)
    bad = incomplete_batches(parts, tuple(TABLE_SPECS))
    for bid in bad:
        for table, partitions in parts[bid].items():
            for partition in partitions:
                store.delete(f"{STAGING_PREFIX}/{table}/{partition}/part-{bid}.parquet")
    return bad


@task(name="staging_state", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def staging_state_task(lake: str | None) -> dict[str, Any]:
    store = open_lake(lake)
    return {"fingerprint": staging_fingerprint(store), "current": read_current(store), "last": last_run(store)}


@task(name="record_run", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def record_run_task(lake: str | None, summary: dict[str, Any]) -> str:
    store = open_lake(lake)
    summary = {**summary, "reasons": summary.get("reasons") or {}}
    return store.uri(record_run(store, summary))


@task(name="quarantine_reasons", cache_policy=NO_CACHE)
def quarantine_reasons_task(lake: str | None, release_id: str | None) -> dict[str, int]:
    return quarantine_reasons(open_lake(lake), release_id)


# --- stages --------------------------------------------------------------------------------------------------

@task(name="ingest", retries=2, retry_delay_seconds=[1, 10], retry_condition_fn=is_transient_failure,
      cache_policy=NO_CACHE)
def ingest_task(lake: str | None, sources: list[str], year: int | None,
                on_row: Callable[[ManifestRow], None] | None = None) -> dict[str, Any]:
    """Ingest every source in one task run (per-entry progress; the previous versions are read once, not passed
    to each of many task runs, which costs Prefect a walk over every parameter). ``on_row`` receives each manifest
    row as its entry is done (from any thread; again for each entry of a retry)."""
    store = open_lake(lake)
    progress = _Advance("ingest")

    def planned(n: int) -> None:
        _emit("ingest", "more", n=n)

    def done(row: ManifestRow) -> None:
        progress.add(1)
        if on_row is not None:
            on_row(row)

    try:
        if year is None:
            return ingest(sources, store, on_planned=planned, on_row=done).summary.to_dict()
        run_id = new_run_id()
        entries = [e if e.year_hint is not None else replace(e, year_hint=year) for e in expand_sources(sources)]
        planned(len(entries))
        rows = ingest_entries(entries, store, run_id=run_id, previous=previous_versions(store), on_row=done,
                              on_more=planned)
        key = write_manifest(store, run_id, rows) if rows else None
        return summarize(rows, run_id, key).to_dict()
    finally:
        progress.flush()


def _ingest(sources: list[str], lake: str | None, year: int | None,
            on_row: Callable[[ManifestRow], None]) -> dict[str, Any]:
    _emit("ingest", "start", total=0)
    summary = ingest_task(lake, sources, year, on_row)
    _emit("ingest", "done", summary=summary)
    return summary


def _parse_slots_while_ingesting() -> int:
    """Parse batches run at once while ingest runs: one fewer than the workers (ingest keeps one core busy)."""
    from xxgk.settings import load_settings

    try:
        workers = load_settings().workers
    except Exception:  # noqa: BLE001 - the settings were checked when the task runner was made
        workers = None
    return max(1, (workers or os.cpu_count() or 1) - 1)


_FINISHED, _END = object(), object()  # a batch finished; ingest ended (in the feeder's inbox, with the rows)


class _ParseStage:
    """The parse stage, fed by ingest while it runs.

    A feeder thread repairs half-written staging batches, reads which reports are already parsed, then takes the
    manifest rows ingest reports (:meth:`on_row`) and submits each full batch of new objects to the task runner,
    at most ``slots`` batches at a time. :meth:`finish` (after ingest) stops the feeder, submits every pending
    object (:func:`pending_objects`) not yet submitted, and collects the results."""

    def __init__(self, lake: str | None, batch_size: int, parser_version: str, slots: int) -> None:
        self.lake, self.batch_size, self.parser_version, self.slots = lake, batch_size, parser_version, slots
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.futures: dict[PrefectFuture[dict[str, Any]], int] = {}
        self.batches: IngestedBatches | None = None
        self.repaired: list[str] = []
        self.n_while_ingesting = 0
        self.started = False
        self.error: BaseException | None = None
        self.feeder = threading.Thread(target=copy_context().run, args=(self._feed,), name="xxgk-parse-feeder",
                                       daemon=True)  # the copied context holds the flow run (for Prefect)
        self.feeder.start()

    def on_row(self, row: ManifestRow) -> None:
        self.inbox.put(row)

    def _feed(self) -> None:
        try:
            self.repaired = repair_staging_task(self.lake)  # before any batch is staged
            batches = self.batches = IngestedBatches(parsed_shas(self.lake, self.parser_version), self.batch_size)
            running = 0
            while (item := self.inbox.get()) is not _END:
                if item is _FINISHED:
                    running -= 1
                else:
                    batches.add(item)
                while running < self.slots and (batch := batches.take()) is not None:
                    self._submit(batch)
                    self.n_while_ingesting += len(batch)
                    running += 1
        except BaseException as exc:  # noqa: BLE001 - raised in the flow by finish()
            self.error = exc

    def _submit(self, batch: list[RawObject]) -> None:
        if not self.started:
            self.started = True
            _emit("parse", "start", total=0)
        _emit("parse", "more", n=len(batch))
        future = stage_batch_task.submit(self.lake, batch, self.parser_version)
        self.futures[future] = len(batch)

        def finished(_: Any, n: int = len(batch)) -> None:
            _emit("parse", "advance", n=n)
            self.inbox.put(_FINISHED)

        future.add_done_callback(finished)

    def stop_feeding(self) -> None:
        """End the feeder: no batch is submitted after this returns."""
        if self.feeder.is_alive():
            self.inbox.put(_END)
            self.feeder.join()

    def finish(self) -> dict[str, Any]:
        self.stop_feeding()
        if self.error is not None:
            raise self.error
        assert self.batches is not None
        rest = self.batches.rest(pending_objects(self.lake, self.parser_version))
        for batch in chunks(rest, self.batch_size):
            self._submit(batch)
        if not self.started:
            self.started = True
            _emit("parse", "start", total=0)
        futures, results = list(self.futures), []
        for future in as_completed(futures):
            if len(futures) - len(results) - 1 <= self.slots:  # batches still running, this one done
                prestart_dbt()  # a core is free: the build's dbt imports itself beside the last batches
            results.append(future.result())
        summary = {
            "n_pending": sum(self.futures.values()), "n_while_ingesting": self.n_while_ingesting,
            "n_batches": len(results), "repaired_batches": self.repaired,
            "n_staged": sum(int(r["n_staged"]) for r in results),
            "n_quarantined": sum(int(r["n_quarantined"]) for r in results),
            "quarantined": [q for r in results for q in r["quarantined"]],
        }
        _emit("parse", "done", summary=summary)
        return summary


def _ingest_and_parse(sources: list[str], lake: str | None, year: int | None, batch_size: int,
                      parser_version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ingest, and parse what it stores while it runs (:class:`_ParseStage`)."""
    parse = _ParseStage(lake, batch_size, parser_version, _parse_slots_while_ingesting())
    try:
        ingested = _ingest(sources, lake, year, parse.on_row) if sources else {}
        return ingested, parse.finish()
    finally:
        parse.stop_feeding()  # ingest failed: submit nothing more
        close_sandboxes(stop_server=True)  # the parser processes are not needed by build and publish


@flow(name="annual_run", task_runner=_default_task_runner())
def annual_run(sources: list[str], lake: str | None = None, year: int | None = None,
               batch_size: int | None = None,
               work_dir: str | None = None, release_id: str | None = None, max_year: int | None = None,
               docs: bool = True, force: bool = False) -> dict[str, Any]:
    """Ingest ``sources`` into ``lake``, parse what is new, build the marts, gate and publish a release.

    ``year``: the report year collected (a hint for sources that name none; never narrows which years are
    plausible). ``max_year``: latest plausible report year for the gate (default: this year). ``force``: build
    and publish even when nothing changed since the last run's release.
    Returns the run summary (also written to ``runs/annual_run/<run_id>.json`` in the lake).
    """
    logger = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    summary: dict[str, Any] = {"run_id": run_id, "lake": lake, "year": year, "sources": sources,
                               "parser_version": PARSER_VERSION, "started_at": started.isoformat()}
    with quiet_forked_children():
        summary["ingest"], summary["parse"] = _ingest_and_parse(sources, lake, year,
                                                                batch_size or default_batch_size(), PARSER_VERSION)
    state = staging_state_task(lake)
    last = state["last"] or {}
    unchanged = (not force and state["current"] is not None and last.get("release_id") == state["current"]
                 and last.get("staging_fingerprint") == state["fingerprint"])
    summary["staging_fingerprint"] = state["fingerprint"]
    if unchanged:
        logger.info("nothing new since run %s: release %s stays current", last.get("run_id"), state["current"])
        for stage in ("build", "publish"):
            _emit(stage, "start", total=1)
            _emit(stage, "done", summary={"skipped": True})
        summary.update(build={"skipped": True}, unchanged=True,
                       publish={k: last.get("publish", {}).get(k) for k in
                                ("release_id", "reports_checked", "reports_quarantined", "reports_warned",
                                 "quality_report")},
                       release_id=state["current"], reasons=last.get("reasons") or {})
    else:
        _emit("build", "start", total=1)
        # The run process waits while dbt builds (1.2 of 2 cores): Great Expectations imports itself meanwhile,
        # not beside the publication's first steps.
        import_gate_in_background()
        summary["build"] = run_dbt_task(lake, work_dir, [("build",), ("docs", "generate")] if docs else [("build",)])
        _emit("build", "advance", n=1)
        _emit("build", "done", summary=summary["build"])
        _emit("publish", "start", total=1)
        published = validate_and_publish(lake=lake, work_dir=work_dir, release_id=release_id,
                                         max_year=max_year or (year if year and year > started.year else None))
        _emit("publish", "advance", n=1)
        summary.update(publish=published, release_id=published["release_id"], unchanged=False,
                       reasons=quarantine_reasons_task(lake, published["release_id"]))
        _emit("publish", "done", summary=published)
    summary["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    summary["record"] = record_run_task(lake, summary)
    logger.info("annual run %s: release %s", run_id, summary["release_id"])
    return summary


@flow(name="backfill")
def backfill(start_year: int, end_year: int, sources: list[str] | None = None, lake: str | None = None,
             source_template: str | None = None, batch_size: int | None = None,
             work_dir: str | None = None) -> list[dict[str, Any]]:
    """Run :func:`annual_run` once per report year from ``start_year`` to ``end_year`` (inclusive, oldest first).

    Each year ingests ``sources`` plus ``source_template`` formatted with the year (e.g.
    ``s3://xxgk-sources/{year}/``). Reports of every year land in the same lake; the last year's run publishes
    the release that holds them all (earlier years publish intermediate releases, kept as history).
    """
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    out = []
    for year in range(start_year, end_year + 1):
        year_sources = list(sources or [])
        if source_template:
            year_sources.append(source_template.format(year=year))
        out.append(annual_run(sources=year_sources, lake=lake, year=year, batch_size=batch_size,
                              work_dir=work_dir))
    return out


__all__ = ["STAGES", "add_progress_listener", "annual_run", "backfill", "incomplete_batches", "make_task_runner",
           "progress_listener", "remove_progress_listener", "staging_fingerprint"]
