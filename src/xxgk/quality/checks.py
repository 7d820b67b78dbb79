"""Every rule of the publication gate, computed from DataFrames: blocking (error) and warning checks.

Each ``check_*`` function takes the per-report frames of :mod:`xxgk.quality.frames` and returns a DataFrame of
``quality_results`` rows (one per report and check instance, pass or fail; a check that cannot be evaluated for
a report, e.g. an identity with a missing cell or a cross-year check without a previous year, yields no row).
``delta`` is 0 exactly when a check passes, so :func:`gate_frame` can pivot the rows into one residual column
per check for the expectation suites.

Rule ids and severities come only from ``xxgk.schema.identities.RULES``; cell lists only from
``xxgk.schema.keys`` and ``all_identities()``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xxgk.quality.frames import PRESENT_STATUSES, pivot_statuses, pivot_values, report_frame, stack_cells
from xxgk.quality.results import gate_column, results_frame
from xxgk.schema.identities import RULES, all_identities
from xxgk.schema.keys import (
    TABLE2_2019_ROW_KEYS,
    TABLE2_CELLS,
    TABLE2_KEYS,
    TABLE3_COLS,
    TABLE3_ROWS,
    TABLE3_ROWS_NOT_IN_LAYOUT,
    TABLE4_KEYS,
    cell_id,
)
from xxgk.schema.limits import ANY_FEE_LIMIT_WAN_YUAN, TOWNSHIP_FEE_LIMIT_WAN_YUAN, is_township

logger = logging.getLogger(__name__)

# The rules this gate computes, blocking first. Every id is a key of RULES.
BLOCKING_RULES: tuple[str, ...] = (
    "I1", "I2", "I3", "I4", "unreadable", "cells_incomplete", "non_negative", "agency_year_plausible",
    "one_current_report",
)
WARNING_RULES: tuple[str, ...] = (
    "X1", "X2", "text_vs_table", "yoy_outlier", "fee_magnitude", "spam_detected", "format_2019_late",
)
GATE_RULES: tuple[str, ...] = BLOCKING_RULES + WARNING_RULES

TABLES: dict[str, tuple[str, ...]] = {
    "table2": tuple(cell_id("table2", k) for k in TABLE2_KEYS),
    "table3": tuple(cell_id("table3", r, c) for r in TABLE3_ROWS for c in TABLE3_COLS),
    "table4": tuple(cell_id("table4", k) for k in TABLE4_KEYS),
}
FEE_CELL = cell_id("table2", "fees_wan_yuan")
COUNT_CELLS: tuple[str, ...] = tuple(c for cells in TABLES.values() for c in cells if c != FEE_CELL)
# 规章 cells are legitimately 「/」 (not applicable) below the 设区的市 level (format-spec §2).
NA_ALLOWED: frozenset[str] = frozenset(cell_id("table2", c.key) for c in TABLE2_CELLS)
NEW_RECEIVED_TOTAL = cell_id("table3", "new_received", "total")
YOY_CELLS: tuple[str, ...] = (
    NEW_RECEIVED_TOTAL,
    cell_id("table2", "licensing"),
    cell_id("table2", "punishment"),
    cell_id("table2", "coercion"),
    cell_id("table4", "review_total"),
)
STOCK_ROWS: tuple[str, ...] = ("regulations", "normative")

# Narrative statements of the number of applications received (format-spec §5, narrative cross-checks).
RECEIVED_PATTERN = re.compile(
    r"(?:共|累计|合计|全年|本年度?)(?:收到|受理|接收|接到|新收)(?P<gap>[^。；;，,\d]{0,20}?)(?P<n>\d+)\s*(?:件|份|个|条)"
)
NONE_RECEIVED_PATTERN = re.compile(
    r"(?:未|没有)(?:收到|受理|接到)(?:任何)?(?:政府信息公开|依申请公开|信息公开)?申请"
)
SPAM_PATTERN = re.compile(
    r"(?:官方网站|官网|APP|app)?(?:下载|试玩|注册)[^。]{0,12}(?:棋牌|麻将|老虎机|电子|娱乐|彩票|博彩|真人)"
    r"|(?:棋牌|麻将|彩票|博彩|百家乐|老虎机|真人娱乐|PG电子)[^。]{0,16}(?:官方|下载|试玩|平台|最新)"
)
# Every match of SPAM_PATTERN contains one of these words: a text without any of them cannot match.
SPAM_WORDS: tuple[str, ...] = ("棋牌", "麻将", "老虎机", "电子", "娱乐", "彩票", "博彩", "真人", "百家乐")
EPS = 1e-9


@dataclass(frozen=True)
class CheckThresholds:
    """The numbers the soft checks use; one object travels down the call chain."""

    min_year: int = 2019
    max_year: int = field(default_factory=lambda: dt.date.today().year)
    fee_max_wan_yuan_township: float = TOWNSHIP_FEE_LIMIT_WAN_YUAN
    fee_max_wan_yuan: float = ANY_FEE_LIMIT_WAN_YUAN
    yoy_ratio: float = 10.0
    yoy_min_delta: float = 100.0
    text_tolerance: float = 0.0


@dataclass(frozen=True)
class CheckInputs:
    """Per-report frames, all indexed by ``source_sha256`` in the same order."""

    reports: pd.DataFrame
    values: pd.DataFrame
    statuses: pd.DataFrame
    sections: pd.DataFrame | None = None
    texts: pd.Series | None = None  # each report's section text joined (computed from ``sections`` when None)


def prepare_inputs(table2: pd.DataFrame, table3: pd.DataFrame, table4: pd.DataFrame,
                   reports: pd.DataFrame | None = None, sections: pd.DataFrame | None = None) -> CheckInputs:
    """Staging DataFrames → :class:`CheckInputs`."""
    cells = stack_cells(table2, table3, table4)
    rep = report_frame(reports, cells).set_index("source_sha256", drop=False)
    rep.index.name = None
    index = pd.Index(rep["source_sha256"], name="source_sha256")
    values = pivot_values(cells).reindex(index) if not cells.empty else pd.DataFrame(
        index=index, columns=[c for cells_ in TABLES.values() for c in cells_], dtype="float64")
    statuses = pivot_statuses(cells).reindex(index).fillna("absent") if not cells.empty else pd.DataFrame(
        "absent", index=index, columns=values.columns)
    values.index = rep.index
    statuses.index = rep.index
    inputs = CheckInputs(rep, values, statuses, sections)
    return CheckInputs(rep, values, statuses, sections, _report_texts(inputs))


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------
_Block = dict[str, "np.ndarray | str"]


Lazy = Callable[[np.ndarray], "pd.Series | np.ndarray"]


def _rows(rep: pd.DataFrame, mask: pd.Series, rule_id: str, check_name: str, *, left: pd.Series | float | None,
          right: pd.Series | float | None, delta: pd.Series, cells: str | pd.Series | Lazy,
          message: str | pd.Series | Lazy) -> _Block | None:
    """Result columns (numpy arrays) for the reports where ``mask`` is True; ``passed`` is ``delta == 0``.

    ``cells`` and ``message`` matter only where a check fails: given as a callable, they are computed for the
    failing reports only (called with the boolean row mask of those reports, they return one value per such row).
    """
    m = mask.fillna(False).to_numpy(dtype=bool)
    n = int(m.sum())
    if not n:
        return None

    def pick(x: object, dtype: object = object) -> np.ndarray:
        if isinstance(x, pd.Series):
            return x.to_numpy(dtype=dtype, na_value=np.nan if dtype is float else None)[m]
        return np.full(n, np.nan if x is None and dtype is float else x, dtype=dtype)

    d = delta.to_numpy(dtype=float, na_value=np.nan)[m]
    passed = np.abs(d) <= EPS
    failing = np.zeros(len(m), dtype=bool)
    failing[np.flatnonzero(m)[~passed]] = True

    def for_failing(x: object) -> np.ndarray:
        if not failing.any():
            return np.empty(0, dtype=object)
        if callable(x):
            return np.asarray(x(failing), dtype=object)
        return pick(x)[~passed]

    return {
        "_pos": np.flatnonzero(m),  # report positions: the report columns are taken once, in run_checks
        "rule_id": rule_id,
        "severity": RULES[rule_id].severity,
        "check_name": check_name,
        "gate_column": gate_column(check_name),
        "left_value": pick(left, float),
        "right_value": pick(right, float),
        "delta": d,
        "passed": passed,
        "cells": for_failing(cells),  # for the failing rows only: "" where a check passes (deterministic)
        "message": for_failing(message),  # for the failing rows only: "ok" where a check passes
    }


def _assemble(rep: pd.DataFrame, blocks: list[_Block]) -> pd.DataFrame:
    """The result blocks as one frame of ``quality_results`` columns. Text columns are categoricals built from
    codes (per-block constants, the pass texts and the report columns by position), not one string per row.
    """
    sizes = np.array([len(b["_pos"]) for b in blocks])
    block_of_row = np.repeat(np.arange(len(blocks), dtype=np.int64), sizes)
    pos = np.concatenate([b["_pos"] for b in blocks]).astype(np.int64)
    passed = np.concatenate([b["passed"] for b in blocks])

    def categorical(codes: np.ndarray, values: np.ndarray) -> pd.Categorical:
        """Rows as codes into ``values`` (which may repeat): a categorical of strings, never one string per row."""
        value_codes, categories = pd.factorize(pd.array(values, dtype="string"), use_na_sentinel=True)
        row_codes = value_codes[codes] if len(codes) else np.empty(0, dtype=np.int64)
        return pd.Categorical.from_codes(row_codes, categories=pd.Index(categories, dtype="string"))

    def constant(name: str) -> pd.Categorical:
        return categorical(block_of_row, np.array([b[name] for b in blocks], dtype=object))

    def failing_text(name: str, ok: str) -> pd.Categorical:
        texts = [b[name] for b in blocks]
        codes = np.zeros(len(passed), dtype=np.int64)
        codes[~passed] = np.arange(1, int((~passed).sum()) + 1, dtype=np.int64)
        return categorical(codes, np.concatenate([np.array([ok], dtype=object), *texts]))

    def report_column(name: str) -> pd.Categorical:
        return categorical(pos, rep[name].to_numpy(dtype=object, na_value=None))

    return pd.DataFrame({
        "source_sha256": report_column("source_sha256"),
        "agency_name": report_column("agency_name"),
        "report_year": pd.array(rep["report_year"].astype("Int64"))[pos],
        **{name: constant(name) for name in ("rule_id", "severity", "check_name", "gate_column")},
        "cells": failing_text("cells", ""),
        **{name: np.concatenate([b[name] for b in blocks]) for name in ("left_value", "right_value", "delta")},
        "passed": passed,
        "message": failing_text("message", "ok"),
    })


def _fmt(x: float) -> str:
    return "null" if pd.isna(x) else (str(int(x)) if float(x).is_integer() else f"{x:g}")


def _offending_cells(bad: pd.DataFrame) -> pd.Series:
    cols = np.array(bad.columns)
    return pd.Series([",".join(cols[row]) for row in bad.to_numpy()], index=bad.index, dtype=object)


def _previous_year(inputs: CheckInputs) -> pd.Series:
    """For each current report: the ``source_sha256`` of the same agency's current report of the year before."""
    rep = inputs.reports
    cur = rep[rep["is_current"] & rep["agency_key"].notna() & rep["report_year"].notna()]
    cur = cur.drop_duplicates(["agency_key", "report_year"], keep=False)
    agency = cur["agency_key"].to_numpy(dtype=object)
    year = cur["report_year"].to_numpy(dtype="int64")
    by_key = {(a, int(y)): s for a, y, s in zip(agency, year, cur["source_sha256"].to_numpy(dtype=object),
                                                 strict=True)}
    prev = [by_key.get((a, int(y) - 1)) for a, y in zip(agency, year, strict=True)]
    return pd.Series(prev, index=cur.index, dtype=object).reindex(rep.index)


