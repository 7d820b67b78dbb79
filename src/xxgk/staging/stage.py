"""Staging work: which raw objects still need parsing, parsing a batch, and writing it (validated) to staging.

A report is parsed again only for new bytes or a new parser version: the (sha256, parser_version) pairs already in
``staging/reports`` are skipped, and so are reports whose rows broke the schema under the current parser version
(listed in ``staging/_quarantine``). A batch that fails validation is quarantined whole; its innocent reports are
then staged again as a batch of their own, so one malformed report does not hold back its neighbours.
"""

from __future__ import annotations

import atexit
import datetime as dt
import io
import json
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import multiprocessing.process
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow.parquet as pq

from xxgk.ingest.manifest import ManifestRow, rows_to_table
from xxgk.parsing.model import ParsedReport
from xxgk.parsing.process import prepare_for_parsing
from xxgk.staging.frames import ParseOutcome, RawObject, frames_for
from xxgk.staging.write import QUARANTINE_PREFIX, STAGING_PREFIX, BatchResult, write_batch
from xxgk.storage.base import ObjectStore
from xxgk.storage.paths import raw_key

logger = logging.getLogger(__name__)

Parser = Callable[[bytes, str | None], ParsedReport]
PARSE_TIMEOUT_ENV = "XXGK_PARSE_TIMEOUT"
DEFAULT_PARSE_TIMEOUT = 120.0
SANDBOX_STARTUP_TIMEOUT = 120.0
_RAW_COLUMNS = {"sha256": ("sha256", "source_sha256"), "source": ("source",),
                "source_url": ("source_url", "final_url", "url"), "name": ("name", "filename", "source", "path"),
                "agency_hint": ("agency_hint",), "year_hint": ("year_hint",)}


def staged_pairs(store: ObjectStore) -> set[tuple[str, str]]:
    """(sha256, parser_version) of every report already in ``staging/reports``."""
    pairs: set[tuple[str, str]] = set()
    for key in store.list_keys(f"{STAGING_PREFIX}/reports/"):
        if not key.endswith(".parquet"):
            continue
        tbl = pq.read_table(io.BytesIO(store.get_bytes(key)), columns=["source_sha256", "parser_version"])
        pairs.update(zip(tbl.column(0).to_pylist(), tbl.column(1).to_pylist(), strict=True))
    return pairs


def quarantined_shas(store: ObjectStore, parser_version: str) -> set[str]:
    """Reports whose own rows broke the staging schema under ``parser_version``."""
    out: set[str] = set()
    for key in store.list_keys(f"{QUARANTINE_PREFIX}/"):
        if not key.endswith(".json"):
            continue
        rec = json.loads(store.get_bytes(key))
        if rec.get("parser_version") == parser_version:
            out.update(r["source_sha256"] for r in rec.get("reports", []) if r.get("is_offending"))
    return out


def raw_objects(manifest: pd.DataFrame) -> list[RawObject]:
    """One :class:`RawObject` per distinct sha256 in a manifest DataFrame (first row wins)."""
    cols = {k: next((c for c in names if c in manifest.columns), None) for k, names in _RAW_COLUMNS.items()}
    if cols["sha256"] is None:
        raise ValueError("the manifest has no sha256 column")
    seen: dict[str, RawObject] = {}
    for rec in manifest.to_dict("records"):
        sha = str(rec[cols["sha256"]])
        if sha in seen:
            continue

        def get(k: str, rec: dict = rec) -> str | None:
            v = rec.get(cols[k]) if cols[k] else None
            return None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else str(v)

        year = get("year_hint")
        seen[sha] = RawObject(sha, name=get("name"), source=get("source"), source_url=get("source_url"),
                              agency_hint=get("agency_hint"), year_hint=int(float(year)) if year else None)
    return list(seen.values())


def parsed_shas(store: ObjectStore, parser_version: str) -> set[str]:
    """The reports already staged (or quarantined) under ``parser_version``."""
    return {s for s, v in staged_pairs(store) if v == parser_version} | quarantined_shas(store, parser_version)


def pending(store: ObjectStore, objects: Iterable[RawObject], parser_version: str) -> list[RawObject]:
    """The objects that have not been staged (or quarantined) under ``parser_version``."""
    done = parsed_shas(store, parser_version)
    return [o for o in objects if o.sha256 not in done]


