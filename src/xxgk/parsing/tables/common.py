"""Helpers shared by the three table mappers: finding a row's label and its value cells, reading a value."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from xxgk.parsing.cells import BLANK, LABEL, NA, NUMBER, classify
from xxgk.parsing.labels import LabelMap, LabelMatch
from xxgk.parsing.model import Cell, CellValue, ExtensionCell, Issue, Row, new_tuple
from xxgk.parsing.normalize import normalize_label

MAX_LABEL_CHARS = 60  # longer "labels" are prose: a table row label never runs this long once normalised


@dataclass
class TableResult:
    """What one mapper found: canonical cells by dotted id, plus what it noticed."""

    cells: dict[str, CellValue] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    extensions: list[ExtensionCell] = field(default_factory=list)
    format_version: str | None = None
    found: bool = False
    start_index: int | None = None  # first and last row index the table was read from
    end_index: int | None = None


class RowView(NamedTuple):
    """A row classified once for all three mappers: its cells without span placeholders and their kinds."""

    row: Row
    cells: tuple[Cell, ...]
    kinds: tuple[str, ...]  # classify(cell.text).kind per cell
    has_values: bool  # any number or not-applicable mark: rows without one are never data rows


_text_of = operator.itemgetter(0)  # Cell.text, Cell.is_span: C-level field access for the per-cell loops below
_is_span = operator.itemgetter(2)


def view_rows(rows: Sequence[Row]) -> list[RowView]:
    views = []
    known = _kind_of_text.get
    for row in rows:
        cells = tuple(itertools.filterfalse(_is_span, row.cells))
        kinds = tuple(map(known, map(_text_of, cells)))
        if None in kinds:
            kinds = tuple([kind or kind_of(cell.text) for kind, cell in zip(kinds, cells, strict=True)])
        views.append(new_tuple(RowView, (row, cells, kinds, NUMBER in kinds or NA in kinds)))
    return views


# classify(text).kind by text: a plain dict read through map() costs a fraction of an lru_cache call per cell.
_kind_of_text: dict[str, str] = {}
MAX_REMEMBERED_KINDS = 1 << 16


def kind_of(text: str) -> str:
    kind = _kind_of_text.get(text)
    if kind is None:
        if len(_kind_of_text) >= MAX_REMEMBERED_KINDS:
            _kind_of_text.clear()
        kind = _kind_of_text[text] = classify(text).kind
    return kind


class LabelledRow(NamedTuple):
    key: str
    match: LabelMatch
    label: Cell
    values: tuple[Cell, ...]  # value cells after the label, span placeholders dropped, trailing blanks trimmed
    row: Row


def match_label(text: str, label_map: LabelMap, *, allow_suffix: bool = True) -> LabelMatch | None:
    """Exact or fuzzy match of a whole label; else (glued group + item labels) the longest label it ends with."""
    if not allow_suffix:
        return _match_label(text, label_map, allow_suffix=False)
    known = _label_matches.setdefault(label_map, {})
    hit = known.get(text, False)
    if hit is False:
        if len(known) > MAX_REMEMBERED_LABELS:
            known.clear()
        hit = known[text] = _match_label(text, label_map)
    return hit


MAX_REMEMBERED_LABELS = 50_000  # per label map: row labels recur in every report
_label_matches: dict[LabelMap, dict[str, LabelMatch | None]] = {}


def _match_label(text: str, label_map: LabelMap, *, allow_suffix: bool = True) -> LabelMatch | None:
    norm = normalize_label(text)
    if not norm or len(norm) > MAX_LABEL_CHARS:
        return None
    hit = label_map.match(text)
    if hit or not allow_suffix:
        return hit
    return label_map.match_suffix(norm)


def labelled_row(view: RowView, label_map: LabelMap) -> LabelledRow | None:
    """The row's canonical label (the right-most label cell that matches) and the value cells after it."""
    cells, kinds = view.cells, view.kinds
    n_labels = kinds.count(LABEL)
    if n_labels == 1:  # most rows: one label, then its values
        i = kinds.index(LABEL)
        hit = match_label(cells[i].text, label_map)
        if hit is None:
            return None
        end = len(cells)
    else:
        for i in range(len(cells) - 1, -1, -1):
            if kinds[i] != LABEL:
                continue
            hit = match_label(cells[i].text, label_map)
            if hit is None:
                continue
            end = i + 1
            while end < len(cells) and kinds[end] != LABEL:
                end += 1
            break
        else:
            return None
    while end > i + 1 and kinds[end - 1] == BLANK:
        end -= 1
    return new_tuple(LabelledRow, (hit.key, hit, cells[i], cells[i + 1 : end], view.row))


def strip_leading_blanks(values: tuple[Cell, ...]) -> tuple[Cell, ...]:
    i = 0
    while i < len(values) and classify(values[i].text).kind == BLANK:
        i += 1
    return values[i:]


def cell_value(cell: Cell | None, raw_label: str | None) -> CellValue:
    """A source cell as a canonical CellValue: numbers reported, ``/`` n/a, blanks blank, anything else blank."""
    if cell is None:
        return CellValue(None, "absent", None, raw_label, None)
    text = cell.text
    value, status = _value_of_text.get(text) or _read_value(text)
    return new_tuple(CellValue, (value, status, text, raw_label, cell.loc))


def row_values(cells: Iterable[Cell | None], raw_label: str | None) -> list[CellValue]:
    """:func:`cell_value` of each cell of a row (one call per row: table 三 reads 175 cells per report)."""
    known = _value_of_text.get
    out = []
    for cell in cells:
        if cell is None:
            out.append(CellValue(None, "absent", None, raw_label, None))
            continue
        text = cell[0]
        value, status = known(text) or _read_value(text)
        out.append(new_tuple(CellValue, (value, status, text, raw_label, cell[1])))
    return out


_value_of_text: dict[str, tuple[int | float | None, str]] = {}  # (value, status) by cell text


def _read_value(text: str) -> tuple[int | float | None, str]:
    parsed = classify(text)
    if parsed.kind == NUMBER:
        read = (parsed.number, "reported")
    else:
        read = (None, "na" if parsed.kind == NA else "blank")
    if len(_value_of_text) >= MAX_REMEMBERED_KINDS:
        _value_of_text.clear()
    _value_of_text[text] = read
    return read


def is_glued_run(values: tuple[Cell, ...], expected: int) -> bool:
    """One digit run standing where ``expected`` separate values belong."""
    if len(values) != 1 or expected < 2:
        return False
    text = values[0].text.strip()
    # A run as long as the row, or any run with a leading zero (never how one count is written), is glued.
    return text.isdigit() and (len(text) >= expected or (len(text) > 1 and text.startswith("0")))