def _prior_values(inputs: CheckInputs, cells: Iterable[str]) -> pd.DataFrame:
    prev = _previous_year(inputs)
    cols = list(cells)
    out = inputs.values.reindex(prev.fillna("__none__").to_numpy())[cols]
    out.index = inputs.values.index
    out.loc[prev.isna()] = np.nan
    return out


# ---------------------------------------------------------------------------------------------------------------
# blocking checks
# ---------------------------------------------------------------------------------------------------------------
def check_identities(inputs: CheckInputs) -> list[_Block | None]:
    """I1–I4 for every column, row and group, per report layout; skipped where a cell is missing."""
    out: list[_Block | None] = []
    rep, values = inputs.reports, inputs.values
    for version in rep["format_version"].unique():
        mask_version = rep["format_version"] == version
        try:
            identities = all_identities(str(version))
        except KeyError:
            identities = all_identities()
        for ident in identities:
            left = values[list(ident.left)].sum(axis=1, skipna=False)
            right = values[list(ident.right)].sum(axis=1, skipna=False)
            evaluable = mask_version & left.notna() & right.notna()
            delta = left - right
            def msg(f: np.ndarray, ident: object = ident, left: pd.Series = left, right: pd.Series = right
                    ) -> pd.Series:
                return (f"{ident.name}: {' + '.join(ident.left)} = " + left[f].map(_fmt)
                        + f" but {' + '.join(ident.right)} = " + right[f].map(_fmt))
            out.append(_rows(rep, evaluable, ident.rule_id, ident.name, left=left, right=right, delta=delta,
                             cells=",".join(ident.cells), message=msg))
    return out


