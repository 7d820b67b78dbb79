"""Assemble a synthetic report: agency + year + numbers + prose + style + planted defects; and its ground truth.

:func:`build_report` is the one place where a :class:`~xxgk.synth.model.Report` is made; :func:`random_report`
is the convenience entry point the parser tests use, and :func:`truth_dict` the JSON record written beside the
rendered file (format-spec §8 shape plus what was planted).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from xxgk.schema.keys import (
    TABLE2_2019_ROW_KEYS,
    TABLE2_KEYS,
    TABLE3_COLS,
    TABLE3_PART_COLS,
    TABLE3_ROWS,
    TABLE3_ROWS_NOT_IN_LAYOUT,
    TABLE4_KEYS,
    cell_id,
)
from xxgk.synth import defects as D
from xxgk.synth.model import (
    RULE_LEVELS,
    Defect,
    Report,
    Values,
    broken_identities,
    derive_cells,
    generate_values,
)
from xxgk.synth.population import LEVELS, Agency, make_agency
from xxgk.synth.style import SERIALIZATIONS, Style, choose_style
from xxgk.synth.text import (
    choose_fee,
    other_paragraphs,
    overview_paragraphs,
    problems_paragraphs,
    publication_dates,
)

STRAY_LABEL = "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"


def format_version_for(year: int) -> str:
    """The layout in force for a report year (format-spec: 2019 trial version for 2019–2020)."""
    return "2019" if year <= 2020 else "2021"


def _copy_values(v: Values) -> Values:
    return Values(dict(v.table2), {r: dict(cols) for r, cols in v.table3.items()}, dict(v.table4), dict(v.extensions))


def _initial_statuses(values: Values, fv: str) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for k in TABLE2_KEYS:
        if values.table2.get(k) is None:
            statuses[cell_id("table2", k)] = "na"
    for r in TABLE3_ROWS_NOT_IN_LAYOUT[fv]:
        for c in TABLE3_COLS:
            statuses[cell_id("table3", r, c)] = "na"
    return statuses


def build_report(
    rng: random.Random,
    agency: Agency,
    year: int,
    *,
    format_version: str | None = None,
    style: Style | None = None,
    defect_kinds: Sequence[str] = (),
    carried_over: Mapping[str, int] | None = None,
    previous_table2: Mapping[str, Any] | None = None,
    variants: bool = True,
) -> Report:
    """One report for ``agency`` and ``year`` with the given defects planted (unknown or impossible ones skipped)."""
    kinds = list(defect_kinds)
    unknown = [k for k in kinds if k not in D.DEFECT_KINDS]
    if unknown:
        raise ValueError(f"unknown defect kind(s) {unknown}; expected some of {', '.join(D.DEFECT_KINDS)}")
    fv = format_version or format_version_for(year)
    planted: list[Defect] = []
    if "format_2019_late" in kinds:
        if year > 2020 and fv == "2021":
            fv = "2019"
            planted.append(Defect("format_2019_late", "format_2019_late", (), {"year": year}))
        kinds.remove("format_2019_late")
    if "carry_over_break" in kinds:
        kinds.remove("carry_over_break")
        if carried_over is not None:
            carried_over, defect = D.break_carry_over(rng, {c: int(carried_over[c]) for c in TABLE3_PART_COLS})
            planted.append(defect)
    intended = generate_values(rng, agency.level, fv, is_summary=agency.is_summary, carried_over=carried_over,
                               previous_table2=previous_table2)
    if fv == "2021" and agency.level not in RULE_LEVELS and rng.random() < 0.15:
        for k in TABLE2_KEYS[:3]:  # 规章 written as 「/」 where no 规章 can be made (format-spec §2)
            intended.table2[k] = None
    published = _copy_values(intended)
    statuses = _initial_statuses(intended, fv)
    fee, fee_sentence = choose_fee(rng, agency, year, intended)
    sections = {
        "overview": "\n".join(overview_paragraphs(rng, agency, year, intended)),
        "problems": "\n".join(problems_paragraphs(rng, agency, year)),
        "other": "\n".join(other_paragraphs(rng, agency, year, fee_sentence)),
    }
    t2, t3, t4 = published.table2, published.table3, published.table4
    for kind in kinds:
        if kind == "identity_break":
            planted.append(D.plant_identity_break(rng, fv, t3, t4))
        elif kind == "missing_table":
            planted.extend(D.plant_missing_table(rng, fv, t2, t3, t4, statuses))
        elif kind == "lost_column":
            planted.append(D.plant_lost_column(rng, fv, t3, t4, statuses))
        elif kind == "blank_cell":
            planted.append(D.plant_blank_cell(rng, fv, t3, statuses))
        elif kind == "missing_row":
            planted.append(D.plant_missing_row(rng, fv, t3, statuses))
        elif kind == "spam":
            planted.append(D.plant_spam(rng, sections))
    if "fee_magnitude" in kinds and fv == "2021" and "table2" not in D.missing_tables(planted):
        # after the tables it needs are known
        planted.append(D.plant_fee_magnitude(rng, t2, intended.table2, agency.name))
    if any(d.kind == "identity_break" for d in planted):
        broken = list(broken_identities(published, fv))
        planted = [Defect(d.kind, d.rule, d.cells, {**d.detail, "identities": broken})
                   if d.kind == "identity_break" else d for d in planted]
    if any(d.kind == "missing_table" and d.detail.get("stray_label") for d in planted):
        paras = sections["overview"].split("\n")
        paras.insert(len(paras) - 1, STRAY_LABEL)
        sections["overview"] = "\n".join(paras)
    if style is None:
        style = choose_style(rng, variants=variants,
                             serialization="glued" if "glued_digits" in kinds else None)
    if style.serialization == "glued":
        planted.append(Defect("glued_digits", "glued_split", (), {"glue_rows": style.glue_rows}))
    planted = D.visible_defects(planted)
    published_on, signed_on = publication_dates(rng, agency, year)
    return Report(
        agency=agency,
        year=year,
        format_version=fv,
        values=published,
        intended=intended,
        statuses=statuses,
        publication_date=published_on,
        signature_date=signed_on,
        fee=fee,
        sections=sections,
        style=style,
        defects=tuple(planted),
        seed=rng.getrandbits(32),
    )


def random_report(
    rng: random.Random,
    *,
    level: str | None = None,
    year: int | None = None,
    format_version: str | None = None,
    serialization: str | None = None,
    defects: Sequence[str] | bool = False,
    defect_rate: float = 0.3,
    variants: bool = True,
    is_summary: bool = False,
    agency: Agency | None = None,
    style: Style | None = None,
) -> Report:
    """A random report. ``defects=False`` (default) plants none; ``True`` plants at ``defect_rate``; a sequence
    of kinds (``("missing_row",)``) plants exactly those that apply."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    if serialization is not None and serialization not in SERIALIZATIONS:
        raise ValueError(f"unknown serialization {serialization!r}; expected one of {', '.join(SERIALIZATIONS)}")
    agency = agency or make_agency(rng, level or rng.choice(LEVELS), is_summary=is_summary)
    year = year or rng.choice((2021, 2022, 2023, 2024))
    if defects is True:
        kinds: Sequence[str] = D.choose_defect_kinds(rng, defect_rate)
    elif defects is False:
        kinds = ()
    else:
        kinds = tuple(defects)
    if serialization is not None and style is None:
        style = choose_style(rng, serialization=serialization, variants=variants)
    elif "glued_digits" in kinds and style is None:
        style = choose_style(rng, serialization="glued", variants=variants)
    return build_report(rng, agency, year, format_version=format_version, style=style, defect_kinds=kinds,
                        variants=variants)


