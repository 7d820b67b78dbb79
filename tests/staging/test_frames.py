"""ParsedReport → staging rows: every canonical cell, derived values flagged, failures kept as data."""

from __future__ import annotations

from staging_factory import PARSED_AT, make_report, outcome, sha

from xxgk.parsing.model import Issue
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS
from xxgk.staging.frames import ParseOutcome, RawObject, frames_for, parse_status


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