# Table 二 cells of the 2021 layout that the 2019 trial layout also has (处理决定数量); the rest do not exist there.
TABLE2_IN_2019: frozenset[str] = frozenset(
    k for keys in TABLE2_2019_ROW_KEYS.values() for k in keys if k is not None and k in TABLE2_KEYS)


def _required_cells(table: str, version: str) -> list[str]:
    if table == "table2" and version == "2019":
        return [cell_id("table2", k) for k in TABLE2_KEYS if k in TABLE2_IN_2019]
    if table != "table3":
        return list(TABLES[table])
    skip = set(TABLE3_ROWS_NOT_IN_LAYOUT.get(version, ()))
    return [cell_id("table3", r, c) for r in TABLE3_ROWS if r not in skip for c in TABLE3_COLS]


def _is_unreadable(rep: pd.DataFrame) -> pd.Series:
    if "parse_status" not in rep.columns:
        return pd.Series(False, index=rep.index)
    return (rep["parse_status"] == "failed").fillna(False).astype(bool)


def check_readable(inputs: CheckInputs) -> list[_Block | None]:
    """unreadable: the parser could not read the bytes as a report (then completeness is not judged)."""
    rep = inputs.reports
    bad = _is_unreadable(rep)
    return [_rows(rep, pd.Series(True, index=rep.index), "unreadable", "unreadable", left=None, right=None,
                  delta=bad.astype("float64"), cells="", message="the parser could not read the input as a report")]


