"""Planted defects: the ways real reports go wrong (format-spec §3.4, §7, §9), each recorded for ground truth.

Every planter takes the published numbers and statuses, changes them in place and returns the
:class:`~xxgk.synth.model.Defect` that says what it did, with a rule id from ``xxgk.schema.identities.RULES``
(or None). Rendering reads the defects back to drop rows, cells and tables.
"""

from __future__ import annotations

import random
from typing import Any

from xxgk.schema.identities import RULES
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
    cell_id,
)
from xxgk.schema.limits import fee_limit_wan_yuan
from xxgk.synth.model import Defect, Table2, Table3, Table4, Values, broken_identities
from xxgk.synth.style import SPAM_FOOTERS, SPAM_PHRASES

# Kinds of defect and how often each is picked when a report is chosen to be defective.
DEFECT_WEIGHTS: dict[str, float] = {
    "identity_break": 0.2,
    "missing_table": 0.08,
    "lost_column": 0.12,
    "blank_cell": 0.12,
    "missing_row": 0.1,
    "glued_digits": 0.1,
    "spam": 0.1,
    "fee_magnitude": 0.06,
    "format_2019_late": 0.05,
    "carry_over_break": 0.07,
}
DEFECT_KINDS: tuple[str, ...] = tuple(DEFECT_WEIGHTS)
# Defects that remove or blank table 三 cells or break its numbers: at most one of them per report, so the ground
# truth ``derived`` cells stay what the identities force.
TABLE3_EXCLUSIVE = ("identity_break", "missing_table", "lost_column", "blank_cell", "missing_row")
DEFECT_RULES: dict[str, str | None] = {
    "identity_break": None,  # the rule broken (I1…I4) is chosen when planted
    "missing_table": "table_missing",
    "lost_column": "column_lost",
    "blank_cell": "cell_derived",
    "missing_row": "cell_derived",
    "glued_digits": "glued_split",
    "spam": "spam_detected",
    "fee_magnitude": "fee_magnitude",
    "format_2019_late": "format_2019_late",
    "carry_over_break": "X1",
}
assert all(r is None or r in RULES for r in DEFECT_RULES.values())
# format-spec §2: a 行政事业性收费 above this many 万元 looks like 元 entered as 万元 (the quality gate's threshold);
# a 元 figure at or below it is indistinguishable from a plausible amount in 万元.


def missing_tables(defects: list[Defect] | tuple[Defect, ...]) -> set[str]:
    """The tables a report's planted ``missing_table`` defects removed."""
    return {d.detail["table"] for d in defects if d.kind == "missing_table"}


def visible_defects(defects: list[Defect], serialization: str | None = None) -> list[Defect]:
    """The planted defects a reader of the rendered report can see at all; the others are dropped from the record.

    A fee in 元, a 2019 layout, a broken 上年结转 or glued digits live in tables: when the tables holding them are
    missing, nothing of them reaches the bytes (a fee in a missing table 二, a layout no table shows, a 上年结转 row
    that is not there, glued digits with no table 三/四 to glue).
    """
    gone = missing_tables(defects)
    out = []
    for d in defects:
        if d.kind == "fee_magnitude" and "table2" in gone:
            continue
        if d.kind == "format_2019_late" and {"table2", "table3"} <= gone:
            continue
        if d.kind == "carry_over_break" and "table3" in gone:
            continue
        if d.kind == "glued_digits" and {"table3", "table4"} <= gone:
            continue
        out.append(d)
    return out


def choose_defect_kinds(rng: random.Random, rate: float) -> tuple[str, ...]:
    """None with probability 1 − ``rate``; otherwise one kind, sometimes plus a second compatible one."""
    if rate <= 0 or rng.random() >= rate:
        return ()
    kinds = [rng.choices(DEFECT_KINDS, list(DEFECT_WEIGHTS.values()))[0]]
    if rng.random() < 0.25:
        second = rng.choices(DEFECT_KINDS, list(DEFECT_WEIGHTS.values()))[0]
        if second not in kinds and not (second in TABLE3_EXCLUSIVE and kinds[0] in TABLE3_EXCLUSIVE):
            kinds.append(second)
    if "glued_digits" in kinds and any(k in ("lost_column", "blank_cell") for k in kinds):
        kinds.remove("glued_digits")  # an invisible blank inside a glued run cannot be told from a lost digit
    return tuple(kinds)


def _layout_rows(fv: str) -> tuple[str, ...]:
    return tuple(r for r in TABLE3_ROWS if r not in TABLE3_ROWS_NOT_IN_LAYOUT[fv])


