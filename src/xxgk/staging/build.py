"""Build the lake's warehouse: stage new raw objects, then run the dbt project over the staging Parquet.

:func:`stage_lake` is the whole parse step without an orchestrator (the Prefect flow ``flows/parse.py`` runs the
same batches as tasks). :func:`run_dbt` runs ``dbt`` in a subprocess (the library never imports dbt) with the
paths taken from the lake: staging on a local folder is read directly, staging on S3 through an fsspec filesystem
(dbt-duckdb profile ``filesystems``; DuckDB's httpfs is not available). dbt writes into a temporary DuckDB file that
replaces the warehouse only when the build succeeds, so readers never open a half-built warehouse.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xxgk import PARSER_VERSION
from xxgk.staging.stage import Parser, StageResult, chunks, pending, raw_objects, stage_batch
from xxgk.staging.write import STAGING_PREFIX
from xxgk.storage.base import ObjectStore

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200
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


# The dbt child process: parse once, then run each command on that manifest (dbt is imported only there).
_DBT_CHILD = """
import json, sys
from dbt.cli.main import dbtRunner
commands, common = json.loads(sys.argv[1]), json.loads(sys.argv[2])
parsed = dbtRunner().invoke(["parse", *common])
if not parsed.success:
    sys.exit(2)
runner = dbtRunner(manifest=parsed.result)
for command in commands:
    if not runner.invoke([*command, *common]).success:
        sys.exit(1)
"""


def run_dbt(paths: DbtPaths, commands: Sequence[Sequence[str]] = (("build",),), *, atomic: bool = True,
            timeout: float | None = 1800) -> DbtResult:
    """Run dbt ``commands`` (e.g. ``[("build",), ("docs", "generate")]``) for the lake in one child process.

    With ``atomic``, dbt writes a fresh DuckDB file (same name, in ``.building/``) that replaces the warehouse only
    when every command succeeded; without it (``dbt test``, ``docs generate`` alone), dbt works on the warehouse.
    """
    paths.work_dir.mkdir(parents=True, exist_ok=True)
    building = paths.work_dir / ".building" / paths.warehouse_path.name if atomic else paths.warehouse_path
    if atomic:
        shutil.rmtree(building.parent, ignore_errors=True)
        building.parent.mkdir(parents=True)
    env = {**os.environ, **paths.env, "XXGK_STAGING_URI": paths.staging_uri,
           "XXGK_WAREHOUSE_PATH": str(building), "XXGK_DBT_TARGET": paths.target,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    common = ["--project-dir", str(paths.project_dir), "--profiles-dir", str(paths.project_dir),
              "--target-path", str(paths.work_dir / "dbt_target"), "--log-path", str(paths.work_dir / "dbt_logs")]
    cmd = [sys.executable, "-c", _DBT_CHILD, json.dumps([list(c) for c in commands]), json.dumps(common)]
    label = "; ".join(" ".join(c) for c in commands)
    logger.info("running dbt %s (staging %s, warehouse %s)", label, paths.staging_uri, paths.warehouse_path)
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = 124, f"dbt timed out after {timeout}s\n{exc.stdout or ''}"
    if atomic and code == 0 and building.exists():
        shutil.move(str(building), str(paths.warehouse_path))
        shutil.rmtree(building.parent, ignore_errors=True)
    elif code != 0:
        logger.warning("dbt %s failed (exit %d); the previous warehouse is kept", label, code)
    return DbtResult(code, cmd, output, paths.warehouse_path)
