"""Splitting glued digit runs (format-spec §9): ``801000081`` → 80,1,0,0,0,0,81.

Only the identities can split such runs. A part never has a leading zero (``0`` alone is fine), so ``000`` is
three zeros and ``100`` is one hundred or 10,0 or 1,0,0. When several splits satisfy every identity the caller
reports it instead of choosing.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence

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


def choose_consistent(
    candidates: dict[str, list[tuple[int, ...]]], consistent: Callable[[dict[str, tuple[int, ...]]], bool]
) -> list[dict[str, tuple[int, ...]]]:
    """The combinations of per-row candidates that ``consistent`` accepts (column identities across rows).

    Rows with one candidate are fixed; the product over the others is bounded by MAX_COMBINATIONS, past which the
    result is the empty list (the caller then reports the rows as ambiguous).
    """
    keys = list(candidates)
    total = 1
    for key in keys:
        total *= max(1, len(candidates[key]))
        if total > MAX_COMBINATIONS:
            return []
    solutions = []
    for combo in itertools.product(*(candidates[k] for k in keys)):
        choice = dict(zip(keys, combo, strict=True))
        if consistent(choice):
            solutions.append(choice)
    return solutions
