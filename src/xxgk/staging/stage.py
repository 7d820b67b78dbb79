"""Staging work: which raw objects still need parsing, parsing a batch, and writing it (validated) to staging.

A report is parsed again only for new bytes or a new parser version: the (sha256, parser_version) pairs already in
``staging/reports`` are skipped, and so are reports whose rows broke the schema under the current parser version
(listed in ``staging/_quarantine``). A batch that fails validation is quarantined whole; its innocent reports are
then staged again as a batch of their own, so one malformed report does not hold back its neighbours.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.pool
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow.parquet as pq

from xxgk.parsing.model import ParsedReport
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


def pending(store: ObjectStore, objects: Iterable[RawObject], parser_version: str) -> list[RawObject]:
    """The objects that have not been staged (or quarantined) under ``parser_version``."""
    done = {s for s, v in staged_pairs(store) if v == parser_version} | quarantined_shas(store, parser_version)
    return [o for o in objects if o.sha256 not in done]


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


_CHILD_PARSER: Parser | None = None


def _install_parser(parser: Parser) -> None:  # runs in the sandbox child (fork: no pickling of the parser)
    global _CHILD_PARSER
    _CHILD_PARSER = parser


def _is_ready() -> bool:
    return _CHILD_PARSER is not None


def _parse_in_child(data: bytes, name: str | None) -> ParsedReport:
    assert _CHILD_PARSER is not None
    return _CHILD_PARSER(data, name)


def _sandbox_context(parser: Parser) -> multiprocessing.context.BaseContext:
    """forkserver for an importable parser (a clean child, safe when the caller runs threads, e.g. Prefect's task
    runner); plain fork for anything else (closures in tests); spawn where neither exists."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        try:
            pickle.dumps(parser)
        except Exception:  # noqa: BLE001 - not importable by reference: fork instead
            pass
        else:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["xxgk.parsing.report"])
            return ctx
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class ParserSandbox:
    """Runs the parser in a child process with a time limit per report, so one pathological input (an exponential
    corner of the parser, a huge file) fails alone instead of stalling the batch. The child is started once per
    batch and reused; it is killed and replaced after a timeout. Without a limit the parser runs in-process."""

    def __init__(self, parser: Parser | None = None, time_limit: float | None = None) -> None:
        self.parser = parser or _default_parser()
        self.time_limit = time_limit
        self._pool: multiprocessing.pool.Pool | None = None

    def __enter__(self) -> ParserSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def parse(self, data: bytes, name: str | None) -> ParsedReport:
        if self.time_limit is None or multiprocessing.current_process().daemon:
            return self.parser(data, name)  # daemonic processes (some Dask workers) cannot have children
        if self._pool is None:
            self._pool = _sandbox_context(self.parser).Pool(1, _install_parser, (self.parser,))
            try:  # the child's start-up (imports) does not count against the first report's limit
                self._pool.apply_async(_is_ready).get(max(SANDBOX_STARTUP_TIMEOUT, self.time_limit))
            except multiprocessing.TimeoutError:
                self.close()
                raise TimeoutError("the parser process did not start") from None
        pending_result = self._pool.apply_async(_parse_in_child, (data, name))
        try:
            return pending_result.get(self.time_limit)
        except multiprocessing.TimeoutError:
            self.close()
            raise TimeoutError(f"parsing took longer than {self.time_limit:g} s") from None


def parse_one(store: ObjectStore, raw: RawObject, parser_version: str, parser: Parser | None = None,
              sandbox: ParserSandbox | None = None) -> ParseOutcome:
    """Parse one raw object. A missing object, a parser crash or a parse over the time limit becomes a ``failed``
    outcome, never an exception."""
    now = dt.datetime.now(dt.UTC)
    try:
        data = store.get_bytes(raw_key(raw.sha256))
        report = sandbox.parse(data, raw.name) if sandbox else (parser or _default_parser())(data, raw.name)
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
    """Parse a batch of raw objects and write it to staging (the unit of work of one Prefect task).

    ``time_limit``: seconds per report (None: no limit; default: :func:`parse_time_limit`).
    """
    limit = parse_time_limit() if time_limit == "env" else time_limit
    with ParserSandbox(parser, limit if isinstance(limit, int | float) else None) as sandbox:
        outcomes = [parse_one(store, o, parser_version, sandbox=sandbox) for o in objects]
    return stage_outcomes(store, outcomes, parser_version)
