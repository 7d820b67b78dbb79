"""Reshape staging DataFrames for the checks: long cell tables → one row per report, and report metadata.

Input cell frames follow ``xxgk.schema.tables.TABLE_SPECS`` (``source_sha256, report_year, agency_name,
format_version, row_key, col_key, value, status, …``); ``cell_id`` is recomputed from the keys when missing.
A value counts as *present* when its status is ``reported`` or ``derived`` and it is not null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xxgk.schema.keys import all_cell_ids, cell_id

PRESENT_STATUSES = ("reported", "derived")
ABSENT = "absent"
REPORT_COLUMNS = ("source_sha256", "agency_name", "report_year", "format_version")


def _with_cell_id(cells: pd.DataFrame, table: str) -> pd.DataFrame:
    if cells.empty:
        return cells.assign(cell_id=pd.Series(dtype="string"))
    if "cell_id" in cells.columns and cells["cell_id"].notna().all():
        return cells
    col = cells["col_key"] if "col_key" in cells.columns else pd.Series([None] * len(cells), index=cells.index)
    pairs = zip(cells["row_key"], col, strict=True)
    ids = [cell_id(table, r, c if isinstance(c, str) and c else None) for r, c in pairs]
    return cells.assign(cell_id=ids)


def stack_cells(table2: pd.DataFrame, table3: pd.DataFrame, table4: pd.DataFrame) -> pd.DataFrame:
    """The three long cell tables as one frame of canonical cells (2019 extension cells dropped)."""
    frames = [_with_cell_id(df, name) for name, df in (("table2", table2), ("table3", table3), ("table4", table4))]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["source_sha256", "cell_id", "value", "status"])
    frames = _same_categories(frames)
    stacked = pd.concat(frames, ignore_index=True)
    canonical = set(all_cell_ids())
    return stacked[stacked["cell_id"].isin(canonical)].reset_index(drop=True)


def _same_categories(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Give a column that is categorical in every frame the union of their categories, so concatenating the
    frames keeps it categorical (compact) instead of expanding it to one string per row."""
    common = set(frames[0].columns).intersection(*(f.columns for f in frames[1:]))
    out = list(frames)
    for col in common:
        if len(frames) > 1 and all(isinstance(f[col].dtype, pd.CategoricalDtype) for f in frames):
            cats = pd.Index(sorted(set().union(*(f[col].cat.categories for f in frames))))
            out = [f.assign(**{col: f[col].cat.set_categories(cats)}) for f in out]
    return out


def _grid(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Index, pd.Index]:
    """Row (report) and column (canonical cell) positions of every cell row: reports sorted, -1 = not canonical."""
    row_codes, shas = pd.factorize(cells["source_sha256"], sort=True)
    index = pd.Index(np.asarray(shas, dtype=object), name="source_sha256")
    columns = pd.Index(list(all_cell_ids()), name="cell_id")
    id_codes, ids = pd.factorize(cells["cell_id"])
    col_codes = columns.get_indexer(np.asarray(ids, dtype=object))[id_codes] if len(ids) else id_codes
    return row_codes, col_codes, index, columns


def _first_of_each(flat: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid positions and the index of the first row holding each (rows repeat a position only in odd input)."""
    if len(flat) and np.bincount(flat, minlength=size).max() > 1:
        positions, first = np.unique(flat, return_index=True)
        return positions, first
    return flat, np.arange(len(flat))


def _scatter(cells: pd.DataFrame, keep: np.ndarray, values: np.ndarray, fill: object, dtype: object
             ) -> pd.DataFrame:
    """One row per report, one column per canonical cell: the first kept value of each (report, cell)."""
    row_codes, col_codes, index, columns = _grid(cells)
    keep = keep & (col_codes >= 0)
    flat = row_codes[keep].astype(np.int64) * len(columns) + col_codes[keep]
    positions, first = _first_of_each(flat, len(index) * len(columns))
    grid = np.full(len(index) * len(columns), fill, dtype=dtype)
    grid[positions] = values[keep][first]
    return pd.DataFrame(grid.reshape(len(index), len(columns)), index=index, columns=columns)


def pivot_values(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per report (index ``source_sha256``), one float column per canonical cell id; NaN = not present."""
    value = cells["value"].to_numpy(dtype="float64", na_value=np.nan)
    present = cells["status"].isin(PRESENT_STATUSES).to_numpy(dtype=bool) & ~np.isnan(value)
    wide = _scatter(cells, present, value, np.nan, "float64")
    wide.columns.name = None
    return wide


def pivot_statuses(cells: pd.DataFrame) -> pd.DataFrame:
    """Like :func:`pivot_values` but holding each cell's status (``absent`` where no row exists), as categorical
    columns (one byte per cell)."""
    codes, statuses = pd.factorize(cells["status"])
    categories = pd.Index([*dict.fromkeys([*map(str, statuses), ABSENT])])
    absent = int(categories.get_loc(ABSENT))
    codes = np.where(codes < 0, absent, codes).astype(np.int8)
    wide = _scatter(cells, np.ones(len(cells), dtype=bool), codes, absent, np.int8)
    out = pd.DataFrame({c: pd.Categorical.from_codes(wide[c].to_numpy(), categories) for c in wide.columns},
                       index=wide.index)
    out.columns.name = None
    return out


def report_frame(reports: pd.DataFrame | None, cells: pd.DataFrame) -> pd.DataFrame:
    """One row per report: ``source_sha256, agency_name, report_year, format_version, agency_key, is_current,
    has_spam`` (+ any other columns of ``reports``).

    ``reports`` may be None (metadata taken from the cell rows). ``agency_key`` is ``agency_id`` when the frame
    has one, else the agency name; ``is_current`` defaults to True (every report is a candidate for publication).
    """
    base_cols = [c for c in REPORT_COLUMNS if c in cells.columns]
    from_cells = cells[base_cols].drop_duplicates("source_sha256") if not cells.empty else pd.DataFrame(
        columns=list(REPORT_COLUMNS))
    if reports is None or reports.empty:
        out = from_cells.copy()
    else:
        out = reports.drop_duplicates("source_sha256").copy()
        missing = from_cells[~from_cells["source_sha256"].isin(out["source_sha256"])]
        out = pd.concat([out, missing], ignore_index=True) if not missing.empty else out
    for col in REPORT_COLUMNS:
        if col not in out.columns:
            out[col] = None
    if "agency_id" in out.columns:
        out["agency_key"] = out["agency_id"].where(out["agency_id"].notna(), out["agency_name"])
    else:
        out["agency_key"] = out["agency_name"]
    out["is_current"] = out["is_current"].fillna(True).astype(bool) if "is_current" in out.columns else True
    out["has_spam"] = out["has_spam"].fillna(False).astype(bool) if "has_spam" in out.columns else False
    out["report_year"] = pd.to_numeric(out["report_year"], errors="coerce").astype("Int64")
    out["format_version"] = out["format_version"].fillna("2021").astype(str)
    return out.sort_values("source_sha256").reset_index(drop=True)
