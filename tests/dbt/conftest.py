"""Fixtures for the dbt tests: the planted multi-year corpus (tests/dbt/marts_corpus.py) staged into a lake."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "staging"))  # staging_factory
