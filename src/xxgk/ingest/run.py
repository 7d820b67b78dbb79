"""One ingest run: source entries in, exact bytes stored once under their SHA-256, manifest rows out.

:func:`ingest` is the whole run (plan → compare with the manifest → fetch and store → write the manifest).
The pieces are public so the Prefect flow can wrap each in its own task: :func:`expand_sources` (in
``sources``), :func:`previous_versions`, :func:`ingest_entries`, :func:`~xxgk.ingest.manifest.write_manifest`
and :func:`summarize`.

Status of a row, per source (path, URL or ``s3://`` URI): ``new`` (never seen), ``unchanged`` (same bytes as its
current version), ``changed`` (different bytes; ``previous_sha256`` names the version it replaces) or ``failed``
(``error`` says why). Independently, ``is_new_object`` says whether this run wrote the bytes to the raw zone.

A local file whose size and modification time (ns) are those the manifest recorded for its current version is
not read again (status ``unchanged``): the manifest keeps ``mtime_ns`` for files, and a recorded mtime counts only
when it was older than the read by more than :data:`RACY_MTIME_SECONDS` (a write right after the read could keep
the same mtime). Any other change of size or mtime reads and hashes the file; URLs and S3 objects are always
compared by content.

Errors of one entry (unreadable file, HTTP 404, timeout, size cap, …) become a failed row and the run goes on.
Errors writing to the lake itself (:class:`~xxgk.storage.base.StorageError`, after the store's retries) abort the
batch: nothing can be stored anyway, and the caller (flow task retry, or the user) decides.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import pandas as pd

from xxgk.ingest.fetch import Fetcher, FetchOptions, FetchResult
from xxgk.ingest.hints import year_hint_from_location
from xxgk.ingest.links import find_attachment_links
from xxgk.ingest.manifest import STATUSES, ManifestRow, latest_versions, read_manifest, write_manifest
from xxgk.ingest.sources import SourceEntry, expand_sources, url_entry
from xxgk.storage.base import ObjectStore, StorageError, deferred_sync
from xxgk.storage.local import LocalStore
from xxgk.storage.paths import raw_key
from xxgk.storage.sniff import MIME_TYPES, detect_encoding, find_declared_charset, sniff_media_type

logger = logging.getLogger(__name__)

T = TypeVar("T")
RowCallback = Callable[[ManifestRow], None]
CountCallback = Callable[[int], None]
TEXT_MEDIA_TYPES = frozenset({"html", "text"})
RACY_MTIME_SECONDS = 2.0  # coarser than any file system's timestamp granularity we expect
_QUICK_CHUNK = 256  # unchanged-file checks per thread call
_FILE_CHUNK = 32  # new local files per thread call


@dataclass(frozen=True)
class IngestOptions:
    fetch: FetchOptions = field(default_factory=FetchOptions)
    follow_attachments: bool = True
    max_attachments: int = 20  # per page
    conditional_requests: bool = True  # If-None-Match / If-Modified-Since from the previous version
    io_concurrency: int = 8  # files and S3 objects read at once (local files into a local lake: one at a time)


@dataclass(frozen=True)
class PreviousVersion:
    """The current version of a source according to the manifest."""

    sha256: str
    size: int | None = None
    media_type: str | None = None
    encoding: str | None = None
    declared_charset: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    mtime_ns: int | None = None  # local files: st_mtime_ns when read
    fetched_at: datetime | None = None

    def same_file(self, size: int, mtime_ns: int) -> bool:
        """True when a file of this ``size`` and ``mtime_ns`` is this version without reading it again."""
        if self.mtime_ns is None or self.size is None or self.fetched_at is None:
            return False
        read_ns = int(self.fetched_at.timestamp() * 1e9)
        return (size == self.size and mtime_ns == self.mtime_ns
                and self.mtime_ns < read_ns - int(RACY_MTIME_SECONDS * 1e9))


@dataclass(frozen=True)
class IngestSummary:
    run_id: str
    counts: dict[str, int]  # new / unchanged / changed / failed
    objects_stored: int
    bytes_stored: int
    failures: tuple[tuple[str, str], ...]  # (source, reason)
    manifest_key: str | None = None

    def lines(self, max_failures: int = 20) -> list[str]:
        c = self.counts
        out = [f"run {self.run_id}: {c['new']} new, {c['unchanged']} unchanged, {c['changed']} changed, "
               f"{c['failed']} failed; {self.objects_stored} objects stored ({self.bytes_stored} bytes)"]
        for source, reason in self.failures[:max_failures]:
            out.append(f"  failed: {source}: {reason}")
        if len(self.failures) > max_failures:
            out.append(f"  … and {len(self.failures) - max_failures} more failures (see the manifest)")
        if self.manifest_key:
            out.append(f"manifest: {self.manifest_key}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, **self.counts, "objects_stored": self.objects_stored,
                "bytes_stored": self.bytes_stored, "failures": [list(f) for f in self.failures],
                "manifest_key": self.manifest_key}


@dataclass(frozen=True)
class IngestResult:
    summary: IngestSummary
    rows: tuple[ManifestRow, ...]


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: ``20250131T120000123456Z-1a2b3c``."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(3)}"


def classify(previous: PreviousVersion | None, sha256: str) -> tuple[str, str | None]:
    """``(status, previous_sha256)`` of bytes ``sha256`` from a source whose current version is ``previous``."""
    if previous is None:
        return "new", None
    if previous.sha256 == sha256:
        return "unchanged", None
    return "changed", previous.sha256


_PREVIOUS_FIELDS = ("sha256", "size", "media_type", "encoding", "declared_charset", "content_type", "etag",
                    "last_modified", "mtime_ns", "fetched_at")


def previous_versions_from_manifest(manifest: pd.DataFrame) -> dict[str, PreviousVersion]:
    current = latest_versions(manifest)
    columns = [current[c].tolist() if c in current.columns else [None] * len(current) for c in _PREVIOUS_FIELDS]
    out: dict[str, PreviousVersion] = {}
    for source, sha, size, media, enc, declared, ctype, etag, modified, mtime_ns, fetched in zip(
            current.index, *columns, strict=True):
        fetched = _opt(fetched)
        out[str(source)] = PreviousVersion(
            sha256=sha, size=_opt_int(size), media_type=_opt(media), encoding=_opt(enc),
            declared_charset=_opt(declared), content_type=_opt(ctype), etag=_opt(etag),
            last_modified=_opt(modified), mtime_ns=_opt_int(mtime_ns),
            fetched_at=None if fetched is None else fetched.to_pydatetime())
    return out


def previous_versions(store: ObjectStore) -> dict[str, PreviousVersion]:
    """The current version of every source the lake's manifest knows."""
    return previous_versions_from_manifest(read_manifest(store))


