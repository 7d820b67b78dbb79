"""Build ParsedReport objects with consistent tables for staging and dbt tests (a tiny multi-year corpus helper)."""

from __future__ import annotations

import datetime as dt
import hashlib

from xxgk.parsing.model import CellValue, ExtensionCell, FeeStatement, Issue, ParsedReport
from xxgk.schema.keys import (
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
from xxgk.staging.frames import ParseOutcome, RawObject

PARSED_AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _cell(v: float | None, status: str | None = None) -> CellValue:
    if status is None:
        status = "reported" if v is not None else "blank"
    return CellValue(v, status, None if v is None else str(v), None, "line 1")


def table3_grid(outcomes: dict[str, list[int]] | None = None, carried_over: list[int] | None = None,
                carried_forward: list[int] | None = None, fmt: str = "2021") -> dict[str, dict[str, int | None]]:
    """A table 三 that satisfies I1–I3: outcome rows (6 applicant values each), R02 and R25 given; the rest follows."""
    outcomes = outcomes or {}
    co = carried_over or [0] * 6
    cf = carried_forward or [0] * 6
    grid: dict[str, list[int | None]] = {r: [0] * 6 for r in TABLE3_ROWS}
    for r, vals in outcomes.items():
        grid[r] = list(vals)
    for r in TABLE3_ROWS_NOT_IN_LAYOUT[fmt]:
        grid[r] = [None] * 6
    grid["total"] = [sum(grid[r][i] or 0 for r in TABLE3_OUTCOME_ROWS[fmt]) for i in range(6)]
    grid["carried_over"] = list(co)
    grid["carried_forward"] = list(cf)
    grid["new_received"] = [grid["total"][i] + cf[i] - co[i] for i in range(6)]
    assert all(v >= 0 for v in grid["new_received"]), "planted table violates non-negativity"
    out: dict[str, dict[str, int | None]] = {}
    for r, vals in grid.items():
        row = dict(zip(TABLE3_PART_COLS, vals, strict=True))
        row["total"] = None if vals[0] is None else sum(v for v in vals if v is not None)
        out[r] = row
    return out


def table4_values(**groups: tuple[int, int, int, int]) -> dict[str, int]:
    """table4_values(review=(upheld, corrected, other, pending), …); totals computed; missing groups are 0."""
    out: dict[str, int] = {}
    for g in TABLE4_GROUPS:
        vals = groups.get(g, (0, 0, 0, 0))
        for leaf, v in zip([lf for lf in TABLE4_LEAVES if lf != "total"], vals, strict=True):
            out[f"{g}_{leaf}"] = v
        out[f"{g}_total"] = sum(vals)
    return out


def make_report(agency: str | None, year: int | None, *, fmt: str = "2021", title: str | None = None,
                publication_date: str | None = None, t2: dict[str, float] | None = None,
                t3: dict[str, dict[str, int | None]] | None = None, t4: dict[str, int] | None = None,
                derived: dict[str, float] | None = None, issues: tuple[Issue, ...] = (),
                has_spam: bool = False, statuses: dict[tuple[str, str], str] | None = None,
                extensions: tuple[ExtensionCell, ...] = (), tables: bool = True) -> ParsedReport:
    statuses = statuses or {}
    t2 = {k: 0 for k in TABLE2_KEYS} | (t2 or {})
    t3 = t3 or table3_grid(fmt=fmt)
    t4 = t4 or table4_values()
    if not tables:
        table2 = {k: CellValue(None, "absent") for k in TABLE2_KEYS}
        table3 = {r: {c: CellValue(None, "absent") for c in TABLE3_COLS} for r in TABLE3_ROWS}
        table4 = {k: CellValue(None, "absent") for k in TABLE4_KEYS}
    else:
        table2 = {k: _cell(t2[k], statuses.get(("table2", k))) for k in TABLE2_KEYS}
        table3 = {
            r: {c: _cell(t3[r][c], statuses.get((r, c)) or ("na" if r in TABLE3_ROWS_NOT_IN_LAYOUT[fmt] else None))
                for c in TABLE3_COLS}
            for r in TABLE3_ROWS
        }
        table4 = {k: _cell(t4[k], statuses.get(("table4", k))) for k in TABLE4_KEYS}
    return ParsedReport(
        agency=agency, year=year, format_version=fmt, title=title or f"{agency}{year}年政府信息公开工作年度报告",
        publication_date=publication_date or (f"{year + 1}-01-20" if year else None), index_number=None,
        table2=table2, table3=table3, table4=table4, derived=derived or {}, issues=issues,
        sections={"overview": "一、总体情况 …", "other": "本年度未收取信息处理费。"},
        fee=FeeStatement("none", None, "本年度未收取信息处理费。"), has_spam=has_spam, media_type="text/plain",
        encoding="utf-8", extensions=extensions,
    )


def outcome(report: ParsedReport, key: str | None = None, parser_version: str = "1") -> ParseOutcome:
    key = key or f"{report.agency}|{report.year}|{report.publication_date}|{report.title}"
    return ParseOutcome(RawObject(sha(key), name=f"{key}.txt", source="test", source_url=f"https://example.gov.cn/{sha(key)[:8]}"),
                        parser_version, PARSED_AT, report)
