"""表三 收到和处理政府信息公开申请情况: rows by label, columns by count and position (format-spec §3).

Rows are found by their labels, never by counting. Values map to the seven columns by position when a row carries
seven; a row that lost cells maps onto the columns the header shows (seed 002 lost 其他) or, failing that, from the
left, and says so. Glued digit runs are split with I2 per row and I1/I3 across rows.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence

from xxgk.parsing import glued, labels
from xxgk.parsing.cells import BLANK, LABEL, NUMBER, classify
from xxgk.parsing.derive import broken_rules, derive_forced, identities_hold
from xxgk.parsing.model import Cell, CellValue, Issue, Row, new_tuple
from xxgk.parsing.normalize import normalize_label
from xxgk.parsing.tables.common import (
    LabelledRow,
    RowView,
    TableResult,
    cell_value,
    is_glued_run,
    kind_of,
    labelled_row,
    row_values,
    strip_leading_blanks,
)
from xxgk.schema.identities import RULES, Identity, table3_identities
from xxgk.schema.keys import TABLE3_COLS, TABLE3_ROWS, TABLE3_ROWS_NOT_IN_LAYOUT, cell_id

N_COLS = len(TABLE3_COLS)
_CELL_IDS = {row: tuple(cell_id("table3", row, col) for col in TABLE3_COLS) for row in TABLE3_ROWS}
MIN_ROWS_FOR_TABLE = 3  # a stray row label in prose (seed 001) must not make a table


def read_table3(rows: Sequence[RowView], *, layout_hint: str | None = None) -> TableResult:
    """Table 三 from ``rows``. Its layout comes from its own （六） rows; when none is there (a lost 其他处理 row),
    from ``layout_hint`` (table 二's layout), else 2021."""
    result = TableResult()
    found: dict[str, LabelledRow] = {}
    header_rows: list[RowView] = []  # rows before the first data row: the column headers are among them
    first_data_index: int | None = None
    row_labels = labels.table3_rows()
    for index, view in enumerate(rows):
        hit = labelled_row(view, row_labels) if view.has_values else None
        if hit is None or not hit.values:
            if first_data_index is None:
                header_rows.append(view)
            continue
        key = _resolve_key(hit, found)
        if key is None or key in found:
            continue
        found[key] = hit
        if first_data_index is None:
            first_data_index = index
        result.end_index = index
    if len(found) < MIN_ROWS_FOR_TABLE:
        for row_key in TABLE3_ROWS:
            for col in TABLE3_COLS:
                result.cells[cell_id("table3", row_key, col)] = CellValue(None, "absent")
        result.end_index = None
        return result
    result.found = True
    result.start_index = first_data_index
    result.format_version = _layout(found) or layout_hint or "2021"
    value_start = _value_start(found)
    if value_start is not None:
        found = {key: _positional_values(hit, value_start) for key, hit in found.items()}
    _map_rows(found, header_rows, result)
    return result


def _value_start(found: dict[str, LabelledRow]) -> int | None:
    """The first value column of a grid whose rows keep every position (tab rows write label spans as empty
    cells; HTML keeps span placeholders), or None.

    In such a grid the label columns end after the right-most label any row has, and everything after them is a
    value cell: the empty cells after a label are label spans, not blank values, also in a row that lost a cell
    or in a table that lost a whole column. Pipe rows (padding at the end) and regrouped one-cell lines do not
    keep positions.
    """
    rows = [hit.row for hit in found.values() if hit.row.is_grid]
    if len(rows) < MIN_ROWS_FOR_TABLE or len(rows) < 0.8 * len(found):
        return None
    width, n_full = Counter(len(r.cells) for r in rows).most_common(1)[0]
    if n_full < 0.8 * len(rows):
        return None
    full = [r for r in rows if len(r.cells) == width]
    if sum(classify(r.cells[-1].text).kind == NUMBER for r in full) < 0.8 * len(full):
        return None  # full rows do not end in their 总计: positions are not kept
    value_start = 1 + max(_index_of(hit.label, hit.row) for hit in found.values() if hit.row.is_grid)
    return value_start if 1 <= width - value_start <= N_COLS else None


def _positional_values(hit: LabelledRow, value_start: int) -> LabelledRow:
    """A grid row's values: the cells from the first value column on (its label spans are not values)."""
    if not hit.row.is_grid:
        return hit
    cells = hit.row.cells
    at = _index_of(hit.label, hit.row)
    if at >= value_start:
        return hit
    if any(not c.is_span and kind_of(c.text) != BLANK for c in cells[at + 1 : value_start]):
        return hit
    values: list[Cell] = []
    for cell in cells[value_start:]:
        if cell.is_span:
            continue
        if kind_of(cell.text) == LABEL:
            break
        values.append(cell)
    while values and kind_of(values[-1].text) == BLANK:
        values.pop()
    return new_tuple(LabelledRow, (hit.key, hit.match, hit.label, tuple(values), hit.row))


def _index_of(cell: Cell, row: Row) -> int:
    """Position of a cell of a grid row, whose cells are told apart by their locs (span placeholders by is_span)."""
    return row.cells.index(cell)


def _resolve_key(hit: LabelledRow, found: dict[str, LabelledRow]) -> str | None:
    """（六）其他处理 with values is the 2019 single row; 其他 alone is R23 only after R22 or R21 was seen."""
    if hit.key == "other_other" and normalize_label(hit.label.text) == "其他":
        return "other_other" if ("other_overdue_fee" in found or "other_overdue_correction" in found) else None
    if hit.key == "total" and "granted" not in found and "new_received" not in found:
        return None  # a header 总计 before any data row
    return hit.key


def _layout(found: dict[str, LabelledRow]) -> str | None:
    """The layout the （六） rows show, or None when the table has none of them."""
    if "other_overdue_correction" in found or "other_overdue_fee" in found:
        return "2021"
    other = found.get("other_other")
    if other is not None and other.match.format_version == "2019":
        return "2019"
    return "2021" if other is not None else None


def _header_order(header_rows: Sequence[RowView]) -> list[str]:
    """The columns the header rows name, in canonical order."""
    match = labels.table3_cols().match
    named = {hit.key for view in header_rows for cell, kind in zip(view.cells, view.kinds, strict=True)
             if kind == LABEL and (hit := match(cell.text, fuzzy=False))}
    return [c for c in TABLE3_COLS if c in named]


def _map_rows(found: dict[str, LabelledRow], header_rows: Sequence[RowView], result: TableResult) -> None:
    layout = result.format_version or "2021"
    not_in_layout = set(TABLE3_ROWS_NOT_IN_LAYOUT[layout])
    header_order: list[str] | None = None  # read only for a row that is not seven values from its first cell on
    glued_rows: dict[str, str] = {}
    for row_key in TABLE3_ROWS:
        hit = found.get(row_key)
        if row_key in not_in_layout:
            for col in TABLE3_COLS:
                result.cells[cell_id("table3", row_key, col)] = CellValue(None, "na", None, None, None)
            continue
        if hit is None:
            for col in TABLE3_COLS:
                result.cells[cell_id("table3", row_key, col)] = CellValue(None, "absent", None, None, None)
            continue
        if is_glued_run(hit.values, N_COLS):
            glued_rows[row_key] = hit.values[0].text.strip()
            continue
        label = hit.label.text
        values = hit.values
        if len(values) != N_COLS or kind_of(values[0].text) == BLANK:
            if header_order is None:
                header_order = _header_order(header_rows)
            values = _place(hit, header_order, result).values()
        result.cells.update(zip(_CELL_IDS[row_key], row_values(values, label), strict=True))
    if glued_rows:
        _split_glued_rows(glued_rows, found, layout, result)
    _place_by_identities(found, layout, result)
    _merge_lost_column_issues(result)


def _place_by_identities(found: dict[str, LabelledRow], layout: str, result: TableResult) -> None:
    """Rows that lost cells and whose numbers differ: try every order-keeping placement of their values and keep
    the ones under which the identities (with forced cells derived) hold. One survivor is used; several that
    disagree leave the row unread, reported, never guessed."""
    identities = table3_identities(layout)
    by_header = [i for i in result.issues if i.rule == "column_lost" and "the header shows" in i.message]
    if by_header and _breaks_identities(result.cells, identities):
        # The header lacks a label (a style, seed 004) rather than a lost column: the placement it gave breaks
        # the identities, so the rows are placed by the identities instead (kept as they were if none fits).
        result.issues = [i for i in result.issues if i not in by_header]
        result.issues += [Issue("column_placement_ambiguous", i.severity, i.message, i.cells, i.loc)
                          for i in by_header]
    header_placed = {i.message.split()[1]: i for i in by_header}
    pending = [i for i in result.issues if i.rule == "column_placement_ambiguous"]
    if not pending:
        return
    if _place_lost_column(found, identities, result):
        return
    for issue in pending:
        row = issue.message.split()[1]
        hit = found[row]
        values = [c for c in strip_leading_blanks(hit.values)]
        base = {k: v for k, v in result.cells.items() if not k.startswith(f"table3.{row}.")}
        if row in header_placed and not _row_fits_somewhere(row, values, hit, base, identities):
            result.issues.remove(issue)
            result.issues.append(header_placed[row])
            continue
        survivors: list[dict[str, CellValue]] = []
        outcomes: set[tuple] = set()
        row_cells = [cell_id("table3", row, c) for c in TABLE3_COLS]
        for columns in itertools.combinations(TABLE3_COLS, len(values)):
            placed = {cell_id("table3", row, c): CellValue(None, "absent") for c in TABLE3_COLS}
            placed.update({cell_id("table3", row, c): cell_value(v, hit.label.text)
                           for c, v in zip(columns, values, strict=True)})
            cells = {**base, **placed}
            known = {k: v.value for k, v in cells.items()}
            derivable = [k for k, v in cells.items() if v.value is None and v.status != "na"]
            merged = {**known, **derive_forced(known, derivable, identities)}
            if identities_hold(merged, identities) and _feasible(merged, derivable, identities):
                survivors.append(placed)
                # What the placement means is the row's numbers once the lost cells are derived: a gap placed
                # anywhere inside a run of equal values (``3 0 0 0 4`` losing one 0) gives the same numbers.
                outcomes.add(tuple(merged.get(k) for k in row_cells))
        result.issues.remove(issue)
        lost = tuple(k for k, v in (survivors[0].items() if survivors else ()) if v.status == "absent")
        if len(outcomes) == 1:
            result.cells.update(survivors[0])
            where = (f"; {len(survivors)} placements give the same numbers" if len(survivors) > 1 else "")
            result.issues.append(Issue("column_lost", RULES["column_lost"].severity,
                                       f"row {row} carries {len(values)} values instead of {N_COLS}; placed where "
                                       f"the identities hold{where}", lost, hit.row.loc))
        else:
            for col in TABLE3_COLS:
                cid = cell_id("table3", row, col)
                result.cells[cid] = CellValue(None, "blank", " ".join(v.text for v in values), hit.label.text,
                                              hit.row.loc)
            result.issues.append(Issue("column_placement_ambiguous", RULES["column_placement_ambiguous"].severity,
                                       f"row {row} carries {len(values)} values instead of {N_COLS}; "
                                       f"{len(survivors)} placements satisfy the identities; left unread",
                                       tuple(cell_id("table3", row, c) for c in TABLE3_COLS), hit.row.loc))


def _feasible(merged: dict[str, int | float | None], derivable: Sequence[str],
              identities: Sequence[Identity]) -> bool:
    """False when an identity with one missing cell left would force it below 0 (the derivation skips those, so
    the identity check alone would let such a placement through)."""
    open_cells = set(derivable)
    for identity in identities:
        unknown = [c for c in identity.cells if merged.get(c) is None]
        if len(unknown) != 1 or unknown[0] not in open_cells:
            continue
        left = sum(merged[c] or 0 for c in identity.left if c != unknown[0])
        right = sum(merged[c] or 0 for c in identity.right if c != unknown[0])
        if (right - left if unknown[0] in identity.left else left - right) < 0:
            return False
    return True


def _breaks_identities(cells: dict[str, CellValue], identities: Sequence[Identity]) -> bool:
    """Whether the cells (with the forced ones derived) break an identity or force a missing cell below 0."""
    known = {k: v.value for k, v in cells.items()}
    derivable = [k for k, v in cells.items() if v.value is None and v.status != "na"]
    merged = {**known, **derive_forced(known, derivable, identities)}
    return not identities_hold(merged, identities) or not _feasible(merged, derivable, identities)


def _row_fits_somewhere(row: str, values: list[Cell], hit: LabelledRow, base: dict[str, CellValue],
                        identities: Sequence[Identity]) -> bool:
    """Whether some order-keeping placement of the row's values satisfies the identities."""
    for columns in itertools.combinations(TABLE3_COLS, len(values)):
        placed = {cell_id("table3", row, c): CellValue(None, "absent") for c in TABLE3_COLS}
        placed.update({cell_id("table3", row, c): cell_value(v, hit.label.text)
                       for c, v in zip(columns, values, strict=True)})
        if not _breaks_identities({**base, **placed}, identities):
            return True
    return False


def _place_lost_column(found: dict[str, LabelledRow], identities: Sequence[Identity], result: TableResult) -> bool:
    """Several rows that each lost one cell, mapped from the left: a column lost by the export is the same
    column in every row, so the seven positions are tried for all of them at once (placing row by row against
    neighbours still mapped from the left can settle on a consistent but wrong table). One set of numbers is
    used; several leave the rows whose numbers differ unread. False when no position fits (rows lost different
    cells): the rows are then placed one by one."""
    rows = [i.message.split()[1] for i in result.issues
            if i.rule == "column_placement_ambiguous" or (i.rule == "column_lost" and "leftmost" in i.message)]
    values = {row: strip_leading_blanks(found[row].values) for row in rows}
    if len(rows) < 2 or any(len(v) != N_COLS - 1 for v in values.values()):
        return False
    base = {k: v for k, v in result.cells.items() if k.split(".")[1] not in rows}
    row_cells = [cell_id("table3", row, c) for row in rows for c in TABLE3_COLS]
    outcomes: dict[tuple, dict[str, CellValue]] = {}
    for q in range(N_COLS):
        columns = [c for i, c in enumerate(TABLE3_COLS) if i != q]
        placed: dict[str, CellValue] = {}
        for row in rows:
            placed[cell_id("table3", row, TABLE3_COLS[q])] = CellValue(None, "absent")
            placed.update({cell_id("table3", row, c): cell_value(v, found[row].label.text)
                           for c, v in zip(columns, values[row], strict=True)})
        cells = {**base, **placed}
        known = {k: v.value for k, v in cells.items()}
        derivable = [k for k, v in cells.items() if v.value is None and v.status != "na"]
        merged = {**known, **derive_forced(known, derivable, identities)}
        if identities_hold(merged, identities) and _feasible(merged, derivable, identities):
            outcomes.setdefault(tuple(merged.get(k) for k in row_cells), placed)
    if not outcomes:
        return False
    result.issues = [i for i in result.issues if not (i.rule in ("column_lost", "column_placement_ambiguous")
                                                      and i.message.split()[1] in rows)]
    placements = list(outcomes.values())
    unread = [row for i, row in enumerate(rows)
              if len({o[i * N_COLS:(i + 1) * N_COLS] for o in outcomes}) > 1]
    first = placements[0]
    for row in rows:
        hit = found[row]
        if row in unread:
            for col in TABLE3_COLS:
                result.cells[cell_id("table3", row, col)] = CellValue(
                    None, "blank", " ".join(v.text for v in values[row]), hit.label.text, hit.row.loc)
            result.issues.append(Issue("column_placement_ambiguous", RULES["column_placement_ambiguous"].severity,
                                       f"row {row} carries {N_COLS - 1} values instead of {N_COLS}; the same "
                                       f"column lost in {len(rows)} rows: {len(outcomes)} positions satisfy the "
                                       "identities with different numbers; left unread",
                                       tuple(cell_id("table3", row, c) for c in TABLE3_COLS), hit.row.loc))
            continue
        result.cells.update({k: v for k, v in first.items() if k.split(".")[1] == row})
        lost = tuple(k for k, v in first.items() if k.split(".")[1] == row and v.status == "absent")
        result.issues.append(Issue("column_lost", RULES["column_lost"].severity,
                                   f"row {row} carries {N_COLS - 1} values instead of {N_COLS}; the same column "
                                   f"lost in {len(rows)} rows, placed where the identities hold"
                                   + (f" ({len(outcomes)} positions fit; this row's numbers are the same in each)"
                                      if len(outcomes) > 1 else ""), lost, hit.row.loc))
    return True


def _merge_lost_column_issues(result: TableResult) -> None:
    """One issue per rule for all rows that lost cells, instead of one per row."""
    for rule in ("column_lost", "column_placement_ambiguous"):
        row_issues = [i for i in result.issues if i.rule == rule]
        if len(row_issues) < 2:
            continue
        result.issues = [i for i in result.issues if i.rule != rule]
        result.issues.append(Issue(
            rule, RULES[rule].severity,
            f"{len(row_issues)} rows of table 三 lost value cells: " + "; ".join(i.message for i in row_issues[:3])
            + (f"; … {len(row_issues) - 3} more" if len(row_issues) > 3 else ""),
            tuple(c for i in row_issues for c in i.cells), row_issues[0].loc,
        ))


def _place(hit: LabelledRow, header_order: list[str], result: TableResult) -> dict[str, Cell | None]:
    """Which column each value cell belongs to (None where the row lost the cell)."""
    values = hit.values
    while len(values) > N_COLS and classify(values[0].text).kind == BLANK:
        values = values[1:]  # leading blanks beyond the seven columns are label spans (tab rows)
    stripped = strip_leading_blanks(values)
    if 0 < len(header_order) < N_COLS and len(stripped) == len(header_order):
        # The header shows which columns the export lost (seed 002 lost 其他); leading blanks were label spans.
        values, columns, how = stripped, header_order, "the columns the header shows"
    elif len(values) == N_COLS:
        return dict(zip(TABLE3_COLS, values, strict=True))
    elif len(values) > N_COLS:
        result.issues.append(_issue("extension_row", f"row {hit.key} has {len(values)} value cells; kept the first "
                                    f"{N_COLS}", hit))
        return dict(zip(TABLE3_COLS, values[:N_COLS], strict=True))
    else:
        values = stripped
        columns, how = list(TABLE3_COLS[: len(values)]), "the leftmost columns"
    placed: dict[str, Cell | None] = dict.fromkeys(TABLE3_COLS)
    placed.update(zip(columns, values, strict=True))
    lost = [c for c in TABLE3_COLS if placed[c] is None]
    numbers = {classify(v.text).number for v in values if classify(v.text).kind == NUMBER}
    rule = "column_lost" if len(numbers) <= 1 or columns is header_order else "column_placement_ambiguous"
    if columns is not header_order and numbers == {0}:
        how += " (every value is 0: wherever the lost cells were, they are 0)"
    result.issues.append(
        _issue(rule, f"row {hit.key} carries {len(values)} values instead of {N_COLS}; mapped onto {how}, "
               f"lost: {', '.join(lost)}", hit, tuple(cell_id("table3", hit.key, c) for c in lost))
    )
    return placed


def _split_glued_rows(
    glued_rows: dict[str, str], found: dict[str, LabelledRow], layout: str, result: TableResult
) -> None:
    candidates = {row: glued.sum_group_splits(run, N_COLS) for row, run in glued_rows.items()}
    unsplittable = [row for row, c in candidates.items() if not c]
    only_rows: list[str] = []
    for row in unsplittable:
        del candidates[row]
        only = glued.only_split(glued_rows[row], N_COLS)
        if only is not None:  # one reading as seven counts: the published numbers, I2 broken (checked later)
            candidates[row] = [only]
            only_rows.append(row)
    identities = [i for i in table3_identities(layout) if i.rule_id in ("I1", "I3")]
    base = {k: v.value for k, v in result.cells.items()}
    # Identities without a candidate row give the same answer for every choice: ask them once.
    candidate_cells = {cell_id("table3", row, c) for row in candidates for c in TABLE3_COLS}
    varying = [i for i in identities if not candidate_cells.isdisjoint(i.cells)]
    fixed_hold = identities_hold(base, [i for i in identities if candidate_cells.isdisjoint(i.cells)])
    row_cells = {row: [cell_id("table3", row, c) for c in TABLE3_COLS] for row in candidates}
    all_identities = table3_identities(layout)

    def reading(choice: dict[str, tuple[int, ...]]) -> dict[str, int | float | None]:
        values = base.copy()
        for row, parts in choice.items():
            values.update(zip(row_cells[row], parts, strict=True))
        return values

    # The readings that hold I1/I3 (a pruned search), less those forcing a missing cell below 0.
    solutions = [choice for choice in glued.choose_consistent(candidates, row_cells, base, varying)
                 if not _forced_negative(reading(choice), result, all_identities)] if candidates and fixed_hold else []
    broken_per_reading: list[frozenset[str]] = []
    searched_all = False
    if candidates and not solutions and math.prod(len(c) for c in candidates.values()) <= glued.MAX_COMBINATIONS:
        # None holds: which identities every reading breaks is what the report says (rare: a published break).
        fixed_broken = broken_rules(base, [i for i in identities if candidate_cells.isdisjoint(i.cells)])
        for choice, broken in glued.reading_verdicts(candidates, row_cells, base, varying):
            broken = fixed_broken | broken
            broken_per_reading.append(frozenset(broken or _forced_negative(reading(choice), result,
                                                                           all_identities)))
        searched_all = all(len(c) < glued.MAX_CANDIDATES for c in candidates.values())
    if len(solutions) == 1:
        chosen = solutions[0]
    else:
        chosen = {row: c[0] for row, c in candidates.items() if len(c) == 1 and not solutions}
        if len(solutions) > 1:
            # Keep only the rows on which every solution agrees.
            chosen = {row: parts for row, parts in solutions[0].items() if all(s[row] == parts for s in solutions)}
    for row in glued_rows:
        hit = found[row]
        parts = chosen.get(row)
        for i, col in enumerate(TABLE3_COLS):
            cid = cell_id("table3", row, col)
            if parts is None:
                result.cells[cid] = CellValue(None, "blank", hit.values[0].text, hit.label.text, hit.values[0].loc)
            else:
                result.cells[cid] = CellValue(parts[i], "reported", hit.values[0].text, hit.label.text,
                                              hit.values[0].loc)
        if parts is None:
            n = len(candidates.get(row, []))
            result.issues.append(_issue(
                "glued_ambiguous",
                f"row {row}: digits {glued_rows[row]!r} " + (
                    "cannot be split into 7 counts whose last is the sum of the others" if n == 0
                    else f"admit {n} splits consistent with I2" + (
                        f" and {len(solutions)} consistent with I1/I3" if solutions else "")
                ) + "; left unread",
                hit, tuple(cell_id("table3", row, c) for c in TABLE3_COLS)))
        if parts is None and row in unsplittable and glued.fits(glued_rows[row], [None] * N_COLS):
            # Every reading of the digits as seven counts breaks I2 (the assumption every glued split rests on:
            # no cell of the row was blank).
            result.issues.append(_issue(
                "I2", f"I2.{row} ({RULES['I2'].description}) does not hold: no reading of the glued digits "
                f"{glued_rows[row]!r} as 7 counts has 总计 = Σ (unless a cell was blank)", hit,
                tuple(cell_id("table3", row, c) for c in TABLE3_COLS)))
    if searched_all and not solutions and any(row not in chosen for row in candidates):
        # Every reading of the glued rows that holds I2 breaks I1 or I3: the published numbers break them.
        common = frozenset.intersection(*broken_per_reading)
        rules = sorted(common or frozenset.union(*broken_per_reading))
        cells = tuple(cell_id("table3", row, c) for row in candidates for c in TABLE3_COLS)
        for rule in rules:
            result.issues.append(Issue(
                rule, RULES[rule].severity,
                f"{rule} ({RULES[rule].description}) does not hold " + (
                    "under any" if common else "(or " + "/".join(r for r in rules if r != rule) + ") under every")
                + f" reading of the glued rows ({len(broken_per_reading)} readings of "
                + (", ".join(r for r, c in candidates.items() if len(c) > 1) or "rows with one reading each")
                + "; the others have one reading each)",
                cells, found[next(iter(candidates))].row.loc))
    split_rows = [row for row in glued_rows if row in chosen]
    if split_rows:
        only = [row for row in split_rows if row in only_rows]
        result.issues.append(Issue("glued_split", RULES["glued_split"].severity,
                                   f"glued digits split with the identities in rows: {', '.join(split_rows)}"
                                   + (f" ({', '.join(only)}: the only split into 7 counts, whose 总计 is not the sum)"
                                      if only else ""), (), found[split_rows[0]].row.loc))


def _forced_negative(values: dict[str, int | float | None], result: TableResult,
                     identities: Sequence[Identity]) -> set[str]:
    """Rules whose identity, with one cell missing in the source, forces that cell below 0 (a reading no
    non-negative count can complete, e.g. a lost 3.其他 row that would have to be negative)."""
    broken = set()
    unplaced = {i.message.split()[1] for i in result.issues if i.rule == "column_placement_ambiguous"}
    for identity in identities:
        unknown = [c for c in identity.cells if values.get(c) is None]
        if len(unknown) != 1 or unknown[0].split(".")[1] in unplaced:
            continue
        if result.cells.get(unknown[0], CellValue(None, "na")).status not in ("absent", "blank"):
            continue  # not applicable, or a glued row not read yet
        cell = unknown[0]
        left = sum(values[c] or 0 for c in identity.left if c != cell)
        right = sum(values[c] or 0 for c in identity.right if c != cell)
        forced = right - left if cell in identity.left else left - right
        if forced < 0:
            broken.add(identity.rule_id)
    return broken


def _issue(rule: str, message: str, hit: LabelledRow, cells: tuple[str, ...] = ()) -> Issue:
    return Issue(rule, RULES[rule].severity, message, cells, hit.row.loc)
