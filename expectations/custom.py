"""Custom expectations of the publication gate: one class per rule family, ``Expect<Subject><Property>``.

Each validates a residual column of the gate frame (one row per report; 0 when the check holds; null when it
could not be evaluated) or a report attribute. The classes fix their bounds, so a domain rule gets its name once;
the rule id and severity travel in each instance's ``meta``.
"""

from __future__ import annotations

import great_expectations.expectations as gxe


class _ResidualIsZero(gxe.ExpectColumnValuesToBeBetween):
    """The residual column is 0 for every report where it could be evaluated."""

    min_value: float = 0
    max_value: float = 0


class ExpectTable3ColumnsBalance(_ResidualIsZero):
    """I1 · 表三 per column: 本年新收 + 上年结转 = 办理结果总计 + 结转下年度继续办理."""

    description: str = "表三 per column: 本年新收 + 上年结转 = （七）总计 + 结转下年度继续办理 (I1)"


class ExpectTable3RowsSumToTotal(_ResidualIsZero):
    """I2 · 表三 per row: 总计 = 自然人 + 五类法人或其他组织."""

    description: str = "表三 per row: 总计 = 自然人 + the five 法人或其他组织 columns (I2)"


class ExpectTable3OutcomesSumToTotal(_ResidualIsZero):
    """I3 · 表三 per column: （七）总计 = Σ outcome rows."""

    description: str = "表三 per column: （七）总计 = the sum of the outcome rows (I3)"


class ExpectTable4GroupsSumToTotal(_ResidualIsZero):
    """I4 · 表四 per group: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结."""

    description: str = "表四 per group: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结 (I4)"


class ExpectNarrativeMatchesTable3(_ResidualIsZero):
    """text_vs_table · 「共收到…N件」 in the text = 表三 本年新收 总计."""

    description: str = "the number of applications stated in the text equals 表三 本年新收 总计"


class ExpectTableCellsComplete(_ResidualIsZero):
    """cells_incomplete · the number of canonical cells neither reported nor derived is 0."""

    description: str = "every canonical cell of the table is present as reported or derived"


class ExpectReportReadable(_ResidualIsZero):
    """unreadable · the parser could read the input as a report."""

    description: str = "the input could be read as a report"


class ExpectAgencyNamePlausible(_ResidualIsZero):
    """agency_year_plausible · the agency name is present and looks like a Chinese agency name."""

    description: str = "the agency name is present and plausible"


class ExpectReportYearPlausible(gxe.ExpectColumnValuesToBeBetween):
    """agency_year_plausible · the report year lies in the range of the national format."""

    description: str = "the report year is within the years the national format covers"


class ExpectReportYearPresent(gxe.ExpectColumnValuesToNotBeNull):
    """agency_year_plausible · every report has a report year."""

    description: str = "every report has a report year"


class ExpectOneCurrentReportPerAgencyYear(gxe.ExpectCompoundColumnsToBeUnique):
    """one_current_report · one current report per agency and report year."""

    ignore_row_if: str = "any_value_is_missing"
    description: str = "one current report per agency and report year"


class ExpectCountsNonNegative(_ResidualIsZero):
    """non_negative · the number of negative or fractional counts (negative fee) is 0."""

    description: str = "counts are non-negative integers; the fee is non-negative"


class ExpectFeeMagnitudePlausible(_ResidualIsZero):
    """fee_magnitude · 行政事业性收费 does not exceed the plausible 万元 limit."""

    description: str = "行政事业性收费 (万元) is below the limit where 元 were probably entered as 万元"


class ExpectNoSpam(_ResidualIsZero):
    """spam_detected · no injected spam or defacement text."""

    description: str = "no injected spam or defacement text"


class ExpectCurrentFormatLayout(_ResidualIsZero):
    """format_2019_late · the 2019 trial layout is not used after report year 2020."""

    description: str = "the 2019 trial layout is not used for report years after 2020"


class ExpectCarryOverMatchesPriorYear(_ResidualIsZero):
    """X1 · 上年结转 = the same agency's previous 结转下年度继续办理, per column."""

    description: str = "上年结转 equals the previous year's 结转下年度继续办理 (X1)"


class ExpectStockMatchesPriorYear(_ResidualIsZero):
    """X2 · 现行有效 = previous 现行有效 + 本年制发 − 本年废止."""

    description: str = "现行有效件数 = previous year's stock + 本年制发 − 本年废止 (X2)"


class ExpectNoYearOnYearOutlier(_ResidualIsZero):
    """yoy_outlier · no implausible jump against the agency's previous year."""

    description: str = "no implausible jump against the agency's previous year"


# rule id → the class validating its residual column
RESIDUAL_EXPECTATIONS: dict[str, type[gxe.ExpectColumnValuesToBeBetween]] = {
    "I1": ExpectTable3ColumnsBalance,
    "I2": ExpectTable3RowsSumToTotal,
    "I3": ExpectTable3OutcomesSumToTotal,
    "I4": ExpectTable4GroupsSumToTotal,
    "text_vs_table": ExpectNarrativeMatchesTable3,
    "unreadable": ExpectReportReadable,
    "cells_incomplete": ExpectTableCellsComplete,
    "agency_year_plausible": ExpectAgencyNamePlausible,
    "non_negative": ExpectCountsNonNegative,
    "fee_magnitude": ExpectFeeMagnitudePlausible,
    "spam_detected": ExpectNoSpam,
    "format_2019_late": ExpectCurrentFormatLayout,
    "X1": ExpectCarryOverMatchesPriorYear,
    "X2": ExpectStockMatchesPriorYear,
    "yoy_outlier": ExpectNoYearOnYearOutlier,
}
