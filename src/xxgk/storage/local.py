"""The local-folder object store (the default lake, ``./lake``).

Objects are plain files under the root, so DuckDB, pandas and a shell can read them directly. A write goes to a
temporary file in ``<root>/.tmp/`` (same file system), is flushed and fsynced, then renamed over its final path, so a
reader sees the whole object or nothing. ``.tmp`` is never listed.

Many small writes (ingesting thousands of reports) can share one flush to disk: inside
:meth:`LocalStore.deferred_sync` a write is still a temporary file renamed into place (atomic), but is not fsynced
one by one; leaving the block syncs the lake's file system once (``syncfs``), so everything written inside is
durable before anything written after it (the manifest that lists the objects). A crash inside the block may lose
some of its objects, never expose a partial one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xxgk.storage.base import ObjectInfo, StorageError
from xxgk.storage.paths import validate_key
from xxgk.storage.retry import RetryPolicy, call_with_retry

logger = logging.getLogger(__name__)

_TMP_DIR = ".tmp"
_TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT, errno.EIO}


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o644 & ~_current_umask()


def sync_file_system(path: str | os.PathLike[str]) -> None:
    """Flush every dirty page and metadata of the file system holding ``path`` (Linux ``syncfs``; else ``sync``)."""
    libc_name = ctypes.util.find_library("c")
    syncfs = getattr(ctypes.CDLL(libc_name, use_errno=True), "syncfs", None) if libc_name else None
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


class LocalStore:
    """An :class:`~xxgk.storage.base.ObjectStore` over a folder."""

    def __init__(self, root: str | os.PathLike[str], *, retry: RetryPolicy | None = None) -> None:
        self.root = Path(root).expanduser().absolute()
        self.retry = retry or RetryPolicy(attempts=3, base_delay=0.05, max_delay=1.0)
        self._deferred = 0  # > 0 inside deferred_sync(): no fsync per write
        self._deferred_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"root": self.root, "retry": self.retry}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["root"], retry=state["retry"])  # type: ignore[misc]

    @contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """Writes inside skip their own fsync; one sync of the file system at the end makes them durable."""
        with self._deferred_lock:
            self._deferred += 1
        finished = False
        try:
            yield
            finished = True
        finally:
            with self._deferred_lock:
                self._deferred -= 1
                last = self._deferred == 0
            if last and self.root.is_dir():  # also after an error: what was written stays written
                try:
                    sync_file_system(self.root)
                except OSError as exc:
                    if finished:
                        raise StorageError(f"cannot sync the lake {self.root}: {exc}") from exc
                    logger.error("cannot sync the lake %s: %s", self.root, exc)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        path = self._path(key)
        try:
            call_with_retry(lambda: self._write_atomic(path, data), policy=self.retry, is_transient=_is_transient,
                            describe=f"write {key}")
        except OSError as exc:
            raise StorageError(f"cannot write {key} under {self.root}: {exc}") from exc

    def _write_atomic(self, path: Path, data: bytes) -> None:
        tmp_dir = self.root / _TMP_DIR
        try:
            fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        except FileNotFoundError:  # folders are made when first needed, not checked on every write
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if not self._deferred:
                    os.fsync(fh.fileno())
            os.chmod(tmp_name, _FILE_MODE)  # mkstemp makes 0600; lake files are for every reader (BI tools)
            try:
                os.replace(tmp_name, path)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_name, path)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return call_with_retry(path.read_bytes, policy=self.retry, is_transient=_is_transient,
                                   describe=f"read {key}")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None
        except OSError as exc:
            raise StorageError(f"cannot read {key} under {self.root}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def head(self, key: str) -> ObjectInfo:
        """Size and modification time; raises KeyError when the object does not exist."""
        try:
            st = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise KeyError(key) from None
        return ObjectInfo(key=key, size=st.st_size, etag=None,
                          last_modified=datetime.fromtimestamp(st.st_mtime, tz=UTC))

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return iter(())
        # Walk only the deepest folder the prefix names, then filter by the full prefix.
        base_parts = prefix.split("/")[:-1]
        base = self.root.joinpath(*base_parts) if base_parts else self.root
        if not base.is_dir():
            return iter(())
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            if rel_dir == ".":
                dirnames[:] = [d for d in dirnames if d != _TMP_DIR]
                rel_dir = ""
            for name in filenames:
                key = f"{rel_dir}/{name}" if rel_dir else name
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"cannot delete {key} under {self.root}: {exc}") from exc

    def uri(self, key: str = "") -> str:
        return str(self._path(key)) if key else str(self.root)

    def fsspec_filesystem(self) -> Any:
        """An fsspec local filesystem for :meth:`uri` paths (the same call as ``S3Store.fsspec_filesystem``)."""
        import fsspec

        return fsspec.filesystem("file")
