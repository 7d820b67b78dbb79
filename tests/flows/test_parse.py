"""The Prefect flow `parse` over a local lake holding the seeds (session harness from conftest)."""

from __future__ import annotations

from pathlib import Path

from flows.parse import parse_reports, stage_batch_task

from xxgk.ingest import ingest
from xxgk.staging.frames import RawObject
from xxgk.staging.read import read_staging_table
from xxgk.storage import LocalStore

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_parse_flow_stages_new_reports_in_batches_and_skips_them_next_time(local_lake: LocalStore) -> None:
    ingest([str(p) for p in sorted(SAMPLES.glob("*.txt"))], local_lake)
    first = parse_reports(lake=local_lake.uri(), batch_size=2)
    assert (first["n_pending"], first["n_batches"], first["n_staged"], first["n_quarantined"]) == (5, 3, 5, 0)
    assert len(read_staging_table(local_lake, "reports")) == 5
    again = parse_reports(lake=local_lake.uri(), batch_size=2)
    assert (again["n_pending"], again["n_batches"]) == (0, 0)


def test_stage_batch_task_logic_runs_without_the_engine(local_lake: LocalStore) -> None:
    out = stage_batch_task.fn(local_lake.uri(), [RawObject("f" * 64)], "1")
    assert out == {"n_reports": 1, "n_staged": 1, "n_quarantined": 0, "quarantined": []}
    assert list(read_staging_table(local_lake, "reports")["parse_status"]) == ["failed"]
