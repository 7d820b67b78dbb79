"""The Prefect flow `parse` over a local lake holding the seeds (session harness from conftest), and the batches of
objects an ingest run reports (parsed while it runs)."""

from __future__ import annotations

from pathlib import Path

from flows.parse import parse_reports, stage_batch_task

from xxgk.ingest import ingest
from xxgk.staging.frames import RawObject
from xxgk.staging.read import read_staging_table
from xxgk.staging.stage import IngestedBatches
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


def _rows(local_lake: LocalStore, paths: list[Path]) -> list:
    rows: list = []
    ingest([str(p) for p in paths], local_lake, on_row=rows.append)
    return rows


def test_ingested_batches_give_each_new_object_once_as_the_manifest_would(local_lake: LocalStore,
                                                                          tmp_path: Path) -> None:
    from dataclasses import replace

    from xxgk.staging.build import manifest_objects
    from xxgk.staging.stage import pending

    twin = tmp_path / "twin.txt"  # the same bytes as a sample, from a second source
    samples = sorted(SAMPLES.glob("*.txt"))
    twin.write_bytes(samples[1].read_bytes())
    rows = _rows(local_lake, [*samples, twin])
    done = {rows[0].sha256}  # staged by an earlier run
    failed = replace(rows[2], status="failed", sha256="e" * 64, error="HTTP 404")
    batches = IngestedBatches(done, batch_size=2)
    taken: list[RawObject] = []
    for row in [*rows, failed, *rows]:  # a retried ingest reports its rows again
        batches.add(row)
        while (batch := batches.take()) is not None:
            assert len(batch) == 2
            taken += batch
    assert len(taken) == 4 and len({o.sha256 for o in taken}) == 4
    # what a parse stage after ingest would do (`done` stands for reports staged before)
    after = [o for o in pending(local_lake, manifest_objects(local_lake), "1") if o.sha256 not in done]
    rest = batches.rest(after)
    assert {o.sha256 for o in rest} == {r.sha256 for r in rows} - done - {o.sha256 for o in taken}
    ours, theirs = sorted(taken + rest, key=lambda o: o.sha256), after
    assert [o.sha256 for o in ours] == [o.sha256 for o in theirs]
    # an object is described as the manifest describes it; of two sources of the same bytes in one run, the one
    # reported first names it (the manifest names the one read last: either is one of this run's sightings)
    dup = next(r.sha256 for r in rows if r.source == str(twin))
    assert [o for o in ours if o.sha256 != dup] == [o for o in theirs if o.sha256 != dup]
    assert next(o.name for o in ours if o.sha256 == dup) in {str(twin), str(samples[1])}


def test_ingested_batches_skip_everything_already_parsed(local_lake: LocalStore) -> None:
    rows = _rows(local_lake, sorted(SAMPLES.glob("*.txt")))
    batches = IngestedBatches({r.sha256 for r in rows}, batch_size=1)
    for row in rows:
        batches.add(row)
    assert batches.take() is None and batches.rest([]) == []
