"""Glued digit runs split by the identities: the true split is always among the candidates, and every candidate
satisfies the identity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xxgk.parsing.glued import MAX_CANDIDATES, MAX_RUN_DIGITS, splits, sum_group_splits

counts = st.integers(0, 2000)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        pytest.param("801000081", [(80, 1, 0, 0, 0, 0, 81)], id="spec-example"),
        pytest.param("310000031", [(31, 0, 0, 0, 0, 0, 31)], id="spec-example-2"),
        pytest.param("0000000", [(0,) * 7], id="all-zero"),
        pytest.param("000000", [], id="one-digit-short"),
    ],
)
def test_row_runs_split_by_the_row_total(run, expected):
    assert sum_group_splits(run, 7) == expected


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(counts, min_size=6, max_size=6))
def test_true_row_split_is_always_found(parts):
    row = (*parts, sum(parts))
    candidates = sum_group_splits("".join(map(str, row)), 7)
    assert row in candidates
    assert all(c[-1] == sum(c[:-1]) for c in candidates)


@settings(max_examples=200, deadline=None)
@given(groups=st.lists(st.lists(st.integers(0, 300), min_size=4, max_size=4), min_size=3, max_size=3))
def test_true_table4_split_is_always_found(groups):
    values = tuple(v for g in groups for v in (*g, sum(g)))
    candidates = sum_group_splits("".join(map(str, values)), 5, 3)
    assert values in candidates
    for c in candidates:
        assert all(c[i + 4] == sum(c[i : i + 4]) for i in (0, 5, 10))


@pytest.mark.timeout(20)
def test_long_runs_are_bounded_not_explosive():
    candidates = sum_group_splits("1" * 64, 5, 3)
    assert len(candidates) <= MAX_CANDIDATES
    assert all(c[i + 4] == sum(c[i : i + 4]) for c in candidates for i in (0, 5, 10))
    assert sum_group_splits("1" * (MAX_RUN_DIGITS + 1), 7) == []


def test_runs_without_identity_split_only_when_unique():
    assert splits("000", 3) == [(0, 0, 0)]
    assert sorted(splits("0110", 3)) == [(0, 1, 10), (0, 11, 0)]


@pytest.mark.parametrize(
    ("run", "parts", "expected"),
    [
        pytest.param("0000002", [None] * 7, True, id="readable-as-seven"),
        pytest.param("0000002", [0] * 7, False, id="forced-zeros-contradict-the-digits"),
        pytest.param("801000081", [80, 1, 0, 0, 0, 0, 81], True, id="forced-numbers-are-the-digits"),
        pytest.param("130000016", [13, 0, 0, 0, 0, 0, None], True, id="known-prefix"),
        pytest.param("130000016", [13, 0, 0, 0, 0, 0, 13], False, id="known-total-differs"),
        pytest.param("0001", [None, None], False, id="leading-zeros"),
    ],
)
def test_fits_says_whether_digits_can_hold_the_numbers(run, parts, expected):
    from xxgk.parsing.glued import fits

    assert fits(run, parts) is expected


def test_fits_with_blanks_lets_a_short_run_hold_forced_numbers():
    from xxgk.parsing.glued import fits

    assert fits("000000", [0] * 7, blanks=True)  # seed 004's R04 glued: one blank cell left no digit
    assert not fits("0000001", [0] * 7, blanks=True)


@pytest.mark.parametrize(
    ("run", "n", "expected"),
    [
        pytest.param("0000002", 7, (0, 0, 0, 0, 0, 0, 2), id="zeros-then-a-count"),
        pytest.param("1234567", 7, None, id="could-be-six-counts-and-a-blank"),
        pytest.param("0000000", 6, None, id="too-long"),
    ],
)
def test_only_split_is_the_one_reading(run, n, expected):
    from xxgk.parsing.glued import only_split

    assert only_split(run, n) == expected
