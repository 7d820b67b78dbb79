"""The identities of format-spec §5 applied to one report: derive forced cells, then check every identity.

A cell is derived only when the identities and non-negativity force its value: it is the one unknown of an
identity, or the known side of an identity already equals the known part of the other side (so every unknown
there must be 0). Derived values never overwrite a reported number; breaks are reported, never repaired.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from xxgk.parsing.model import Issue
from xxgk.schema.identities import RULES, Identity

Number = int | float


def derive_forced(
    values: Mapping[str, Number | None], derivable: Iterable[str], identities: Iterable[Identity]
) -> dict[str, Number]:
    """Values forced for the ``derivable`` cells (those blank, absent or lost in the source), to a fixpoint."""
    known: dict[str, Number] = {k: v for k, v in values.items() if v is not None}
    open_cells = {c for c in derivable if known.get(c) is None}
    identities = tuple(identities)
    derived: dict[str, Number] = {}
    changed = True
    while changed and open_cells:
        changed = False
        for identity in identities:
            for cell, value in _forced_by(identity, known, open_cells):
                if value < 0:
                    continue  # the known cells already break the identity; the check reports it
                known[cell] = derived[cell] = value
                open_cells.discard(cell)
                changed = True
    return derived


def _forced_by(identity: Identity, known: Mapping[str, Number], open_cells: set[str]) -> list[tuple[str, Number]]:
    sides = (identity.left, identity.right)
    unknown = [[c for c in side if c not in known] for side in sides]
    if any(c not in open_cells for side in unknown for c in side):
        return []  # an unknown that may not be derived (not applicable, or not part of the layout)
    sums = [sum(known[c] for c in side if c in known) for side in sides]
    n_unknown = len(unknown[0]) + len(unknown[1])
    if n_unknown == 1:
        if unknown[0]:
            return [(unknown[0][0], sums[1] - sums[0])]
        return [(unknown[1][0], sums[0] - sums[1])]
    forced: list[tuple[str, Number]] = []
    for this, other in ((0, 1), (1, 0)):
        # One side fully known and already matched by the known part of the other: the rest must be 0.
        if not unknown[other] and unknown[this] and sums[this] == sums[other]:
            forced.extend((c, 0) for c in unknown[this])
    return forced


def _sides(values: Mapping[str, Number | None], identity: Identity) -> tuple[Number, Number] | None:
    """Both sides' sums, or None while any cell of the identity is unknown."""
    get = values.get
    left = list(map(get, identity.left))
    right = list(map(get, identity.right))
    if None in left or None in right:
        return None
    return sum(left), sum(right)  # type: ignore[arg-type]


def identities_hold(values: Mapping[str, Number | None], identities: Iterable[Identity]) -> bool:
    """Whether no identity whose cells are all known breaks (the yes/no of :func:`check_identities`, without
    building issues: search loops ask it thousands of times)."""
    for identity in identities:
        sides = _sides(values, identity)
        if sides is not None and abs(sides[0] - sides[1]) > 1e-9:
            return False
    return True


def broken_rules(values: Mapping[str, Number | None], identities: Iterable[Identity]) -> set[str]:
    """The rule ids of the identities whose cells are all known and whose sides differ (no issue text)."""
    broken = set()
    for identity in identities:
        sides = _sides(values, identity)
        if sides is not None and abs(sides[0] - sides[1]) > 1e-9:
            broken.add(identity.rule_id)
    return broken


def check_identities(values: Mapping[str, Number | None], identities: Iterable[Identity]) -> list[Issue]:
    """One issue per identity whose cells are all known and whose sides differ."""
    issues = []
    for identity in identities:
        sides = _sides(values, identity)
        if sides is None:
            continue
        left, right = sides
        if abs(left - right) > 1e-9:
            cells = identity.cells
            rule = RULES[identity.rule_id]
            issues.append(
                Issue(
                    rule.rule_id,
                    rule.severity,
                    f"{identity.name} ({rule.description}) does not hold: left side {_fmt(left)}, right side "
                    f"{_fmt(right)}, delta {_fmt(left - right)}",
                    cells,
                )
            )
    return issues


def _fmt(value: Number) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
