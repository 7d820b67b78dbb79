"""The raw-zone manifest: one Parquet file per ingest run under ``raw/_manifest/``, one row per ingested entry.

Rows are never rewritten (so a manifest file once read is kept in memory, :data:`_TABLES`, and not read again by
the same process while its size and date stay the same: the annual run reads the manifest in ingest and again when
it lists what to parse). The history of a source (a path, URL or ``s3://`` URI) is the sequence of its rows;
its current version is its newest non-failed row. Readers:

* :func:`read_manifest` — every row of every run, as a pandas DataFrame, oldest first;
* :func:`current_objects` — the objects to parse: the current version of every source, one row per sha256;
* :func:`latest_versions` — the newest non-failed row per source (what the next run compares against).
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from xxgk.storage.base import ObjectStore
from xxgk.storage.paths import MANIFEST_PREFIX

logger = logging.getLogger(__name__)

STATUSES: tuple[str, ...] = ("new", "unchanged", "changed", "failed")

MANIFEST_SCHEMA = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("source_kind", pa.string(), nullable=False),  # file | url | s3
    pa.field("source", pa.string(), nullable=False),  # absolute path, URL (fragment dropped) or s3:// URI
    pa.field("origin", pa.string()),  # the argument or CSV line the entry came from
    pa.field("final_url", pa.string()),  # after redirects
    pa.field("parent_url", pa.string()),  # the report page an attachment was linked from
    pa.field("parent_sha256", pa.string()),
    pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("status", pa.string(), nullable=False),  # new | unchanged | changed | failed
    pa.field("error", pa.string()),  # why it failed
    pa.field("sha256", pa.string()),
    pa.field("previous_sha256", pa.string()),  # for status changed: the version this one replaces
    pa.field("is_new_object", pa.bool_()),  # this run wrote raw/<sha256[:2]>/<sha256>
    pa.field("size", pa.int64()),
    pa.field("media_type", pa.string()),  # xxgk.storage.sniff.MEDIA_TYPES
    pa.field("encoding", pa.string()),  # detected (utf-8, gb18030, utf-16) for html/text
    pa.field("declared_charset", pa.string()),  # what the header or <meta> claimed
    pa.field("content_type", pa.string()),  # Content-Type header (URL) or object metadata (S3)
    pa.field("http_status", pa.int32()),
    pa.field("etag", pa.string()),
    pa.field("last_modified", pa.string()),  # as sent (HTTP date) or ISO 8601 (S3, files)
    pa.field("agency_hint", pa.string()),
    pa.field("year_hint", pa.int32()),
    pa.field("mtime_ns", pa.int64()),  # local files: st_mtime_ns when read (an unchanged size + mtime is not re-read)
])
MANIFEST_COLUMNS: tuple[str, ...] = tuple(MANIFEST_SCHEMA.names)
CURRENT_OBJECT_COLUMNS: tuple[str, ...] = (
    "sha256", "media_type", "encoding", "size", "agency_hint", "year_hint", "source_kind", "source", "final_url",
    "parent_url", "parent_sha256", "fetched_at", "run_id",
)


@dataclass(frozen=True)
class ManifestRow:
    """One manifest row; field names and order are :data:`MANIFEST_SCHEMA`'s."""

    run_id: str
    source_kind: str
    source: str
    fetched_at: datetime
    status: str
    origin: str | None = None
    final_url: str | None = None
    parent_url: str | None = None
    parent_sha256: str | None = None
    error: str | None = None
    sha256: str | None = None
    previous_sha256: str | None = None
    is_new_object: bool | None = None
    size: int | None = None
    media_type: str | None = None
    encoding: str | None = None
    declared_charset: str | None = None
    content_type: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    agency_hint: str | None = None
    year_hint: int | None = None
    mtime_ns: int | None = None


assert {f.name for f in fields(ManifestRow)} == set(MANIFEST_COLUMNS)


