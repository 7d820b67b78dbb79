"""Hypothesis strategies over synthetic reports (kept out of the library so xxgk.synth never imports hypothesis)."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from xxgk.synth import LEVELS, SERIALIZATIONS, Report, random_report

seeds = st.integers(min_value=0, max_value=2**32 - 1)
levels = st.sampled_from(LEVELS)
serializations = st.sampled_from(SERIALIZATIONS)
format_versions = st.sampled_from(("2019", "2021"))


@st.composite
def reports(draw: st.DrawFn, *, defects: bool = False, serialization: str | None = None,
            variants: bool = True) -> Report:
    """A random report; ``defects=True`` plants defects at a high rate."""
    seed = draw(seeds)
    ser = serialization or draw(serializations)
    return random_report(
        random.Random(seed),
        level=draw(levels),
        year=draw(st.integers(min_value=2019, max_value=2025)),
        serialization=ser,
        defects=defects,
        defect_rate=0.9,
        variants=variants,
        is_summary=draw(st.booleans()) and draw(st.booleans()),
    )


def clean_reports(serialization: str | None = None) -> st.SearchStrategy[Report]:
    """Defect-free reports (still with label variants and page chrome)."""
    return reports(defects=False, serialization=serialization)
