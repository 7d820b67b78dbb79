"""The ``annual_run`` flow end to end (session Prefect harness from conftest): the bundled samples give a release in
which seed 001 (no tables) is quarantined and the other four are published; a real local Dask cluster gives the
same release content; a run killed with SIGKILL mid-parse is completed by the next run with no duplicate and no
lost report; half-written staging batches are found and removed."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flows.annual_run import annual_run, backfill, incomplete_batches, repair_staging_task  # noqa: E402

from xxgk.publish import is_complete, read_current  # noqa: E402
from xxgk.staging.read import read_staging_table  # noqa: E402
from xxgk.storage import LocalStore  # noqa: E402

SAMPLES = ROOT / "samples"
SEED_001 = next(SAMPLES.glob("001_*.txt"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mart(store: LocalStore, release: str, name: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(store.get_bytes(f"releases/{release}/marts/{name}.parquet")))


def _content(store: LocalStore) -> dict[str, pd.DataFrame]:
    """The release's published rows, without run-specific columns, in a stable order."""
    release = read_current(store)
    assert release and is_complete(store, release)
    out = {}
    for name in ("agency_year", "quarantine"):
        df = _mart(store, release, name)
        df = df[[c for c in df.columns if c not in ("run_id", "release_id", "published_at", "parsed_at")]]
        out[name] = df.sort_values(list(df.columns[:2])).reset_index(drop=True).astype(str)
    return out


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    lake = tmp_path_factory.mktemp("annual") / "lake"
    summary = annual_run(sources=[str(SAMPLES)], lake=str(lake), docs=False)
    return lake, summary


@pytest.mark.slow
def test_samples_give_a_release_with_seed_001_quarantined_and_four_published(sample_lake: tuple[Path, dict]) -> None:
    lake, summary = sample_lake
    store = LocalStore(lake)
    release = summary["release_id"]
    assert read_current(store) == release and is_complete(store, release)
    assert summary["ingest"]["new"] == 5 and summary["parse"]["n_staged"] == 5
    assert summary["publish"]["reports_checked"] == 5 and summary["publish"]["reports_quarantined"] == 1
    assert summary["reasons"] == {"cells_incomplete": 1}

    quarantine = _mart(store, release, "quarantine")
    assert list(quarantine["source_sha256"]) == [_sha(SEED_001)]
    assert quarantine["rules"].iloc[0] == "cells_incomplete"
    published = set(_mart(store, release, "agency_year")["source_sha256"])
    assert published == {_sha(p) for p in SAMPLES.glob("*.txt") if p != SEED_001}
    assert store.exists(f"releases/{release}/quality_report.html")
    assert store.exists("runs/annual_run/last.json")


@pytest.mark.slow
def test_an_unchanged_rerun_does_almost_nothing(sample_lake: tuple[Path, dict]) -> None:
    lake, first = sample_lake
    again = annual_run(sources=[str(SAMPLES)], lake=str(lake), docs=False)
    assert again["unchanged"] is True and again["release_id"] == first["release_id"]
    assert again["ingest"]["unchanged"] == 5 and again["parse"]["n_pending"] == 0
    assert again["build"] == {"skipped": True} and again["reasons"] == {"cells_incomplete": 1}
    assert read_current(LocalStore(lake)) == first["release_id"]


@pytest.mark.slow
def test_backfill_runs_one_annual_run_per_year_oldest_first(sample_lake: tuple[Path, dict]) -> None:
    lake, first = sample_lake
    runs = backfill(start_year=2022, end_year=2023, sources=[str(SAMPLES)], lake=str(lake))
    assert [r["year"] for r in runs] == [2022, 2023]
    assert all(r["unchanged"] and r["release_id"] == first["release_id"] for r in runs)  # nothing new: no work
    with pytest.raises(ValueError, match="before start_year"):
        backfill(start_year=2024, end_year=2022, lake=str(lake))


