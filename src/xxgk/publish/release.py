"""Write one release atomically: every file under ``releases/<release_id>/``, then its manifest, then the pointer.

Order of writes (readers only ever follow ``releases/CURRENT``):

1. each file under ``releases/<release_id>/`` (any partial leftovers of a crashed attempt at the same id are
   removed first; a *complete* release is never overwritten);
2. ``releases/<release_id>/_MANIFEST.json``: every file with its size and SHA-256; a release without its manifest
   is incomplete and is never made current;
3. a check that every listed file is present;
4. ``releases/CURRENT`` ← ``release_id`` (one small atomic put).

A crash before step 4 leaves the previous release current and untouched. ``hook`` is called before each step
(``"file:<key>"``, ``"manifest"``, ``"verify"``, ``"pointer"``) so tests can interrupt publication anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xxgk.storage.base import ObjectStore, StorageError
from xxgk.storage.local import LocalStore

logger = logging.getLogger(__name__)

RELEASES_PREFIX = "releases/"
CURRENT_KEY = "releases/CURRENT"
MANIFEST_NAME = "_MANIFEST.json"

CONTENT_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".duckdb": "application/octet-stream",
    ".css": "text/css",
    ".js": "application/javascript",
}


class ReleaseError(Exception):
    """A release could not be written or read; the message says which and why."""


@dataclass(frozen=True)
class ReleaseManifest:
    release_id: str
    created_at: str
    previous_release: str | None
    files: tuple[dict[str, Any], ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps({
            "release_id": self.release_id, "created_at": self.created_at, "previous_release": self.previous_release,
            "files": list(self.files), "meta": dict(self.meta),
        }, ensure_ascii=False, indent=2, default=str).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ReleaseManifest:
        d = json.loads(data)
        return cls(d["release_id"], d["created_at"], d.get("previous_release"), tuple(d["files"]), d.get("meta", {}))


def new_release_id(now: datetime | None = None) -> str:
    """A fresh id that sorts by time: ``20250301T120000Z-3f9a1c``."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def release_prefix(release_id: str) -> str:
    if not release_id or "/" in release_id or release_id.startswith((".", "_")) or release_id == "CURRENT":
        raise ReleaseError(f"invalid release id {release_id!r}")
    return f"{RELEASES_PREFIX}{release_id}/"


def manifest_key(release_id: str) -> str:
    return release_prefix(release_id) + MANIFEST_NAME


def read_manifest(store: ObjectStore, release_id: str) -> ReleaseManifest | None:
    try:
        return ReleaseManifest.from_json(store.get_bytes(manifest_key(release_id)))
    except KeyError:
        return None


def is_complete(store: ObjectStore, release_id: str) -> bool:
    """True when the release has its manifest and every file the manifest lists."""
    manifest = read_manifest(store, release_id)
    if manifest is None:
        return False
    prefix = release_prefix(release_id)
    present = set(store.list_keys(prefix))
    return all(prefix + f["key"] in present for f in manifest.files)


def read_current(store: ObjectStore) -> str | None:
    """The id ``releases/CURRENT`` points to, or None before the first release."""
    try:
        value = store.get_bytes(CURRENT_KEY).decode().strip()
    except KeyError:
        return None
    return value or None


def list_releases(store: ObjectStore) -> list[str]:
    """Ids of the complete releases, oldest first."""
    ids = sorted({k[len(RELEASES_PREFIX):].split("/", 1)[0] for k in store.list_keys(RELEASES_PREFIX)
                  if k.endswith("/" + MANIFEST_NAME)})
    return [i for i in ids if is_complete(store, i)]


def remove_incomplete(store: ObjectStore, keep: str | None = None) -> list[str]:
    """Delete the files of releases that never got a manifest (crashed attempts); returns their ids.

    Call only while holding the publication lock.
    """
    current = read_current(store)
    ids = {k[len(RELEASES_PREFIX):].split("/", 1)[0] for k in store.list_keys(RELEASES_PREFIX) if
           k.count("/") >= 2}
    removed = []
    for rid in sorted(ids):
        if rid in (current, keep) or read_manifest(store, rid) is not None:
            continue
        for key in list(store.list_keys(f"{RELEASES_PREFIX}{rid}/")):
            store.delete(key)
        removed.append(rid)
        logger.info("removed incomplete release %s left by an interrupted run", rid)
    return removed


CHUNK = 8 << 20


def _file_digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return path.stat().st_size, h.hexdigest()


@contextlib.contextmanager
def release_workspace(store: ObjectStore) -> Iterator[Path]:
    """A temporary folder to write a release's files into, removed afterwards: inside a local lake's own temporary
    folder (``<lake>/.tmp``, same file system), so :func:`write_release` with ``move`` renames each file into place
    instead of copying it; elsewhere in the system's temporary folder."""
    parent = None
    if isinstance(store, LocalStore):
        from xxgk.storage.local import _TMP_DIR

        parent = Path(store.uri()) / _TMP_DIR
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            parent = None
    with tempfile.TemporaryDirectory(prefix="xxgk-release-", dir=parent) as tmp:
        yield Path(tmp)


