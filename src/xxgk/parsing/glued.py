"""Splitting glued digit runs (format-spec §9): ``801000081`` → 80,1,0,0,0,0,81.

Only the identities can split such runs. A part never has a leading zero (``0`` alone is fine), so ``000`` is
three zeros and ``100`` is one hundred or 10,0 or 1,0,0. When several splits satisfy every identity the caller
reports it instead of choosing.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from xxgk.schema.identities import Identity

MAX_RUN_DIGITS = 64  # a glued table-三 row of 7 four-digit counts is 28 digits; longer is not a table row
MAX_CANDIDATES = 200
MAX_PART_DIGITS = 7  # no single count in these reports reaches ten million
MAX_COMBINATIONS = 20_000


def splits(run: str, n: int, accept: Callable[[tuple[int, ...]], bool] = lambda parts: True) -> list[tuple[int, ...]]:
    """Every split of ``run`` into ``n`` parts without leading zeros that ``accept`` admits (bounded)."""
    if not run.isdigit() or len(run) > MAX_RUN_DIGITS or not n <= len(run) <= n * MAX_PART_DIGITS:
        return []
    out: list[tuple[int, ...]] = []
    for parts in _splits(run, n):
        if accept(parts):
            out.append(parts)
            if len(out) >= MAX_CANDIDATES:
                break
    return out


def _splits(run: str, n: int) -> Iterator[tuple[int, ...]]:
    if n == 1:
        if len(run) <= MAX_PART_DIGITS and (run == "0" or not run.startswith("0")):
            yield (int(run),)
        return
    longest = 1 if run.startswith("0") else MAX_PART_DIGITS
    for size in range(1, min(longest, len(run) - (n - 1)) + 1):
        if len(run) - size > (n - 1) * MAX_PART_DIGITS:
            continue
        head = int(run[:size])
        for rest in _splits(run[size:], n - 1):
            yield (head, *rest)


def only_split(run: str, n: int) -> tuple[int, ...] | None:
    """The split of ``run`` into ``n`` counts when there is exactly one (``0000002`` → 0,0,0,0,0,0,2), else None.

    One split, and no reading with fewer counts (a cell left blank leaves no digits), is a reading, not a guess:
    the digits say the numbers even when they break an identity. In practice that is ``000000`` + one count.
    """
    if not run.isdigit() or len(run) > MAX_RUN_DIGITS or not n <= len(run) <= n * MAX_PART_DIGITS:
        return None
    found = list(itertools.islice(_splits(run, n), 2))
    if len(found) != 1 or (n > 1 and fits(run, [None] * (n - 1))):
        return None
    return found[0]


def fits(run: str, parts: Sequence[int | float | None], *, blanks: bool = False) -> bool:
    """Whether ``run`` splits into ``len(parts)`` counts (no leading zeros) equal to ``parts`` where known.

    ``fits(run, [None] * n)`` says whether the run can be read as ``n`` counts at all; with known parts it says
    whether numbers the identities force are what the published digits can hold. With ``blanks`` any cell may
    have been blank in the source and so left no digits in the run (seed 004's R04 glued: ``000000``).
    """
    n = len(parts)
    if not run.isdigit() or len(run) > MAX_RUN_DIGITS or len(run) > n * MAX_PART_DIGITS:
        return False
    if not blanks and len(run) < n:
        return False
    known: list[str | None] = []
    for part in parts:
        if part is None:
            known.append(None)
        elif part < 0 or float(part) != int(part):
            return False
        else:
            known.append(str(int(part)))

    @functools.cache
    def can(pos: int, k: int) -> bool:
        if k == n:
            return pos == len(run)
        if blanks and can(pos, k + 1):
            return True
        if pos == len(run):
            return False
        text = known[k]
        if text is not None:
            return run.startswith(text, pos) and can(pos + len(text), k + 1)
        longest = 1 if run[pos : pos + 1] == "0" else MAX_PART_DIGITS
        return any(can(pos + size, k + 1) for size in range(1, longest + 1) if pos + size <= len(run))

    return can(0, 0)


def sum_group_splits(run: str, group_size: int, n_groups: int = 1) -> list[tuple[int, ...]]:
    """Splits of ``run`` into ``n_groups`` consecutive groups whose last part is the sum of the others.

    Only the parts before each total are enumerated; the total's digits are then fixed by the sum, which keeps
    a 15-value table 四 run or a 7-value table 三 row to a few thousand steps.
    """
    if not run.isdigit() or len(run) > MAX_RUN_DIGITS:
        return []
    results: list[tuple[int, ...]] = []

    def group(pos: int, done: tuple[int, ...]) -> None:
        if len(results) >= MAX_CANDIDATES:
            return
        if len(done) == group_size * n_groups:
            if pos == len(run):
                results.append(done)
            return
        parts(pos, group_size - 1, done, ())

    def parts(pos: int, left: int, done: tuple[int, ...], current: tuple[int, ...]) -> None:
        if left == 0:
            total = str(sum(current))
            if run.startswith(total, pos):
                group(pos + len(total), done + current + (int(total),))
            return
        longest = 1 if run[pos : pos + 1] == "0" else MAX_PART_DIGITS
        so_far = sum(current)
        for size in range(1, longest + 1):
            room = len(run) - (pos + size) - (left - 1)  # digits left for the total once every part has one
            if room < 1:
                break
            part = int(run[pos : pos + size])
            if len(str(so_far + part)) > room:
                break  # longer parts only make the total longer: no room for it
            parts(pos + size, left - 1, done, current + (part,))

    group(0, ())
    return results


def row_total_holds(parts: tuple[int, ...]) -> bool:
    """Table 三 row identity I2: the last part is the sum of the others."""
    return parts[-1] == sum(parts[:-1])


def groups_total_hold(group_size: int) -> Callable[[tuple[int, ...]], bool]:
    """Table 四 identity I4 for consecutive groups: each group's last part is the sum of its others."""

    def accept(parts: tuple[int, ...]) -> bool:
        return all(
            parts[i + group_size - 1] == sum(parts[i : i + group_size - 1]) for i in range(0, len(parts), group_size)
        )

    return accept


@dataclass
class _LinearSystem:
    """The identities over candidate rows as running sums: each judged identity's Σ left − Σ right."""

    rows: list[str]  # the order rows are chosen in
    offsets: list[float]  # per judged identity: its known cells' part of Σ left − Σ right
    rule_ids: list[str]
    judged_at: list[list[int]]  # identities complete once the row at that depth is chosen
    terms: dict[str, list[tuple[int, int, int]]]  # row → (identity, part, sign)


def _linear_system(candidates: dict[str, list[tuple[int, ...]]], cells_of: Mapping[str, Sequence[str]],
                   known: Mapping[str, float | int | None], identities: Iterable[Identity]) -> _LinearSystem:
    # Rows with few candidates first: they prune without branching.
    rows = sorted(candidates, key=lambda row: len(candidates[row]))
    depth_of = {row: depth for depth, row in enumerate(rows)}
    position = {cell: (row, i) for row in rows for i, cell in enumerate(cells_of[row])}
    system = _LinearSystem(rows, [], [], [[] for _ in rows], {row: [] for row in rows})
    for identity in identities:
        offset: float = 0
        last = -1
        row_terms: list[tuple[str, int, int]] = []
        for sign, side in ((1, identity.left), (-1, identity.right)):
            for cell in side:
                if cell in position:
                    row, part = position[cell]
                    row_terms.append((row, part, sign))
                    last = max(last, depth_of[row])
                elif (value := known.get(cell)) is None:
                    break
                else:
                    offset += sign * value
            else:
                continue
            last = -2  # an unknown cell outside the candidate rows: never judged
            break
        if last < 0:
            continue  # not judged, or involves no candidate row (the caller judges those once)
        index = len(system.offsets)
        system.offsets.append(offset)
        system.rule_ids.append(identity.rule_id)
        system.judged_at[last].append(index)
        for row, part, sign in row_terms:
            system.terms[row].append((index, part, sign))
    return system


def _too_many(candidates: dict[str, list[tuple[int, ...]]]) -> bool:
    total = 1
    for options in candidates.values():
        total *= max(1, len(options))
        if total > MAX_COMBINATIONS:
            return True
    return False


def _walk(candidates: dict[str, list[tuple[int, ...]]], system: _LinearSystem, *,
          prune: bool) -> Iterator[tuple[dict[str, tuple[int, ...]], frozenset[str]]]:
    """Every combination of the rows' candidates with the rule ids of the judged identities it breaks, choosing one
    row at a time on running sums; with ``prune``, a branch stops at the first identity its rows break."""
    rows, terms, judged_at = system.rows, system.terms, system.judged_at
    running = system.offsets[:]
    choice: dict[str, tuple[int, ...]] = {}

    def extend(depth: int) -> Iterator[tuple[dict[str, tuple[int, ...]], frozenset[str]]]:
        if depth == len(rows):
            broken = frozenset(rule for rule, diff in zip(system.rule_ids, running, strict=True) if abs(diff) > 1e-9)
            yield {row: choice[row] for row in candidates}, broken
            return
        row = rows[depth]
        for parts in candidates[row]:
            for index, part, sign in terms[row]:
                running[index] += sign * parts[part]
            if not prune or all(abs(running[index]) <= 1e-9 for index in judged_at[depth]):
                choice[row] = parts
                yield from extend(depth + 1)
            for index, part, sign in terms[row]:
                running[index] -= sign * parts[part]

    yield from extend(0)


def choose_consistent(
    candidates: dict[str, list[tuple[int, ...]]],
    cells_of: Mapping[str, Sequence[str]],
    known: Mapping[str, float | int | None],
    identities: Iterable[Identity],
) -> list[dict[str, tuple[int, ...]]]:
    """The combinations of per-row candidate splits under which every identity involving them holds.

    ``cells_of[row]`` names the cells a split of ``row`` fills, ``known`` holds the other cells' values (None when
    unknown: an identity with an unknown cell outside the candidate rows is not judged). Rows are chosen one at a
    time, keeping each identity's running difference, and an identity is judged as soon as its last row is chosen,
    which prunes the search early. The product over the rows is bounded by MAX_COMBINATIONS, past which the result
    is the empty list (the caller then reports the rows as ambiguous).
    """
    if _too_many(candidates):
        return []
    system = _linear_system(candidates, cells_of, known, identities)
    return [choice for choice, _ in _walk(candidates, system, prune=True)]


def reading_verdicts(
    candidates: dict[str, list[tuple[int, ...]]],
    cells_of: Mapping[str, Sequence[str]],
    known: Mapping[str, float | int | None],
    identities: Iterable[Identity],
) -> list[tuple[dict[str, tuple[int, ...]], frozenset[str]]]:
    """Every combination of the rows' candidate splits with the rule ids of the identities (among those involving
    a candidate row, judged as in :func:`choose_consistent`) it breaks; [] past MAX_COMBINATIONS."""
    if _too_many(candidates):
        return []
    return list(_walk(candidates, _linear_system(candidates, cells_of, known, identities), prune=False))
