"""Build the lake's warehouse: stage new raw objects, then run the dbt project over the staging Parquet.

:func:`stage_lake` is the whole parse step without an orchestrator (the Prefect flow ``flows/parse.py`` runs the
same batches as tasks). :func:`run_dbt` runs ``dbt`` in a subprocess (the library never imports dbt) with the
paths taken from the lake: staging on a local folder is read directly, staging on S3 through an fsspec filesystem
(dbt-duckdb profile ``filesystems``; DuckDB's httpfs is not available). dbt writes into a temporary DuckDB file that
replaces the warehouse only when the build succeeds, so readers never open a half-built warehouse.

Start-up is kept short: the child parses once and runs every command on that manifest; dbt's partial parsing state
(``partial_parse.msgpack``) is kept in the target folder and in a per-project cache (:func:`parse_cache_dir`), so
a new lake does not parse the project from scratch (dbt checks every file, variable and version itself and parses
what changed); only the last command writes ``manifest.json``, and ``docs generate`` after a build reuses the
build's compiled nodes instead of compiling them again.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xxgk import PARSER_VERSION
from xxgk.staging.stage import Parser, StageResult, chunks, pending, raw_objects, stage_batch
from xxgk.staging.write import STAGING_PREFIX
from xxgk.storage.base import ObjectStore

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000  # reports per staging batch: fewer, larger Parquet files; one warm sandbox each
WAREHOUSE_FILE = "xxgk.duckdb"


def default_project_dir() -> Path:
    """The repository's ``dbt_project/`` (override with ``XXGK_DBT_PROJECT_DIR``)."""
    env = os.environ.get("XXGK_DBT_PROJECT_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "dbt_project"


def manifest_objects(store: ObjectStore) -> list:
    """The raw objects the manifest lists as current (one per sha256)."""
    from xxgk.ingest.manifest import current_objects

    return raw_objects(current_objects(store))


def stage_lake(store: ObjectStore, *, batch_size: int = DEFAULT_BATCH_SIZE, parser_version: str = PARSER_VERSION,
               parser: Parser | None = None) -> StageResult:
    """Parse every raw object not yet staged under ``parser_version`` and write it to staging, in batches."""
    todo = pending(store, manifest_objects(store), parser_version)
    total = StageResult()
    for batch in chunks(todo, batch_size):
        total.add(stage_batch(store, batch, parser_version, parser))
    logger.info("staged %d reports (%d quarantined) in %d batches", total.n_staged, total.n_quarantined,
                len(total.batches))
    return total


def has_staging(store: ObjectStore) -> bool:
    return any(True for _ in store.list_keys(f"{STAGING_PREFIX}/reports/"))


@dataclass(frozen=True)
class DbtPaths:
    """Where dbt reads and writes for one lake."""

    project_dir: Path
    staging_uri: str
    warehouse_path: Path
    target: str  # "local" or "s3"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def work_dir(self) -> Path:
        return self.warehouse_path.parent


def _s3_fsspec_config(store: ObjectStore) -> dict[str, object]:
    settings = getattr(store, "settings", None)
    conf: dict[str, object] = {}
    if settings is None:
        return conf
    if settings.endpoint_url:
        conf["endpoint_url"] = settings.endpoint_url
    if settings.region:
        conf["client_kwargs"] = {"region_name": settings.region}
    config_kwargs: dict[str, object] = {"connect_timeout": settings.connect_timeout,
                                        "read_timeout": settings.read_timeout}
    if settings.addressing_style:
        config_kwargs["s3"] = {"addressing_style": settings.addressing_style}
    conf["config_kwargs"] = config_kwargs
    return conf


def dbt_paths(store: ObjectStore, *, work_dir: str | os.PathLike[str] | None = None,
              project_dir: Path | None = None) -> DbtPaths:
    """Paths for a lake: a local lake keeps its warehouse in ``<lake>/warehouse/``; an S3 lake in ``work_dir`` (or
    ``$XXGK_WORK_DIR``, else ``~/.cache/xxgk/<bucket>/<prefix>``)."""
    staging_uri = store.uri(STAGING_PREFIX)
    is_s3 = staging_uri.startswith("s3://")
    if work_dir is None:
        work_dir = os.environ.get("XXGK_WORK_DIR")
    if work_dir is None:
        if is_s3:
            root = store.uri().removeprefix("s3://").replace("/", "_")
            work_dir = Path.home() / ".cache" / "xxgk" / root
        else:
            work_dir = Path(store.uri()) / "warehouse"
    env: dict[str, str] = {}
    if is_s3:
        env["FSSPEC_S3"] = json.dumps(_s3_fsspec_config(store))
    return DbtPaths(project_dir or default_project_dir(), staging_uri, Path(work_dir) / WAREHOUSE_FILE,
                    "s3" if is_s3 else "local", env)


@dataclass
class DbtResult:
    returncode: int
    command: list[str]
    output: str
    warehouse_path: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-n:])


