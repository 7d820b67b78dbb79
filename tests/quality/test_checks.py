"""Plant each blocking and each warning defect in otherwise valid reports: exactly that rule fails for exactly that
report (the rule engine alone; the expectation suites are tested in tests/expectations)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from xxgk.quality.checks import (
    BLOCKING_RULES,
    GATE_RULES,
    WARNING_RULES,
    CheckThresholds,
    gate_frame,
    prepare_inputs,
    run_checks,
    stated_received,
)
from xxgk.quality.examples import ExampleReport, example_report, example_series, frames_for
from xxgk.quality.results import QUALITY_RESULTS_COLUMNS, quarantine_reasons
from xxgk.schema.identities import ERROR, RULES, WARNING
from xxgk.schema.keys import TABLE3_COLS, cell_id

THRESHOLDS = CheckThresholds(max_year=2025)
VICTIM = "受害县人民政府"


def _population() -> list[ExampleReport]:
    """Two agencies over three years plus one more agency; all valid, all cross-year consistent."""
    return (example_series(VICTIM, range(2022, 2025)) + example_series("旁观镇人民政府", range(2022, 2025), seed=3)
            + [example_report("独立街道办事处", 2024, seed=7)])


def _run(reports: list[ExampleReport], sections: pd.DataFrame | None = None) -> pd.DataFrame:
    f = frames_for(reports)
    inputs = prepare_inputs(f["table2_cells"], f["table3_cells"], f["table4_cells"], f["reports"], sections)
    return run_checks(inputs, run_id="test", thresholds=THRESHOLDS)


def _victim(reports: list[ExampleReport], year: int = 2024) -> ExampleReport:
    return next(r for r in reports if r.agency_name == VICTIM and r.report_year == year)


def test_rules_are_declared_once_with_their_severity() -> None:
    assert set(GATE_RULES) <= set(RULES)
    assert all(RULES[r].severity == ERROR for r in BLOCKING_RULES)
    assert all(RULES[r].severity == WARNING for r in WARNING_RULES)


def test_valid_population_passes_everything() -> None:
    results = _run(_population())
    assert list(results.columns) == list(QUALITY_RESULTS_COLUMNS)
    failed = results[~results["passed"]]
    assert failed.empty, failed[["agency_name", "report_year", "check_name", "message"]].to_string()
    assert set(results["rule_id"]) >= set(GATE_RULES) - {"text_vs_table"}


def _t3(row: str, col: str) -> str:
    return cell_id("table3", row, col)


def _bump(cell: str, by: float = 1) -> Callable[[ExampleReport], None]:
    return lambda r: r.set(cell, (r.values[cell] or 0) + by)


def _drop_table3(r: ExampleReport) -> None:
    for cid in list(r.values):
        if cid.startswith("table3."):
            r.set(cid, None, "absent")


def _duplicate(reports: list[ExampleReport]) -> None:
    twin = example_report(VICTIM, 2024, seed=99)
    twin.values = dict(_victim(reports).values)
    reports.append(twin)


# (id, defect planted in the 2024 report of VICTIM, the rule expected to fail, the failing check names)
def _plant_i1(r: ExampleReport) -> None:
    """carried_forward grows in one column and in 总计: rows still add up (I2), outcomes too (I3); only I1 breaks."""
    _bump(_t3("carried_forward", "research"))(r)
    _bump(_t3("carried_forward", "total"))(r)


def _plant_i2(r: ExampleReport) -> None:
    """The 总计 column grows in granted, total and new_received: columns still balance; only rows break (I2)."""
    for row in ("granted", "total", "new_received"):
        _bump(_t3(row, "total"))(r)


def _plant_i3(r: ExampleReport) -> None:
    """granted grows in one column and its 总计: rows balance, I1 untouched; only the outcome sums break (I3)."""
    _bump(_t3("granted", "natural_person"))(r)
    _bump(_t3("granted", "total"))(r)


BLOCKING_CASES = [
    pytest.param(_plant_i1, "I1", {"I1.research", "I1.total"}, id="I1-column-identity"),
    pytest.param(_plant_i2, "I2", {"I2.granted", "I2.total", "I2.new_received"}, id="I2-row-identity"),
    pytest.param(_plant_i3, "I3", {"I3.natural_person", "I3.total"}, id="I3-outcome-sum"),
    pytest.param(_bump(cell_id("table4", "review_total")), "I4", {"I4.review"}, id="I4-group-total"),
    pytest.param(lambda r: r.set(_t3("reject_repeat", "commercial"), None, "blank"), "cells_incomplete",
                 {"cells_incomplete.table3"}, id="completeness-one-blank-cell"),
    pytest.param(_drop_table3, "cells_incomplete", {"cells_incomplete.table3"}, id="completeness-table-missing"),
    pytest.param(lambda r: r.make_unreadable(), "unreadable", {"unreadable"}, id="unreadable"),
    pytest.param(lambda r: r.set(cell_id("table2", "licensing"), -3), "non_negative", {"non_negative.table2"},
                 id="negative-count"),
    pytest.param(lambda r: r.set(cell_id("table2", "punishment"), 2.5), "non_negative", {"non_negative.table2"},
                 id="fractional-count"),
    pytest.param(lambda r: setattr(r, "agency_name", None), "agency_year_plausible",
                 {"agency_year_plausible.agency"}, id="agency-missing"),
    pytest.param(lambda r: setattr(r, "agency_name", "|||"), "agency_year_plausible",
                 {"agency_year_plausible.agency"}, id="agency-implausible"),
]


@pytest.mark.parametrize(("plant", "rule", "checks"), BLOCKING_CASES)
def test_blocking_defect_fails_exactly_its_rule_for_exactly_that_report(plant, rule, checks) -> None:
    reports = _population()
    victim = _victim(reports)
    plant(victim)
    results = _run(reports)
    failed = results[~results["passed"]]
    assert set(failed["source_sha256"]) == {victim.source_sha256}, failed[["agency_name", "check_name"]]
    blocking = failed[failed["severity"] == ERROR]
    assert set(blocking["rule_id"]) == {rule}, blocking[["check_name", "message"]].to_string()
    if checks:
        assert set(blocking["check_name"]) == checks
    assert set(failed["rule_id"]) == {rule}, "a blocking defect must not also raise warnings here"
    q = quarantine_reasons(results)
    assert list(q["source_sha256"]) == [victim.source_sha256] and q.iloc[0]["rules"] == rule


def test_year_out_of_range_and_missing_year_are_blocking() -> None:
    reports = [example_report("甲县人民政府", 2031), example_report("乙县人民政府", 2024)]
    reports[1].report_year = None
    failed = _run(reports).query("~passed")
    assert set(failed["rule_id"]) == {"agency_year_plausible"}
    assert set(failed["check_name"]) == {"agency_year_plausible.year"}
    assert failed["source_sha256"].nunique() == 2


def test_two_current_reports_for_one_agency_year_both_fail() -> None:
    reports = _population()
    _duplicate(reports)
    failed = _run(reports).query("~passed")
    assert set(failed["rule_id"]) == {"one_current_report"}
    assert failed["source_sha256"].nunique() == 2


def test_superseded_versions_do_not_count_as_duplicates() -> None:
    reports = _population()
    _duplicate(reports)
    f = frames_for(reports)
    f["reports"]["is_current"] = [True] * (len(reports) - 1) + [False]
    inputs = prepare_inputs(f["table2_cells"], f["table3_cells"], f["table4_cells"], f["reports"])
    assert run_checks(inputs, run_id="t", thresholds=THRESHOLDS)["passed"].all()


def _sections(sha: str, text: str) -> pd.DataFrame:
    return pd.DataFrame([{"source_sha256": sha, "section_id": "overview", "text": text}])


def _plant_x1(r: ExampleReport) -> None:
    """上年结转 and 结转下年度 both grow by one (I1 and I2 still hold), so only last year's carry-over disagrees."""
    for row in ("carried_over", "carried_forward"):
        for col in ("natural_person", "total"):
            _bump(_t3(row, col))(r)


