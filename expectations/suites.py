"""The gate's expectation suites, generated from the schema: ``agency_year__<concern>``.

Every check of ``xxgk.quality.checks.gate_checks()`` becomes one expectation on its residual column, except the
report-year and uniqueness checks, which validate the report attributes directly with GX's own metrics.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.custom import (
    RESIDUAL_EXPECTATIONS,
    ExpectOneCurrentReportPerAgencyYear,
    ExpectReportYearPlausible,
    ExpectReportYearPresent,
)
from xxgk.quality.checks import CONCERNS, CheckThresholds, GateCheck, gate_checks

MODEL = "agency_year"
ID_COLUMN = "source_sha256"


def suite_name(concern: str) -> str:
    return f"{MODEL}__{concern}"


def _meta(check: GateCheck) -> dict[str, str]:
    return {"rule": check.rule_id, "severity": check.severity, "gate_column": check.gate_column,
            "check": check.check_name}


def expectations_for(check: GateCheck, thresholds: CheckThresholds) -> list[gx.expectations.Expectation]:
    """The expectation(s) deciding one check."""
    meta = _meta(check)
    if check.check_name == "agency_year_plausible.year":
        return [
            ExpectReportYearPresent(column="report_year", meta=meta),
            ExpectReportYearPlausible(column="report_year", min_value=thresholds.min_year,
                                      max_value=thresholds.max_year, meta=meta),
        ]
    if check.rule_id == "one_current_report":
        return [ExpectOneCurrentReportPerAgencyYear(column_list=["agency_key", "report_year"], meta=meta)]
    return [RESIDUAL_EXPECTATIONS[check.rule_id](column=check.gate_column, meta=meta)]


def build_suites(thresholds: CheckThresholds | None = None) -> list[gx.ExpectationSuite]:
    """One suite per concern, every check of the schema in exactly one of them."""
    t = thresholds or CheckThresholds()
    by_concern: dict[str, list[gx.expectations.Expectation]] = {c: [] for c in CONCERNS}
    for check in gate_checks():
        by_concern[check.concern] += expectations_for(check, t)
    return [gx.ExpectationSuite(name=suite_name(c), expectations=by_concern[c]) for c in CONCERNS]