# The dbt child process (dbt is imported only there): the import first, which takes seconds, then the job from
# stdin (folder, environment, invocations): parse once, then run each command on that manifest. A child started
# ahead of time (:func:`prestart_dbt`) has done its import when the job arrives.
_DBT_CHILD = """
import json, os, sys
from dbt.cli.main import dbtRunner
line = sys.stdin.readline().strip()
if not line:
    sys.exit(0)
job = json.loads(line)
os.chdir(job["cwd"])
os.environ.clear()
os.environ.update(job["env"])
invocations = job["invocations"]
parsed = dbtRunner().invoke(invocations[0])
if not parsed.success:
    sys.exit(2)
runner = dbtRunner(manifest=parsed.result)
for args in invocations[1:]:
    if not runner.invoke(args).success:
        sys.exit(1)
"""
_warm_child: subprocess.Popen[str] | None = None
_warm_lock = threading.Lock()


def _start_dbt_child() -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-P", "-c", _DBT_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})


def prestart_dbt() -> None:
    """Start the next :func:`run_dbt`'s child process now, so dbt's import (seconds) overlaps the caller's work."""
    global _warm_child
    with _warm_lock:
        if _warm_child is None or _warm_child.poll() is not None:
            try:
                _warm_child = _start_dbt_child()
            except OSError as exc:  # run_dbt starts one itself (and reports the failure)
                logger.debug("could not start dbt ahead: %s", exc)


def _dbt_child() -> subprocess.Popen[str]:
    global _warm_child
    with _warm_lock:
        child, _warm_child = _warm_child, None
    return child if child is not None and child.poll() is None else _start_dbt_child()


def stop_prestarted_dbt() -> None:
    """End a child started ahead and never used (it holds no work: killed, not waited for its import to end)."""
    global _warm_child
    with _warm_lock:
        child, _warm_child = _warm_child, None
    if child is not None:
        if child.poll() is None:
            child.kill()
        child.communicate()


atexit.register(stop_prestarted_dbt)

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# Commands that compile every selected node into the shared manifest (a following `docs generate` needs no compile).
_COMPILING = {"build", "run", "compile", "test", "seed", "snapshot"}


def dbt_invocations(commands: Sequence[Sequence[str]], common: Sequence[str]) -> list[list[str]]:
    """The child's dbt invocations: ``parse`` first, then each command, all with the ``common`` flags.

    Only the last command writes the JSON artifacts (``manifest.json``, ``run_results.json``); ``docs generate``
    after a compiling command reuses its compiled nodes (``--no-compile``), and then the command before it writes
    the manifest (``docs generate --no-compile`` writes only the catalog).
    """
    commands = [list(c) for c in commands]
    out = [["parse", "--no-write-json", *common]]
    for i, command in enumerate(commands):
        args = list(command)
        nxt = commands[i + 1] if i + 1 < len(commands) else None
        docs_next = nxt is not None and nxt[:2] == ["docs", "generate"] and args[0] in _COMPILING
        if nxt is not None and not docs_next:
            args.append("--no-write-json")
        if args[:2] == ["docs", "generate"] and i > 0 and commands[i - 1][0] in _COMPILING:
            args.append("--no-compile")
        out.append([*args, *common])
    return out


def parse_cache_dir(project_dir: Path) -> Path:
    """Where dbt's partial-parsing state of ``project_dir`` is kept between lakes: ``$XXGK_DBT_PARSE_CACHE``, else
    ``~/.cache/xxgk/dbt-parse/<hash of the project path>``."""
    env = os.environ.get("XXGK_DBT_PARSE_CACHE")
    if env:
        return Path(env)
    key = hashlib.sha256(str(project_dir.resolve()).encode()).hexdigest()[:16]
    return Path.home() / ".cache" / "xxgk" / "dbt-parse" / key


def _seed_partial_parse(target_dir: Path, sources: Sequence[Path]) -> None:
    """Give a target folder without parsing state the first one found in ``sources`` (dbt validates it)."""
    dest = target_dir / PARTIAL_PARSE_FILE
    if dest.exists():
        return
    for src in sources:
        if (src / PARTIAL_PARSE_FILE).is_file():
            target_dir.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(src / PARTIAL_PARSE_FILE, dest)
            except OSError as exc:  # a cache is never worth a failed build
                logger.debug("could not seed dbt's parse state from %s: %s", src, exc)
            return


def _save_partial_parse(target_dir: Path, cache_dir: Path) -> None:
    """Copy the target folder's parsing state to the cache when it changed (atomically: builds run in parallel)."""
    src = target_dir / PARTIAL_PARSE_FILE
    dest = cache_dir / PARTIAL_PARSE_FILE
    try:
        if not src.is_file():
            return
        if dest.is_file() and dest.stat().st_size == src.stat().st_size and dest.read_bytes() == src.read_bytes():
            return
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".partial_parse-")
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except OSError as exc:
        logger.debug("could not cache dbt's parse state in %s: %s", cache_dir, exc)


