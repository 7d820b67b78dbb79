"""The synthetic report model and its numbers: a frozen :class:`Report` and :func:`generate_values`.

Values are generated so that the identities I1–I4 of format-spec §5 hold exactly; defects (``defects.py``) break
them afterwards on purpose and say so. :func:`derive_cells` is the reference for what a parser can force from the
identities when cells are missing, and :func:`broken_identities` lists the identities a set of numbers violates.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xxgk.schema.identities import Identity, all_identities
from xxgk.schema.keys import (
    TABLE2_2019_ROW_KEYS,
    TABLE2_KEYS,
    TABLE3_COLS,
    TABLE3_OUTCOME_ROWS,
    TABLE3_PART_COLS,
    TABLE3_ROWS,
    TABLE3_ROWS_NOT_IN_LAYOUT,
    TABLE4_GROUPS,
    TABLE4_KEYS,
    TABLE4_LEAVES,
)
from xxgk.synth.population import Agency

Number = int | float
Table2 = dict[str, Number | None]
Table3 = dict[str, dict[str, int | None]]
Table4 = dict[str, int | None]

# Typical share of applications by applicant type (C1…C6) and of concluded applications by outcome row.
_COLUMN_SHARES: dict[str, float] = {
    "natural_person": 0.86, "commercial": 0.07, "research": 0.004, "public_interest": 0.008,
    "legal_service": 0.035, "other_org": 0.02,
}
_OUTCOME_SHARES: dict[str, float] = {
    "granted": 0.38, "partial": 0.08, "deny_state_secret": 0.002, "deny_law_prohibited": 0.005,
    "deny_three_safety": 0.003, "deny_third_party": 0.012, "deny_internal_affairs": 0.01, "deny_process_info": 0.015,
    "deny_enforcement_file": 0.008, "deny_query_item": 0.01, "unable_no_info": 0.24, "unable_need_create": 0.03,
    "unable_unclear": 0.02, "reject_petition": 0.05, "reject_repeat": 0.04, "reject_publication": 0.003,
    "reject_massive": 0.01, "reject_confirm": 0.01, "other_overdue_correction": 0.02, "other_overdue_fee": 0.002,
    "other_other": 0.045,
}
assert tuple(_COLUMN_SHARES) == TABLE3_PART_COLS
assert set(_OUTCOME_SHARES) == set(TABLE3_OUTCOME_ROWS["2021"])
_TABLE4_LEAF_SHARES: dict[str, float] = {"upheld": 0.6, "corrected": 0.1, "other": 0.2, "pending": 0.1}
assert set(_TABLE4_LEAF_SHARES) | {"total"} == set(TABLE4_LEAVES)

# (probability that no application arrived, median of R01 总计 otherwise) per level; summaries are separate.
_APPLICATION_SCALE: dict[str, tuple[float, float]] = {
    "township": (0.8, 2.0),
    "county_dept": (0.45, 4.0),
    "county": (0.05, 25.0),
    "prefecture_dept": (0.15, 18.0),
    "prefecture": (0.0, 180.0),
    "province_dept": (0.05, 60.0),
    "province": (0.0, 700.0),
}
_SUMMARY_SCALE: dict[str, float] = {"county": 150.0, "prefecture": 1500.0, "province": 9000.0}
# Expected reconsideration cases per level (litigation follows as a fraction of it).
_REVIEW_SCALE: dict[str, float] = {
    "township": 0.03, "county_dept": 0.2, "county": 1.5, "prefecture_dept": 1.0, "prefecture": 12.0,
    "province_dept": 5.0, "province": 40.0,
}
_GOVERNMENT = ("province", "prefecture", "county", "township")
RULE_LEVELS = ("province", "prefecture")  # only these governments (and 国务院部门) make 规章


@dataclass(frozen=True)
class Values:
    """The numbers of one report. ``None`` marks a cell that is blank, not applicable or absent."""

    table2: Table2
    table3: Table3
    table4: Table4
    extensions: dict[str, Number] = field(default_factory=dict)  # 2019 table 二 cells outside the 2021 keys


@dataclass(frozen=True)
class Fee:
    """The 信息处理费 statement of section 六."""

    status: str  # none | charged | not_stated (xxgk.schema.keys.FEE_STATUSES)
    amount_yuan: float | None = None
    notices: int | None = None


@dataclass(frozen=True)
class Defect:
    """A planted defect, recorded in ground truth. ``rule`` is an id of xxgk.schema.identities.RULES or None."""

    kind: str
    rule: str | None
    cells: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "rule": self.rule, "cells": list(self.cells)}
        out.update(self.detail)
        return out


@dataclass(frozen=True)
class Report:
    """One synthetic report: what is published (``values``), what was meant (``intended``) and how it looks."""

    agency: Agency
    year: int
    format_version: str
    values: Values  # as published: None where the source is blank, not applicable or absent
    intended: Values  # the consistent numbers before defects were planted
    statuses: Mapping[str, str]  # cell id → blank | na | absent, for every cell that is not reported
    publication_date: dt.date
    signature_date: dt.date
    fee: Fee
    sections: Mapping[str, str]  # overview, problems, other: prose, paragraphs separated by "\n"
    style: Any  # xxgk.synth.style.Style (kept loose to avoid an import cycle)
    defects: tuple[Defect, ...] = ()
    seed: int = 0  # drives the render-time micro choices, so rendering stays a pure function

    @property
    def agency_name(self) -> str:
        return self.agency.name

    @property
    def table2(self) -> Table2:
        return self.values.table2

    @property
    def table3(self) -> Table3:
        return self.values.table3

    @property
    def table4(self) -> Table4:
        return self.values.table4

    @property
    def defect_kinds(self) -> tuple[str, ...]:
        return tuple(d.kind for d in self.defects)


# ---------------------------------------------------------------------------------------------------------------
# Random helpers


def _lognormal_count(rng: random.Random, median: float, sigma: float = 0.9) -> int:
    return max(1, int(round(math.exp(math.log(median) + sigma * rng.gauss(0.0, 1.0)))))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _dirichlet(rng: random.Random, shares: Mapping[str, float], concentration: float) -> dict[str, float]:
    draws = {k: rng.gammavariate(max(concentration * s, 1e-3), 1.0) for k, s in shares.items()}
    total = sum(draws.values()) or 1.0
    return {k: v / total for k, v in draws.items()}


def split_count(rng: random.Random, n: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split ``n`` items over the keys of ``weights`` (multinomial for small n, largest remainder for large n)."""
    keys = list(weights)
    out = dict.fromkeys(keys, 0)
    if n <= 0:
        return out
    w = [max(weights[k], 0.0) for k in keys]
    if sum(w) <= 0:
        w = [1.0] * len(keys)
    if n <= 60:
        for k in rng.choices(keys, w, k=n):
            out[k] += 1
        return out
    total = sum(w)
    exact = [n * x / total for x in w]
    floors = [int(x) for x in exact]
    rest = n - sum(floors)
    order = sorted(range(len(keys)), key=lambda i: (exact[i] - floors[i]) + rng.random() * 0.3, reverse=True)
    for i in order[:rest]:
        floors[i] += 1
    return dict(zip(keys, floors, strict=True))


