"""A small planted multi-year corpus: several agencies of 银川市 over 2020–2022, a 2019-layout year, a corrected
re-publication, a 汇总 report, carry-over and stock breaks, a derived cell, and reports the marts must leave out.

Expected values used by the tests are written next to the plants.
"""

from __future__ import annotations

from staging_factory import PARSED_AT, make_report, outcome, sha, table3_grid, table4_values

from xxgk.schema.keys import TABLE2_KEYS
from xxgk.staging.dbt_vars import table2_keys_not_in_layout
from xxgk.staging.frames import ParseOutcome, RawObject

COUNTY = "银川市西夏区人民政府"  # A: county government, 640105
DEPT = "银川市西夏区教育局"  # B: department of the county
STREET = "西夏区文昌路街道办事处"  # C: township-level street office in 西夏区
SUMMARY = "西夏区人民政府（汇总）"  # D: consolidated report of the county (must never be summed twice)
OTHER_COUNTY = "银川市兴庆区人民政府"  # E: another county of 银川市, 640104
PROVINCE_DEPT = "宁夏回族自治区教育厅"  # F: department of the province


def _2019_table2_statuses() -> dict[tuple[str, str], str]:
    return {("table2", k): "absent" for k in table2_keys_not_in_layout()["2019"]}


def _t2(**values: float) -> dict[str, float]:
    return {k: 0 for k in TABLE2_KEYS} | values


def planted_outcomes() -> list[ParseOutcome]:
    o = []
    # A 2020, 2019 layout: （六）其他处理 is one row (other_other = 3);
    # R21/R22 and the 2021-only table 二 cells are n/a.
    o.append(outcome(make_report(
        COUNTY, 2020, fmt="2019", statuses=_2019_table2_statuses(), t2=_t2(licensing=10),
        t3=table3_grid({"granted": [4, 0, 0, 0, 0, 0], "other_other": [3, 0, 0, 0, 0, 0]},
                       carried_forward=[2, 0, 0, 0, 0, 0], fmt="2019"))))
    # A 2021: carried_over matches 2020's carried_forward (no break).
    o.append(outcome(make_report(
        COUNTY, 2021, t2=_t2(normative_valid=10),
        t3=table3_grid({"granted": [5, 1, 0, 0, 0, 0], "partial": [1, 0, 0, 0, 0, 0],
                        "deny_third_party": [1, 0, 0, 0, 0, 0], "unable_no_info": [2, 0, 0, 0, 0, 0],
                        "reject_repeat": [1, 0, 0, 0, 0, 0]},
                       carried_over=[2, 0, 0, 0, 0, 0], carried_forward=[1, 1, 0, 0, 0, 0]),
        t4=table4_values(review=(1, 1, 0, 0), direct_suit=(0, 1, 1, 1)))))
    # A 2022: carried_over natural_person 3 against last year's carried_forward 1 → X1 break (+2; total +2).
    o.append(outcome(make_report(
        COUNTY, 2022, t2=_t2(normative_made=2, normative_repealed=1, normative_valid=11),
        t3=table3_grid({"granted": [6, 1, 0, 0, 0, 0], "partial": [2, 0, 0, 0, 0, 0],
                        "reject_massive": [1, 0, 0, 0, 0, 0]},
                       carried_over=[3, 1, 0, 0, 0, 0], carried_forward=[0] * 6),
        t4=table4_values(review=(2, 1, 0, 1)))))
    # B 2021 and 2022 (two publications of 2022; the later, corrected one wins and has a derived cell).
    o.append(outcome(make_report(DEPT, 2021, t2=_t2(normative_valid=4),
                                 t3=table3_grid({"granted": [2, 0, 0, 0, 0, 0]}))))
    o.append(outcome(make_report(DEPT, 2022, publication_date="2023-01-20", t2=_t2(normative_made=1, normative_valid=5),
                                 t3=table3_grid({"granted": [1, 0, 0, 0, 0, 0]}))))
    o.append(outcome(make_report(DEPT, 2022, publication_date="2023-03-01", t2=_t2(normative_made=1, normative_valid=5),
                                 t3=table3_grid({"granted": [3, 0, 0, 0, 0, 0]}),
                                 statuses={("other_other", "total"): "absent"},
                                 derived={"table3.other_other.total": 0.0})))
    # C 2021 and 2022: 现行有效 stock 5 → 7 with nothing made or repealed → X2 break (+2).
    o.append(outcome(make_report(STREET, 2021, t2=_t2(normative_valid=5),
                                 t3=table3_grid({"granted": [1, 0, 0, 0, 0, 0]}))))
    o.append(outcome(make_report(STREET, 2022, t2=_t2(normative_valid=7),
                                 t3=table3_grid({"granted": [2, 0, 0, 0, 0, 0]}))))
    # D: the county's 汇总 report for 2022 = A + B + C; region roll-ups must leave it out.
    o.append(outcome(make_report(
        SUMMARY, 2022, title="银川市西夏区2022年政府信息公开工作年度报告（汇总）",
        t3=table3_grid({"granted": [11, 1, 0, 0, 0, 0], "partial": [2, 0, 0, 0, 0, 0],
                        "reject_massive": [1, 0, 0, 0, 0, 0]}, carried_over=[3, 1, 0, 0, 0, 0]))))
    # E and F, 2022.
    o.append(outcome(make_report(OTHER_COUNTY, 2022, t3=table3_grid({"granted": [4, 0, 0, 0, 0, 0]}))))
    o.append(outcome(make_report(PROVINCE_DEPT, 2022, t3=table3_grid({"granted": [7, 0, 0, 0, 0, 0]}))))
    # Left out of the marts: a report without an agency, and one the parser could not read.
    o.append(outcome(make_report(None, 2022), key="no-agency"))
    o.append(ParseOutcome(RawObject(sha("unreadable"), year_hint=2022, agency_hint=COUNTY), "1", PARSED_AT, None,
                          "ReaderError: not a report"))
    return o