STAGING_LINK = "_xxgk_staging"  # in dbt's working folder: the lake's staging folder under one name for every lake


def _linked_staging(staging_uri: str, folder: Path) -> str:
    """``STAGING_LINK`` (a link in ``folder`` to a local staging folder), or ``staging_uri`` itself when it is not
    a local folder or no link can be made there."""
    if "://" in staging_uri or not Path(staging_uri).is_dir():
        return staging_uri
    link = folder / STAGING_LINK
    try:
        link.unlink(missing_ok=True)
        link.symlink_to(Path(staging_uri).resolve(), target_is_directory=True)
    except OSError as exc:  # no links on this file system: the absolute path works, only the saved parse is lost
        logger.debug("could not link the staging folder into %s: %s", folder, exc)
        return staging_uri
    return STAGING_LINK


def run_dbt(paths: DbtPaths, commands: Sequence[Sequence[str]] = (("build",),), *, atomic: bool = True,
            timeout: float | None = 1800, target_dir: Path | None = None,
            env: dict[str, str] | None = None) -> DbtResult:
    """Run dbt ``commands`` (e.g. ``[("build",), ("docs", "generate")]``) for the lake in one child process.

    With ``atomic``, dbt writes a fresh DuckDB file (same name, in ``.building/``) that replaces the warehouse only
    when every command succeeded; without it (``dbt test``, ``docs generate`` alone), dbt works on the warehouse.
    ``target_dir`` is dbt's target folder (default ``dbt_target/`` next to the warehouse; dbt's log goes to
    ``dbt_logs/`` beside it); ``env`` adds variables for the models (e.g. ``XXGK_EXCLUDED_URI``).
    """
    paths.work_dir.mkdir(parents=True, exist_ok=True)
    building = paths.work_dir / ".building" / paths.warehouse_path.name if atomic else paths.warehouse_path
    if atomic:
        shutil.rmtree(building.parent, ignore_errors=True)
        building.parent.mkdir(parents=True)
    target = target_dir or paths.work_dir / "dbt_target"
    cache = parse_cache_dir(paths.project_dir) / target.name  # a build and a rebuild set different variables
    _seed_partial_parse(target, [cache])
    # dbt runs in the warehouse's folder with the file name as the profile's path, and reads a local staging
    # folder through a link there: dbt's saved parse is keyed on the connection settings and on the variables the
    # project reads, so absolute paths would make every new lake (and every rebuild) parse again.
    staging_uri = _linked_staging(paths.staging_uri, building.parent)
    child_env = {**os.environ, **paths.env, "XXGK_STAGING_URI": staging_uri,
                 "XXGK_WAREHOUSE_PATH": building.name, "XXGK_DBT_TARGET": paths.target,
                 "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    common = ["--project-dir", str(paths.project_dir), "--profiles-dir", str(paths.project_dir),
              "--target-path", str(target), "--log-path", str(target.parent / "dbt_logs"),
              "--log-level-file", os.environ.get("XXGK_DBT_LOG_LEVEL", "info"), "--no-version-check"]
    invocations = dbt_invocations(commands, common)
    job = json.dumps({"cwd": str(building.parent), "env": child_env, "invocations": invocations})
    cmd = [sys.executable, "-c", "<xxgk dbt child>", *(" ".join(i) for i in invocations)]  # for messages
    label = "; ".join(" ".join(c) for c in commands)
    logger.info("running dbt %s (staging %s, warehouse %s)", label, paths.staging_uri, paths.warehouse_path)
    try:
        child = _dbt_child()
    except OSError as exc:
        (building.parent / STAGING_LINK).unlink(missing_ok=True)
        return DbtResult(127, cmd, f"dbt could not be started: {exc}", paths.warehouse_path)
    try:
        stdout, stderr = child.communicate(job + "\n", timeout=timeout)
        code, output = child.returncode, stdout + stderr
    except subprocess.TimeoutExpired:
        child.kill()
        stdout, _ = child.communicate()
        code, output = 124, f"dbt timed out after {timeout}s\n{stdout or ''}"
    if staging_uri == STAGING_LINK:  # a link, never the lake's staging folder itself
        (building.parent / STAGING_LINK).unlink(missing_ok=True)
    if code == 0:
        _save_partial_parse(target, cache)
    if atomic and code == 0 and building.exists():
        shutil.move(str(building), str(paths.warehouse_path))
        shutil.rmtree(building.parent, ignore_errors=True)
    elif code != 0:
        logger.warning("dbt %s failed (exit %d); the previous warehouse is kept", label, code)
    return DbtResult(code, cmd, output, paths.warehouse_path)
