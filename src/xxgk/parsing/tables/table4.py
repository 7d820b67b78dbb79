"""表四 政府信息公开行政复议、行政诉讼情况: one unlabelled row of 15 values after a 3-level header (format-spec §4).

The header is found by its 行政复议 / 行政诉讼 cells; the values are the first fifteen value cells after it,
wherever the serialization put them (one row, one cell per line, or one glued digit run split with I4).
"""

from __future__ import annotations

from collections.abc import Sequence

from xxgk.parsing import glued, labels
from xxgk.parsing.cells import BLANK, LABEL, classify
from xxgk.parsing.model import Cell, CellValue, Issue, Row
from xxgk.parsing.normalize import normalize_label
from xxgk.parsing.tables.common import MAX_LABEL_CHARS, TableResult, cell_value
from xxgk.schema.identities import RULES
from xxgk.schema.keys import TABLE4_KEYS, cell_id

N_VALUES = len(TABLE4_KEYS)
GROUP_SIZE = 5
HEADER_WINDOW_ROWS = 40  # the values follow the header closely; further away they belong to something else


def read_table4(rows: Sequence[Row], *, start: int = 0) -> TableResult:
    result = TableResult()
    header_at = _find_header(rows, start)
    if header_at is None:
        for key in TABLE4_KEYS:
            result.cells[cell_id("table4", key)] = CellValue(None, "absent")
        return result
    values = _values_after_header(rows, header_at)
    if not values:
        for key in TABLE4_KEYS:
            result.cells[cell_id("table4", key)] = CellValue(None, "absent")
        return result
    result.found = True
    if len(values) == 1 and values[0].text.strip().isdigit() and len(values[0].text.strip()) >= N_VALUES:
        _read_glued(values[0], result)
        return result
    if len(values) < N_VALUES:
        result.issues.append(Issue("column_lost", RULES["column_lost"].severity,
                                   f"table 四 carries {len(values)} values instead of {N_VALUES}; mapped from the left",
                                   tuple(cell_id("table4", k) for k in TABLE4_KEYS[len(values):]), values[0].loc))
    padded: list[Cell | None] = list(values[:N_VALUES]) + [None] * (N_VALUES - len(values))
    for key, cell in zip(TABLE4_KEYS, padded, strict=True):
        result.cells[cell_id("table4", key)] = cell_value(cell, None)
    return result


def _find_header(rows: Sequence[Row], start: int) -> int | None:
    for index in range(start, len(rows)):
        for cell in rows[index].cells:
            norm = normalize_label(cell.text)
            if norm == "行政复议" or norm.startswith("行政复议行政诉讼"):
                return index
    return None


def _values_after_header(rows: Sequence[Row], header_at: int) -> list[Cell]:
    values: list[Cell] = []
    for row in rows[header_at : header_at + HEADER_WINDOW_ROWS]:
        for cell in row.cells:
            if cell.is_span:
                continue
            kind = classify(cell.text).kind
            if kind == LABEL:
                if _is_header_label(cell.text):
                    continue
                if values:
                    return _trim(values)
                continue
            if kind == BLANK and not values:
                continue
            values.append(cell)
            if len(values) >= N_VALUES:
                return values
    return _trim(values)


def _is_header_label(text: str) -> bool:
    norm = normalize_label(text)
    if not norm or len(norm) > MAX_LABEL_CHARS:
        return False
    if labels.table4_leaves().match(text, fuzzy=False) or norm in {"结果", "其他", "尚未", "行政复议", "行政诉讼"}:
        return True
    if norm in {"未经复议直接起诉", "复议后起诉"} or norm.startswith("行政复议"):
        return True
    return norm.endswith("总计") and len(norm) < 40  # a glued header row ending in its last 总计


def _trim(values: list[Cell]) -> list[Cell]:
    while values and classify(values[-1].text).kind == BLANK:
        values.pop()
    return values


def _read_glued(cell: Cell, result: TableResult) -> None:
    run = cell.text.strip()
    candidates = glued.sum_group_splits(run, GROUP_SIZE, N_VALUES // GROUP_SIZE)
    only = glued.only_split(run, N_VALUES) if not candidates else None
    if len(candidates) == 1 or only is not None:
        # One split satisfying I4; or one reading of the digits at all (the published numbers, I4 checked later).
        for key, part in zip(TABLE4_KEYS, candidates[0] if candidates else only, strict=True):
            result.cells[cell_id("table4", key)] = CellValue(part, "reported", run, None, cell.loc)
        result.issues.append(Issue("glued_split", RULES["glued_split"].severity,
                                   "table 四 glued digits split with I4" if candidates else
                                   "table 四 glued digits read as the only split into 15 counts", (), cell.loc))
        return
    for key in TABLE4_KEYS:
        result.cells[cell_id("table4", key)] = CellValue(None, "blank", run, None, cell.loc)
    result.issues.append(Issue("glued_ambiguous", RULES["glued_ambiguous"].severity,
                               f"table 四 digits {run!r} admit {len(candidates)} splits consistent with I4; "
                               "left unread",
                               tuple(cell_id("table4", k) for k in TABLE4_KEYS), cell.loc))
    if not candidates and glued.fits(run, [None] * N_VALUES):
        # Every reading of the digits as fifteen counts breaks I4: the published table breaks it.
        result.issues.append(Issue("I4", RULES["I4"].severity,
                                   f"I4 ({RULES['I4'].description}) does not hold: no reading of the glued digits "
                                   f"{run!r} as {N_VALUES} counts has 总计 = Σ in every group "
                                   "(unless a cell was blank)",
                                   tuple(cell_id("table4", k) for k in TABLE4_KEYS), cell.loc))
