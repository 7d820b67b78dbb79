"""The publication lock: one ``releases/_LOCK`` object, created exclusively, so two runs cannot publish at once.

Creation is atomic where the store allows it (``O_EXCL`` on a local folder, ``If-None-Match: *`` on S3) and
falls back to create-then-verify elsewhere. A lock left by a crashed run is taken over when it is provably stale:
same host and the owning process is gone, or older than ``stale_after_s``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xxgk.storage.base import ObjectStore

logger = logging.getLogger(__name__)

LOCK_KEY = "releases/_LOCK"
DEFAULT_STALE_AFTER_S = 6 * 3600


class PublishLocked(Exception):
    """Another run holds the publication lock; the message says who, since when, and what to do."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_exclusive(store: ObjectStore, key: str, data: bytes) -> bool:
    """Create ``key`` only if it does not exist; True when this call created it."""
    path_of = getattr(store, "_path", None)
    if path_of is not None and hasattr(store, "root"):  # LocalStore: O_EXCL is atomic on one file system
        path = path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return True
    client, bucket, full = getattr(store, "client", None), getattr(store, "bucket", None), getattr(store, "_full", None)
    if client is not None and bucket and full is not None:  # S3Store: a conditional PUT
        try:
            client.put_object(Bucket=bucket, Key=full(key), Body=data, IfNoneMatch="*")
            return True
        except Exception as exc:  # noqa: BLE001 - botocore errors are not importable here without boto3
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                return False
            logger.debug("conditional PUT unsupported (%s); falling back to create-then-verify", type(exc).__name__)
    if store.exists(key):
        return False
    store.put_bytes(key, data, content_type="application/json")
    return store.get_bytes(key) == data


@dataclass
class PublishLock:
    """``with PublishLock(store, owner="run-42"):`` holds the lock for the block (released even on errors)."""

    store: ObjectStore
    owner: str
    stale_after_s: float = DEFAULT_STALE_AFTER_S
    break_lock: bool = False
    _token: str | None = None

    def _payload(self) -> bytes:
        self._token = uuid.uuid4().hex
        return json.dumps({
            "owner": self.owner, "token": self._token, "host": socket.gethostname(), "pid": os.getpid(),
            "acquired_at": datetime.now(UTC).isoformat(timespec="seconds"), "acquired_epoch": time.time(),
        }).encode()

    def holder(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.store.get_bytes(LOCK_KEY))
        except KeyError:
            return None
        except ValueError:
            return {"owner": "?", "acquired_epoch": 0}

    def _is_stale(self, info: dict[str, Any]) -> bool:
        age = time.time() - float(info.get("acquired_epoch") or 0)
        if age > self.stale_after_s:
            return True
        return info.get("host") == socket.gethostname() and isinstance(info.get("pid"), int) and not _pid_alive(
            info["pid"])

    def acquire(self) -> None:
        payload = self._payload()
        if _create_exclusive(self.store, LOCK_KEY, payload):
            logger.info("publication lock acquired by %s", self.owner)
            return
        info = self.holder() or {}
        if self.break_lock or self._is_stale(info):
            logger.warning("taking over the publication lock left by %s (acquired %s on %s, pid %s)",
                           info.get("owner"), info.get("acquired_at"), info.get("host"), info.get("pid"))
            self.store.delete(LOCK_KEY)
            if _create_exclusive(self.store, LOCK_KEY, payload):
                return
            info = self.holder() or {}
        raise PublishLocked(
            f"another publish run holds the lock {self.store.uri(LOCK_KEY)}: owner {info.get('owner')!r}, "
            f"since {info.get('acquired_at')}, host {info.get('host')}, pid {info.get('pid')}. Wait for it to "
            "finish; if no run is active, re-run with --break-lock (or delete that object)."
        )

    def release(self) -> None:
        info = self.holder()
        if info is not None and info.get("token") == self._token:
            self.store.delete(LOCK_KEY)
            logger.info("publication lock released by %s", self.owner)

    def __enter__(self) -> PublishLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