class IngestedBatches:
    """Full batches of the objects an ingest run reports (manifest rows, in any order, possibly twice), to parse
    while it still runs: each sha256 once, none of a failed row, none in ``done`` (:func:`parsed_shas`). An object
    comes out as :func:`raw_objects` makes it from the manifest (its hints and name), so it is parsed as it would be
    after ingest. What is left when ingest ends (a part batch, or batches not taken) goes with the rest of the
    pending objects: :meth:`rest`."""

    def __init__(self, done: Iterable[str], batch_size: int) -> None:
        self.size = max(1, batch_size)
        self.seen = set(done)  # done, waiting or taken
        self.taken: set[str] = set()
        self.waiting: list[ManifestRow] = []

    def add(self, row: ManifestRow) -> None:
        if row.status == "failed" or not row.sha256 or row.sha256 in self.seen:
            return
        self.seen.add(row.sha256)
        self.waiting.append(row)

    def take(self) -> list[RawObject] | None:
        """The next full batch, or None."""
        if len(self.waiting) < self.size:
            return None
        rows, self.waiting = self.waiting[:self.size], self.waiting[self.size:]
        self.taken.update(r.sha256 for r in rows if r.sha256)
        return raw_objects(rows_to_table(rows).to_pandas())

    def rest(self, pending: Iterable[RawObject]) -> list[RawObject]:
        """The ``pending`` objects (after ingest) not yet taken."""
        return [o for o in pending if o.sha256 not in self.taken]


def chunks(items: Sequence[RawObject], size: int) -> Iterator[list[RawObject]]:
    for i in range(0, len(items), max(1, size)):
        yield list(items[i:i + size])


def _default_parser() -> Parser:
    from xxgk.parsing.report import parse_bytes

    return parse_bytes