@pytest.mark.slow
def test_dask_task_runner_on_a_local_cluster_gives_the_same_release(sample_lake: tuple[Path, dict],
                                                                     tmp_path: Path) -> None:
    from distributed import LocalCluster
    from prefect_dask import DaskTaskRunner

    lake = tmp_path / "lake"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        flow = annual_run.with_options(task_runner=DaskTaskRunner(address=cluster.scheduler_address))
        summary = flow(sources=[str(SAMPLES)], lake=str(lake), docs=False, batch_size=2)
    assert summary["parse"]["n_batches"] == 3 and summary["parse"]["n_staged"] == 5
    dask_content, default_content = _content(LocalStore(lake)), _content(LocalStore(sample_lake[0]))
    for name in default_content:
        pd.testing.assert_frame_equal(dask_content[name], default_content[name])


def test_incomplete_batches_are_those_missing_a_table_or_a_partition() -> None:
    tables = ("reports", "table3_cells")
    parts = {
        "a": {"reports": {"report_year=2022"}, "table3_cells": {"report_year=2022"}},
        "b": {"reports": {"report_year=2022"}},
        "c": {"reports": {"report_year=2022", "report_year=2023"}, "table3_cells": {"report_year=2022"}},
        "d": {"table3_cells": {"report_year=2022"}},
    }
    assert incomplete_batches(parts, tables) == ["b", "c", "d"]


def test_repair_removes_a_half_written_batch_so_its_reports_are_pending_again(local_lake: LocalStore) -> None:
    from xxgk.ingest import ingest
    from xxgk.staging.build import stage_lake

    ingest([str(p) for p in sorted(SAMPLES.glob("*.txt"))], local_lake)
    stage_lake(local_lake, batch_size=2)
    victim = next(k for k in local_lake.list_keys("staging/table3_cells/") if k.endswith(".parquet"))
    local_lake.delete(victim)  # as if the run was killed between two writes of this batch
    bid = victim.rsplit("part-", 1)[1].removesuffix(".parquet")
    assert repair_staging_task.fn(local_lake.uri()) == [bid]
    assert not any(bid in k for k in local_lake.list_keys("staging/"))
    assert stage_lake(local_lake, batch_size=2).n_staged >= 1
    reports = read_staging_table(local_lake, "reports")
    assert len(reports) == 5 and reports["source_sha256"].is_unique