def check_completeness(inputs: CheckInputs) -> list[_Block | None]:
    """cells_incomplete per table: every canonical cell present as reported or derived (规章/表二 「/」 allowed)."""
    out: list[_Block | None] = []
    rep, statuses, values = inputs.reports, inputs.statuses, inputs.values
    readable = ~_is_unreadable(rep)
    for version in rep["format_version"].unique():
        mask_version = (rep["format_version"] == version) & readable
        for table in TABLES:
            cols = _required_cells(table, str(version))
            present = statuses[cols].isin(PRESENT_STATUSES) & values[cols].notna()
            na_ok = statuses[cols].eq("na") & pd.DataFrame(
                {c: c in NA_ALLOWED for c in cols}, index=statuses.index)
            missing = ~(present | na_ok)
            n_missing = missing.sum(axis=1).astype("float64")

            def msg(f: np.ndarray, table: str = table, cols: list[str] = cols, missing: pd.DataFrame = missing,
                    n_missing: pd.Series = n_missing) -> np.ndarray:
                counted = n_missing[f].map(
                    f"{{:.0f}} of {len(cols)} {table} cells neither reported nor derived: ".format)
                whole = f"{table} not found: none of its {len(cols)} cells is present"
                return np.where(n_missing[f] == len(cols), whole,
                                counted.to_numpy() + _offending_cells(missing[f]).str.slice(0, 300).to_numpy())
            out.append(_rows(rep, mask_version, "cells_incomplete", f"cells_incomplete.{table}",
                             left=len(cols) - n_missing, right=float(len(cols)), delta=n_missing,
                             cells=lambda f, missing=missing: _offending_cells(missing[f]), message=msg))
    return out


