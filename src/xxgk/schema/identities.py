"""Rule ids, severities and the arithmetic identities of format-spec §5, as data.

The parser, the staging checks, the dbt tests and the expectation suites all read these definitions; a rule id
means the same thing everywhere it appears.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from xxgk.schema.keys import (
    TABLE3_COLS,
    TABLE3_OUTCOME_ROWS,
    TABLE3_PART_COLS,
    TABLE3_ROWS,
    TABLE3_ROWS_NOT_IN_LAYOUT,
    TABLE4_GROUPS,
    TABLE4_LEAVES,
    cell_id,
)

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    description: str


RULES: dict[str, Rule] = {
    r.rule_id: r
    for r in (
        Rule("I1", ERROR, "表三 per column: 本年新收 + 上年结转 = 办理结果总计 + 结转下年度"),
        Rule("I2", ERROR, "表三 per row: 总计 = 自然人 + 五类法人或其他组织"),
        Rule("I3", ERROR, "表三 per column: （七）总计 = Σ outcome rows"),
        Rule("I4", ERROR, "表四 per group: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结"),
        Rule("non_negative", ERROR, "counts are non-negative integers and fees non-negative"),
        Rule("unreadable", ERROR, "the input could not be read as a report"),
        Rule("table_missing", ERROR, "a required table was not found"),
        Rule("cells_incomplete", ERROR, "canonical cells neither reported nor derivable"),
        Rule("glued_ambiguous", ERROR, "glued digits admit several splits that satisfy the identities"),
        Rule("column_placement_ambiguous", ERROR, "a row lost cells and the lost positions change its numbers"),
        Rule("column_lost", WARNING, "a row carries fewer value cells than the table has columns"),
        Rule("cell_derived", WARNING, "a cell missing in the source was derived from the identities"),
        Rule("glued_split", WARNING, "glued digits were split with the identities"),
        Rule("extension_row", WARNING, "a row that is not part of the official table was kept raw"),
        Rule("value_unparsed", WARNING, "a value cell holds text that is not a number"),
        Rule("spam_detected", WARNING, "injected spam or defacement text was found"),
        Rule("agency_missing", WARNING, "the agency name was not found"),
        Rule("year_missing", WARNING, "the report year was not found"),
        Rule("format_2019_late", WARNING, "the 2019 layout is used for a report year after 2020"),
        Rule("fee_magnitude", WARNING, "行政事业性收费 looks like 元 entered as 万元"),
        Rule("label_fuzzy", WARNING, "a label matched its canonical form only approximately"),
        Rule("ocr_derived", WARNING, "cells were read by OCR from a scanned page or image; check them"),
        Rule("agency_year_plausible", ERROR, "the agency name and the report year are present and plausible"),
        Rule("one_current_report", ERROR, "exactly one current report per agency and report year"),
        Rule("X1", WARNING, "表三 per column: 上年结转 = the same agency's 结转下年度继续办理 of the previous year"),
        Rule("X2", WARNING, "表二 现行有效件数 = previous year's 现行有效件数 + 本年制发件数 − 本年废止件数"),
        Rule("text_vs_table", WARNING, "a number stated in the text (共收到…N件) disagrees with the table"),
        Rule("yoy_outlier", WARNING, "a headline number jumped implausibly against the agency's previous year"),
    )
}


@dataclass(frozen=True)
class Identity:
    """Σ ``left`` = Σ ``right`` over dotted cell ids (``table3.total.research``); every cell is non-negative."""

    rule_id: str
    name: str
    left: tuple[str, ...]
    right: tuple[str, ...]

    @property
    def cells(self) -> tuple[str, ...]:
        return self.left + self.right


@functools.cache
def table3_identities(format_version: str = "2021") -> tuple[Identity, ...]:
    """I1–I3 for one table 三 layout."""
    outcome_rows = TABLE3_OUTCOME_ROWS[format_version]
    absent = TABLE3_ROWS_NOT_IN_LAYOUT[format_version]
    out: list[Identity] = []
    for col in TABLE3_COLS:
        out.append(Identity(
            "I1", f"I1.{col}",
            (cell_id("table3", "new_received", col), cell_id("table3", "carried_over", col)),
            (cell_id("table3", "total", col), cell_id("table3", "carried_forward", col)),
        ))
    for row in TABLE3_ROWS:
        if row not in absent:
            out.append(Identity(
                "I2", f"I2.{row}", (cell_id("table3", row, "total"),),
                tuple(cell_id("table3", row, c) for c in TABLE3_PART_COLS),
            ))
    for col in TABLE3_COLS:
        out.append(Identity(
            "I3", f"I3.{col}", (cell_id("table3", "total", col),),
            tuple(cell_id("table3", r, col) for r in outcome_rows),
        ))
    return tuple(out)


@functools.cache
def table4_identities() -> tuple[Identity, ...]:
    leaves = [leaf for leaf in TABLE4_LEAVES if leaf != "total"]
    return tuple(
        Identity("I4", f"I4.{group}", (cell_id("table4", f"{group}_total"),),
                 tuple(cell_id("table4", f"{group}_{leaf}") for leaf in leaves))
        for group in TABLE4_GROUPS
    )


@functools.cache
def all_identities(format_version: str = "2021") -> tuple[Identity, ...]:
    return table3_identities(format_version) + table4_identities()
