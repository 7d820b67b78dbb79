"""Configuration in one place: an optional ``xxgk.toml`` plus environment variables, with the same names the rest
of xxgk already reads.

Every setting has one environment variable (the name the module that uses it reads: ``XXGK_LAKE`` for
:func:`xxgk.storage.open_lake`, ``XXGK_S3_*`` for :class:`xxgk.storage.S3Settings`, ``XXGK_ALERT_*`` for
:mod:`xxgk.alerts.config`, ``PREFECT_API_URL`` for Prefect, …) and one place in the file (``[section] key``).
Precedence: a command-line flag, then the environment, then the file, then the default. :func:`apply_to_environ`
copies the file's values into the environment for names that are not already set, so modules that read the
environment see the file too.

The file is ``$XXGK_CONFIG`` when set, else ``./xxgk.toml`` when it exists; ``infra/xxgk.example.toml`` documents
every key. Secrets (passwords, signing secrets, webhook URLs that carry tokens) are masked by :func:`describe`.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CONFIG_ENV = "XXGK_CONFIG"
CONFIG_FILE = "xxgk.toml"


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    env: str
    default: str | None
    help: str
    secret: bool = False  # masked entirely
    url_secret: bool = False  # URL whose path or query carries a token: only scheme and host are shown


def _alert(key: str, help_: str, *, secret: bool = False, url_secret: bool = False) -> Setting:
    return Setting("alerts", key, f"XXGK_ALERT_{key.upper()}", None, help_, secret=secret, url_secret=url_secret)


SETTINGS: tuple[Setting, ...] = (
    Setting("lake", "location", "XXGK_LAKE", "./lake", "the lake: a folder or s3://bucket/prefix"),
    Setting("lake", "work_dir", "XXGK_WORK_DIR", None,
            "where dbt's warehouse and artifacts go for an S3 lake (default ~/.cache/xxgk/<bucket>_<prefix>/)"),
    Setting("run", "sources", "XXGK_SOURCES", None,
            "what `xxgk run` ingests when no --source is given (space-separated; default: the bundled samples)"),
    Setting("run", "batch_size", "XXGK_BATCH_SIZE", "1000",
            "reports per parse task (one Prefect task run each; staging files and validation per batch)"),
    Setting("run", "parse_timeout", "XXGK_PARSE_TIMEOUT", "120", "seconds one report may take to parse (0: none)"),
    Setting("run", "dbt_project_dir", "XXGK_DBT_PROJECT_DIR", None, "the dbt project (default: the repository's)"),
    Setting("s3", "endpoint_url", "XXGK_S3_ENDPOINT_URL", None, "S3-compatible endpoint (MinIO); empty: AWS S3"),
    Setting("s3", "region", "AWS_REGION", None, "S3 region"),
    Setting("s3", "addressing_style", "XXGK_S3_ADDRESSING_STYLE", None, "path / virtual / auto"),
    Setting("s3", "connect_timeout", "XXGK_S3_CONNECT_TIMEOUT", "10", "seconds"),
    Setting("s3", "read_timeout", "XXGK_S3_READ_TIMEOUT", "60", "seconds"),
    Setting("s3", "max_attempts", "XXGK_S3_MAX_ATTEMPTS", "5", "tries per S3 operation"),
    Setting("s3", "access_key_id", "AWS_ACCESS_KEY_ID", None,
            "credentials go through the standard AWS chain; set them here only for a throwaway MinIO", secret=True),
    Setting("s3", "secret_access_key", "AWS_SECRET_ACCESS_KEY", None, "see access_key_id", secret=True),
    Setting("prefect", "api_url", "PREFECT_API_URL", None,
            "Prefect server API (http://host:4200/api); empty: Prefect's ephemeral mode, nothing to start"),
    Setting("prefect", "api_key", "PREFECT_API_KEY", None, "Prefect Cloud API key", secret=True),
    Setting("runner", "kind", "XXGK_TASK_RUNNER", "threads",
            "task runner for parsing: threads (one machine) or dask"),
    Setting("runner", "workers", "XXGK_WORKERS", None, "threads, or LocalCluster workers (default: CPU count)"),
    Setting("runner", "dask_address", "XXGK_DASK_ADDRESS", None,
            "scheduler of a running Dask cluster (tcp://host:8786); empty with kind=dask: a LocalCluster"),
    _alert("webhook_url", "generic JSON webhook", url_secret=True),
    _alert("slack_url", "Slack incoming webhook", url_secret=True),
    _alert("dingtalk_url", "钉钉 robot webhook", url_secret=True),
    _alert("dingtalk_secret", "钉钉 signing secret (加签)", secret=True),
    _alert("wecom_url", "企业微信 group robot webhook", url_secret=True),
    _alert("smtp_host", "SMTP server for e-mail alerts"),
    _alert("smtp_port", "SMTP port (587, or 465 with smtp_ssl)"),
    _alert("smtp_user", "SMTP user"),
    _alert("smtp_password", "SMTP password", secret=True),
    _alert("smtp_from", "sender address"),
    _alert("smtp_to", "recipients, comma-separated"),
    _alert("smtp_starttls", "1/0 (default 1 when a user is set)"),
    _alert("smtp_ssl", "1/0: implicit TLS"),
    _alert("retries", "attempts per channel"),
    _alert("timeout", "seconds per attempt"),
    _alert("backoff", "seconds before the first retry (doubles each time)"),
)
BY_ENV = {s.env: s for s in SETTINGS}


class ConfigError(ValueError):
    """The configuration file cannot be read or names unknown settings."""


@dataclass(frozen=True)
class Value:
    setting: Setting
    value: str | None
    origin: str  # "env", "file", "default", "flag"


@dataclass(frozen=True)
class Settings:
    values: dict[str, Value] = field(default_factory=dict)  # by environment variable name
    config_file: Path | None = None

    def get(self, env: str) -> str | None:
        v = self.values.get(env)
        return v.value if v else None

    @property
    def lake(self) -> str:
        return self.get("XXGK_LAKE") or "./lake"

    @property
    def work_dir(self) -> str | None:
        return self.get("XXGK_WORK_DIR")

    @property
    def sources(self) -> list[str]:
        return (self.get("XXGK_SOURCES") or "").split()

    @property
    def batch_size(self) -> int:
        return int(self.get("XXGK_BATCH_SIZE") or 1000)

    @property
    def task_runner(self) -> str:
        return (self.get("XXGK_TASK_RUNNER") or "threads").lower()

    @property
    def workers(self) -> int | None:
        raw = self.get("XXGK_WORKERS")
        return int(raw) if raw else None

    @property
    def dask_address(self) -> str | None:
        return self.get("XXGK_DASK_ADDRESS")

    @property
    def prefect_api_url(self) -> str | None:
        return self.get("PREFECT_API_URL")


def config_path(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """``$XXGK_CONFIG`` (must exist), else ``./xxgk.toml`` if present, else None."""
    env = os.environ if env is None else env
    given = env.get(CONFIG_ENV, "").strip()
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={given} does not name a file")
        return path
    local = (cwd or Path.cwd()) / CONFIG_FILE
    return local if local.is_file() else None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def read_file(path: Path) -> dict[str, str]:
    """The file's values by environment variable name; unknown sections or keys are an error (typos)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    known = {(s.section, s.key): s for s in SETTINGS}
    out: dict[str, str] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {section!r} must be a [section]")
        for key, value in table.items():
            setting = known.get((section, key))
            if setting is None:
                raise ConfigError(f"{path}: unknown setting [{section}] {key}")
            out[setting.env] = _as_text(value)
    return out


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None,
                  flags: Mapping[str, str | None] | None = None) -> Settings:
    """Effective settings: ``flags`` (by env name, None = not given) > environment > file > default."""
    env = os.environ if env is None else env
    path = path if path is not None else config_path(env)
    from_file = read_file(path) if path else {}
    values: dict[str, Value] = {}
    for s in SETTINGS:
        flag = (flags or {}).get(s.env)
        if flag not in (None, ""):
            values[s.env] = Value(s, str(flag), "flag")
        elif env.get(s.env, "").strip():
            values[s.env] = Value(s, env[s.env].strip(), "env")
        elif s.env == "AWS_REGION" and env.get("AWS_DEFAULT_REGION", "").strip():
            values[s.env] = Value(s, env["AWS_DEFAULT_REGION"].strip(), "env")
        elif from_file.get(s.env, "") != "":
            values[s.env] = Value(s, from_file[s.env], "file")
        else:
            values[s.env] = Value(s, s.default, "default")
    return Settings(values=values, config_file=path)