# ---------------------------------------------------------------------------------------------------------------
# Generators


def _application_count(rng: random.Random, level: str, is_summary: bool) -> int:
    if is_summary:
        return _lognormal_count(rng, _SUMMARY_SCALE.get(level, 150.0), 0.7)
    p_zero, median = _APPLICATION_SCALE[level]
    if rng.random() < p_zero:
        return 0
    return _lognormal_count(rng, median)


def generate_table3(
    rng: random.Random,
    level: str,
    format_version: str = "2021",
    *,
    is_summary: bool = False,
    carried_over: Mapping[str, int] | None = None,
) -> Table3:
    """Table 三 satisfying I1–I3 exactly. ``carried_over`` (last year's R25, per column) becomes R02."""
    n_new = _application_count(rng, level, is_summary)
    col_w = _dirichlet(rng, _COLUMN_SHARES, 30.0)
    new = split_count(rng, n_new, col_w)
    if carried_over is None:
        prior = max(0, int(round(n_new * rng.uniform(0.0, 0.08))) if n_new and rng.random() < 0.35 else 0)
        carried = split_count(rng, prior, col_w)
    else:
        carried = {c: int(carried_over.get(c) or 0) for c in TABLE3_PART_COLS}
    outcome_rows = TABLE3_OUTCOME_ROWS[format_version]
    shares = {r: _OUTCOME_SHARES[r] for r in outcome_rows}
    if format_version == "2019":  # the single （六）其他处理 row carries what 2021 splits over R21–R23
        shares["other_other"] = sum(_OUTCOME_SHARES[r] for r in TABLE3_OUTCOME_ROWS["2021"][18:])
    out_w = _dirichlet(rng, shares, 12.0)
    forward_rate = rng.uniform(0.0, 0.1) if rng.random() < 0.4 else 0.0
    table: Table3 = {r: dict.fromkeys(TABLE3_COLS, 0) for r in TABLE3_ROWS}
    for r in TABLE3_ROWS_NOT_IN_LAYOUT[format_version]:
        table[r] = dict.fromkeys(TABLE3_COLS, None)
    for col in TABLE3_PART_COLS:
        available = new[col] + carried[col]
        forward = sum(1 for _ in range(available) if rng.random() < forward_rate) if available <= 60 else int(
            available * forward_rate)
        concluded = available - forward
        split = split_count(rng, concluded, out_w)
        table["new_received"][col] = new[col]
        table["carried_over"][col] = carried[col]
        table["carried_forward"][col] = forward
        table["total"][col] = concluded
        for r in outcome_rows:
            table[r][col] = split[r]
    for r in TABLE3_ROWS:
        if r not in TABLE3_ROWS_NOT_IN_LAYOUT[format_version]:
            table[r]["total"] = sum(int(table[r][c] or 0) for c in TABLE3_PART_COLS)
    return table


