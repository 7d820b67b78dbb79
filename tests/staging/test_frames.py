"""ParsedReport → staging rows: every canonical cell, derived values flagged, failures kept as data."""

from __future__ import annotations

import pandas as pd
from staging_factory import PARSED_AT, make_report, outcome, sha

from xxgk.parsing.model import ExtensionCell, Issue
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS
from xxgk.staging.frames import (
    STAGING_TABLES,
    ParseOutcome,
    RawObject,
    frame,
    frames_for,
    parse_status,
    rows_for,
)


def test_every_canonical_cell_becomes_one_row_even_when_the_tables_are_absent() -> None:
    frames = frames_for([outcome(make_report("霍邱县扈胡镇人民政府", 2023, tables=False))])
    assert len(frames["table2_cells"]) == len(TABLE2_KEYS)
    assert len(frames["table3_cells"]) == len(TABLE3_ROWS) * len(TABLE3_COLS) == 175
    assert len(frames["table4_cells"]) == len(TABLE4_KEYS)
    assert set(frames["table3_cells"]["status"]) == {"absent"}
    assert frames["table3_cells"]["value"].isna().all()  # absent is never 0
    report = frames["reports"].iloc[0]
    assert not report["has_table3"] and report["parse_status"] == "ok"


def test_a_derived_cell_carries_the_derived_value_and_status_while_blanks_stay_null() -> None:
    report = make_report("托里县人民政府", 2021, statuses={("partial", "research"): "blank"},
                         derived={"table3.other_other.total": 0.0})
    t3 = frames_for([outcome(report)])["table3_cells"].set_index("cell_id")
    assert t3.loc["table3.other_other.total", "status"] == "derived"
    assert t3.loc["table3.other_other.total", "value"] == 0
    assert t3.loc["table3.partial.research", "status"] == "blank"


def test_a_2019_report_keeps_its_not_applicable_rows_as_na() -> None:
    t3 = frames_for([outcome(make_report("银川市西夏区人民政府", 2020, fmt="2019"))])["table3_cells"]
    na = t3[t3["status"] == "na"]
    assert set(na["row_key"]) == {"other_overdue_correction", "other_overdue_fee"}
    assert na["value"].isna().all()


def test_issues_are_rows_with_their_rule_and_cells() -> None:
    report = make_report("托里县人民政府", 2021, issues=(
        Issue("I3", "error", "总计 ≠ Σ", ("table3.total.research", "table3.granted.research")),
        Issue("spam_detected", "warning", "spam"),
    ))
    frames = frames_for([outcome(report)])
    issues = frames["parse_issues"]
    assert list(issues["rule"]) == ["I3", "spam_detected"]
    assert issues.iloc[0]["cells"] == "table3.total.research,table3.granted.research"
    assert frames["reports"].iloc[0]["parse_status"] == "error"
    assert (frames["reports"].iloc[0]["n_errors"], frames["reports"].iloc[0]["n_warnings"]) == (1, 1)


def test_a_parser_crash_is_a_failed_report_with_an_unreadable_issue() -> None:
    failed = ParseOutcome(RawObject(sha("x"), year_hint=2022, agency_hint="某县人民政府"), "1", PARSED_AT, None,
                          "ValueError: boom")
    frames = frames_for([failed])
    report = frames["reports"].iloc[0]
    assert report["parse_status"] == "failed" and report["n_errors"] == 1
    assert report["report_year"] == 2022 and report["agency_name"] == "某县人民政府"  # hints when nothing parsed
    assert frames["parse_issues"].iloc[0]["rule"] == "unreadable"
    assert "boom" in frames["parse_issues"].iloc[0]["message"]
    assert frames["table3_cells"].empty


def test_manifest_hints_never_override_what_the_report_says() -> None:
    o = outcome(make_report("托里县人民政府", 2021))
    hinted = ParseOutcome(RawObject(o.raw.sha256, year_hint=1999, agency_hint="别的机关"), "1", PARSED_AT, o.report)
    report = frames_for([hinted])["reports"].iloc[0]
    assert (report["report_year"], report["agency_name"]) == (2021, "托里县人民政府")