def _plant_2019_layout(r: ExampleReport) -> None:
    """Fold R21/R22 into the single 2019 （六） row and mark them not applicable: a valid 2019-layout report."""
    for col in TABLE3_COLS:
        for row in ("other_overdue_correction", "other_overdue_fee"):
            r.values[_t3("other_other", col)] += r.values[_t3(row, col)]
            r.set(_t3(row, col), None, "na")
    r.format_version = "2019"


WARNING_CASES = [
    pytest.param(_plant_x1, "X1", {"X1.natural_person", "X1.total"}, id="X1-carry-over"),
    pytest.param(_bump(cell_id("table2", "normative_valid"), 4), "X2", {"X2.normative"}, id="X2-stock"),
    pytest.param(lambda r: r.set(cell_id("table2", "fees_wan_yuan"), 1356000.0), "fee_magnitude", None,
                 id="fee-yuan-as-wan-yuan"),
    pytest.param(lambda r: r.set(cell_id("table2", "licensing"), 38540.0), "yoy_outlier",
                 {"yoy_outlier.table2.licensing"}, id="yoy-outlier"),
    pytest.param(_plant_2019_layout, "format_2019_late", None, id="2019-layout-late"),
    pytest.param(lambda r: (_plant_2019_layout(r), [r.set(cell_id("table2", k), None, "absent") for k in (
        "regulations_made", "regulations_repealed", "regulations_valid", "normative_made", "normative_repealed",
        "normative_valid", "fees_wan_yuan")]), "format_2019_late", None, id="2019-layout-table2-cells-not-required"),
]


