"""``xxgk run`` failures: a clear message and a non-zero exit, never a traceback (no Prefect run needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xxgk.cli import main
from xxgk.commands.run import SAMPLES_DIR, _summary_lines


def test_bad_lake_location_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--lake", "ftp://example/lake", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "unsupported lake location" in err and "Traceback" not in err


def test_broken_config_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "xxgk.toml"
    bad.write_text("[runner]\nkind = \n", encoding="utf-8")
    monkeypatch.setenv("XXGK_CONFIG", str(bad))
    assert main(["run", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err


def test_the_bundled_samples_are_found_from_any_working_directory(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert SAMPLES_DIR.is_dir() and len(list(SAMPLES_DIR.glob("*.txt"))) == 5


def test_summary_names_counts_reasons_release_and_quality_report() -> None:
    lines = "\n".join(_summary_lines({
        "ingest": {"new": 5, "unchanged": 0, "changed": 0, "failed": 0},
        "parse": {"n_pending": 5, "n_staged": 5, "n_quarantined": 0},
        "publish": {"reports_checked": 5, "reports_quarantined": 1, "reports_warned": 2,
                    "quality_report": "lake/releases/r1/quality_report.html"},
        "reasons": {"cells_incomplete": 1}, "release_id": "r1", "lake": "lake"}))
    assert "5 entries (5 new" in lines and "published:    4 of 5" in lines
    assert "cells_incomplete 1" in lines and "r1" in lines and "quality_report.html" in lines


@pytest.mark.slow
def test_the_early_ephemeral_api_serves_the_flow_and_stops(tmp_path: Path) -> None:
    """Without a configured API, ``xxgk run`` starts Prefect's temporary server before importing Prefect; flows
    talk to it, and it is gone afterwards (a fresh process: this one already imported Prefect)."""
    import os
    import subprocess
    import sys

    script = r"""
import json, sys
from xxgk.commands.run import _EphemeralApi
api = _EphemeralApi.start_if_needed()
assert api.process is not None and "prefect" not in sys.modules
from prefect import flow
from prefect.settings import PREFECT_API_URL

@flow
def hello() -> str:
    return PREFECT_API_URL.value()

with api.use():
    used = hello()
process = api.process
api.stop()
print(json.dumps({"url": api.url, "used": used, "stopped": process.poll() is not None}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["used"] == answer["url"] and answer["stopped"]


@pytest.mark.slow
def test_a_killed_run_takes_its_prefect_server_with_it(tmp_path: Path) -> None:
    """SIGKILL runs no exit handler: the temporary Prefect server still ends with the run (parent-death signal)."""
    import os
    import subprocess
    import sys
    import time

    import psutil

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # this run starts its own server
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), XXGK_LAKE=str(tmp_path / "lake"))
    run = subprocess.Popen([sys.executable, "-m", "xxgk.cli", "run", "--no-progress"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (servers := [c for c in psutil.Process(run.pid).children()
                               if "uvicorn" in " ".join(c.cmdline())]):
            assert run.poll() is None, "the run ended before starting its server"
            assert time.monotonic() < deadline, "no server started"
            time.sleep(0.05)
    finally:
        run.kill()
        run.wait()
    _, alive = psutil.wait_procs(servers, timeout=30)
    for process in alive:
        process.kill()
    assert not alive


def test_a_failure_is_named_after_the_earliest_stage_still_running() -> None:
    from xxgk.commands.run import _Display

    display = _Display(enabled=False)
    assert display.stage is None
    display("ingest", "start", {"total": 0})
    display("parse", "start", {"total": 0})  # parse batches start while ingest runs
    assert display.stage == "ingest"
    display("ingest", "done", {"summary": {}})
    assert display.stage == "parse"
    display("parse", "done", {"summary": {}})
    assert display.stage == "parse"  # nothing running: the last stage started
