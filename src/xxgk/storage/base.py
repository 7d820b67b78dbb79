"""The object-store interface shared by the local folder and S3 implementations (ARCHITECTURE.md storage layout).

Keys are ``/``-separated and relative to the lake root: ``raw/ab/ab12…``, ``staging/reports/report_year=2024/…``,
``releases/CURRENT``. Writes are atomic: a reader sees the whole object under its key or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


class StorageError(Exception):
    """A storage operation failed for good (after retries); the message says which key and why."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object besides its bytes (``head(key)`` on LocalStore and S3Store)."""

    key: str
    size: int
    etag: str | None
    last_modified: datetime | None
    content_type: str | None = None


@runtime_checkable
class ObjectStore(Protocol):
    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Write ``data`` under ``key`` atomically (replace if present)."""

    def get_bytes(self, key: str) -> bytes:
        """Read the object; raises KeyError when it does not exist."""

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under ``prefix``, in lexical order."""

    def delete(self, key: str) -> None: ...

    def uri(self, key: str = "") -> str:
        """A location other tools can read: a local path, or ``s3://bucket/prefix/key``."""


@contextmanager
def deferred_sync(store: ObjectStore) -> Iterator[None]:
    """Many writes, one flush to disk at the end, for stores that offer it (``LocalStore.deferred_sync``); writes
    stay atomic. Stores whose writes are durable when they return (S3) need nothing."""
    method = getattr(store, "deferred_sync", None)
    if method is None:
        yield
        return
    with method():
        yield