def plant_identity_break(rng: random.Random, fv: str, t3: Table3, t4: Table4) -> Defect:
    """Change published numbers so that one chosen identity fails (others may fail with it)."""
    rule = rng.choice(("I1", "I2", "I3", "I4"))
    delta = rng.choice((1, 1, 1, 2, 3, 10, -1))
    changed: list[str] = []

    def bump(table: dict, key: str, cid: str) -> None:
        old = table[key]
        table[key] = max(0, old + delta) if old + delta >= 0 else old + abs(delta)
        changed.append(cid)

    if rule == "I4":
        group = rng.choice(tuple(TABLE4_GROUPS))
        leaf = rng.choice(tuple(TABLE4_LEAVES))
        bump(t4, f"{group}_{leaf}", cell_id("table4", f"{group}_{leaf}"))
    elif rule == "I1":  # R25 (or R01) of one column and its 总计 together: I2 still holds, I1 fails twice
        row = rng.choice(("carried_forward", "new_received"))
        col = rng.choice(TABLE3_PART_COLS)
        delta = abs(delta)
        bump(t3[row], col, cell_id("table3", row, col))
        bump(t3[row], "total", cell_id("table3", row, "total"))
    elif rule == "I3":  # an outcome row's cell and its 总计 together: I2 holds, I3 fails for the column and 总计
        row = rng.choice(TABLE3_OUTCOME_ROWS[fv])
        col = rng.choice(TABLE3_PART_COLS)
        delta = abs(delta)
        bump(t3[row], col, cell_id("table3", row, col))
        bump(t3[row], "total", cell_id("table3", row, "total"))
    else:  # I2: one row's 总计 alone, the most common typo
        row = rng.choice(_layout_rows(fv))
        bump(t3[row], "total", cell_id("table3", row, "total"))
    return Defect("identity_break", rule, tuple(changed), {"delta": delta})


def plant_missing_table(rng: random.Random, fv: str, t2: Table2, t3: Table3, t4: Table4,
                        statuses: dict[str, str]) -> list[Defect]:
    """Drop one table, or (like seed 001) all three, possibly leaving a stray row label in the prose."""
    tables = ["table2", "table3", "table4"] if rng.random() < 0.2 else [rng.choice(("table2", "table3", "table4"))]
    out = []
    for table in tables:
        cells: list[str] = []
        if table == "table2":
            for k in TABLE2_KEYS:
                t2[k] = None
                cells.append(cell_id("table2", k))
        elif table == "table3":
            for r in TABLE3_ROWS:
                for c in TABLE3_COLS:
                    t3[r][c] = None
                    cells.append(cell_id("table3", r, c))
        else:
            for k in TABLE4_KEYS:
                t4[k] = None
                cells.append(cell_id("table4", k))
        for cid in cells:
            if statuses.get(cid) != "na":
                statuses[cid] = "absent"
        detail: dict[str, Any] = {"table": table}
        if len(tables) == 3 and table == "table3" and rng.random() < 0.6:
            detail["stray_label"] = True
        out.append(Defect("missing_table", "table_missing", (), detail))
    return out


def plant_lost_column(rng: random.Random, fv: str, t3: Table3, t4: Table4, statuses: dict[str, str]) -> Defect:
    """A row (or, like seed 002, the whole table) lost one value column in the export."""
    rows = _layout_rows(fv)
    if rng.random() < 0.4:
        col = rng.choice(("other_org", "total"))
        lost_rows = rows
        mode = "table"
    else:
        col = rng.choice(TABLE3_COLS)
        lost_rows = (rng.choice(rows),)
        mode = "row"
    cells = []
    for r in lost_rows:
        t3[r][col] = None
        cid = cell_id("table3", r, col)
        statuses[cid] = "absent"
        cells.append(cid)
    placements = count_lost_placements(t3, t4, {r: col for r in lost_rows}, fv)
    return Defect("lost_column", "column_lost", tuple(cells),
                  {"mode": mode, "column": col, "placements": placements, "ambiguous": placements > 1})


def count_lost_placements(t3: Table3, t4: Table4, lost: dict[str, str], fv: str) -> int:
    """How many different sets of numbers the visible values allow, trying every position for the lost cell.

    The same position is tried in every affected row (a lost column); the lost cell is then forced by I2, and the
    placement counts when non-negativity and all identities hold. More than one means the numbers alone cannot
    tell (format-spec §7, seed 002).
    """
    parts = TABLE3_PART_COLS
    outcomes: set[tuple] = set()
    for q in range(len(TABLE3_COLS)):
        trial = {r: dict(cols) for r, cols in t3.items()}
        feasible = True
        for row, col in lost.items():
            visible = [t3[row][c] for c in TABLE3_COLS if c != col]
            filled = dict(zip(TABLE3_COLS, visible[:q] + [None] + visible[q:], strict=True))
            missing = TABLE3_COLS[q]
            others = sum(int(filled[c] or 0) for c in parts if c != missing)
            filled[missing] = others if missing == "total" else int(filled["total"] or 0) - others
            if filled[missing] < 0:
                feasible = False
                break
            trial[row] = filled
        if feasible and not broken_identities(Values({}, trial, dict(t4)), fv):
            outcomes.add(tuple(tuple(trial[r][c] for c in TABLE3_COLS) for r in TABLE3_ROWS))
    return len(outcomes)


