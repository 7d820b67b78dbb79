"""Small, internally consistent example reports as staging-shaped DataFrames, for tests and documentation.

:func:`example_report` builds the long ``table2_cells``/``table3_cells``/``table4_cells`` rows of one report whose
identities all hold; tests then plant one defect and check that exactly the matching rule fails.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import pandas as pd

from xxgk.schema.identities import all_identities
from xxgk.schema.keys import (
    TABLE2_KEYS,
    TABLE3_COLS,
    TABLE3_OUTCOME_ROWS,
    TABLE3_PART_COLS,
    TABLE3_ROWS,
    TABLE4_GROUPS,
    TABLE4_LEAVES,
    cell_id,
)


@dataclass
class ExampleReport:
    """One report: metadata plus a value per canonical cell id (edit ``values`` to plant a defect)."""

    source_sha256: str
    agency_name: str | None
    report_year: int | None
    format_version: str
    values: dict[str, float | None]
    statuses: dict[str, str]
    parse_status: str = "ok"

    def set(self, cell: str, value: float | None, status: str | None = None) -> ExampleReport:
        self.values[cell] = value
        self.statuses[cell] = status or ("reported" if value is not None else "blank")
        return self

    def make_unreadable(self) -> ExampleReport:
        """What staging holds for bytes the parser could not read: every cell absent, parse_status failed."""
        for cid in self.values:
            self.set(cid, None, "absent")
        self.parse_status = "failed"
        return self

    def cell_frames(self) -> dict[str, pd.DataFrame]:
        """``{"table2_cells": …, "table3_cells": …, "table4_cells": …}`` in the staging layout."""
        rows: dict[str, list[dict]] = {"table2": [], "table3": [], "table4": []}
        for cid, value in self.values.items():
            table, *keys = cid.split(".")
            rows[table].append({
                "source_sha256": self.source_sha256,
                "parser_version": "1",
                "report_year": self.report_year,
                "agency_name": self.agency_name,
                "format_version": self.format_version,
                "cell_id": cid,
                "row_key": keys[0],
                "col_key": keys[1] if len(keys) > 1 else None,
                "value": value,
                "raw_text": None if value is None else _fmt(value),
                "raw_label": keys[0],
                "status": self.statuses[cid],
                "loc": f"line {len(rows[table]) + 10}",
            })
        return {f"{t}_cells": pd.DataFrame(r) for t, r in rows.items()}

    def report_row(self) -> dict:
        return {"source_sha256": self.source_sha256, "agency_name": self.agency_name,
                "report_year": self.report_year, "format_version": self.format_version, "has_spam": False,
                "parse_status": self.parse_status}


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def sha_for(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def example_report(agency_name: str = "示例县人民政府", report_year: int = 2024, *, seed: int = 0,
                   carried_over: dict[str, int] | None = None, format_version: str = "2021") -> ExampleReport:
    """A consistent report: I1–I4 hold, every cell reported, counts small non-negative integers."""
    rng = random.Random(f"{agency_name}/{report_year}/{seed}")
    values: dict[str, float | None] = {}
    for key in TABLE2_KEYS:
        values[cell_id("table2", key)] = float(rng.randint(0, 30))
    values[cell_id("table2", "fees_wan_yuan")] = round(rng.uniform(0, 50), 2)
    outcome_rows = TABLE3_OUTCOME_ROWS[format_version]
    t3: dict[tuple[str, str], int] = {}
    for col in TABLE3_PART_COLS:
        for row in TABLE3_ROWS:
            t3[row, col] = 0
        for row in outcome_rows:
            t3[row, col] = rng.choice((0, 0, 0, 1, 2, 5))
        t3["total", col] = sum(t3[r, col] for r in outcome_rows)
        t3["carried_over", col] = (carried_over or {}).get(col, rng.randint(0, 2))
        t3["carried_forward", col] = rng.randint(0, 2)
        # I1: new_received + carried_over = total + carried_forward
        new = t3["total", col] + t3["carried_forward", col] - t3["carried_over", col]
        if new < 0:
            t3["carried_forward", col] -= new
            new = 0
        t3["new_received", col] = new
    for row in TABLE3_ROWS:
        t3[row, "total"] = sum(t3[row, c] for c in TABLE3_PART_COLS)
    for (row, col), v in t3.items():
        values[cell_id("table3", row, col)] = float(v)
    for group in TABLE4_GROUPS:
        parts = [rng.choice((0, 0, 1, 3)) for _ in range(4)]
        for leaf, v in zip([x for x in TABLE4_LEAVES if x != "total"], parts, strict=True):
            values[cell_id("table4", f"{group}_{leaf}")] = float(v)
        values[cell_id("table4", f"{group}_total")] = float(sum(parts))
    statuses = {c: "reported" for c in values}
    if format_version == "2019":
        for row in ("other_overdue_correction", "other_overdue_fee"):
            for col in TABLE3_COLS:
                values[cell_id("table3", row, col)] = None
                statuses[cell_id("table3", row, col)] = "na"
    report = ExampleReport(sha_for(f"{agency_name}/{report_year}/{seed}"), agency_name, report_year, format_version,
                           values, statuses)
    assert_identities_hold(report)
    return report


def assert_identities_hold(report: ExampleReport) -> None:
    for ident in all_identities(report.format_version):
        left = sum(report.values[c] or 0 for c in ident.left)
        right = sum(report.values[c] or 0 for c in ident.right)
        if abs(left - right) > 1e-9:
            raise AssertionError(f"{ident.name}: {left} != {right}")


def frames_for(reports: list[ExampleReport]) -> dict[str, pd.DataFrame]:
    """Staging-shaped frames for several reports: the three cell tables and ``reports``."""
    out: dict[str, list[pd.DataFrame]] = {"table2_cells": [], "table3_cells": [], "table4_cells": []}
    for r in reports:
        for name, df in r.cell_frames().items():
            out[name].append(df)
    frames = {name: pd.concat(dfs, ignore_index=True) for name, dfs in out.items()}
    frames["reports"] = pd.DataFrame([r.report_row() for r in reports])
    return frames


def example_series(agency_name: str, years: range | list[int], *, seed: int = 0) -> list[ExampleReport]:
    """Consecutive years of one agency that also satisfy the cross-year checks (X1 carry-over, X2 stock)."""
    out: list[ExampleReport] = []
    for year in years:
        prev = out[-1] if out else None
        carried = ({c: int(prev.values[cell_id("table3", "carried_forward", c)] or 0) for c in TABLE3_PART_COLS}
                   if prev else None)
        report = example_report(agency_name, year, seed=seed, carried_over=carried)
        if prev:
            for row in ("regulations", "normative"):
                made, repealed = (cell_id("table2", f"{row}_{k}") for k in ("made", "repealed"))
                stock = (prev.values[cell_id("table2", f"{row}_valid")] or 0) + (report.values[made] or 0)
                report.values[repealed] = min(report.values[repealed] or 0, stock)
                report.values[cell_id("table2", f"{row}_valid")] = stock - report.values[repealed]
        out.append(report)
    return out