def test_parse_status_orders_failed_error_warning_ok() -> None:
    assert parse_status(None) == "failed"
    assert parse_status(make_report("a", 2021, issues=(Issue("unreadable", "error", "x"),))) == "failed"
    assert parse_status(make_report("a", 2021, issues=(Issue("I1", "error", "x"),))) == "error"
    assert parse_status(make_report("a", 2021, issues=(Issue("label_fuzzy", "warning", "x"),))) == "warning"
    assert parse_status(make_report("a", 2021)) == "ok"


def test_publication_dates_become_iso_dates_or_null() -> None:
    good = frames_for([outcome(make_report("a", 2021, publication_date="2022-02-26 12:18:24"))])["reports"]
    bad = frames_for([outcome(make_report("b", 2021, publication_date="二〇二二年"))])["reports"]
    assert good.iloc[0]["publication_date"] == "2022-02-26"
    assert bad["publication_date"].isna().all()


def _mixed_batch() -> list[ParseOutcome]:
    """Reports of both formats with extensions, derived cells, missing cells and rows, and two parser failures."""
    ext = (ExtensionCell("table2", "x2019_licensing_change", -3, "-3", "行政许可", "line 9"),
           ExtensionCell("table2", "x2019_not_a_key", 5, "5", "x", None),
           ExtensionCell("table3", "x2019_licensing_change", 7, "7", "y", "line 2"),
           ExtensionCell("table2", "x2019_punishment_change", None, "", "行政处罚", "line 10"))
    gaps = make_report("缺行的机关", 2022)
    del gaps.table3["granted"], gaps.table3["partial"]["research"], gaps.table4["review_upheld"]
    gaps.table2["licensing"] = None  # type: ignore[assignment]  # a None is an absent cell, as in cell_rows
    return [
        outcome(make_report("银川市西夏区教育局", 2020, fmt="2019", extensions=ext)),
        outcome(make_report("托里县人民政府", 2021, statuses={("partial", "research"): "blank"},
                            derived={"table3.other_other.total": 0.0, "table2.licensing": 3, "table4.review_total": 2.5,
                                     "table9.not_a_cell": 1})),
        ParseOutcome(RawObject(sha("x"), year_hint=2022, agency_hint="某县人民政府"), "1", PARSED_AT, None, "boom"),
        outcome(gaps),
        outcome(make_report(None, None, tables=False)),
        ParseOutcome(RawObject(sha("y")), "1", PARSED_AT, None, "TimeoutError: slow"),
    ]


def test_the_batch_frames_hold_exactly_the_rows_the_row_functions_describe() -> None:
    outcomes = _mixed_batch()
    frames, rows = frames_for(outcomes), rows_for(outcomes)
    for table in STAGING_TABLES:
        pd.testing.assert_frame_equal(frames[table], frame(table, rows[table]), check_exact=True)
    t2 = frames["table2_cells"].set_index(["source_sha256", "row_key"])
    assert list(frames["table2_cells"]["row_key"][:len(TABLE2_KEYS) + 2]) == [
        *TABLE2_KEYS, "x2019_licensing_change", "x2019_punishment_change"]
    derived = t2.loc[(outcomes[1].raw.sha256, "licensing")]
    assert (derived["value"], derived["status"]) == (3.0, "derived")
    absent = t2.loc[(outcomes[3].raw.sha256, "licensing")]
    assert absent["status"] == "absent" and pd.isna(absent["value"])
    t3 = frames["table3_cells"]
    assert set(t3[(t3["source_sha256"] == outcomes[3].raw.sha256) & (t3["row_key"] == "granted")]["status"]) == {
        "absent"}


def test_a_value_arrow_cannot_convert_exactly_is_kept_as_python_converts_it() -> None:
    huge = 2**60 + 1  # beyond 2**53: float() rounds it, Arrow refuses it
    report = make_report("大数", 2023, t2={"licensing": huge}, derived={"table2.punishment": 4})
    t2 = frames_for([outcome(report)])["table2_cells"].set_index("row_key")
    assert t2.loc["licensing", "value"] == float(huge)
    assert (t2.loc["punishment", "value"], t2.loc["punishment", "status"]) == (4.0, "derived")
