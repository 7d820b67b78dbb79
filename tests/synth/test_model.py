"""xxgk.synth.model: generated numbers satisfy I1–I4 exactly and look like real reports."""

from __future__ import annotations

import random
import statistics

import pytest

from xxgk.schema.identities import all_identities
from xxgk.schema.keys import TABLE3_COLS, TABLE3_ROWS, TABLE3_ROWS_NOT_IN_LAYOUT, TABLE4_KEYS
from xxgk.synth import LEVELS, Values, broken_identities, derive_cells, generate_values
from xxgk.synth.model import flat_cells, split_count


def _violations(values: Values, fv: str) -> list[str]:
    cells = flat_cells(values)
    bad = []
    for ident in all_identities(fv):
        left = sum(cells[c] for c in ident.left)
        right = sum(cells[c] for c in ident.right)
        if left != right:
            bad.append(ident.name)
    return bad


@pytest.mark.parametrize("fv", ["2021", "2019"])
@pytest.mark.parametrize("level", LEVELS)
def test_generated_values_satisfy_identities(level: str, fv: str) -> None:
    rng = random.Random(hash((level, fv)) & 0xFFFF)
    for i in range(40):
        values = generate_values(rng, level, fv, is_summary=i % 5 == 0)
        assert _violations(values, fv) == []
        assert broken_identities(values, fv) == ()
        for r in TABLE3_ROWS:
            for c in TABLE3_COLS:
                v = values.table3[r][c]
                if r in TABLE3_ROWS_NOT_IN_LAYOUT[fv]:
                    assert v is None
                else:
                    assert isinstance(v, int) and v >= 0
        assert all(isinstance(values.table4[k], int) and values.table4[k] >= 0 for k in TABLE4_KEYS)


def test_townships_are_mostly_zero_and_cities_are_big() -> None:
    rng = random.Random(1)
    town = [generate_values(rng, "township").table3["new_received"]["total"] for _ in range(300)]
    city = [generate_values(rng, "prefecture").table3["new_received"]["total"] for _ in range(100)]
    assert sum(1 for n in town if n == 0) / len(town) > 0.6
    assert max(town) < 100
    assert statistics.median(city) > 50
    assert max(city) > 300


def test_carried_over_is_used_as_r02() -> None:
    rng = random.Random(2)
    prior = {"natural_person": 3, "commercial": 1, "research": 0, "public_interest": 0, "legal_service": 0,
             "other_org": 0}
    values = generate_values(rng, "county", carried_over=prior)
    assert {c: values.table3["carried_over"][c] for c in prior} == prior
    assert values.table3["carried_over"]["total"] == 4
    assert broken_identities(values) == ()


def test_fees_are_decimal_wan_yuan() -> None:
    rng = random.Random(3)
    fees = [generate_values(rng, "prefecture", is_summary=True).table2["fees_wan_yuan"] for _ in range(50)]
    assert all(f >= 0 for f in fees)
    assert any(isinstance(f, float) and not f.is_integer() for f in fees)


def test_split_count_keeps_the_total() -> None:
    rng = random.Random(4)
    for n in (0, 1, 7, 59, 61, 1000, 12345):
        parts = split_count(rng, n, {"a": 0.7, "b": 0.2, "c": 0.1})
        assert sum(parts.values()) == n and all(v >= 0 for v in parts.values())


def test_derive_cells_recovers_a_lost_row_and_a_lost_total() -> None:
    rng = random.Random(5)
    values = generate_values(rng, "prefecture")
    t3 = {r: dict(cols) for r, cols in values.table3.items()}
    expected = {f"table3.other_other.{c}": t3["other_other"][c] for c in TABLE3_COLS}
    for c in TABLE3_COLS:
        t3["other_other"][c] = None
    expected["table3.granted.total"] = t3["granted"]["total"]
    t3["granted"]["total"] = None
    derived = derive_cells(Values(values.table2, t3, values.table4))
    assert derived == expected


def test_derive_cells_forces_zero_under_a_zero_total() -> None:
    rng = random.Random(6)
    values = generate_values(rng, "township")
    while values.table3["new_received"]["total"] != 0:
        values = generate_values(rng, "township")
    t3 = {r: dict(cols) for r, cols in values.table3.items()}
    for c in TABLE3_COLS[:-1]:
        t3["partial"][c] = None  # six blanks in one row: only the zero total forces them
    derived = derive_cells(Values(values.table2, t3, values.table4))
    assert {k: v for k, v in derived.items() if ".partial." in k} == {
        f"table3.partial.{c}": 0 for c in TABLE3_COLS[:-1]}
