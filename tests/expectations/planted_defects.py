"""A population of valid reports with one planted defect per agency: the gate must fail exactly that rule for
exactly that report (imported by the expectation and flow tests)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from xxgk.quality.examples import ExampleReport, example_report, example_series, frames_for
from xxgk.schema.keys import TABLE3_COLS, cell_id


def _t3(row: str, col: str) -> str:
    return cell_id("table3", row, col)


def _bump(r: ExampleReport, cell: str, by: float = 1) -> None:
    r.set(cell, (r.values[cell] or 0) + by)


def _i1(r: ExampleReport) -> None:
    _bump(r, _t3("carried_forward", "research"))
    _bump(r, _t3("carried_forward", "total"))


def _i2(r: ExampleReport) -> None:
    for row in ("granted", "total", "new_received"):
        _bump(r, _t3(row, "total"))


def _i3(r: ExampleReport) -> None:
    _bump(r, _t3("granted", "natural_person"))
    _bump(r, _t3("granted", "total"))


def _i4(r: ExampleReport) -> None:
    _bump(r, cell_id("table4", "direct_suit_total"))


def _incomplete(r: ExampleReport) -> None:
    r.set(_t3("reject_repeat", "commercial"), None, "blank")


def _negative(r: ExampleReport) -> None:
    r.set(cell_id("table2", "coercion"), -2.0)


def _no_agency(r: ExampleReport) -> None:
    r.agency_name = None


def _bad_year(r: ExampleReport) -> None:
    r.report_year = 2099


def _x1(r: ExampleReport) -> None:
    for row in ("carried_over", "carried_forward"):
        _bump(r, _t3(row, "natural_person"))
        _bump(r, _t3(row, "total"))


def _x2(r: ExampleReport) -> None:
    _bump(r, cell_id("table2", "regulations_valid"), 3)


def _fee(r: ExampleReport) -> None:
    r.set(cell_id("table2", "fees_wan_yuan"), 1_356_000.0)


def _yoy(r: ExampleReport) -> None:
    r.set(cell_id("table2", "punishment"), 33_569.0)


def _layout_2019(r: ExampleReport) -> None:
    for col in TABLE3_COLS:
        for row in ("other_overdue_correction", "other_overdue_fee"):
            r.values[_t3("other_other", col)] += r.values[_t3(row, col)]
            r.set(_t3(row, col), None, "na")
    r.format_version = "2019"


# agency → (defect, rule expected to fail, is blocking)
PLANTED: dict[str, tuple[Callable[[ExampleReport], None], str, bool]] = {
    "一号县人民政府": (_i1, "I1", True),
    "二号县人民政府": (_i2, "I2", True),
    "三号县人民政府": (_i3, "I3", True),
    "四号县人民政府": (_i4, "I4", True),
    "五号镇人民政府": (_incomplete, "cells_incomplete", True),
    "六号镇人民政府": (_negative, "non_negative", True),
    "七号镇人民政府": (_no_agency, "agency_year_plausible", True),
    "八号镇人民政府": (_bad_year, "agency_year_plausible", True),
    "九号街道办事处": (lambda r: None, "one_current_report", True),
    "九号乙镇人民政府": (lambda r: r.make_unreadable(), "unreadable", True),  # a second current report is added
    "十号县人民政府": (_x1, "X1", False),
    "十一号县人民政府": (_x2, "X2", False),
    "十二号县人民政府": (_fee, "fee_magnitude", False),
    "十三号县人民政府": (_yoy, "yoy_outlier", False),
    "十四号县人民政府": (_layout_2019, "format_2019_late", False),
    "十五号县人民政府": (lambda r: None, "text_vs_table", False),  # its text says a different number
    "十六号县人民政府": (lambda r: None, "spam_detected", False),  # its text carries spam
}
CLEAN = ("干净市人民政府", "清白区人民政府")
YEAR = 2024


def planted_population() -> tuple[list[ExampleReport], dict[str, pd.DataFrame], dict[str, tuple[str, bool]]]:
    """Reports (two years per agency, defect in the later year), staging frames, and sha → (rule, blocking)."""
    reports: list[ExampleReport] = []
    expected: dict[str, tuple[str, bool]] = {}
    texts: dict[str, str] = {}
    for i, agency in enumerate([*PLANTED, *CLEAN]):
        series = example_series(agency, range(YEAR - 1, YEAR + 1), seed=i)
        reports += series
        victim = series[-1]
        if agency in PLANTED:
            PLANTED[agency][0](victim)
        n = int(victim.values[_t3("new_received", "total")] or 0)
        if victim.parse_status != "failed":
            texts[victim.source_sha256] = f"本年度共收到政府信息公开申请{n}件。"
        if agency in PLANTED:
            _, rule, blocking = PLANTED[agency]
            expected[victim.source_sha256] = (rule, blocking)
            if rule == "one_current_report":
                twin = example_report(agency, YEAR, seed=100 + i)
                twin.values, twin.statuses = dict(victim.values), dict(victim.statuses)
                reports.append(twin)
                expected[twin.source_sha256] = (rule, blocking)
            if rule == "text_vs_table":
                texts[victim.source_sha256] = f"本年度共收到政府信息公开申请{n + 7}件。"
            if rule == "spam_detected":
                texts[victim.source_sha256] += "麻将胡了最新官方版下载"
    frames = frames_for(reports)
    frames["sections"] = pd.DataFrame([{"source_sha256": s, "section_id": "overview", "text": t}
                                       for s, t in texts.items()])
    return reports, frames, expected