def manifest_key(run_id: str) -> str:
    return f"{MANIFEST_PREFIX}{run_id}.parquet"


def rows_to_table(rows: list[ManifestRow]) -> pa.Table:
    columns = {name: [getattr(r, name) for r in rows] for name in MANIFEST_COLUMNS}
    return pa.Table.from_pydict(columns, schema=MANIFEST_SCHEMA)


def write_manifest(store: ObjectStore, run_id: str, rows: list[ManifestRow]) -> str:
    """Write one run's rows as ``raw/_manifest/<run_id>.parquet`` (atomically) and return the key."""
    buf = io.BytesIO()
    pq.write_table(rows_to_table(rows), buf, compression="zstd")
    key = manifest_key(run_id)
    store.put_bytes(key, buf.getvalue(), content_type="application/vnd.apache.parquet")
    logger.info("manifest %s: %d rows", key, len(rows))
    return key


_TABLES: OrderedDict[str, pa.Table] = OrderedDict()  # location of a manifest file → its rows
_TABLES_MAX = 256
_TABLES_LOCK = threading.Lock()


def _manifest_table(store: ObjectStore, key: str) -> pa.Table:
    head = getattr(store, "head", None)
    if head is None:
        return conform(pq.read_table(io.BytesIO(store.get_bytes(key))))
    info = head(key)  # a file written again under the same key (a partial manifest completed) is read again
    where = f"{store.uri(key)}|{info.size}|{info.etag}|{info.last_modified}"
    with _TABLES_LOCK:
        table = _TABLES.get(where)
        if table is not None:
            _TABLES.move_to_end(where)
            return table
    table = conform(pq.read_table(io.BytesIO(store.get_bytes(key))))
    with _TABLES_LOCK:
        _TABLES[where] = table
        while len(_TABLES) > _TABLES_MAX:
            _TABLES.popitem(last=False)
    return table


def read_manifest(store: ObjectStore) -> pd.DataFrame:
    """Every manifest row of every run, oldest first (by ``fetched_at``, then run)."""
    tables = [_manifest_table(store, key) for key in store.list_keys(MANIFEST_PREFIX) if key.endswith(".parquet")]
    table = pa.concat_tables(tables, promote_options="default") if tables else MANIFEST_SCHEMA.empty_table()
    df = table.to_pandas(types_mapper=_pandas_type)
    return df.sort_values(["fetched_at", "run_id"], kind="stable").reset_index(drop=True)


def conform(table: pa.Table) -> pa.Table:
    """A manifest table in :data:`MANIFEST_SCHEMA` (files of older versions lack newer columns: null there)."""
    if table.schema == MANIFEST_SCHEMA:
        return table
    columns = [table.column(f.name) if f.name in table.column_names else pa.nulls(len(table), f.type)
               for f in MANIFEST_SCHEMA]
    return pa.Table.from_arrays(columns, names=list(MANIFEST_COLUMNS)).cast(MANIFEST_SCHEMA)


def _pandas_type(arrow_type: pa.DataType) -> object:
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype() if arrow_type == pa.int64() else pd.Int32Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def latest_versions(manifest: pd.DataFrame) -> pd.DataFrame:
    """The newest non-failed row per source, indexed by ``source``."""
    ok = manifest[manifest["status"] != "failed"]
    return ok.drop_duplicates("source", keep="last").set_index("source")


def current_objects(store: ObjectStore) -> pd.DataFrame:
    """The objects to parse: the current version of every source, one row per sha256 (the newest sighting).

    Columns: :data:`CURRENT_OBJECT_COLUMNS` (sha256, media_type, encoding, size, hints, source and lineage).
    """
    current = latest_versions(read_manifest(store)).reset_index()
    current = current.drop_duplicates("sha256", keep="last")
    return current.loc[:, list(CURRENT_OBJECT_COLUMNS)].sort_values("sha256").reset_index(drop=True)