# region_year t3_granted_total for 2022 (汇总 excluded): county 西夏区 = A 7 + B 3 + C 2 = 12 (not 12 + 12);
# city 银川市 = 12 + E 4 = 16; province 宁夏 = 16 + F 7 = 23.
EXPECTED_GRANTED_2022 = {("county", "640105"): 12, ("city", "640100"): 16, ("province", "640000"): 23}


# ------------------------------------------------------------------------------------------------------------------
# A generated corpus (xxgk.synth): rendered report files with their ground truth, parsed by the real parser during
# `xxgk build`. No defects except one planted carry-over break (the last year of the first multi-year chain).
# ------------------------------------------------------------------------------------------------------------------
SYNTH_LEVELS = {  # synth level → (dim_agency.agency_level, parent_level)
    "province": ("province", None), "province_dept": ("department", "province"),
    "prefecture": ("prefecture_city", None), "prefecture_dept": ("department", "prefecture_city"),
    "county": ("county", None), "county_dept": ("department", "county"), "township": ("township", None),
}


def synth_items(n: int = 18, seed: int = 11,
                years: tuple[int, ...] = (2020, 2021, 2022)) -> list[tuple[str, bytes, dict]]:
    """(file name, bytes, truth) for ``n`` reports of agencies over ``years`` (2020 uses the 2019 layout)."""
    import hashlib
    import random

    from xxgk.schema.keys import TABLE3_PART_COLS
    from xxgk.synth import build_report, render, truth_dict
    from xxgk.synth.corpus import plan_corpus

    out: list[tuple[str, bytes, dict]] = []
    broken = False
    for chain in plan_corpus(n, seed=seed, years=years):
        rng = random.Random(chain.seed)
        carried, previous_t2 = None, None
        for offset, year in enumerate(chain.years):
            kinds: tuple[str, ...] = ()
            if not broken and offset == len(chain.years) - 1 and offset > 0:
                kinds, broken = ("carry_over_break",), True
            report = build_report(rng, chain.agency, year, defect_kinds=kinds, carried_over=carried,
                                  previous_table2=previous_t2)
            carried = {c: int(report.intended.table3["carried_forward"][c] or 0) for c in TABLE3_PART_COLS}
            previous_t2 = report.intended.table2
            data = render(report)
            ext = "html" if report.style.serialization.startswith("html") else "txt"
            name = f"synth_{chain.first_index + offset:04d}_{hashlib.sha1(data).hexdigest()[:12]}.{ext}"
            out.append((name, data, truth_dict(report, file=name)))
    return out
