"""The text reader: grid lines to rows of located cells, one-cell lines regrouped, blank-line gaps read as empty
cells only beyond the document's usual gap."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from xxgk.parsing.model import Cell
from xxgk.parsing.readers.text import (
    BLANK_LINE,
    EMPTY_CELL_LINE,
    GRID_LINE,
    MARKER_LINE,
    MAX_CACHED_LOC_COLUMNS,
    MAX_CACHED_LOC_LINES,
    SINGLE_LINE,
    _typical_gap_before_values,
    read_text,
)


def test_grid_line_cells_are_located_by_line_and_column():
    doc = read_text("标题\n规章\t0\t1\t2\n\n行政规范性文件 | 3 | 4 |\n")
    assert [row.cells for row in doc.rows if row.is_grid] == [
        (Cell("规章", "line 2 col 1"), Cell("0", "line 2 col 2"), Cell("1", "line 2 col 3"), Cell("2", "line 2 col 4")),
        (Cell("行政规范性文件", "line 4 col 1"), Cell("3", "line 4 col 2"), Cell("4", "line 4 col 3")),
    ]
    assert [row.loc for row in doc.rows if row.is_grid] == ["line 2", "line 4"]


def test_locations_past_the_remembered_lines_and_columns_are_still_exact():
    wide = "\t".join(str(i) for i in range(MAX_CACHED_LOC_COLUMNS + 6))
    text = "\n" * (MAX_CACHED_LOC_LINES + 10) + "标签\t1\n" + wide + "\n" + "标签\t1\t2\n"
    rows = [row for row in read_text(text).rows if row.is_grid]
    first, wide_row, last = rows
    assert first.loc == f"line {MAX_CACHED_LOC_LINES + 11}"
    assert wide_row.cells[-1] == Cell(str(MAX_CACHED_LOC_COLUMNS + 5), f"line {MAX_CACHED_LOC_LINES + 12} col "
                                      f"{MAX_CACHED_LOC_COLUMNS + 6}")
    assert [c.loc for c in last.cells] == [f"line {MAX_CACHED_LOC_LINES + 13} col {i}" for i in (1, 2, 3)]


def test_a_line_seen_before_with_fewer_cells_gets_every_location():
    read_text("a\nb\tc\n")
    assert [c.loc for c in read_text("a\nb\tc\td\te\n").rows[-1].cells] == [f"line 2 col {i}" for i in (1, 2, 3, 4)]


def test_extra_blank_lines_inside_a_value_run_are_empty_cells():
    # One blank line between cells is the serialization's separator; a second one is an empty cell (seed 004).
    doc = read_text("规章\n\n1\n\n\n2\n\n3\n")
    assert [c.text for c in doc.rows[0].cells] == ["规章", "1", "", "2", "3"]


def _typical_gap_by_walking(kinds: list[int]) -> int:
    gaps, gap = [], 0
    for kind in kinds:
        if kind == BLANK_LINE:
            gap += 1
            continue
        if kind == SINGLE_LINE:
            gaps.append(gap)
        gap = 0
    return Counter(gaps).most_common(1)[0][0] if gaps else 0


@given(st.lists(st.sampled_from([BLANK_LINE, BLANK_LINE, MARKER_LINE, GRID_LINE, SINGLE_LINE, EMPTY_CELL_LINE]),
                max_size=60))
def test_typical_gap_is_the_most_common_blank_run_before_a_one_cell_line(kinds):
    assert _typical_gap_before_values([(kind, ()) for kind in kinds]) == _typical_gap_by_walking(kinds)