def generate_table4(rng: random.Random, level: str, *, is_summary: bool = False) -> Table4:
    """Table 四 satisfying I4 exactly."""
    lam = _REVIEW_SCALE[level] * (20.0 if is_summary else 1.0)
    totals = {"review": _poisson(rng, lam), "direct_suit": _poisson(rng, lam * 0.5),
              "after_review_suit": _poisson(rng, lam * 0.25)}
    out: Table4 = {}
    for group in TABLE4_GROUPS:
        split = split_count(rng, totals[group], _TABLE4_LEAF_SHARES)
        for leaf in TABLE4_LEAVES:
            out[f"{group}_{leaf}"] = totals[group] if leaf == "total" else split[leaf]
    assert tuple(out) == TABLE4_KEYS
    return out


def _fee_amount(rng: random.Random, level: str, is_summary: bool) -> float:
    p_zero = {"township": 0.93, "county_dept": 0.7, "county": 0.55, "prefecture_dept": 0.6, "prefecture": 0.3,
              "province_dept": 0.5, "province": 0.2}[level]
    if not is_summary and rng.random() < p_zero:
        return 0
    median = {"township": 3.0, "county_dept": 40.0, "county": 120.0, "prefecture_dept": 300.0, "prefecture": 900.0,
              "province_dept": 800.0, "province": 5000.0}[level] * (15.0 if is_summary else 1.0)
    value = math.exp(math.log(median) + 1.1 * rng.gauss(0.0, 1.0))
    digits = rng.choice((0, 1, 2, 2, 2, 4))
    return round(value, digits) if digits else float(int(round(value)))


def generate_table2(
    rng: random.Random, level: str, *, is_summary: bool = False, previous: Mapping[str, Number | None] | None = None,
) -> Table2:
    """Table 二 (2021 layout). ``previous`` (last year's table) keeps 现行有效件数 plausible across years (X2)."""
    scale = 10.0 if is_summary else 1.0
    makes_rules = level in RULE_LEVELS and (is_summary or level in _GOVERNMENT)
    out: Table2 = {}

    def stock(prefix: str, made_mean: float, start: tuple[int, int]) -> None:
        made = _poisson(rng, made_mean * scale)
        prev_valid = (previous or {}).get(f"{prefix}_valid")
        base = int(prev_valid) if isinstance(prev_valid, int | float) else rng.randint(*start)
        repealed = min(base, _poisson(rng, made_mean * 0.4 * scale))
        out[f"{prefix}_made"], out[f"{prefix}_repealed"] = made, repealed
        out[f"{prefix}_valid"] = base + made - repealed

    if makes_rules:
        stock("regulations", 4.0, (40, 400))
    else:
        out.update(regulations_made=0, regulations_repealed=0, regulations_valid=0)
    normative_mean = {"township": 0.3, "county_dept": 1.0, "county": 8.0, "prefecture_dept": 3.0, "prefecture": 20.0,
                      "province_dept": 6.0, "province": 30.0}[level]
    stock("normative", normative_mean, (0, int(normative_mean * 12) + 1))
    decisions = {"township": 20.0, "county_dept": 300.0, "county": 500.0, "prefecture_dept": 900.0,
                 "prefecture": 3000.0, "province_dept": 2000.0, "province": 5000.0}[level] * scale
    p_zero = 0.6 if level == "township" else 0.25
    for key, factor in (("licensing", 1.0), ("punishment", 0.8), ("coercion", 0.05)):
        out[key] = 0 if rng.random() < p_zero else _lognormal_count(rng, decisions * factor + 1.0, 1.2)
    out["fees_wan_yuan"] = _fee_amount(rng, level, is_summary)
    assert tuple(out) == TABLE2_KEYS
    return out


