"""The ``quality_results`` table: one row per (run, report, check), kept as data and published beside the marts.

``rule_id`` and ``severity`` come from ``xxgk.schema.identities.RULES``; ``check_name`` names the instance of the
rule (``I1.research``, ``cells_incomplete.table3``); ``gate_column`` is the gate-frame column the expectation
suites validate for it. ``left_value``/``right_value``/``delta`` hold the two sides of an equation (or the
measured value and its limit); ``cells`` lists the dotted cell ids involved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from xxgk.schema.identities import ERROR, RULES

QUALITY_RESULTS_COLUMNS: tuple[str, ...] = (
    "run_id",
    "source_sha256",
    "agency_name",
    "report_year",
    "rule_id",
    "severity",
    "check_name",
    "gate_column",
    "cells",
    "left_value",
    "right_value",
    "delta",
    "passed",
    "message",
)

QUALITY_RESULTS_DESCRIPTIONS: dict[str, str] = {
    "run_id": "the gate run that produced the row",
    "source_sha256": "the report checked (raw object SHA-256)",
    "agency_name": "agency name as found in the report",
    "report_year": "report (data) year",
    "rule_id": "rule id from xxgk.schema.identities.RULES (I1…I4, cells_incomplete, X1, …)",
    "severity": "error (blocks publication) or warning (published with the flag)",
    "check_name": "the instance of the rule: I1.research, cells_incomplete.table3, X1.total",
    "gate_column": "the gate-frame column the Great Expectations suite validated",
    "cells": "comma-separated dotted cell ids involved (listed when the check fails)",
    "left_value": "left side of the equation, or the measured value",
    "right_value": "right side of the equation, or the expected value / limit",
    "delta": "the violation, 0 when the check passes: left − right for an equation, the excess over the limit for "
             "a threshold, the number of offending cells for a count",
    "passed": "true when the check holds; false when it fails",
    "message": "human-readable explanation",
}


def result_row(
    *,
    source_sha256: str,
    agency_name: str | None,
    report_year: int | None,
    rule_id: str,
    check_name: str,
    passed: bool,
    cells: Iterable[str] = (),
    left_value: float | None = None,
    right_value: float | None = None,
    delta: float | None = None,
    message: str = "",
) -> dict[str, Any]:
    """One ``quality_results`` row (without ``run_id``); the severity is the rule's, from ``RULES``."""
    rule = RULES[rule_id]
    return {
        "source_sha256": source_sha256,
        "agency_name": agency_name,
        "report_year": report_year,
        "rule_id": rule_id,
        "severity": rule.severity,
        "check_name": check_name,
        "gate_column": gate_column(check_name),
        "cells": ",".join(cells),
        "left_value": left_value,
        "right_value": right_value,
        "delta": delta,
        "passed": bool(passed),
        "message": message,
    }


def gate_column(check_name: str) -> str:
    """``I1.research`` → ``I1__research``: the gate-frame column name for a check (a valid identifier)."""
    return check_name.replace(".", "__")


# Text columns whose values repeat (hashes, names, rule ids, the pass texts "" and "ok"): categoricals, so a
# national run's ~1.3 M result rows take tens of MB instead of hundreds.
COMPACT_COLUMNS: tuple[str, ...] = ("run_id", "source_sha256", "agency_name", "rule_id", "severity", "check_name",
                                    "gate_column", "cells", "message")


