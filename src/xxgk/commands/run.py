"""``xxgk run [--source ...] [--lake ...] [--year YYYY]``: the annual run, sources to release, as one Prefect flow.

Runs the ``annual_run`` flow of ``flows/annual_run.py`` (ingest → parse → build → validate → publish) in this
process, with a progress bar per stage and a closing summary. With no arguments it ingests the bundled sample
reports (``samples/`` of the repository) into ``./lake`` with only embedded parts: a local folder, DuckDB and
Prefect's ephemeral mode. Settings come from :mod:`xxgk.settings` (``xxgk.toml``, environment); flags win.

Exit status: 0 a release is current (quarantined reports are a normal outcome and are listed); 3 another run holds
the publication lock; 1 the run failed (a clear message, the previous release stays current).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES_DIR = REPO_ROOT / "samples"
STAGE_LABELS = {"ingest": "ingest ", "parse": "parse  ", "build": "build  ", "publish": "publish"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run", help="the annual run: ingest, parse, build the marts, gate and publish a release (Prefect)",
        description="One orchestrated run from sources to release. Without --source it runs on the bundled sample "
                    "reports into ./lake (or the configured lake) with nothing to start.")
    p.add_argument("--source", action="append", metavar="SOURCE",
                   help="file, folder, glob, URL, URL-list CSV or s3://bucket/prefix (repeatable; default: "
                        "[run] sources of xxgk.toml / $XXGK_SOURCES, else the bundled samples)")
    p.add_argument("--lake", help="folder or s3://bucket/prefix (default: $XXGK_LAKE / xxgk.toml, else ./lake)")
    p.add_argument("--year", type=int, help="report year collected: a hint for sources that name none")
    p.add_argument("--runner", choices=("threads", "dask"), help="task runner for parsing (default: threads)")
    p.add_argument("--dask-address", help="tcp://scheduler:8786 of a running Dask cluster (implies --runner dask); "
                                          "without it --runner dask starts a LocalCluster")
    p.add_argument("--workers", type=int, help="parse threads or LocalCluster workers (default: CPU count)")
    p.add_argument("--batch-size", type=int, help="reports per parse task (default 1000)")
    p.add_argument("--work-dir", help="where the warehouse goes for an S3 lake")
    p.add_argument("--release-id", help="id of the new release (default: UTC time + random suffix)")
    p.add_argument("--force", action="store_true", help="build and publish even when nothing changed")
    p.add_argument("--no-docs", action="store_true", help="skip `dbt docs generate`")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _prefect_defaults(verbose: bool) -> None:
    """Quiet, patient defaults for Prefect's ephemeral mode (set only where the user has not chosen)."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")  # a loaded machine is slow
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")  # failures are reported by `xxgk run` itself
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_INTERNAL_LEVEL", "CRITICAL")


# Runs the server (uvicorn, by exec: same process) so that it ends with this command even when the command is
# killed (SIGKILL runs no exit handler): Linux's parent-death signal; elsewhere the exit handler alone stops it.
_SERVE_WHILE_PARENT_LIVES = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):  # the command is gone already
    sys.exit(0)
