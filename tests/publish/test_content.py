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


def test_no_csv_for_a_table_longer_than_a_spreadsheet_opens(tmp_path: Path, monkeypatch) -> None:
    import duckdb

    from xxgk.publish import content
    from xxgk.publish.content import DuckTable, csv_too_long_note, data_dictionary

    monkeypatch.setattr(content, "SPREADSHEET_MAX_ROWS", 4)  # a header and three rows at most
    source = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(source))
    con.execute("create schema marts")
    con.execute("create table marts.fct_long as select range as n from range(4)")  # 5 CSV rows with the header
    con.execute("create table marts.fct_short as select range as n from range(3)")
    con.close()
    checks = pd.DataFrame({"check": ["a", "b", "c", "d", "e"], "passed": [True, True, False, True, True]})
    tables = {"fct_long": DuckTable(str(source), "marts", "fct_long"),
              "fct_short": DuckTable(str(source), "marts", "fct_short"),
              "checks": checks, "too_many_checks": checks}
    files, infos = write_tables(tables, tmp_path / "release", csv_filters={"checks": "not passed"})
    assert {k for k in files if k.endswith(".csv")} == {"marts/fct_short.csv", "marts/checks.csv"}
    assert all(f"marts/{name}.parquet" in files for name in tables)
    assert len(pd.read_parquet(files["marts/fct_long.parquet"])) == 4 and infos["fct_long"].rows == 4
    assert not (tmp_path / "release" / "marts" / "fct_long.csv").exists()
    md, _ = data_dictionary(infos, csv_notes={"fct_long": csv_too_long_note("fct_long", 4)})
    assert "`marts/fct_long.csv` is not published" in md.decode()