def put_file(store: ObjectStore, key: str, path: Path, *, content_type: str | None = None,
             move: bool = False) -> tuple[int, str]:
    """Write the local file ``path`` under ``key`` atomically; returns its size and SHA-256.

    A store with ``put_file`` streams it; a local lake gets an atomic copy (temporary file in the lake's own
    temporary folder, then a rename), so a national release (a 1 GB CSV) is never held in memory; any other store
    gets the bytes. With ``move`` (``path`` is a temporary file the caller gives up), a local lake on the same file
    system gets ``path`` itself, flushed to disk and renamed into place: the same atomic step without a copy.
    """
    size, digest = _file_digest(path)
    streaming = getattr(store, "put_file", None)
    if streaming is not None:
        streaming(key, path, content_type=content_type)
    elif isinstance(store, LocalStore):
        try:
            if not (move and _move_into_local_store(store, key, path)):
                _copy_into_local_store(store, key, path)
        except OSError as exc:
            raise StorageError(f"cannot write {key} under {store.uri()}: {exc}") from exc
    else:
        store.put_bytes(key, path.read_bytes(), content_type=content_type)
    return size, digest


def _move_into_local_store(store: LocalStore, key: str, path: Path) -> bool:
    """fsync ``path``, give it the lake's file mode and rename it over ``key``'s file; False when ``path`` is on
    another file system (then nothing was changed)."""
    from xxgk.storage.local import _FILE_MODE

    target = Path(store.uri(key))
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.stat(path).st_dev != os.stat(target.parent).st_dev:
        return False
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
    os.chmod(path, _FILE_MODE)
    os.replace(path, target)
    return True


def _copy_into_local_store(store: LocalStore, key: str, path: Path) -> None:
    # the same steps as LocalStore.put_bytes (temporary file under <root>/.tmp, fsync, mode, rename), from a file
    from xxgk.storage.local import _FILE_MODE, _TMP_DIR

    target = Path(store.uri(key))
    tmp_dir = Path(store.uri()) / _TMP_DIR
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, _FILE_MODE)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _noop(step: str) -> None:
    return None


def write_release(
    store: ObjectStore,
    release_id: str,
    files: Mapping[str, bytes | Path],
    *,
    meta: Mapping[str, Any] | None = None,
    hook: Callable[[str], None] = _noop,
    move: bool = False,
) -> ReleaseManifest:
    """Write ``files`` (relative key → bytes, or a local file read only when its turn comes, so one file at a time
    is in memory) as release ``release_id`` and make it current. With ``move``, the local files are temporary
    files the caller gives up (see :func:`put_file`; use a :func:`release_workspace`).

    The caller holds the :class:`~xxgk.publish.lock.PublishLock`. Raises :class:`ReleaseError` when the id is
    already a complete release (releases are never overwritten) or a file is missing after writing.
    """
    prefix = release_prefix(release_id)
    if not files:
        raise ReleaseError("a release needs at least one file")
    if read_manifest(store, release_id) is not None:
        raise ReleaseError(f"release {release_id} already exists; releases are never overwritten")
    for key in list(store.list_keys(prefix)):  # leftovers of a crashed attempt at this very id
        store.delete(key)
    previous = read_current(store)
    entries = []
    for rel, content in files.items():
        if rel == MANIFEST_NAME or rel.startswith("/"):
            raise ReleaseError(f"invalid file name in a release: {rel!r}")
        hook(f"file:{rel}")
        suffix = "." + rel.rsplit(".", 1)[-1] if "." in rel else ""
        if isinstance(content, bytes):
            store.put_bytes(prefix + rel, content, content_type=CONTENT_TYPES.get(suffix))
            size, digest = len(content), hashlib.sha256(content).hexdigest()
        else:
            size, digest = put_file(store, prefix + rel, Path(content), content_type=CONTENT_TYPES.get(suffix),
                                    move=move)
        entries.append({"key": rel, "size": size, "sha256": digest})
    manifest = ReleaseManifest(
        release_id=release_id,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        previous_release=previous,
        files=tuple(entries),
        meta=dict(meta or {}),
    )
    hook("manifest")
    store.put_bytes(manifest_key(release_id), manifest.to_json(), content_type="application/json")
    hook("verify")
    if not is_complete(store, release_id):
        raise ReleaseError(f"release {release_id} is incomplete after writing; CURRENT still points to {previous}")
    hook("pointer")
    store.put_bytes(CURRENT_KEY, (release_id + "\n").encode(), content_type="text/plain")
    logger.info("release %s is current (previous: %s, %d files)", release_id, previous, len(entries))
    return manifest