def check_non_negative(inputs: CheckInputs) -> list[_Block | None]:
    """non_negative per table: counts are non-negative integers; the fee (万元) is non-negative."""
    out: list[_Block | None] = []
    rep, values = inputs.reports, inputs.values
    for table, cols in TABLES.items():
        v = values[list(cols)]
        is_count = pd.Series([c != FEE_CELL for c in cols], index=list(cols))
        bad = (v < 0) | ((v != np.floor(v)) & v.notna() & is_count)
        n_bad = bad.sum(axis=1).astype("float64")

        def msg(f: np.ndarray, table: str = table, bad: pd.DataFrame = bad, n_bad: pd.Series = n_bad) -> pd.Series:
            return (n_bad[f].map(lambda n: f"{int(n)} {table} cells negative or not whole numbers: ")
                    + _offending_cells(bad[f]).str.slice(0, 300))
        out.append(_rows(rep, pd.Series(True, index=rep.index), "non_negative", f"non_negative.{table}",
                         left=n_bad, right=0.0, delta=n_bad, cells=lambda f, bad=bad: _offending_cells(bad[f]),
                         message=msg))
    return out


def _is_plausible_agency(name: object) -> bool:
    if not isinstance(name, str):
        return False
    name = name.strip()
    return 2 <= len(name) <= 60 and re.search(r"[\u4e00-\u9fff]", name) is not None


def check_agency_year(inputs: CheckInputs, thresholds: CheckThresholds) -> list[_Block | None]:
    """agency_year_plausible: the agency name is present and looks like a name; the year is within range."""
    rep = inputs.reports
    ok_agency = rep["agency_name"].map(_is_plausible_agency).astype(bool)
    year = rep["report_year"].astype("Float64")
    ok_year = year.between(thresholds.min_year, thresholds.max_year).fillna(False).astype(bool)
    everyone = pd.Series(True, index=rep.index)
    return [
        _rows(rep, everyone, "agency_year_plausible", "agency_year_plausible.agency", left=None, right=None,
              delta=(~ok_agency).astype("float64"), cells="agency_name",
              message=lambda f: "agency name missing or implausible: "
              + rep["agency_name"][f].map(lambda x: repr(x) if x == x else "None")),
        _rows(rep, everyone, "agency_year_plausible", "agency_year_plausible.year",
              left=year.astype("float64"), right=None, delta=(~ok_year).astype("float64"), cells="report_year",
              message=lambda f: f"report year missing or outside {thresholds.min_year}–{thresholds.max_year}: "
              + rep["report_year"][f].map(lambda x: "None" if pd.isna(x) else str(x))),
    ]


def check_one_current(inputs: CheckInputs) -> list[_Block | None]:
    """one_current_report: among current reports, one per agency and report year."""
    rep = inputs.reports
    evaluable = rep["is_current"] & rep["agency_key"].notna() & rep["report_year"].notna()
    cur = rep[evaluable]
    sizes = cur.groupby(["agency_key", "report_year"])["source_sha256"].transform("count").astype("float64")
    sizes = sizes.reindex(rep.index)

    def msg(f: np.ndarray) -> pd.Series:
        dup = cur[cur.index.isin(rep.index[f])]
        others = dup.groupby(["agency_key", "report_year"])["source_sha256"].transform(lambda s: ",".join(s))
        return "several current reports for the same agency and year: " + others.reindex(rep.index[f]).fillna("")
    return [_rows(rep, evaluable, "one_current_report", "one_current_report", left=sizes, right=1.0,
                  delta=sizes - 1, cells="agency_name,report_year", message=msg)]


# ---------------------------------------------------------------------------------------------------------------
# warning checks
# ---------------------------------------------------------------------------------------------------------------
def check_carry_over(inputs: CheckInputs) -> list[_Block | None]:
    """X1 per column: this year's 上年结转 = the previous year's 结转下年度继续办理 (same agency)."""
    out: list[_Block | None] = []
    rep = inputs.reports
    prior = _prior_values(inputs, [cell_id("table3", "carried_forward", c) for c in TABLE3_COLS])
    for col in TABLE3_COLS:
        this = inputs.values[cell_id("table3", "carried_over", col)]
        last = prior[cell_id("table3", "carried_forward", col)]
        def msg(f: np.ndarray, col: str = col, this: pd.Series = this, last: pd.Series = last) -> pd.Series:
            return (f"X1.{col}: 上年结转 " + this[f].map(_fmt) + " but last year's 结转下年度继续办理 was "
                    + last[f].map(_fmt))
        out.append(_rows(rep, this.notna() & last.notna(), "X1", f"X1.{col}", left=this, right=last,
                         delta=this - last, cells=f"{cell_id('table3', 'carried_over', col)},"
                                                  f"prev:{cell_id('table3', 'carried_forward', col)}", message=msg))
    return out