def generate_table2_2019(
    rng: random.Random, level: str, *, is_summary: bool = False,
) -> tuple[Table2, dict[str, Number]]:
    """The 2019 trial table 二: the three shared 处理决定数量 cells as canonical keys, the rest as extensions."""
    t2021 = generate_table2(rng, level, is_summary=is_summary)
    canonical: Table2 = dict.fromkeys(TABLE2_KEYS, None)
    ext: dict[str, Number] = {}
    for row, keys in TABLE2_2019_ROW_KEYS.items():
        for key in keys:
            if key is None:
                continue
            if key in TABLE2_KEYS:
                canonical[key] = t2021[key]
            elif key.endswith("_change"):
                ext[key] = rng.choice((0, 0, 0, rng.randint(-5, 8)))
            elif key.endswith("_amount"):
                ext[key] = round(rng.uniform(0, 3000), 2) if rng.random() < 0.5 else 0
            elif row in ("regulations",) and level not in RULE_LEVELS:
                ext[key] = 0
            else:
                ext[key] = _poisson(rng, 6.0 if "total" in key or "prev" in key else 1.5)
    return canonical, ext


def generate_values(
    rng: random.Random,
    level: str,
    format_version: str = "2021",
    *,
    is_summary: bool = False,
    carried_over: Mapping[str, int] | None = None,
    previous_table2: Mapping[str, Number | None] | None = None,
) -> Values:
    """All three tables for one agency-year, with I1–I4 holding exactly."""
    if format_version == "2019":
        table2, ext = generate_table2_2019(rng, level, is_summary=is_summary)
    else:
        table2, ext = generate_table2(rng, level, is_summary=is_summary, previous=previous_table2), {}
    table3 = generate_table3(rng, level, format_version, is_summary=is_summary, carried_over=carried_over)
    table4 = generate_table4(rng, level, is_summary=is_summary)
    return Values(table2, table3, table4, ext)


# ---------------------------------------------------------------------------------------------------------------
# Identities over flat cell maps


def flat_cells(values: Values) -> dict[str, Number | None]:
    """``{"table3.total.research": 0, …}`` for every canonical cell."""
    out: dict[str, Number | None] = {f"table2.{k}": values.table2.get(k) for k in TABLE2_KEYS}
    for r in TABLE3_ROWS:
        for c in TABLE3_COLS:
            out[f"table3.{r}.{c}"] = values.table3[r][c]
    for k in TABLE4_KEYS:
        out[f"table4.{k}"] = values.table4.get(k)
    return out


def _identity_residual(ident: Identity, cells: Mapping[str, Number | None]) -> Number | None:
    vals = [cells.get(c) for c in ident.cells]
    if any(v is None for v in vals):
        return None
    return sum(cells[c] for c in ident.left) - sum(cells[c] for c in ident.right)  # type: ignore[misc]


def broken_identities(values: Values, format_version: str = "2021") -> tuple[str, ...]:
    """Names (``I2.granted``) of the identities that fully reported cells violate."""
    cells = flat_cells(values)
    return tuple(
        i.name for i in all_identities(format_version)
        if (res := _identity_residual(i, cells)) is not None and res != 0
    )


def derive_cells(values: Values, format_version: str = "2021", skip: frozenset[str] = frozenset()) -> dict[str, int]:
    """Cells missing from ``values`` that the identities and non-negativity force, to a fixpoint.

    A cell is forced when it is the only unknown of an identity, or when the known side of an identity is 0 and
    all unknowns sit on the other side (every non-negative cell there must be 0). ``skip`` lists cells that must
    not be derived (not applicable, ``/``).
    """
    cells = flat_cells(values)
    identities = all_identities(format_version)
    derived: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for ident in identities:
            unknown = [m for m in ident.cells if cells.get(m) is None]
            if not unknown or any(m in skip for m in unknown):
                continue
            if len(unknown) == 1:
                m = unknown[0]
                left = sum(cells[c] for c in ident.left if c != m)  # type: ignore[misc]
                right = sum(cells[c] for c in ident.right if c != m)  # type: ignore[misc]
                value = right - left if m in ident.left else left - right
                cells[m] = derived[m] = int(value)
                changed = True
                continue
            for side, other in ((ident.left, ident.right), (ident.right, ident.left)):
                if all(m in side for m in unknown) and sum(cells[c] for c in other) == 0 and all(  # type: ignore[misc]
                    cells[c] == 0 for c in side if c not in unknown
                ):
                    for m in unknown:
                        cells[m] = derived[m] = 0
                    changed = True
                    break
    return derived