os.execv(sys.executable, [sys.executable, "-m", "uvicorn", *sys.argv[2:]])
"""


class _EphemeralApi:
    """Prefect's temporary API server, started by this command before it imports Prefect.

    With no Prefect API configured, Prefect starts a temporary server itself when the flow begins: it imports its
    whole server package into this process (seconds of CPU this command never needs) and then waits while the
    server process imports it again and starts. This starts the same server process (same command and settings
    as ``prefect.server.api.server.SubprocessASGIServer``) first thing, so its start-up overlaps this process's own
    imports, and hands its address to the flow. Whenever anything is unusual (an API configured in a Prefect
    profile, ephemeral mode off, the server not answering), it steps aside and Prefect behaves as before.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.url: str | None = None

    @classmethod
    def start_if_needed(cls) -> _EphemeralApi:
        api = cls()
        if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:  # configured, or a caller's (tests)
            return api
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.origin:
            return api
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1",
               # No block types registered at start: the run uses none, and finding them imports every installed
               # Prefect collection (prefect-dask imports distributed) before the server answers: ~1.2 s of ~8.
               "PREFECT_API_BLOCKS_REGISTER_ON_START": "false", "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false"}
        try:
            api.process = subprocess.Popen(
                [sys.executable, "-c", _SERVE_WHILE_PARENT_LIVES, str(os.getpid()),
                 "--app-dir", str(Path(spec.origin).parent.parent), "--factory",
                 "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
                 "--log-level", "error", "--lifespan", "on"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            return api
        api.url = f"http://127.0.0.1:{port}/api"
        atexit.register(api.stop)  # at exit, after Prefect's own exit handlers (registered later) flush to it
        return api

    def _ready(self) -> bool:
        timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 180)
        deadline = time.monotonic() + timeout
        while self.process is not None and self.process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    @contextlib.contextmanager
    def use(self) -> Iterator[None]:
        """While the block runs, Prefect talks to this server (if it is the one Prefect would have started)."""
        if self.process is None:
            yield
            return
        from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED, temporary_settings

        if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value() or not self._ready():
            self.stop()
            yield
            return
        before = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = str(self.url)  # for processes the run starts (Dask workers)
        try:
            with temporary_settings(updates={PREFECT_API_URL: self.url}):
                yield
        finally:
            if before is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = before

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def _resolve_lake(lake: str) -> str:
    if lake.startswith("s3://"):
        return lake
    if lake.startswith("file://"):
        lake = lake[len("file://"):]
    if "://" in lake:
        raise ValueError(f"unsupported lake location {lake!r}: use a folder or s3://bucket/prefix")
    return str(Path(lake).expanduser().resolve())  # tasks may run in other processes or folders (Dask)


def _default_sources() -> list[str]:
    if not SAMPLES_DIR.is_dir():
        raise FileNotFoundError(f"the bundled samples are not at {SAMPLES_DIR}; give --source")
    return [str(SAMPLES_DIR)]


class _Display:
    """Progress bars per stage on a terminal; one line per finished stage otherwise."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bars = enabled and self.console.is_terminal
        self.quiet = not enabled
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, disable=not self.bars)
        self.tasks: dict[str, Any] = {}
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    @property
    def stage(self) -> str | None:
        """The stage a failure belongs to: the earliest one still running (parse starts while ingest runs)."""
        running = [s for s in self.started if s not in self.seconds]
        return running[0] if running else next(reversed(self.started), None)

    def __call__(self, stage: str, event: str, info: dict[str, Any]) -> None:
        if event == "start":
            self.started[stage] = time.perf_counter()
            self.tasks[stage] = self.progress.add_task(STAGE_LABELS.get(stage, stage), total=info.get("total"))
        elif event == "more" and stage in self.tasks:
            task = self.tasks[stage]
            self.progress.update(task, total=(self.progress.tasks[task].total or 0) + info.get("n", 0))
        elif event == "advance" and stage in self.tasks:
            self.progress.update(self.tasks[stage], advance=info.get("n", 1))
        elif event == "done" and stage in self.tasks:
            task = self.tasks[stage]
            self.progress.update(task, completed=self.progress.tasks[task].total or 0)
            self.seconds[stage] = round(time.perf_counter() - self.started[stage], 2)
            if not self.bars and not self.quiet:
                note = " (nothing changed, skipped)" if info.get("summary", {}).get("skipped") else ""
                self.console.print(f"{stage}: done in {self.seconds[stage]:.1f} s{note}", highlight=False)


def _summary_lines(s: dict[str, Any]) -> list[str]:
    ing, parse, pub = s.get("ingest") or {}, s.get("parse") or {}, s.get("publish") or {}
    lines = []
    if ing:
        total = sum(int(ing.get(k) or 0) for k in ("new", "unchanged", "changed", "failed"))
        lines.append(f"reports in:   {total} entries ({ing.get('new', 0)} new, "
                     f"{ing.get('unchanged', 0)} unchanged, {ing.get('changed', 0)} changed, "
                     f"{ing.get('failed', 0)} failed)")
    lines.append(f"parsed:       {parse.get('n_pending', 0)} pending, {parse.get('n_staged', 0)} staged, "
                 f"{parse.get('n_quarantined', 0)} rejected by the staging schema")
    checked = pub.get("reports_checked")
    quarantined = pub.get("reports_quarantined") or 0
    if checked is not None:
        lines.append(f"published:    {checked - quarantined} of {checked} reports")
    reasons = s.get("reasons") or {}
    lines.append(f"quarantined:  {quarantined}" + (" — " + ", ".join(f"{k} {v}" for k, v in reasons.items())
                                                  if reasons else ""))
    lines.append(f"warnings:     {pub.get('reports_warned') or 0} reports with warning flags")
    lines.append(f"release:      {s.get('release_id')}" + ("  (unchanged re-run: nothing new)"
                                                          if s.get("unchanged") else ""))
    if pub.get("quality_report"):
        lines.append(f"quality:      {pub['quality_report']}")
    lines.append(f"lake:         {s.get('lake')}")
    return lines


def run(args: argparse.Namespace) -> int:
    from xxgk.settings import ConfigError, apply_to_environ, load_settings

    flags = {"XXGK_LAKE": args.lake, "XXGK_TASK_RUNNER": args.runner, "XXGK_DASK_ADDRESS": args.dask_address,
             "XXGK_WORKERS": str(args.workers) if args.workers else None,
             "XXGK_BATCH_SIZE": str(args.batch_size) if args.batch_size else None, "XXGK_WORK_DIR": args.work_dir}
    try:
        settings = load_settings(flags=flags)
        sources = args.source or settings.sources or _default_sources()
        lake = _resolve_lake(settings.lake)
        settings = load_settings(flags={**flags, "XXGK_LAKE": lake})
        apply_to_environ(settings)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        print(f"xxgk run: {exc}", file=sys.stderr)
        return 1
    _prefect_defaults(verbose=args.verbose)
    api = _EphemeralApi.start_if_needed()  # before the imports below, so both start-ups overlap
    if not args.verbose:
        import logging

        for handler in logging.getLogger().handlers:  # libraries that raise their own loggers' level (GX)
            handler.setLevel(logging.WARNING)
    if str(REPO_ROOT) not in sys.path:  # flows/ and expectations/ live at the repository root
        sys.path.insert(0, str(REPO_ROOT))

    display = _Display(enabled=not args.no_progress)
    started = time.perf_counter()
    try:
        from flows.annual_run import annual_run, make_task_runner, prestart_parsing, progress_listener

        task_runner = make_task_runner(settings.task_runner, settings.workers, settings.dask_address)
        flow = annual_run.with_options(task_runner=task_runner)
        prestart_parsing(task_runner)  # while the server starts
        with api.use(), progress_listener(display), display.progress:
            summary = flow(sources=sources, lake=lake, year=args.year, batch_size=settings.batch_size,
                           work_dir=settings.work_dir, release_id=args.release_id, docs=not args.no_docs,
                           force=args.force)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - the user gets a message, never a traceback
        import logging

        logging.getLogger(__name__).debug("annual run failed", exc_info=True)
        from xxgk.publish import PublishLocked

        where = f" during {display.stage}" if display.stage else ""
        message = str(exc).strip() or type(exc).__name__
        print(f"xxgk run: the run failed{where}: {type(exc).__name__}: {message}\n"
              f"xxgk run: the previous release (if any) stays current; fix the cause and run again — work already "
              f"done (ingested and staged reports) is kept.", file=sys.stderr)
        return 3 if isinstance(exc, PublishLocked) else 1
    summary["seconds"] = round(time.perf_counter() - started, 2)
    summary["stage_seconds"] = display.seconds
    if args.json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, default=str) + "\n")
    else:
        for line in _summary_lines(summary):
            print(line)
        print(f"time:         {summary['seconds']:.1f} s")
    return 0