def check_stock(inputs: CheckInputs) -> list[_Block | None]:
    """X2 for 规章 and 行政规范性文件: 现行有效 = last year's 现行有效 + 本年制发 − 本年废止."""
    out: list[_Block | None] = []
    rep, v = inputs.reports, inputs.values
    prior = _prior_values(inputs, [cell_id("table2", f"{r}_valid") for r in STOCK_ROWS])
    for row in STOCK_ROWS:
        valid, made, repealed = (v[cell_id("table2", f"{row}_{k}")] for k in ("valid", "made", "repealed"))
        expected = prior[cell_id("table2", f"{row}_valid")] + made - repealed
        def msg(f: np.ndarray, row: str = row, valid: pd.Series = valid, expected: pd.Series = expected
                ) -> pd.Series:
            return (f"X2.{row}: 现行有效 " + valid[f].map(_fmt) + " but last year's stock + 制发 − 废止 = "
                    + expected[f].map(_fmt))
        out.append(_rows(rep, valid.notna() & expected.notna(), "X2", f"X2.{row}", left=valid, right=expected,
                         delta=valid - expected,
                         cells=",".join(cell_id("table2", f"{row}_{k}") for k in ("valid", "made", "repealed"))
                         + f",prev:{cell_id('table2', f'{row}_valid')}", message=msg))
    return out


def spam_found(text: str) -> str:
    """The spam or defacement wording in ``text`` ("" when none); the pattern runs only on texts holding one of
    the words every match contains."""
    if not any(word in text for word in SPAM_WORDS):
        return ""
    m = SPAM_PATTERN.search(text)
    return m.group(0) if m else ""


def stated_received(text: str) -> tuple[int, str] | None:
    """The number of applications a text says were received (「全年共收到依申请公开9件」 → 9), with the snippet."""
    for m in RECEIVED_PATTERN.finditer(text):
        if "申请" in m.group("gap"):
            return int(m.group("n")), m.group(0)
    m = NONE_RECEIVED_PATTERN.search(text)
    if m:
        return 0, m.group(0)
    return None


def _report_texts(inputs: CheckInputs) -> pd.Series:
    if inputs.texts is not None:
        return inputs.texts
    sections = inputs.sections
    if sections is None or sections.empty:
        return pd.Series("", index=inputs.reports.index, dtype=object)
    codes, shas = pd.factorize(sections["source_sha256"])
    text = sections["text"].to_numpy(dtype=object)
    order = np.argsort(codes, kind="stable")  # each report's sections in their staging order
    groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if len(order) else []
    joined = pd.Series(["\n".join(str(t) for t in text[g]) for g in groups],
                       index=pd.Index(np.asarray(shas, dtype=object)[codes[[g[0] for g in groups]]]
                                      if groups else [], dtype=object), dtype=object)
    joined = joined[joined.index.notna()]
    out = joined.reindex(inputs.reports["source_sha256"].to_numpy(dtype=object)).fillna("")
    return pd.Series(out.to_numpy(dtype=object), index=inputs.reports.index, dtype=object)


def check_text_vs_table(inputs: CheckInputs, thresholds: CheckThresholds) -> list[_Block | None]:
    """text_vs_table: 「共收到…N件」 in the text against 表三 本年新收 总计."""
    rep = inputs.reports
    stated = _report_texts(inputs).map(stated_received)
    number = stated.map(lambda x: float(x[0]) if x else np.nan)
    snippet = stated.map(lambda x: x[1] if x else "")
    table = inputs.values[NEW_RECEIVED_TOTAL]
    diff = number - table
    delta = diff.where(diff.abs() > thresholds.text_tolerance, 0.0)
    def msg(f: np.ndarray) -> pd.Series:
        return ("the text says 「" + snippet[f] + "」 (" + number[f].map(_fmt) + ") but 本年新收 总计 = "
                + table[f].map(_fmt))
    return [_rows(rep, number.notna() & table.notna(), "text_vs_table", "text_vs_table.new_received",
                  left=number, right=table, delta=delta, cells=NEW_RECEIVED_TOTAL, message=msg)]


