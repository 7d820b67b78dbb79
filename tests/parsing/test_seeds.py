"""The five real seed reports give exactly the values, derived cells and issues of format-spec §7."""

from __future__ import annotations

from pathlib import Path

import pytest

from xxgk.parsing.report import parse_path
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SEED = {p.name[:3]: p for p in SAMPLES.glob("*.txt")}


def _zeros3() -> dict[str, dict[str, int]]:
    return {r: dict.fromkeys(TABLE3_COLS, 0) for r in TABLE3_ROWS}


def _table3_with(**rows: list[int]) -> dict[str, dict[str, int]]:
    table = _zeros3()
    for row, values in rows.items():
        table[row] = dict(zip(TABLE3_COLS, values, strict=True))
    return table


def _rules(report) -> list[tuple[str, str]]:
    return sorted({(i.severity, i.rule) for i in report.issues})


def _values(report):
    d = report.to_json_dict()
    return d["table2"], d["table3"], d["table4"]


def test_seed000_cell_per_line_all_zero():
    report = parse_path(SEED["000"])
    t2, t3, t4 = _values(report)
    assert report.agency == "乌恰县乌恰镇人民政府"
    assert report.year == 2024
    assert report.format_version == "2021"
    assert report.publication_date == "2025-01-15"
    assert report.index_number == "K45899617/2025-00136"
    assert t2 == dict.fromkeys(TABLE2_KEYS, 0)
    assert t3 == _zeros3()
    assert t4 == dict.fromkeys(TABLE4_KEYS, 0)
    assert report.derived == {}
    assert report.issues == ()
    assert report.fee.status == "none"
    assert not report.has_spam
    assert set(report.sections) == {"overview", "proactive", "applications", "review_litigation", "problems", "other"}


def test_seed001_no_tables_is_all_null_with_errors_and_spam():
    report = parse_path(SEED["001"])
    t2, t3, t4 = _values(report)
    assert report.agency == "霍邱县扈胡镇人民政府"
    assert report.year == 2023
    assert all(v is None for v in t2.values())
    assert all(v is None for row in t3.values() for v in row.values())
    assert all(v is None for v in t4.values())
    assert report.derived == {}  # no zeros fabricated from the narrative
    missing = [i for i in report.issues if i.rule == "table_missing"]
    assert len(missing) == 3 and all(i.severity == "error" for i in missing)
    assert report.has_spam
    spam = [i for i in report.issues if i.rule == "spam_detected"]
    assert spam and "29" in spam[0].message and "33" in spam[0].message
    assert report.fee.status == "none"
    assert report.has_error


def test_seed002_tab_rows_lost_column_is_reported_and_derived():
    report = parse_path(SEED["002"])
    t2, t3, t4 = _values(report)
    assert report.agency == "伊川县半坡镇人民政府"
    assert report.year == 2024
    assert t2 == dict.fromkeys(TABLE2_KEYS, 0)
    assert t4 == dict.fromkeys(TABLE4_KEYS, 0)
    # Every visible number is 0; the header lost 其他, so that column is not reported but derived.
    assert all(v in (0, None) for row in t3.values() for v in row.values())
    assert all(t3[row]["other_org"] is None for row in TABLE3_ROWS)
    merged = {f"table3.{r}.{c}": t3[r][c] for r in TABLE3_ROWS for c in TABLE3_COLS}
    for key, value in report.derived.items():
        assert merged[key] is None, "a derived value never replaces a reported one"
        merged[key] = value
    assert all(v == 0 for v in merged.values())
    lost = [i for i in report.issues if i.rule == "column_lost"]
    assert lost and lost[0].severity == "warning"
    assert "table3.granted.other_org" in lost[0].cells
    assert not report.has_error
    assert report.fee.status == "none"


def test_seed003_pipe_rows_values():
    report = parse_path(SEED["003"])
    t2, t3, t4 = _values(report)
    assert report.agency == "西夏区人民政府办公室"
    assert report.year == 2024
    assert t2 == {**dict.fromkeys(TABLE2_KEYS, 0), "normative_repealed": 1, "normative_valid": 10}
    assert t3 == _table3_with(
        new_received=[9, 0, 0, 0, 0, 0, 9], granted=[8, 0, 0, 0, 0, 0, 8],
        reject_repeat=[1, 0, 0, 0, 0, 0, 1], total=[9, 0, 0, 0, 0, 0, 9],
    )
    assert t4 == {**dict.fromkeys(TABLE4_KEYS, 0), "review_upheld": 1, "review_total": 1}
    assert report.derived == {}
    assert report.issues == ()
    assert report.fee.status == "none"


def test_seed004_blank_lines_derives_missing_row_and_blank_cell():
    report = parse_path(SEED["004"])
    t2, t3, t4 = _values(report)
    assert report.agency == "托里县人民政府"
    assert report.year == 2021
    assert report.publication_date == "2022-02-26"
    assert t2 == {**dict.fromkeys(TABLE2_KEYS, 0), "licensing": 38540, "punishment": 33569, "fees_wan_yuan": 1356}
    assert report.table2["normative_made"].raw_label == "规范性文件"
    assert t3["partial"]["research"] is None
    assert report.table3["partial"]["research"].status == "blank"
    assert all(v is None for v in t3["other_other"].values())
    assert report.table3["other_other"]["total"].status == "absent"
    expected_derived = {"table3.partial.research": 0} | {f"table3.other_other.{c}": 0 for c in TABLE3_COLS}
    assert report.derived == expected_derived
    others = {(r, c) for r in TABLE3_ROWS for c in TABLE3_COLS} - {("partial", "research")} - {
        ("other_other", c) for c in TABLE3_COLS}
    assert all(t3[r][c] == 0 for r, c in others)
    assert t4 == dict.fromkeys(TABLE4_KEYS, 0)
    assert _rules(report) == [("warning", "cell_derived")]
    assert report.fee.status == "none"


@pytest.mark.parametrize("seed", ["000", "002", "003", "004"])
def test_seeds_with_tables_have_no_error(seed):
    assert not parse_path(SEED[seed]).has_error