@functools.cache
def _na_skip(fv: str) -> frozenset[str]:
    return frozenset(cell_id("table3", r, c) for r in TABLE3_ROWS_NOT_IN_LAYOUT[fv] for c in TABLE3_COLS)


def derived_cells(report: Report) -> dict[str, int]:
    """The cells a parser should derive: missing in the source, forced by the identities (format-spec §5)."""
    has_missing = any(v is None for row in report.table3.values() for v in row.values()) or any(
        v is None for v in report.table4.values())
    if not has_missing:
        return {}
    skip = _na_skip(report.format_version)
    return {k: v for k, v in derive_cells(report.values, report.format_version, skip).items()
            if report.statuses.get(k) != "na"}


def truth_dict(report: Report, *, file: str | None = None, serialization: str | None = None,
               **style_options: Any) -> dict[str, Any]:
    """The ground-truth record of one report (JSON-ready): published values, derived cells and planted defects.

    It describes the report as rendered with its own style; pass the same ``serialization`` and options given to
    :func:`~xxgk.synth.render.render` to describe another rendering (glued digits then count as a defect).
    """
    from xxgk.synth.render import effective_report, page_facts, report_title

    report = effective_report(report, serialization, **style_options)
    agency = report.agency
    style = report.style
    table2 = {k: report.table2.get(k) for k in TABLE2_KEYS}
    extensions = {}
    if report.format_version == "2019":
        extensions = {k: report.values.extensions.get(k) for keys in TABLE2_2019_ROW_KEYS.values() for k in keys
                      if k is not None and k not in TABLE2_KEYS}
    out: dict[str, Any] = {
        "file": file,
        "agency": agency.name,
        "year": report.year,
        "format_version": report.format_version,
        "level": agency.level,
        "is_summary": agency.is_summary,
        "region": {"province": agency.region.province, "city": agency.region.city, "county": agency.region.county,
                   "code": agency.region.code},
        "title": report_title(report),
        "has_title_line": style.title_mode != "none",
        "serialization": style.serialization,
        "encoding": style.encoding,
        "declared_charset": style.meta_charset if style.serialization in ("html", "html_gbk") else None,
        "publication_date": report.publication_date.isoformat(),
        "page": {
            "index_number": page_facts(report)[1] if "metadata" in style.chrome else None,
            "publication_time": page_facts(report)[0].strftime("%Y-%m-%d %H:%M")
            if {"metadata", "publine"} & set(style.chrome) else None,
            "chrome": list(style.chrome),
        },
        "signature_date": report.signature_date.isoformat(),
        "fee": {"status": report.fee.status, "amount_yuan": report.fee.amount_yuan, "notices": report.fee.notices},
        "has_spam": any(d.kind == "spam" for d in report.defects),
        "table2": table2,
        "table3": {r: {c: report.table3[r][c] for c in TABLE3_COLS} for r in TABLE3_ROWS},
        "table4": {k: report.table4.get(k) for k in TABLE4_KEYS},
        "statuses": dict(sorted(report.statuses.items())),
        "derived": derived_cells(report),
        "defects": [d.to_json_dict() for d in report.defects],
    }
    if extensions:
        out["extensions"] = extensions
    return out


def with_style(report: Report, **changes: Any) -> Report:
    """The same report with some style fields changed."""
    return replace(report, style=replace(report.style, **changes))
