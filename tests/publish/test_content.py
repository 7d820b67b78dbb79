from __future__ import annotations

from pathlib import Path

import pandas as pd

from xxgk.publish.content import CSV_BOM, frame_to_csv, write_tables


def test_release_csv_is_written_by_duckdb_as_pandas_writes_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "agency_name": ["北京市人民政府", "上海市, 浦东新区"],
        "report_year": [2023, 2024],
        "is_summary": [True, False],
        "published_at": pd.to_datetime(["2024-01-31", "2025-02-01"]),
        "parsed_at": pd.to_datetime(["2024-03-01 10:00:01.123456", "2025-03-01 00:00:00.000001"], utc=True),  # as parsed
        "value": [1.5, None],
    })
    files, _ = write_tables({"agency_year": frame}, tmp_path, csv_filters={})
    written = files["marts/agency_year.csv"].read_bytes()
    assert written.startswith(CSV_BOM) and not written.startswith(CSV_BOM * 2)
    assert written == frame_to_csv(frame)
    assert pd.read_csv(files["marts/agency_year.csv"], encoding="utf-8-sig").columns[0] == "agency_name"