def plant_blank_cell(rng: random.Random, fv: str, t3: Table3, statuses: dict[str, str]) -> Defect:
    """A blank cell the identities force (usually to 0); or every applicant cell of all-zero rows left blank."""
    rows = _layout_rows(fv)
    zero_rows = [r for r in rows if t3[r]["total"] == 0]
    r = rng.random()
    cells: list[str] = []
    if zero_rows and r < 0.2:
        mode = "zero_rows"
        for row in zero_rows:
            for c in TABLE3_PART_COLS:
                t3[row][c] = None
                cells.append(cell_id("table3", row, c))
    else:
        zero_cells = [(row, c) for row in rows for c in TABLE3_COLS if t3[row][c] == 0]
        if zero_cells and r < 0.85:
            mode = "zero"
            row, c = rng.choice(zero_cells)
        else:
            mode = "single"
            row, c = rng.choice(rows), rng.choice(TABLE3_COLS)
        t3[row][c] = None
        cells.append(cell_id("table3", row, c))
    for cid in cells:
        statuses[cid] = "blank"
    return Defect("blank_cell", "cell_derived", tuple(cells), {"mode": mode})


def plant_missing_row(rng: random.Random, fv: str, t3: Table3, statuses: dict[str, str]) -> Defect:
    """A table 三 row absent from the source, like seed 004's 3.其他."""
    outcome = TABLE3_OUTCOME_ROWS[fv]
    row = "other_other" if fv == "2021" and rng.random() < 0.6 else rng.choice(outcome[2:])
    cells = []
    for c in TABLE3_COLS:
        t3[row][c] = None
        cid = cell_id("table3", row, c)
        statuses[cid] = "absent"
        cells.append(cid)
    return Defect("missing_row", "cell_derived", tuple(cells), {"row": row})


def plant_fee_magnitude(rng: random.Random, t2: Table2, intended_t2: Table2, agency_name: str) -> Defect:
    """行政事业性收费 entered in 元 under the 万元 header.

    Only a figure above the agency's plausible 万元 amount (:func:`xxgk.schema.limits.fee_limit_wan_yuan`: 10^4 for
    a township, 10^6 otherwise; format-spec §2) can be told from a real amount in 万元, so an intended amount whose
    元 figure would still be plausible is replaced by a larger one.
    """
    limit = fee_limit_wan_yuan(agency_name)
    wan = intended_t2.get("fees_wan_yuan") or 0
    if float(wan) * 10000 <= limit:
        wan = round(rng.uniform(1.2, 50.0) * limit / 10000, 2)
    intended_t2["fees_wan_yuan"] = wan
    yuan = round(float(wan) * 10000, 2)
    t2["fees_wan_yuan"] = int(yuan) if float(yuan).is_integer() else yuan
    return Defect("fee_magnitude", "fee_magnitude", (cell_id("table2", "fees_wan_yuan"),),
                  {"intended_wan_yuan": wan})


def plant_spam(rng: random.Random, sections: dict[str, str]) -> Defect:
    """A gambling-site phrase spliced mid-sentence, and often a fake copyright footer."""
    section = rng.choice(("overview", "problems", "other"))
    n_paras = len(sections.get(section, "").split("\n"))
    detail: dict[str, Any] = {
        "phrase": rng.choice(SPAM_PHRASES),
        "section": section,
        "paragraph": rng.randrange(n_paras),
        "position": round(rng.uniform(0.2, 0.8), 3),
    }
    if rng.random() < 0.7:
        detail["footer"] = list(rng.choice(SPAM_FOOTERS))
    return Defect("spam", "spam_detected", (), detail)


def break_carry_over(rng: random.Random, previous_forward: dict[str, int]) -> tuple[dict[str, int], Defect]:
    """This year's 上年结转 no longer equals last year's 结转下年度 (restated, reclassified or mistyped)."""
    carried = dict(previous_forward)
    col = rng.choice(TABLE3_PART_COLS[:2])
    carried[col] = max(0, carried[col] + rng.choice((1, 2, 3, 5, -1)))
    if carried[col] == previous_forward[col]:
        carried[col] += 1
    cells = (cell_id("table3", "carried_over", col), cell_id("table3", "carried_over", "total"))
    return carried, Defect("carry_over_break", "X1", cells, {"previous_carried_forward": dict(previous_forward)})
