"""Validated staging frames → Parquet objects under ``staging/<table>/report_year=YYYY/``; quarantine records.

A batch is all-or-nothing: every frame is validated (pandera, from the table specs) before the first byte is
written. A batch that fails writes nothing to the staging tables; a JSON record under ``staging/_quarantine/``
names its reports, the ones that broke the schema and the reason. File names carry the batch id (a hash of the
parser version and the report hashes), so re-running the same batch replaces its files instead of duplicating rows.
Every batch writes a file for every table in each of its year partitions, empty when it has no rows, so readers
(dbt, DuckDB) always find each table with its full, typed schema. ``reports`` is written last: a batch cut short
(a crash, a storage error) leaves its reports unstaged, and the next run writes the same files again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xxgk.schema.tables import PARTITION_COLUMN, TABLE_SPECS
from xxgk.staging.pandera import StagingSchemaError, validate_frame
from xxgk.storage.base import ObjectStore

logger = logging.getLogger(__name__)

STAGING_PREFIX = "staging"
QUARANTINE_PREFIX = f"{STAGING_PREFIX}/_quarantine"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
}


def arrow_schema(table: str) -> pa.Schema:
    spec = TABLE_SPECS[table]
    return pa.schema(
        [pa.field(f.name, ARROW_TYPES[f.dtype], nullable=f.nullable) for f in spec.fields],
        metadata={b"xxgk.table": table.encode(), b"xxgk.primary_key": ",".join(spec.primary_key).encode()},
    )


def batch_id(parser_version: str, shas: Iterable[str]) -> str:
    h = hashlib.sha256(parser_version.encode())
    for s in sorted(shas):
        h.update(s.encode())
    return h.hexdigest()[:16]


def partition_value(year: object) -> str:
    return NULL_PARTITION if year is None or pd.isna(year) else str(int(year))  # type: ignore[call-overload]


def staging_key(table: str, year: object, bid: str) -> str:
    return f"{STAGING_PREFIX}/{table}/{PARTITION_COLUMN}={partition_value(year)}/part-{bid}.parquet"


def arrow_table(table: str, df: pd.DataFrame) -> pa.Table:
    """A staging frame as the Arrow table written to Parquet: the spec's columns, types and schema metadata."""
    arrays = []
    for f in TABLE_SPECS[table].fields:
        col = df[f.name]
        if f.dtype == "date":
            values = [None if pd.isna(v) else dt.date.fromisoformat(v) for v in col]
            arrays.append(pa.array(values, type=pa.date32()))
        else:
            arrays.append(pa.array(col, type=ARROW_TYPES[f.dtype], from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=arrow_schema(table))


def parquet_bytes(tbl: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(tbl, buf, compression="zstd")
    return buf.getvalue()


def to_parquet_bytes(table: str, df: pd.DataFrame) -> bytes:
    return parquet_bytes(arrow_table(table, df))


def partition_rows(tbl: pa.Table, year: str) -> pa.Table:
    """The rows of ``tbl`` whose :func:`partition_value` is ``year``, in their order."""
    years = tbl.column(PARTITION_COLUMN)
    if year == NULL_PARTITION:
        mask = pc.is_null(years)
    else:  # a null year is not this year
        mask = pc.fill_null(pc.equal(years, pa.scalar(int(year), type=years.type)), False)
    if tbl.num_rows and pc.all(mask).as_py():  # one partition holds the whole batch: no copy
        return tbl
    return tbl.filter(mask)


@dataclass
class BatchResult:
    batch_id: str
    n_reports: int
    written_keys: list[str] = field(default_factory=list)
    quarantined: bool = False
    reason: str | None = None
    offending: list[str] = field(default_factory=list)  # report hashes whose rows broke the schema


def _offending_shas(df: pd.DataFrame, err: StagingSchemaError) -> list[str]:
    fc = err.failures
    if fc is None or "index" not in fc or fc["index"].isna().all():
        return sorted(set(df["source_sha256"].dropna())) if "source_sha256" in df else []
    idx = [i for i in fc["index"].dropna().unique() if i in df.index]
    if not idx or "source_sha256" not in df:
        return sorted(set(df["source_sha256"].dropna())) if "source_sha256" in df else []
    return sorted(set(df.loc[idx, "source_sha256"].dropna()))


def write_quarantine(store: ObjectStore, result: BatchResult, parser_version: str, shas: list[str]) -> str:
    key = f"{QUARANTINE_PREFIX}/{result.batch_id}.json"
    record = {
        "batch_id": result.batch_id,
        "parser_version": parser_version,
        "quarantined_at": dt.datetime.now(dt.UTC).isoformat(),
        "reason": result.reason,
        "reports": [{"source_sha256": s, "is_offending": s in result.offending} for s in sorted(shas)],
    }
    store.put_bytes(key, json.dumps(record, ensure_ascii=False, indent=1).encode(), content_type="application/json")
    return key


def write_batch(store: ObjectStore, frames: dict[str, pd.DataFrame], parser_version: str) -> BatchResult:
    """Validate every frame of a batch, then write them all, partitioned by report year; or quarantine it."""
    shas = [str(s) for s in frames["reports"]["source_sha256"]]
    result = BatchResult(batch_id(parser_version, shas), len(shas))
    validated: dict[str, pd.DataFrame] = {}
    for table in TABLE_SPECS:
        try:
            validated[table] = validate_frame(table, frames[table])
        except StagingSchemaError as err:
            result.quarantined = True
            result.reason = str(err)
            result.offending = _offending_shas(frames[table], err)
            qkey = write_quarantine(store, result, parser_version, shas)
            logger.warning("batch %s quarantined (%d reports, see %s): %s", result.batch_id, len(shas), qkey,
                           result.reason)
            return result
    years = sorted({partition_value(y) for y in validated["reports"][PARTITION_COLUMN]})
    # ``reports`` goes last: it is what marks a report as staged, so a batch cut short is parsed again.
    # Each validated frame becomes Arrow once; its partitions are row selections of that table.
    for table in sorted(validated, key=lambda t: t == "reports"):
        tbl = arrow_table(table, validated[table])
        for year in years:
            key = staging_key(table, None if year == NULL_PARTITION else int(year), result.batch_id)
            store.put_bytes(key, parquet_bytes(partition_rows(tbl, year)), content_type="application/parquet")
            result.written_keys.append(key)
    logger.info("batch %s: %d reports written to %d partitions", result.batch_id, len(shas), len(years))
    return result