def check_yoy(inputs: CheckInputs, thresholds: CheckThresholds) -> list[_Block | None]:
    """yoy_outlier on headline cells: a jump of ≥ ``yoy_ratio``× and ≥ ``yoy_min_delta`` against last year."""
    out: list[_Block | None] = []
    rep = inputs.reports
    prior = _prior_values(inputs, YOY_CELLS)
    for cell in YOY_CELLS:
        this, last = inputs.values[cell], prior[cell]
        big, small = np.maximum(this, last), np.minimum(this, last)
        ratio = big / np.maximum(small, 1.0)
        is_outlier = ((big - small) >= thresholds.yoy_min_delta) & (ratio >= thresholds.yoy_ratio)
        delta = (this - last).where(is_outlier, 0.0)
        def msg(f: np.ndarray, cell: str = cell, this: pd.Series = this, last: pd.Series = last) -> pd.Series:
            return f"{cell}: " + this[f].map(_fmt) + " this year against " + last[f].map(_fmt) + " last year"
        out.append(_rows(rep, this.notna() & last.notna(), "yoy_outlier", f"yoy_outlier.{cell}", left=this,
                         right=last, delta=delta, cells=cell, message=msg))
    return out


def check_fee_magnitude(inputs: CheckInputs, thresholds: CheckThresholds) -> list[_Block | None]:
    """fee_magnitude: 行政事业性收费 above the limit (万元) looks like 元 entered as 万元; the limit is the township one
    for 乡/镇/街道 and the general one otherwise (as the parser's warning, :mod:`xxgk.schema.limits`)."""
    rep = inputs.reports
    fee = inputs.values[FEE_CELL]
    township = rep["agency_name"].map(is_township).astype(bool).to_numpy()
    limit = pd.Series(np.where(township, thresholds.fee_max_wan_yuan_township, thresholds.fee_max_wan_yuan),
                      index=fee.index)
    excess = (fee - limit).clip(lower=0)

    def msg(f: np.ndarray) -> pd.Series:
        return ("行政事业性收费 " + fee[f].map(_fmt) + " 万元 exceeds " + limit[f].map(_fmt)
                + " 万元 for this agency: 元 entered as 万元?")

    return [_rows(rep, fee.notna(), "fee_magnitude", "fee_magnitude.fees_wan_yuan", left=fee,
                  right=limit, delta=excess, cells=FEE_CELL, message=msg)]


def check_spam(inputs: CheckInputs) -> list[_Block | None]:
    """spam_detected: the parser's flag, or spam/defacement wording in the section text."""
    rep = inputs.reports
    texts = _report_texts(inputs)
    found = texts.map(spam_found)
    flagged = rep["has_spam"] | (found != "")
    def msg(f: np.ndarray) -> pd.Series:
        return "spam or defacement text found" + found[f].map(lambda s: f": 「{s}」" if s else "")
    return [_rows(rep, pd.Series(True, index=rep.index), "spam_detected", "spam_detected", left=None, right=None,
                  delta=flagged.astype("float64"), cells="", message=msg)]


def check_format_late(inputs: CheckInputs) -> list[_Block | None]:
    """format_2019_late: the 2019 trial layout used for a report year after 2020."""
    rep = inputs.reports
    late = (rep["format_version"] == "2019") & (rep["report_year"].astype("Float64") > 2020).fillna(False)
    def msg(f: np.ndarray) -> pd.Series:
        return "the 2019 layout is used for report year " + rep["report_year"][f].astype(str)
    return [_rows(rep, rep["report_year"].notna(), "format_2019_late", "format_2019_late",
                  left=rep["report_year"].astype("float64"), right=2020.0, delta=late.astype("float64"),
                  cells="format_version", message=msg)]


