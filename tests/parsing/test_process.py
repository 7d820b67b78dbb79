"""prepare_for_parsing: fewer garbage collections for a process that parses many reports, same results."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from xxgk.parsing.process import PARSING_GC_THRESHOLDS, prepare_for_parsing
from xxgk.parsing.report import parse_bytes

SEEDS = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture()
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_prepare_for_parsing_freezes_what_is_alive_and_collects_less_often(restored_gc: None) -> None:
    before = [parse_bytes(p.read_bytes(), name=p.name).to_json_dict() for p in sorted(SEEDS.glob("*.txt"))]
    prepare_for_parsing()
    assert gc.get_threshold() == PARSING_GC_THRESHOLDS
    assert gc.get_freeze_count() > 0
    after = [parse_bytes(p.read_bytes(), name=p.name).to_json_dict() for p in sorted(SEEDS.glob("*.txt"))]
    assert after == before and len(after) == 5