def _opt(value: Any) -> Any:
    return None if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value) \
        else value


def _opt_int(value: Any) -> int | None:
    value = _opt(value)
    return None if value is None else int(value)


def summarize(rows: Sequence[ManifestRow], run_id: str, manifest_key: str | None = None) -> IngestSummary:
    counts = Counter(r.status for r in rows)
    stored = [r for r in rows if r.is_new_object]
    return IngestSummary(
        run_id=run_id, counts={s: counts.get(s, 0) for s in STATUSES}, objects_stored=len(stored),
        bytes_stored=sum(r.size or 0 for r in stored),
        failures=tuple((r.source, r.error or "unknown error") for r in rows if r.status == "failed"),
        manifest_key=manifest_key)


def ingest(
    sources: Sequence[str],
    store: ObjectStore,
    *,
    options: IngestOptions | None = None,
    run_id: str | None = None,
    on_planned: CountCallback | None = None,
    on_row: RowCallback | None = None,
) -> IngestResult:
    """Ingest every source argument into ``store`` and write this run's manifest.

    ``on_planned(n)`` is called with the number of entries found (and again with each batch of attachments
    discovered); ``on_row(row)`` after each entry is done. Raises StorageError only if the lake itself fails.
    """
    run_id = run_id or new_run_id()
    entries = expand_sources(sources)
    if on_planned:
        on_planned(len(entries))
    previous = previous_versions(store)
    done: list[ManifestRow] = []

    def collect(row: ManifestRow) -> None:
        done.append(row)
        if on_row:
            on_row(row)

    try:
        rows = ingest_entries(entries, store, run_id=run_id, previous=previous, options=options,
                              on_row=collect, on_more=on_planned)
    except BaseException:  # interrupted (Ctrl-C) or the lake failed: keep a record of what was stored
        _write_partial_manifest(store, run_id, done)
        raise
    key = write_manifest(store, run_id, rows) if rows else None
    summary = summarize(rows, run_id, key)
    for line in summary.lines():
        logger.info("%s", line)
    return IngestResult(summary=summary, rows=tuple(rows))