def apply_to_environ(settings: Settings, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Export values from the file and from flags, so modules that read the environment see them; returns the
    names set. Defaults are not exported (each module keeps its own)."""
    environ = os.environ if environ is None else environ
    exported = []
    for name, v in settings.values.items():
        if v.origin in ("file", "flag") and v.value is not None and environ.get(name) != v.value:
            environ[name] = v.value
            exported.append(name)
    return exported


def mask(setting: Setting, value: str | None) -> str | None:
    if value is None or value == "":
        return value
    if setting.secret:
        return "****"
    if setting.url_secret:
        from xxgk.alerts.config import redact_url

        return redact_url(value)
    if "://" in value and "@" in value.split("://", 1)[1].split("/", 1)[0]:  # user:password@host
        scheme, rest = value.split("://", 1)
        return f"{scheme}://****@{rest.split('@', 1)[1]}"
    return value


def describe(settings: Settings) -> list[dict[str, str | None]]:
    """One row per setting, secrets masked: section, key, env, value, origin, help."""
    return [{"section": v.setting.section, "key": v.setting.key, "env": name, "value": mask(v.setting, v.value),
             "origin": v.origin, "help": v.setting.help} for name, v in settings.values.items()]


__all__ = ["BY_ENV", "CONFIG_ENV", "CONFIG_FILE", "SETTINGS", "ConfigError", "Settings", "apply_to_environ",
           "config_path", "describe", "load_settings", "mask", "read_file"]