def parse_time_limit() -> float | None:
    """Seconds one report may take to parse (``$XXGK_PARSE_TIMEOUT``, default 120; 0 or less: no limit)."""
    raw = os.environ.get(PARSE_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_PARSE_TIMEOUT
    except ValueError:
        logger.warning("ignoring %s=%r: not a number", PARSE_TIMEOUT_ENV, raw)
        value = DEFAULT_PARSE_TIMEOUT
    return value if value > 0 else None


def _sandbox_context(job: object) -> multiprocessing.context.BaseContext:
    """forkserver when the job pickles (a clean child, safe when the caller runs threads, e.g. Prefect's task
    runner; the server preloads the parser and staging modules once); plain fork for anything else (closures in
    tests); spawn where neither exists."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        try:
            pickle.dumps(job)
        except Exception:  # noqa: BLE001 - not importable by reference: fork instead
            pass
        else:
            return _forkserver_context()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _forkserver_context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["xxgk.parsing.report", "xxgk.staging.stage", "pandera.pandas"])
    return ctx


def prestart_sandboxes(n: int) -> None:
    """Start ``n`` idle sandbox processes now, so the first batches find them ready: their forkserver imports the
    parser, pandas and pandera (1–2 s of one core) while the caller waits for something else (``xxgk run``: for
    the orchestrator's server). Does nothing where there is no forkserver; :func:`close_sandboxes` ends them."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    ctx = _forkserver_context()
    started = [_Sandbox(ctx) for _ in range(n)]
    with _idle_lock:
        _idle.extend(started)


class _PipeLogHandler(logging.Handler):
    """In the batch process: log records go to the parent, which hands them to its own logging configuration."""

    def __init__(self, conn: multiprocessing.connection.Connection) -> None:
        super().__init__()
        self.conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.conn.send(("log", record.name, record.levelno, record.getMessage()))
        except Exception:  # noqa: BLE001 - logging never stops the batch
            pass


def _stage_job(conn: multiprocessing.connection.Connection, store: ObjectStore, objects: list[RawObject],
               parser_version: str, parser: Parser | None, failed: dict[str, str]) -> None:
    """In the sandbox process: parse every report (announcing each, so the parent can time it), then validate and
    write the batch; the parent receives only the small :class:`StageResult`."""
    try:
        parse = parser or _default_parser()
        now = dt.datetime.now(dt.UTC)
        outcomes = []
        for i, raw in enumerate(objects):
            if raw.sha256 in failed:
                outcomes.append(ParseOutcome(raw, parser_version, now, None, failed[raw.sha256]))
                continue
            conn.send(("parse", i))
            outcomes.append(parse_one(store, raw, parser_version, parse))
        conn.send(("write", None))
        result = stage_outcomes(store, outcomes, parser_version)
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        try:
            conn.send(("error", exc))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        return
    conn.send(("done", result))


def _sandbox_main(conn: multiprocessing.connection.Connection, log_level: int, first_job: tuple | None) -> None:
    """The sandbox process: batch after batch until the parent closes the pipe (the parser's and the schemas' caches
    stay warm from one batch to the next)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_PipeLogHandler(conn))
    root.setLevel(log_level)
    prepare_for_parsing()
    job = first_job
    while True:
        if job is None:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            if job is None:
                return
        _stage_job(conn, *job)
        job = None


class _Sandbox:
    """One sandbox process and its pipe (both ways)."""

    def __init__(self, ctx: multiprocessing.context.BaseContext, first_job: tuple | None = None) -> None:
        self.ctx = ctx
        self.conn, child_conn = ctx.Pipe(duplex=True)
        log_level = logging.getLogger("xxgk").getEffectiveLevel()
        self.process = ctx.Process(target=_sandbox_main, args=(child_conn, log_level, first_job),
                                   name="xxgk-parser-sandbox", daemon=True)
        self.process.start()
        child_conn.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.conn.close()
        self.process.join(2)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


_idle: list[_Sandbox] = []  # warm sandbox processes waiting for a batch
_idle_lock = threading.Lock()


def _take_sandbox(ctx: multiprocessing.context.BaseContext) -> _Sandbox:
    with _idle_lock:
        while _idle:
            sandbox = _idle.pop()
            if sandbox.ctx is ctx and sandbox.alive():
                return sandbox
            sandbox.kill()
    return _Sandbox(ctx)


def close_sandboxes(*, stop_server: bool = False) -> None:
    """End the idle sandbox processes (after a parse stage: they hold a parser's and pandas' memory); with
    ``stop_server``, also the forkserver that starts them (it holds the preloaded parser modules, ~130 MB; the
    next sandbox starts a new one)."""
    with _idle_lock:
        idle = list(_idle)
        _idle.clear()
    for sandbox in idle:
        sandbox.close()
    if stop_server:
        _stop_forkserver()


def _stop_forkserver() -> None:
    import multiprocessing.forkserver as forkserver

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)  # CPython's ForkServer; restarted on demand by its next use
    if stop is None or getattr(server, "_forkserver_pid", None) is None:
        return
    try:
        stop()
    except (OSError, ChildProcessError) as exc:  # already gone: nothing to free
        logger.debug("could not stop the forkserver: %s", exc)


atexit.register(close_sandboxes)


class _Restart(Exception):
    """The report being parsed went over its time limit or took its process down."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


class ParserSandbox:
    """Stages a batch in a child process with a time limit per report, so one pathological input (an exponential
    corner of the parser, a huge file, a crash of a native reader) fails alone instead of stalling or killing the
    batch. The child parses, builds the frames, validates and writes the batch itself, so the caller (a thread of
    Prefect's task runner) spends no CPU on it and batches in parallel threads use as many cores. It announces
    each report; one that goes over the limit or ends the process becomes a failed report, and the batch starts
    again in a fresh process with that report marked failed (the reports before it are parsed again: a batch
    costs seconds, a limit minutes). Without a limit, or in a daemonic process (some Dask workers cannot have
    children), the batch is staged in-process."""

    def __init__(self, parser: Parser | None = None, time_limit: float | None = None) -> None:
        self.parser = parser
        self.time_limit = time_limit

    def stage(self, store: ObjectStore, objects: list[RawObject], parser_version: str) -> StageResult:
        if self.time_limit is None or multiprocessing.current_process().daemon:
            parser = self.parser or _default_parser()
            outcomes = [parse_one(store, o, parser_version, parser) for o in objects]
            return stage_outcomes(store, outcomes, parser_version)
        failed: dict[str, str] = {}
        while True:
            try:
                return self._run(store, objects, parser_version, failed)
            except _Restart as restart:
                raw = objects[restart.index]
                logger.warning("parse failed for %s: %s", raw.sha256, restart.reason)
                failed[raw.sha256] = restart.reason

    def _run(self, store: ObjectStore, objects: list[RawObject], parser_version: str,
             failed: dict[str, str]) -> StageResult:
        job = (store, objects, parser_version, self.parser, failed)
        ctx = _sandbox_context(job)
        reusable = ctx.get_start_method() != "fork"  # a forked sandbox carries this batch's parser only
        sandbox = _take_sandbox(ctx) if reusable else _Sandbox(ctx, first_job=job)
        keep = False
        try:
            if reusable:
                sandbox.conn.send(job)
            result = self._watch(sandbox.process, sandbox.conn)
            keep = reusable
            return result
        except _Restart:
            raise
        except Exception:
            keep = reusable and sandbox.alive()  # an error the batch raised (storage): the process is fine
            raise
        finally:
            if keep:
                with _idle_lock:
                    _idle.append(sandbox)
            else:
                sandbox.kill()

    def _watch(self, process: multiprocessing.process.BaseProcess,
               conn: multiprocessing.connection.Connection) -> StageResult:
        """Follow the batch process: relay its logs, time each report, return its result or raise its error."""
        assert self.time_limit is not None
        current: int | None = None  # the report being parsed
        deadline: float | None = time.monotonic() + max(SANDBOX_STARTUP_TIMEOUT, self.time_limit)
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not multiprocessing.connection.wait([conn, process.sentinel], wait):
                process.kill()
                if current is None:
                    raise TimeoutError("the parser process did not start")
                raise _Restart(current, f"TimeoutError: parsing took longer than {self.time_limit:g} s")
            message = None
            if conn.poll():  # what the process said comes first: it may have ended just after saying it
                try:
                    message = conn.recv()
                except EOFError:
                    pass
            if message is None:
                process.join(5)
                if current is None:
                    raise RuntimeError(f"the staging process ended unexpectedly (exit code {process.exitcode})")
                raise _Restart(current, f"RuntimeError: the parser process ended (exit code {process.exitcode})")
            kind = message[0]
            if kind == "log":
                logging.getLogger(message[1]).log(message[2], "%s", message[3])
            elif kind == "parse":
                current, deadline = message[1], time.monotonic() + self.time_limit
            elif kind == "write":
                current, deadline = None, None  # the store has its own timeouts and retries
            elif kind == "done":
                return message[1]
            elif kind == "error":
                raise message[1]


def parse_one(store: ObjectStore, raw: RawObject, parser_version: str, parser: Parser | None = None) -> ParseOutcome:
    """Parse one raw object in this process. A missing object or a parser crash becomes a ``failed`` outcome, never
    an exception (a parse over the time limit is the :class:`ParserSandbox`'s to catch)."""
    now = dt.datetime.now(dt.UTC)
    try:
        data = store.get_bytes(raw_key(raw.sha256))
        report = (parser or _default_parser())(data, raw.name)
        return ParseOutcome(raw, parser_version, now, report)
    except Exception as exc:  # noqa: BLE001 - one bad report must not stop the batch
        logger.warning("parse failed for %s: %s: %s", raw.sha256, type(exc).__name__, exc)
        return ParseOutcome(raw, parser_version, now, None, f"{type(exc).__name__}: {exc}")


@dataclass
class StageResult:
    """What a staging run did; ``batches`` lists every batch written or quarantined."""

    n_pending: int = 0
    n_staged: int = 0
    n_quarantined: int = 0
    batches: list[BatchResult] = field(default_factory=list)

    def add(self, other: StageResult) -> StageResult:
        self.n_pending += other.n_pending
        self.n_staged += other.n_staged
        self.n_quarantined += other.n_quarantined
        self.batches.extend(other.batches)
        return self


def stage_outcomes(store: ObjectStore, outcomes: list[ParseOutcome], parser_version: str) -> StageResult:
    """Validate and write parsed outcomes as one batch; on failure, retry the innocent reports once."""
    res = StageResult(n_pending=len(outcomes))
    if not outcomes:
        return res
    batch = write_batch(store, frames_for(outcomes), parser_version)
    res.batches.append(batch)
    if not batch.quarantined:
        res.n_staged = len(outcomes)
        return res
    innocent = [o for o in outcomes if o.raw.sha256 not in set(batch.offending)]
    if not innocent or len(innocent) == len(outcomes):
        res.n_quarantined = len(outcomes)
        return res
    retry = write_batch(store, frames_for(innocent), parser_version)
    res.batches.append(retry)
    res.n_staged = 0 if retry.quarantined else len(innocent)
    res.n_quarantined = len(outcomes) - res.n_staged
    return res


def stage_batch(store: ObjectStore, objects: list[RawObject], parser_version: str,
                parser: Parser | None = None, *, time_limit: float | None | str = "env") -> StageResult:
    """Parse a batch of raw objects and write it to staging (the unit of work of one Prefect task), in a
    :class:`ParserSandbox` process.

    ``time_limit``: seconds per report (None: no limit, in-process; default: :func:`parse_time_limit`).
    """
    limit = parse_time_limit() if time_limit == "env" else time_limit
    sandbox = ParserSandbox(parser, limit if isinstance(limit, int | float) else None)
    return sandbox.stage(store, objects, parser_version)