@pytest.mark.slow
def test_a_run_killed_mid_parse_is_completed_by_the_next_run(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    from xxgk.synth.corpus import write_corpus

    corpus = tmp_path / "corpus"
    write_corpus(corpus, 60, seed=5, jobs=1)
    expected = {_sha(p) for p in corpus.iterdir() if p.name != "truth.jsonl"}
    lake = tmp_path / "lake"
    sources = [str(corpus / "*.txt"), str(corpus / "*.html")]
    # the killed run is a real `xxgk run` process on the session's Prefect API (no second server to start)
    env = {**os.environ, "XXGK_LAKE": str(lake), "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    command = [sys.executable, "-m", "xxgk.cli", "run", "--source", sources[0], "--source", sources[1],
               "--no-progress", "--no-docs", "--batch-size", "3", "--workers", "1"]
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    reports_dir, manifests = lake / "staging" / "reports", lake / "raw" / "_manifest"
    deadline = time.monotonic() + 300
    try:  # parsing starts while ingest runs: wait for both the end of ingest (its manifest) and a staged batch
        while not (manifests.exists() and any(manifests.glob("*.parquet"))
                   and reports_dir.exists() and any(reports_dir.rglob("*.parquet"))):
            assert child.poll() is None, f"the run ended before staging: {child.stderr.read()!r}"  # type: ignore
            assert time.monotonic() < deadline, "staging never started"
            time.sleep(0.02)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the run and the parser sandboxes it forked
        child.wait()
    store = LocalStore(lake)
    staged_at_kill = len(read_staging_table(store, "reports"))
    assert 0 < staged_at_kill < len(expected), "the kill did not land mid-parse"

    summary = annual_run(sources=sources, lake=str(lake), docs=False)
    assert summary["ingest"]["new"] == 0  # the killed run had ingested everything
    assert summary["parse"]["n_pending"] >= len(expected) - staged_at_kill  # + any half-written batch, repaired
    reports = read_staging_table(store, "reports")
    assert reports["source_sha256"].is_unique, "duplicate reports in staging"
    assert set(reports["source_sha256"]) == expected, "reports lost"
    cells = read_staging_table(store, "table3_cells")
    assert not cells.duplicated(["source_sha256", "cell_id"]).any()
    assert set(cells["source_sha256"]) <= expected
    release = read_current(store)
    assert release == summary["release_id"] and is_complete(store, release)
    assert _mart(store, release, "quality_results")["source_sha256"].nunique() == len(expected)


@pytest.mark.slow
def test_parse_starts_while_ingest_runs_and_stages_every_report_once(tmp_path: Path) -> None:
    """Batches go to the parser while ingest runs; an earlier run's objects never staged are parsed, one already
    staged is not, bytes from two sources are parsed once, and rows reported again by a retried ingest change
    nothing."""
    import shutil
    import threading

    from flows.annual_run import progress_listener

    from xxgk import PARSER_VERSION
    from xxgk.ingest import ingest as real_ingest
    from xxgk.staging.build import manifest_objects
    from xxgk.staging.stage import stage_batch
    from xxgk.storage import StorageError

    samples = sorted(SAMPLES.glob("*.txt"))
    store = LocalStore(tmp_path / "lake")
    only_before = tmp_path / "old" / "report.txt"  # ingested by an earlier run only
    only_before.parent.mkdir()
    only_before.write_bytes(samples[4].read_bytes() + b"\n")
    real_ingest([*map(str, samples[:3]), str(only_before)], store)  # the earlier run, killed while parsing…
    stage_batch(store, [o for o in manifest_objects(store) if o.sha256 == _sha(samples[0])], PARSER_VERSION)
    source = tmp_path / "src"
    source.mkdir()
    for path in samples:
        shutil.copy(path, source / path.name)
    (source / "twin.txt").write_bytes(samples[3].read_bytes())  # the same bytes from a second source

    attempts = []

    def flaky_ingest(*args, **kwargs):  # the task's first attempt stores everything, then the lake goes away
        result = real_ingest(*args, **kwargs)
        attempts.append(result)
        if len(attempts) == 1:
            raise StorageError("the lake went away for a moment")
        return result

    events: list[tuple[str, str, dict]] = []
    submitted = threading.Event()

    def listener(stage: str, event: str, info: dict) -> None:
        events.append((stage, event, info))
        if (stage, event) == ("parse", "more"):
            submitted.set()
        if (stage, event) == ("ingest", "done"):  # hold the end of ingest until the feeder has submitted
            submitted.wait(120)

    with mock.patch("flows.annual_run.ingest", flaky_ingest), progress_listener(listener):
        summary = annual_run(sources=[str(source)], lake=str(store.root), docs=False, batch_size=2)
    assert len(attempts) == 2
    expected = {_sha(p) for p in samples} | {_sha(only_before)}
    parse = summary["parse"]
    assert parse["n_while_ingesting"] >= 2 and parse["n_pending"] == len(expected) - 1 == parse["n_staged"]
    reports = read_staging_table(store, "reports")
    assert reports["source_sha256"].is_unique, "duplicate reports in staging"
    assert set(reports["source_sha256"]) == expected, "reports lost"
    totals = {e: sum(i.get("n", 0) for s, ev, i in events if (s, ev) == ("parse", e)) for e in ("more", "advance")}
    assert totals == {"more": parse["n_pending"], "advance": parse["n_pending"]}


@pytest.mark.slow
def test_cli_failure_mid_run_is_a_message_and_exit_1_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from xxgk.cli import main

    defaults = {"PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
                "PREFECT_LOGGING_INTERNAL_LEVEL": "ERROR", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
    for name, value in defaults.items():  # `xxgk run` sets these with setdefault: keep them out of the session
        monkeypatch.setenv(name, os.environ.get(name, value))
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with mock.patch.dict(os.environ):  # the command exports its settings to the (process) environment
        assert main(["run", "--source", str(SEED_001), "--lake", str(not_a_folder), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "the run failed during ingest" in err and "StorageError" in err
    assert "Traceback" not in err
