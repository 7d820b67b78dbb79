"""Forced cells are derived exactly when the identities and non-negativity force them; breaks are reported."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from xxgk.parsing.derive import check_identities, derive_forced
from xxgk.schema.identities import all_identities
from xxgk.schema.keys import TABLE3_COLS, TABLE3_PART_COLS, TABLE3_ROWS, TABLE4_KEYS, cell_id
from xxgk.synth import generate_values

IDENTITIES = all_identities("2021")


def _flat(rng: random.Random) -> dict[str, int]:
    values = generate_values(rng, "county", "2021")
    out = {cell_id("table3", r, c): values.table3[r][c] for r in TABLE3_ROWS for c in TABLE3_COLS}
    out |= {cell_id("table4", k): values.table4[k] for k in TABLE4_KEYS}
    return out


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 10**6), n_hidden=st.integers(1, 12))
def test_derived_values_are_never_wrong(seed, n_hidden):
    rng = random.Random(seed)
    truth = _flat(rng)
    hidden = rng.sample(sorted(truth), n_hidden)
    known = {k: (None if k in hidden else v) for k, v in truth.items()}
    derived = derive_forced(known, hidden, IDENTITIES)
    assert set(derived) <= set(hidden)
    assert all(derived[k] == truth[k] for k in derived)
    assert not check_identities({**known, **derived}, IDENTITIES)


def test_single_hidden_cell_is_always_derived():
    rng = random.Random(3)
    truth = _flat(rng)
    for key in rng.sample(sorted(truth), 30):
        known = {**truth, key: None}
        assert derive_forced(known, [key], IDENTITIES) == {key: truth[key]}


def test_zero_total_forces_zero_parts():
    known = {cell_id("table3", "granted", c): None for c in TABLE3_PART_COLS}
    known[cell_id("table3", "granted", "total")] = 0
    derived = derive_forced(known, list(known)[:-1], IDENTITIES)
    assert derived == {cell_id("table3", "granted", c): 0 for c in TABLE3_PART_COLS}


def test_cells_not_derivable_are_left_alone():
    known = {cell_id("table3", "granted", c): 1 for c in TABLE3_PART_COLS}
    known[cell_id("table3", "granted", "total")] = None
    assert derive_forced(known, [], IDENTITIES) == {}


def test_break_is_reported_with_its_cells_and_never_repaired():
    rng = random.Random(5)
    truth = _flat(rng)
    key = cell_id("table3", "granted", "natural_person")
    broken = {**truth, key: truth[key] + 1}
    issues = check_identities(broken, IDENTITIES)
    rules = {i.rule for i in issues}
    assert rules == {"I2", "I3"}
    assert all(key in i.cells for i in issues)
    assert derive_forced(broken, [], IDENTITIES) == {}
