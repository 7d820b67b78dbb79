"""Plain-text reports → :class:`Document`, for every text serialization of format-spec §7 and §9.

* pipe rows (``label | 0 | 0 |``) and tab rows: one grid row per line;
* one cell per line ending in `` |``, with bare ``|`` lines opening rows and ``||`` padding lines (seed 000);
* one cell per line separated by blank lines, where an extra blank line is an empty cell (seed 004);
* glued digits: a row label immediately followed by its digits (``…申请数量801000081``), split into a label cell
  and one digit-run cell; the table mappers split the run with the identities.

One-cell lines are regrouped into rows: a label starts a row and the values after it join that row.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections import Counter

from xxgk.parsing import labels
from xxgk.parsing.cells import LABEL, classify
from xxgk.parsing.model import Cell, Document, Row, new_tuple
from xxgk.parsing.normalize import fold_text, label_numbering, normalize_label
from xxgk.schema.keys import TABLE3_ROW_SPECS

MAX_LINE_FOR_GLUE = 4000  # longer lines are prose or garbage; never try to split them
_DIGITS_SPLIT = re.compile(r"(\d+(?:\.\d+)?)")  # a decimal (a fee in 万元) is one value, not number + label
_PIPE_ONLY = re.compile(r"^[|\s]+$")
_LABEL_THEN_DIGIT = re.compile(r"[^\d\s|０-９][0-9０-９]")

BLANK_LINE, MARKER_LINE, GRID_LINE, SINGLE_LINE, EMPTY_CELL_LINE = range(5)


def read_text(text: str, *, media_type: str = "text", encoding: str | None = None) -> Document:
    lines = text.splitlines()
    cached = _cached_line_info
    infos = [cached(line) if len(line) <= MAX_CACHED_LINE else _read_line(line) for line in lines]
    base_gap = _typical_gap_before_values(infos)
    rows: list[Row] = []
    current: list[Cell] = []  # the one-cell lines of the row being regrouped
    gap = 0
    for index, (kind, pieces) in enumerate(infos):
        if kind == BLANK_LINE:
            gap += 1
            continue
        loc = _LINE_LOCS[index] if index < MAX_CACHED_LOC_LINES else f"line {index + 1}"
        if kind == SINGLE_LINE:
            for position, (piece, is_label) in enumerate(pieces):
                cell = new_tuple(Cell, (piece, loc, False))
                if is_label:
                    if current:
                        rows.append(new_tuple(Row, (tuple(current), current[0].loc, False)))
                    current = [cell]
                    continue
                if position == 0 and current and gap > base_gap:
                    # Each extra blank line inside a run of values is an empty cell (format-spec §7, seed 004's
                    # R04): an empty cell is an empty line, and the separator follows only non-empty lines.
                    current.extend(Cell("", f"{loc} (blank line)") for _ in range(gap - base_gap))
                current.append(cell)
        elif kind == EMPTY_CELL_LINE:
            current.append(Cell("", loc))
        else:  # a grid line or a row marker: either ends the row being regrouped
            if current:
                rows.append(new_tuple(Row, (tuple(current), current[0].loc, False)))
                current = []
            if kind == GRID_LINE:
                # The cached locations may run past this line's cells; zip stops at the cells.
                locs = _grid_locs(index + 1, len(pieces))
                cells = tuple(map(_new_cell, zip(pieces, locs, _NOT_SPAN, strict=False)))
                rows.append(new_tuple(Row, (cells, loc, True)))
        gap = 0
    if current:
        rows.append(new_tuple(Row, (tuple(current), current[0].loc, False)))
    return Document(lines=tuple(lines), rows=tuple(rows), media_type=media_type, encoding=encoding)


# Locations as strings, made once per line number and column instead of once per cell.
MAX_CACHED_LOC_LINES = 4096
MAX_CACHED_LOC_COLUMNS = 64
_LINE_LOCS = tuple(f"line {n}" for n in range(1, MAX_CACHED_LOC_LINES + 1))
_grid_loc_cache: dict[int, tuple[str, ...]] = {}
_new_cell = functools.partial(new_tuple, Cell)  # Cell from a (text, loc, is_span) tuple
_NOT_SPAN = itertools.repeat(False)


def _grid_locs(number: int, width: int) -> tuple[str, ...]:
    """``line N col 1`` … ``line N col width``."""
    locs = _grid_loc_cache.get(number)
    if locs is None or len(locs) < width:
        locs = tuple(f"line {number} col {i}" for i in range(1, width + 1))
        if number <= MAX_CACHED_LOC_LINES and width <= MAX_CACHED_LOC_COLUMNS:
            _grid_loc_cache[number] = locs
    return locs


MAX_CACHED_LINE = 240  # table lines repeat across reports (labels, small counts); long prose lines do not
LineInfo = tuple[int, tuple]  # kind, cells (grid texts, or (text, is_label) pieces)


def _read_line(line: str) -> LineInfo:
    """What one line holds; computed once per distinct short line (read_text): table lines recur in every report."""
    kind = _line_kind(line)
    if kind == GRID_LINE:
        return kind, tuple(_split_grid(line))
    if kind != SINGLE_LINE:
        return kind, ()
    pieces = split_glued(line) or [_strip_terminator(line)]
    return kind, tuple((piece, classify(piece).kind == LABEL) for piece in pieces)


_cached_line_info = functools.lru_cache(maxsize=1 << 15)(_read_line)


def _line_kind(line: str) -> int:
    stripped = line.strip()
    if not stripped:
        return BLANK_LINE
    if "\t" in line:
        return GRID_LINE
    if "|" in stripped:
        if stripped == "|" and line[:1].isspace():
            return EMPTY_CELL_LINE  # an empty cell plus its `` |`` terminator; a bare ``|`` opens a row
        if _PIPE_ONLY.match(stripped):
            return MARKER_LINE
        if stripped.count("|") == 1 and stripped.endswith("|"):
            return SINGLE_LINE  # one cell per line with a `` |`` terminator
        return GRID_LINE
    return SINGLE_LINE


def _split_grid(line: str) -> list[str]:
    if "\t" in line:
        return [c.strip() for c in line.rstrip("\r\n").split("\t")]
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|")]


def _strip_terminator(line: str) -> str:
    s = line.strip()
    return s[:-1].rstrip() if s.endswith("|") else s


def _typical_gap_before_values(infos: list[LineInfo]) -> int:
    """The usual number of blank lines before a one-cell line (0 for seed 000, 1 for seed 004).

    Counted over every one-cell line, labels too: counting value lines alone is misled by a table whose value
    runs mostly start after empty cells (every applicant cell of all-zero rows left blank).
    """
    kinds = bytes(map(_kind_of_info, infos))  # one byte per line: the blank runs are found by one regex pass
    gaps = Counter(map(len, _BLANKS_BEFORE_SINGLE.findall(kinds)))
    return gaps.most_common(1)[0][0] if gaps else 0


_kind_of_info = operator.itemgetter(0)
_BLANKS_BEFORE_SINGLE = re.compile(b"(%s*)%s" % (re.escape(bytes([BLANK_LINE])), re.escape(bytes([SINGLE_LINE]))))


# --- glued digits ------------------------------------------------------------------------------------------------


def _official_numbers() -> dict[str, str]:
    out = {}
    for spec in TABLE3_ROW_SPECS:
        numbering = label_numbering(spec.label) or ""
        digits = "".join(ch for ch in numbering if ch.isdigit())
        if digits:
            out[normalize_label(spec.label)] = digits
    return out


_NUMBER_OF_LABEL = _official_numbers()


@functools.cache
def _label_suffixes() -> dict[int, frozenset[str]]:
    """Normalised table-row labels grouped by length, so a suffix test is one set lookup per length."""
    by_length: dict[int, set[str]] = {}
    for label_map in (labels.table3_rows(), labels.table2_rows(), labels.table4_leaves()):
        for form in label_map.forms_longest_first:
            by_length.setdefault(len(form), set()).add(form)
    return {n: frozenset(forms) for n, forms in by_length.items()}


def ends_with_label(text: str) -> bool:
    norm = normalize_label(text)
    return bool(norm) and any(norm[-n:] in forms for n, forms in _label_suffixes().items() if n <= len(norm))


def split_glued(line: str) -> list[str] | None:
    """Split ``label<digits>label<digits>…`` into alternating label and digit-run cells, or None if not glued.

    A digit run directly before a numbered label (``…0000003.其他``) carries that label's number at its end; the
    official numbering of the label that follows tells how many digits to give back.
    """
    if len(line) > MAX_LINE_FOR_GLUE or not _LABEL_THEN_DIGIT.search(line):
        return None
    s = fold_text(line).strip()
    parts = _DIGITS_SPLIT.split(s)  # text, digits, text, digits, …, text
    if len(parts) < 3:
        return None
    cells: list[str] = []
    label = parts[0]
    has_table_label = False
    for i in range(1, len(parts), 2):
        digits, after = parts[i], parts[i + 1]
        numbering = ""
        if after[:1] in (".", "、"):
            expected = _NUMBER_OF_LABEL.get(normalize_label(after[1:]), "")
            take = len(expected) if expected and digits.endswith(expected) else 1
            numbering, digits = digits[-take:], digits[:-take]
        if digits:
            if not label.strip() or not ends_with_label(label):
                return None  # a number after prose, a date, …: this line is not a glued table row
            has_table_label = True
            cells.extend([label.strip(), digits])
            label = numbering + after
        else:
            label = label + numbering + after
    if label.strip():
        if ends_with_label(label) or not cells:
            cells.append(label.strip())
        else:
            return None
    return cells if has_table_label else None