def results_frame(rows: pd.DataFrame | Iterable[Mapping[str, Any]], run_id: str) -> pd.DataFrame:
    """Rows → a DataFrame with exactly :data:`QUALITY_RESULTS_COLUMNS`, in order, with stable dtypes: the text
    columns are categoricals of strings (a national run's ~1.3 M rows repeat a few thousand distinct texts)."""
    cols = [c for c in QUALITY_RESULTS_COLUMNS if c != "run_id"]
    df = rows[cols].copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=cols)
    df.insert(0, "run_id", pd.Series(pd.Categorical.from_codes(np.zeros(len(df), dtype=np.int8),
                                                               pd.Index([run_id], dtype="string")), index=df.index))
    df["report_year"] = df["report_year"].astype("Int64")
    for col in ("left_value", "right_value", "delta"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["passed"] = df["passed"].astype(bool)
    for col in COMPACT_COLUMNS:  # text, as categoricals of strings
        if not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype("string").astype("category")
    return df.reset_index(drop=True)


def compact_results(results: pd.DataFrame) -> pd.DataFrame:
    """The same rows and values with the repeated text columns as categoricals (the release writes them as text)."""
    out = results.copy(deep=False)
    for col in COMPACT_COLUMNS:
        if col in out.columns and not isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("category")
    return out


def decoded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text categoricals back as plain text columns (for small selections of compact results)."""
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return frame
    return frame.astype({c: frame[c].dtype.categories.dtype for c in cats})


def quarantine_reasons(results: pd.DataFrame) -> pd.DataFrame:
    """One row per report that failed a blocking check: ``source_sha256, agency_name, report_year, rules, reasons``."""
    failed = decoded(results[(results["severity"] == ERROR) & ~results["passed"].astype(bool)])
    cols = ["source_sha256", "agency_name", "report_year", "rules", "failed_checks", "reasons"]
    if failed.empty:
        return pd.DataFrame(columns=cols)
    grouped = failed.groupby("source_sha256", sort=True, observed=True)
    out = grouped.agg(
        agency_name=("agency_name", "first"),
        report_year=("report_year", "first"),
        rules=("rule_id", lambda s: ",".join(sorted(set(s)))),
        failed_checks=("check_name", "count"),
        reasons=("message", lambda s: "; ".join(s.astype(object).fillna("").astype(str).head(20))),
    ).reset_index()
    return out[cols]


def warning_flags(results: pd.DataFrame) -> pd.DataFrame:
    """One row per report with failed warning checks: ``source_sha256, quality_warnings`` (sorted rule ids)."""
    failed = decoded(results[(results["severity"] != ERROR) & ~results["passed"].astype(bool)])
    if failed.empty:
        return pd.DataFrame(columns=["source_sha256", "quality_warnings", "n_quality_warnings"])
    grouped = failed.groupby("source_sha256", sort=True, observed=True)
    return grouped.agg(
        quality_warnings=("rule_id", lambda s: ",".join(sorted(set(s)))),
        n_quality_warnings=("check_name", "count"),
    ).reset_index()


def offending_snippets(results: pd.DataFrame, cells: pd.DataFrame, sections: pd.DataFrame | None = None,
                       max_cells: int = 8, max_chars: int = 240) -> pd.DataFrame:
    """Per quarantined report, what the source says where it failed: ``source_sha256, snippet``.

    ``cells`` is the stacked long cell frame (``cell_id, raw_label, raw_text, loc, status``); a cell found in the
    source is shown as ``table3.total.research 「（七）总计」 = 「5」 (reported) @ line 57``. When none of the
    failing cells was found in the source (a missing table, an unreadable file), the start of the report's text
    (``sections``) is shown instead.
    """
    failed = decoded(results[(results["severity"] == ERROR) & ~results["passed"].astype(bool)])
    if failed.empty:
        return pd.DataFrame(columns=["source_sha256", "snippet"])
    lookup: dict[tuple[str, str], tuple[Any, Any, Any, Any]] = {}
    if not cells.empty:
        wanted = set(failed["source_sha256"])
        mine = cells[cells["source_sha256"].isin(wanted)]
        columns = [_objects(mine[c]) if c in mine.columns else [None] * len(mine)
                   for c in ("raw_label", "raw_text", "loc", "status")]
        shas, ids = _objects(mine["source_sha256"].astype(str)), _objects(mine["cell_id"].astype(str))
        for key, *row in zip(zip(shas, ids, strict=True), *columns, strict=True):
            lookup.setdefault(key, tuple(row))
    texts = (sections.groupby("source_sha256", observed=True)["text"].apply(lambda s: " ".join(map(str, s)))
             if sections is not None and not sections.empty else pd.Series(dtype=object))
    out = []
    by_report: dict[str, tuple[list[str], str]] = {}
    for sha, cell_list, message in zip(_objects(failed["source_sha256"].astype(str)),
                                       _objects(failed["cells"].astype(object).fillna("").astype(str)),
                                       _objects(failed["message"].astype(str)), strict=True):
        lists, first = by_report.setdefault(sha, ([], message))
        lists.append(cell_list)
    for sha in sorted(by_report):
        cell_lists, first_message = by_report[sha]
        ids: list[str] = []
        for cell_list in cell_lists:
            for cid in str(cell_list).split(","):
                if cid.startswith("table") and cid not in ids:
                    ids.append(cid)
        parts = []
        for cid in ids:
            if (sha, cid) not in lookup:
                continue
            label, text, loc, status = lookup[(sha, cid)]
            if pd.isna(text) and pd.isna(loc):
                continue  # not in the source: nothing to show
            parts.append(f"{cid} 「{label if pd.notna(label) else ''}」 = 「{text if pd.notna(text) else ''}」"
                         f" ({status})" + (f" @ {loc}" if pd.notna(loc) and loc else ""))
        if len(parts) > max_cells:
            parts = parts[:max_cells] + [f"… and {len(parts) - max_cells} more cells"]
        if not parts:
            missing = len(ids)
            head = str(texts.get(sha, "")).strip()
            parts = [f"{missing} failing cells are not in the source." if missing else first_message]
            parts.append(f"Report text: 「{head[:max_chars]}{'…' if len(head) > max_chars else ''}」" if head
                         else "No section of the report was recognised.")
        out.append({"source_sha256": sha, "snippet": "\n".join(parts)})
    return pd.DataFrame(out)


def _objects(column: pd.Series) -> list[Any]:
    """A column's values as a list of Python objects (one conversion, not one Arrow scalar per element)."""
    return column.to_numpy(dtype=object).tolist()
