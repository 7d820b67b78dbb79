"""表二 主动公开政府信息情况: four stacked sub-tables, rows by label (format-spec §2).

The 2021 layout maps onto the ten canonical cells. The 2019 trial layout shares only the 处理决定数量 cells with
2021; its other columns are kept as extension cells, never mixed into the canonical ones.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence

from xxgk.parsing import glued, labels
from xxgk.parsing.cells import LABEL, classify
from xxgk.parsing.model import CellValue, ExtensionCell, Issue
from xxgk.parsing.tables.common import (
    RowView,
    TableResult,
    cell_value,
    is_glued_run,
    labelled_row,
    strip_leading_blanks,
)
from xxgk.schema.identities import RULES
from xxgk.schema.keys import TABLE2_2019_ROW_KEYS, TABLE2_KEYS, TABLE2_ROW_KEYS, cell_id

MIN_ROWS_FOR_TABLE = 2


_text_of = operator.itemgetter(0)  # Cell.text
_column_layouts: dict[str, str] = {}  # label cell text → the layout of the table 二 column it names, or ""
MAX_REMEMBERED_COLUMNS = 50_000


def _column_layout(text: str, col_labels: labels.LabelMap) -> str:
    column = col_labels.match(text, fuzzy=False)
    if len(_column_layouts) >= MAX_REMEMBERED_COLUMNS:
        _column_layouts.clear()
    layout = _column_layouts[text] = column.format_version if column else ""
    return layout


def read_table2(rows: Sequence[RowView], *, stop_at: int | None = None) -> TableResult:
    """Map table 二 from ``rows[:stop_at]`` (table 三 starts at ``stop_at``: its rows are never table 二's)."""
    result = TableResult()
    layout_votes = {"2019": 0, "2021": 0}
    found = {}
    col_labels, row_labels = labels.table2_cols(), labels.table2_rows()
    for view in rows[:stop_at]:
        if LABEL in view.kinds:
            for text in itertools.compress(map(_text_of, view.cells), map(LABEL.__eq__, view.kinds)):
                version = _column_layouts.get(text)
                if version is None:
                    version = _column_layout(text, col_labels)
                if version:
                    layout_votes[version] += 1
        hit = labelled_row(view, row_labels) if view.has_values else None
        if hit is None or not hit.values or hit.key in found:
            continue
        found[hit.key] = hit
        if hit.match.format_version in layout_votes:
            layout_votes[hit.match.format_version] += 1
    if len(found) < MIN_ROWS_FOR_TABLE:
        for key in TABLE2_KEYS:
            result.cells[cell_id("table2", key)] = CellValue(None, "absent")
        return result
    result.found = True
    layout = "2019" if layout_votes["2019"] > layout_votes["2021"] else "2021"
    result.format_version = layout
    row_keys = TABLE2_2019_ROW_KEYS if layout == "2019" else TABLE2_ROW_KEYS
    canonical: dict[str, CellValue] = {}
    for row, hit in found.items():
        if row == "extension":
            result.issues.append(Issue("extension_row", RULES["extension_row"].severity,
                                       f"table 二 row {hit.label.text!r} is not official; kept raw", (), hit.row.loc))
            for i, cell in enumerate(hit.values):
                result.extensions.append(ExtensionCell("table2", f"extension_{i + 1}", classify(cell.text).number,
                                                       cell.text, hit.label.text, cell.loc))
            continue
        keys = row_keys.get(row)
        if keys is None:
            continue  # a 2019-only row in a 2021 table: nothing canonical to fill
        values = strip_leading_blanks(hit.values)
        cells: list = list(values)
        if is_glued_run(values, len(keys)):
            parts = glued.splits(values[0].text.strip(), len(keys))
            if len(parts) == 1:
                cells = [values[0].__class__(str(p), values[0].loc) for p in parts[0]]
            else:
                result.issues.append(Issue("glued_ambiguous", RULES["glued_ambiguous"].severity,
                                           f"table 二 row {hit.label.text!r}: digits {values[0].text!r} admit "
                                           f"{len(parts)} splits; left unread",
                                           tuple(cell_id("table2", k) for k in keys if k in TABLE2_KEYS), hit.row.loc))
                cells = []
        if len(cells) != len(keys) and cells:
            lost = [k for k in keys[len(cells):] if k]
            result.issues.append(Issue("column_lost", RULES["column_lost"].severity,
                                       f"table 二 row {hit.label.text!r} carries {len(cells)} values for "
                                       f"{len(keys)} columns", tuple(cell_id("table2", k) for k in lost
                                                                     if k in TABLE2_KEYS), hit.row.loc))
        for key, cell in zip(keys, cells + [None] * (len(keys) - len(cells)), strict=False):
            if key is None:
                continue
            value = cell_value(cell, hit.label.text)
            if key in TABLE2_KEYS:
                canonical[key] = value
            elif cell is not None:
                result.extensions.append(ExtensionCell("table2", key, value.value, cell.text, hit.label.text, cell.loc))
    in_layout = {k for keys in row_keys.values() for k in keys if k in TABLE2_KEYS}
    for key in TABLE2_KEYS:
        missing = CellValue(None, "absent" if key in in_layout else "na")
        result.cells[cell_id("table2", key)] = canonical.get(key, missing)
    return result