def run_checks(inputs: CheckInputs, *, run_id: str, thresholds: CheckThresholds | None = None) -> pd.DataFrame:
    """Every gate check for every report → the ``quality_results`` DataFrame."""
    t = thresholds or CheckThresholds()
    parts: list[_Block | None] = [
        *check_identities(inputs),
        *check_readable(inputs),
        *check_completeness(inputs),
        *check_non_negative(inputs),
        *check_agency_year(inputs, t),
        *check_one_current(inputs),
        *check_carry_over(inputs),
        *check_stock(inputs),
        *check_text_vs_table(inputs, t),
        *check_yoy(inputs, t),
        *check_fee_magnitude(inputs, t),
        *check_spam(inputs),
        *check_format_late(inputs),
    ]
    blocks = [p for p in parts if p is not None]
    if blocks:
        rows = _assemble(inputs.reports, blocks)
        del blocks, parts
        results = results_frame(rows, run_id)
    else:
        results = results_frame([], run_id)
    logger.info("quality checks: %d results for %d reports, %d failed", len(results),
                inputs.reports.shape[0], int((~results["passed"]).sum()))
    return results


def gate_frame(inputs: CheckInputs, results: pd.DataFrame) -> pd.DataFrame:
    """One row per report: identity columns plus one residual column per check (0 = pass, NaN = not evaluated).

    This is the frame the expectation suites validate; ``delta`` is the residual.
    """
    rep = inputs.reports
    base = rep[["source_sha256", "agency_name", "agency_key", "report_year", "format_version", "is_current"]].copy()
    base = base.reset_index(drop=True)
    columns = [c.gate_column for c in gate_checks()]
    if results.empty:
        wide = pd.DataFrame(np.nan, index=range(len(base)), columns=columns)
    else:
        wide = results.pivot_table(index="source_sha256", columns="gate_column", values="delta", aggfunc="first",
                                   observed=True)
        wide.index = pd.Index(wide.index.astype(str), dtype=object)
        wide.columns = pd.Index(wide.columns.astype(str), dtype=object)
        extra = [c for c in wide.columns if c not in columns]
        wide = wide.reindex(index=base["source_sha256"].to_numpy(), columns=columns + extra).reset_index(drop=True)
    return pd.concat([base, wide.astype("float64")], axis=1)


# ---------------------------------------------------------------------------------------------------------------
# the catalogue of checks, from the schema: what the expectation suites are generated from
# ---------------------------------------------------------------------------------------------------------------
CONCERNS = ("identities", "completeness", "ranges", "continuity")
RULE_CONCERN: dict[str, str] = {
    "I1": "identities", "I2": "identities", "I3": "identities", "I4": "identities", "text_vs_table": "identities",
    "unreadable": "completeness", "cells_incomplete": "completeness", "agency_year_plausible": "completeness",
    "one_current_report": "completeness",
    "non_negative": "ranges", "fee_magnitude": "ranges", "spam_detected": "ranges", "format_2019_late": "ranges",
    "X1": "continuity", "X2": "continuity", "yoy_outlier": "continuity",
}


@dataclass(frozen=True)
class GateCheck:
    """One check instance: its rule, its name, the gate-frame column holding its residual, its suite concern."""

    rule_id: str
    check_name: str
    concern: str

    @property
    def gate_column(self) -> str:
        return gate_column(self.check_name)

    @property
    def severity(self) -> str:
        return RULES[self.rule_id].severity


def gate_checks() -> tuple[GateCheck, ...]:
    """Every check the rule engine can emit, derived from ``xxgk.schema`` (keys and ``all_identities()``)."""
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    for version in ("2021", "2019"):
        for ident in all_identities(version):
            if ident.name not in seen:
                seen.add(ident.name)
                names.append((ident.rule_id, ident.name))
    names.append(("text_vs_table", "text_vs_table.new_received"))
    names.append(("unreadable", "unreadable"))
    names += [("cells_incomplete", f"cells_incomplete.{t}") for t in TABLES]
    names += [("agency_year_plausible", "agency_year_plausible.agency"),
              ("agency_year_plausible", "agency_year_plausible.year"), ("one_current_report", "one_current_report")]
    names += [("non_negative", f"non_negative.{t}") for t in TABLES]
    names += [("fee_magnitude", "fee_magnitude.fees_wan_yuan"), ("spam_detected", "spam_detected"),
              ("format_2019_late", "format_2019_late")]
    names += [("X1", f"X1.{c}") for c in TABLE3_COLS] + [("X2", f"X2.{r}") for r in STOCK_ROWS]
    names += [("yoy_outlier", f"yoy_outlier.{c}") for c in YOY_CELLS]
    return tuple(GateCheck(rule, name, RULE_CONCERN[rule]) for rule, name in names)
