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


def _column_types(db: Path, table: str) -> list[tuple[str, str]]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return [(r[0], r[1]) for r in con.execute(f'describe "marts"."{table}"').fetchall()]


def test_a_frame_is_stored_with_the_types_pandas_gives_it_whether_or_not_it_converts_to_arrow(tmp_path: Path) -> None:
    import duckdb

    frame = pd.DataFrame({
        "rule_id": pd.Categorical(["I1", "I2", "I1"]),  # a compact frame's text categorical: VARCHAR, not ENUM
        "message": ["a", None, "c"],
        "report_year": [2023, 2024, 2024],
        "delta": [0.5, None, 2.0],
        "passed": [True, False, True],
        "parsed_at": pd.to_datetime(["2024-03-01 10:00:01.123456"] * 3, utc=True),
    })
    mixed = frame.assign(note=pd.Series([1, "two", None], dtype=object))  # does not convert to Arrow
    files, _ = write_tables({"checks": frame, "mixed": mixed}, tmp_path, csv_filters={})
    with duckdb.connect() as con:  # what DuckDB makes of the frame itself
        con.register("frame", frame)
        expected = [(r[0], r[1]) for r in con.execute(
            "describe select rule_id::VARCHAR as rule_id, * exclude (rule_id) from frame").fetchall()]
    by_name = dict(expected)
    assert dict(_column_types(files["xxgk.duckdb"], "checks")) == by_name
    assert dict(_column_types(files["xxgk.duckdb"], "mixed")).items() >= by_name.items()
    assert pd.read_parquet(files["marts/checks.parquet"])["message"].tolist()[::2] == ["a", "c"]
    assert pd.read_parquet(files["marts/mixed.parquet"])["note"].tolist()[:2] == ["1", "two"]
