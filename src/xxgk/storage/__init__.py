"""Object storage: the :class:`ObjectStore` interface, a local folder (default) and S3 through boto3.

Pick a lake with :func:`open_lake`: ``None`` → ``$XXGK_LAKE`` → ``./lake``; a folder path gives a
:class:`LocalStore`, ``s3://bucket/prefix`` an :class:`S3Store` configured from the environment
(:class:`S3Settings`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from xxgk.storage.base import ObjectInfo, ObjectStore, StorageError
from xxgk.storage.config import S3Settings, parse_s3_uri
from xxgk.storage.local import LocalStore
from xxgk.storage.paths import MANIFEST_PREFIX, RAW_PREFIX, raw_key
from xxgk.storage.retry import RetryPolicy

if TYPE_CHECKING:
    from xxgk.storage.s3 import S3Store

DEFAULT_LAKE = "./lake"
LAKE_ENV = "XXGK_LAKE"

__all__ = [
    "DEFAULT_LAKE", "LAKE_ENV", "MANIFEST_PREFIX", "RAW_PREFIX", "LocalStore", "ObjectInfo", "ObjectStore",
    "RetryPolicy", "S3Settings", "S3Store", "StorageError", "lake_spec", "open_lake", "raw_key",
]


def lake_spec(spec: str | None = None) -> str:
    """The lake location actually used: ``spec``, else ``$XXGK_LAKE``, else ``./lake``."""
    return spec or os.environ.get(LAKE_ENV) or DEFAULT_LAKE


def open_lake(spec: str | None = None, *, settings: S3Settings | None = None, **kwargs: Any) -> ObjectStore:
    """Open the lake at ``spec`` (a folder, ``file://`` path or ``s3://bucket/prefix``).

    Extra keyword arguments (``retry=RetryPolicy(...)``, …) go to the store's constructor.
    """
    where = lake_spec(spec)
    if where.startswith("s3://"):
        from xxgk.storage.s3 import S3Store

        bucket, prefix = parse_s3_uri(where)
        return S3Store(bucket, prefix, settings=settings or S3Settings.from_env(), **kwargs)
    if where.startswith("file://"):
        where = where[len("file://"):]
    if "://" in where:
        raise ValueError(f"unsupported lake location {where!r}: use a folder or s3://bucket/prefix")
    return LocalStore(where, **kwargs)


def __getattr__(name: str) -> Any:  # S3Store imports boto3: only when asked for
    if name == "S3Store":
        from xxgk.storage.s3 import S3Store

        return S3Store
    raise AttributeError(name)