def _write_partial_manifest(store: ObjectStore, run_id: str, rows: list[ManifestRow]) -> None:
    if not rows:
        return
    try:
        key = write_manifest(store, run_id, rows)
    except Exception as exc:
        logger.error("run %s stopped; its %d finished rows could not be recorded either: %s", run_id, len(rows), exc)
    else:
        logger.warning("run %s stopped; the %d entries finished so far are recorded in %s", run_id, len(rows), key)


def ingest_entries(
    entries: Sequence[SourceEntry],
    store: ObjectStore,
    *,
    run_id: str,
    previous: dict[str, PreviousVersion] | None = None,
    options: IngestOptions | None = None,
    on_row: RowCallback | None = None,
    on_more: CountCallback | None = None,
    claimed: Iterable[str] = (),
) -> list[ManifestRow]:
    """Fetch/read every entry (and the attachments of fetched pages), store new bytes, return manifest rows.

    ``claimed``: locations already handled in this run (earlier batches); attachments among them are skipped.
    Objects are written atomically and made durable together when the batch ends (one file-system sync on a local
    lake, :func:`~xxgk.storage.base.deferred_sync`), before the caller writes the manifest that lists them.
    """
    ingester = _Ingester(store, run_id, previous or {}, options or IngestOptions(), on_row, on_more)
    ingester.claimed.update(claimed)
    try:
        with deferred_sync(store):
            return _run_sync(ingester.run(list(entries)))
    except* StorageError as group:
        raise group.exceptions[0] from None


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, even when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed to the calling thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="xxgk-ingest")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