@pytest.mark.parametrize(("plant", "rule", "checks"), WARNING_CASES)
def test_warning_defect_flags_exactly_its_rule_for_exactly_that_report(plant, rule, checks) -> None:
    reports = _population()
    victim = _victim(reports)
    plant(victim)
    results = _run(reports)
    failed = results[~results["passed"]]
    assert set(failed["rule_id"]) == {rule}, failed[["agency_name", "check_name", "message"]].to_string()
    assert set(failed["source_sha256"]) == {victim.source_sha256}
    if checks:
        assert set(failed["check_name"]) == checks
    assert quarantine_reasons(results).empty


def test_text_vs_table_flags_a_wrong_narrative_count() -> None:
    reports = _population()
    victim, other = _victim(reports), reports[-1]
    n = int(victim.values[_t3("new_received", "total")])
    m = int(other.values[_t3("new_received", "total")])
    sections = pd.concat([_sections(victim.source_sha256, f"全年共收到依申请公开{n + 5}件，其中网上申请2件。"),
                          _sections(other.source_sha256, f"本年度共收到政府信息公开申请{m}件。")])
    results = _run(reports, sections)
    tvt = results[results["rule_id"] == "text_vs_table"].set_index("source_sha256")
    assert not tvt.loc[victim.source_sha256, "passed"] and tvt.loc[other.source_sha256, "passed"]
    assert "共收到依申请公开" in tvt.loc[victim.source_sha256, "message"]
    assert set(results.query("~passed")["rule_id"]) == {"text_vs_table"}


def test_spam_text_is_flagged() -> None:
    reports = _population()
    victim = _victim(reports)
    sections = _sections(victim.source_sha256, "深入推进政务公开麻将胡了最新官方版下载工作。")
    failed = _run(reports, sections).query("~passed")
    assert set(failed["rule_id"]) == {"spam_detected"} and set(failed["source_sha256"]) == {victim.source_sha256}


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("全年共收到依申请公开9件,其中网上申请7件", 9, id="seed003"),
    pytest.param("本年度共受理政府信息公开申请 12 件。", 12, id="spaces"),
    pytest.param("本年度未收到政府信息公开申请。", 0, id="none-received"),
    pytest.param("共收到人大代表建议10件", None, id="not-applications"),
    pytest.param("未收到因政府信息公开申请引起的行政复议", None, id="review-not-applications"),
])
def test_stated_received(text: str, expected: int | None) -> None:
    got = stated_received(text)
    assert (got[0] if got else None) == expected


def test_gate_frame_holds_one_residual_column_per_check() -> None:
    reports = _population()
    _victim(reports).set(cell_id("table4", "review_total"), 99.0)
    f = frames_for(reports)
    inputs = prepare_inputs(f["table2_cells"], f["table3_cells"], f["table4_cells"], f["reports"])
    results = run_checks(inputs, run_id="t", thresholds=THRESHOLDS)
    frame = gate_frame(inputs, results)
    assert len(frame) == len(reports)
    assert set(results["gate_column"]) <= set(frame.columns)
    bad = frame[frame["I4__review"] != 0]
    assert list(bad["agency_name"]) == [VICTIM]


@pytest.mark.parametrize(("agency", "fee", "flagged"), [
    ("旁观镇人民政府", 20_000.0, True),  # a township: above 10^4 万元 is 元 entered as 万元
    ("旁观镇人民政府", 9_000.0, False),
    (VICTIM, 16_849.77, False),  # a county's fee of that size is plausible (format-spec §2 limits townships)
    (VICTIM, 1_356_000.0, True),
])
def test_fee_limit_depends_on_the_agency_level(agency: str, fee: float, flagged: bool) -> None:
    reports = _population()
    target = next(r for r in reports if r.agency_name == agency and r.report_year == 2024)
    target.set(cell_id("table2", "fees_wan_yuan"), fee)
    results = _run(reports)
    fee_checks = results[(results["rule_id"] == "fee_magnitude") & (results["agency_name"] == agency)
                         & (results["report_year"] == 2024)]
    assert len(fee_checks) == 1 and bool(fee_checks["passed"].iloc[0]) is not flagged
