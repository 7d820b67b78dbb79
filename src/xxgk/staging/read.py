"""Reading staging tables back (for checks, tests and the quality gate), through the lake's object store.

Each file carries every column, ``report_year`` included, so files are read as they are and concatenated; the
``report_year=…`` folder names are only for pruning (a null year sits in ``__HIVE_DEFAULT_PARTITION__``).
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from xxgk.staging.write import STAGING_PREFIX, arrow_schema
from xxgk.storage.base import ObjectStore


def read_staging_table(store: ObjectStore, table: str, *, years: set[int] | None = None) -> pd.DataFrame:
    """Every row of one staging table (optionally only some report years), with the spec's Arrow types."""
    parts = []
    for key in store.list_keys(f"{STAGING_PREFIX}/{table}/"):
        if not key.endswith(".parquet"):
            continue
        if years is not None:
            folder = key.split("/")[2].removeprefix("report_year=")
            if not folder.isdigit() or int(folder) not in years:
                continue
        parts.append(pq.read_table(io.BytesIO(store.get_bytes(key))))
    schema = arrow_schema(table)
    combined = pa.concat_tables([p.cast(schema) for p in parts]) if parts else schema.empty_table()
    return combined.to_pandas(types_mapper=pd.ArrowDtype).reset_index(drop=True)