@dataclass
class _Fetched:
    """Bytes (or a failure) plus what the source said about them."""

    data: bytes | None = None
    error: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    mtime_ns: int | None = None
    not_modified: bool = False
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class _Ingester:
    def __init__(self, store: ObjectStore, run_id: str, previous: dict[str, PreviousVersion],
                 options: IngestOptions, on_row: RowCallback | None, on_more: CountCallback | None) -> None:
        self.store = store
        self.run_id = run_id
        self.previous = previous
        self.options = options
        self.on_row = on_row
        self.on_more = on_more
        self.rows: list[ManifestRow] = []
        self.claimed: set[str] = set()
        self._sha_locks: dict[str, threading.Lock] = {}
        self._sha_lock = threading.Lock()
        self._s3_stores: dict[str, Any] = {}
        self._io: asyncio.Semaphore | None = None
        self._files_io: asyncio.Semaphore | None = None
        self._fetcher: Fetcher | None = None

    async def run(self, entries: list[SourceEntry]) -> list[ManifestRow]:
        self._io = asyncio.Semaphore(max(1, self.options.io_concurrency))
        # Local files into (or checked against) a local lake are CPU work from the page cache: one thread does it
        # in half the CPU of eight, which spend it handing the GIL around (20 000 files: 12.6 s against 30.2 s).
        files_at_once = 1 if isinstance(self.store, LocalStore) else max(1, self.options.io_concurrency)
        self._files_io = asyncio.Semaphore(files_at_once)
        for entry in entries:
            if not entry.is_bad:
                self.claimed.add(entry.location)
        quick = [e for e in entries if e.kind == "file" and e.error is None and e.location in self.previous
                 and self.previous[e.location].mtime_ns is not None]
        quick_ids = {id(e) for e in quick}
        async with Fetcher(self.options.fetch) as fetcher:
            self._fetcher = fetcher
            async with asyncio.TaskGroup() as group:
                for start in range(0, len(quick), _QUICK_CHUNK):
                    group.create_task(self._quick(quick[start:start + _QUICK_CHUNK], group))
                files = [e for e in entries if id(e) not in quick_ids and e.kind == "file" and e.error is None]
                file_ids = {id(e) for e in files}
                for start in range(0, len(files), _FILE_CHUNK):
                    group.create_task(self._files(files[start:start + _FILE_CHUNK]))
                for entry in entries:
                    if id(entry) not in quick_ids and id(entry) not in file_ids:
                        group.create_task(self._guarded(entry, group))
        return self.rows

    async def _files(self, entries: list[SourceEntry]) -> None:
        """Local files, read, hashed and stored a chunk per thread call (one call per file costs the event loop
        more than the work at national scale); files have no attachments to follow."""
        assert self._io is not None and self._files_io is not None
        async with self._files_io, self._io:
            rows = await asyncio.to_thread(self._read_and_store_all, entries)
        for row in rows:
            self._add(row)

    def _read_and_store_all(self, entries: list[SourceEntry]) -> list[ManifestRow]:
        rows = []
        for entry in entries:
            try:
                row, _ = self._read_and_store(entry)
            except StorageError:
                raise
            except Exception as exc:  # a bug on one entry must not stop the run
                logger.exception("unexpected error ingesting %s", entry.location)
                row = self._failed(entry, f"internal error: {type(exc).__name__}: {exc}")
            rows.append(row)
        return rows

    async def _quick(self, entries: list[SourceEntry], group: asyncio.TaskGroup) -> None:
        """Files the manifest knows: the unchanged ones (same size and mtime) become rows without a read; the others
        go the usual way."""
        assert self._io is not None and self._files_io is not None
        async with self._files_io, self._io:
            rows, others = await asyncio.to_thread(self._unchanged_files, entries)
        for row in rows:
            self._add(row)
        for entry in others:
            group.create_task(self._guarded(entry, group))

    def _unchanged_files(self, entries: list[SourceEntry]) -> tuple[list[ManifestRow], list[SourceEntry]]:
        rows: list[ManifestRow] = []
        others: list[SourceEntry] = []
        for entry in entries:
            prev = self.previous[entry.location]
            try:
                st = os.stat(entry.location)
                same = prev.same_file(st.st_size, st.st_mtime_ns) and self.store.exists(raw_key(prev.sha256))
            except (OSError, StorageError):
                same = False  # the usual way reports the problem
            if not same:
                others.append(entry)
                continue
            rows.append(ManifestRow(
                run_id=self.run_id, source_kind=entry.kind, source=entry.location, origin=entry.origin,
                fetched_at=datetime.now(UTC), status="unchanged", sha256=prev.sha256, is_new_object=False,
                size=prev.size, media_type=prev.media_type, encoding=prev.encoding,
                declared_charset=prev.declared_charset, last_modified=prev.last_modified, mtime_ns=prev.mtime_ns,
                agency_hint=entry.agency_hint, year_hint=entry.year_hint))
        return rows, others

    def _add(self, row: ManifestRow) -> None:
        self.rows.append(row)
        if self.on_row:
            self.on_row(row)

    async def _guarded(self, entry: SourceEntry, group: asyncio.TaskGroup) -> None:
        try:
            row, data = await self._process(entry)
        except StorageError:
            raise
        except Exception as exc:  # a bug on one entry must not stop the run
            logger.exception("unexpected error ingesting %s", entry.location)
            row, data = self._failed(entry, f"internal error: {type(exc).__name__}: {exc}"), None
        self._add(row)
        if data is not None and row.status != "failed":
            children = self._attachments(entry, row, data)
            if children and self.on_more:
                self.on_more(len(children))
            for child in children:
                group.create_task(self._guarded(child, group))

    def _attachments(self, entry: SourceEntry, row: ManifestRow, data: bytes) -> list[SourceEntry]:
        if not (self.options.follow_attachments and entry.kind == "url" and entry.parent_url is None
                and row.media_type == "html"):
            return []
        links = find_attachment_links(data, row.final_url or entry.location, limit=self.options.max_attachments)
        children = []
        for link in links:
            if link in self.claimed:
                continue
            self.claimed.add(link)
            year = entry.year_hint if entry.year_hint is not None else year_hint_from_location(link)
            children.append(url_entry(link, origin=f"attachment of {entry.location}", agency=entry.agency_hint,
                                      year=year, parent_url=entry.location, parent_sha256=row.sha256))
        return children

    def _failed(self, entry: SourceEntry, error: str, fetched: _Fetched | None = None) -> ManifestRow:
        fetched = fetched or _Fetched()
        return ManifestRow(
            run_id=self.run_id, source_kind=entry.kind, source=entry.location, origin=entry.origin,
            fetched_at=fetched.fetched_at, status="failed", error=error, final_url=fetched.final_url,
            parent_url=entry.parent_url, parent_sha256=entry.parent_sha256, http_status=fetched.http_status,
            content_type=fetched.content_type, agency_hint=entry.agency_hint, year_hint=entry.year_hint)

    async def _process(self, entry: SourceEntry) -> tuple[ManifestRow, bytes | None]:
        if entry.error is not None:
            return self._failed(entry, entry.error), None
        if entry.kind != "url":  # read, hash and store in one thread call, at most io_concurrency bodies in memory
            assert self._io is not None
            async with self._io:
                return await asyncio.to_thread(self._read_and_store, entry)
        fetched = await self._fetch_url(entry)
        if fetched.error is not None:
            return self._failed(entry, fetched.error, fetched), None
        if fetched.not_modified:
            return await asyncio.to_thread(self._not_modified, entry, fetched)
        assert fetched.data is not None
        row = await asyncio.to_thread(self._store, entry, fetched)
        return row, fetched.data

    # -- reading sources -----------------------------------------------------------------------------------

    def _read_and_store(self, entry: SourceEntry) -> tuple[ManifestRow, bytes | None]:
        fetched = self._read_file(entry.location) if entry.kind == "file" else self._read_s3(entry.location)
        if fetched.error is not None:
            return self._failed(entry, fetched.error, fetched), None
        return self._store(entry, fetched), None  # files and S3 objects have no attachments to follow

    def _read_file(self, path: str) -> _Fetched:
        cap = self.options.fetch.max_bytes
        try:
            st = os.stat(path)
            if st.st_size > cap:
                return _Fetched(error=f"file too large: {st.st_size} bytes > cap {cap}")
            with open(path, "rb") as fh:
                # a buffer of the file's size, not of the cap (64 MiB mapped and unmapped per file), then the rest
                # if it grew since the stat
                data = fh.read(min(st.st_size, cap) + 1)
                if len(data) > st.st_size:
                    data += fh.read(cap + 1 - len(data))
        except OSError as exc:
            return _Fetched(error=f"cannot read file: {exc.strerror or type(exc).__name__}")
        if len(data) > cap:
            return _Fetched(error=f"file too large: more than cap {cap} bytes")
        modified = datetime.fromtimestamp(st.st_mtime, tz=UTC).isoformat()
        return _Fetched(data=data, last_modified=modified, mtime_ns=st.st_mtime_ns)

    def _read_s3(self, uri: str) -> _Fetched:
        from xxgk.storage.config import parse_s3_uri
        from xxgk.storage.s3 import S3Store

        try:
            bucket, key = parse_s3_uri(uri)
            source = self._s3_stores.get(bucket)
            if source is None:
                source = self._s3_stores[bucket] = S3Store(bucket)
            data, info = source.get_with_info(key)
        except KeyError:
            return _Fetched(error="S3 object no longer exists")
        except (StorageError, ValueError) as exc:
            return _Fetched(error=f"cannot read S3 object: {exc}")
        cap = self.options.fetch.max_bytes
        if len(data) > cap:
            return _Fetched(error=f"object too large: {len(data)} bytes > cap {cap}")
        modified = info.last_modified.isoformat() if info.last_modified else None
        return _Fetched(data=data, etag=info.etag, last_modified=modified, content_type=info.content_type)

    async def _fetch_url(self, entry: SourceEntry) -> _Fetched:
        assert self._fetcher is not None
        prev = self.previous.get(entry.location)
        etag = last_modified = None
        if self.options.conditional_requests and prev is not None and (prev.etag or prev.last_modified):
            if await asyncio.to_thread(self.store.exists, raw_key(prev.sha256)):
                etag, last_modified = prev.etag, prev.last_modified
        result: FetchResult = await self._fetcher.fetch(entry.location, etag=etag, last_modified=last_modified)
        fetched = _Fetched(data=result.data, error=result.error, final_url=result.final_url,
                           http_status=result.status, content_type=result.content_type, etag=result.etag,
                           last_modified=result.last_modified, fetched_at=result.fetched_at)
        if result.is_not_modified:
            if prev is None:
                fetched.error = "HTTP 304 Not Modified without a previous version"
            else:
                fetched.not_modified = True
        return fetched

    # -- storing -------------------------------------------------------------------------------------------

    def _store(self, entry: SourceEntry, fetched: _Fetched) -> ManifestRow:
        data = fetched.data
        assert data is not None
        sha = hashlib.sha256(data).hexdigest()
        key = raw_key(sha)
        media_type = sniff_media_type(data)
        with self._sha_lock:  # the same bytes from two sources in two threads: the second waits, then counts
            sha_lock = self._sha_locks.setdefault(sha, threading.Lock())
        with sha_lock:
            is_new_object = not self.store.exists(key)
            if is_new_object:
                self.store.put_bytes(key, data, content_type=MIME_TYPES.get(media_type))
        status, previous_sha = classify(self.previous.get(entry.location), sha)
        is_text = media_type in TEXT_MEDIA_TYPES
        return ManifestRow(
            run_id=self.run_id, source_kind=entry.kind, source=entry.location, origin=entry.origin,
            final_url=fetched.final_url, parent_url=entry.parent_url, parent_sha256=entry.parent_sha256,
            fetched_at=fetched.fetched_at, status=status, sha256=sha, previous_sha256=previous_sha,
            is_new_object=is_new_object, size=len(data), media_type=media_type,
            encoding=detect_encoding(data) if is_text else None,
            declared_charset=find_declared_charset(data, fetched.content_type) if is_text else None,
            content_type=fetched.content_type, http_status=fetched.http_status, etag=fetched.etag,
            last_modified=fetched.last_modified, agency_hint=entry.agency_hint, year_hint=entry.year_hint,
            mtime_ns=fetched.mtime_ns)

    def _not_modified(self, entry: SourceEntry, fetched: _Fetched) -> tuple[ManifestRow, bytes | None]:
        prev = self.previous[entry.location]
        row = ManifestRow(
            run_id=self.run_id, source_kind=entry.kind, source=entry.location, origin=entry.origin,
            final_url=fetched.final_url, parent_url=entry.parent_url, parent_sha256=entry.parent_sha256,
            fetched_at=fetched.fetched_at, status="unchanged", sha256=prev.sha256, is_new_object=False,
            size=prev.size, media_type=prev.media_type, encoding=prev.encoding,
            declared_charset=prev.declared_charset, content_type=fetched.content_type or prev.content_type,
            http_status=fetched.http_status, etag=fetched.etag or prev.etag,
            last_modified=fetched.last_modified or prev.last_modified, agency_hint=entry.agency_hint,
            year_hint=entry.year_hint)
        data = None
        if prev.media_type == "html" and self.options.follow_attachments and entry.parent_url is None:
            try:
                data = self.store.get_bytes(raw_key(prev.sha256))  # to follow its attachments again
            except KeyError:
                data = None
        return row, data


__all__ = [
    "IngestOptions", "IngestResult", "IngestSummary", "PreviousVersion", "classify", "ingest", "ingest_entries",
    "new_run_id", "previous_versions", "previous_versions_from_manifest", "summarize",
]
