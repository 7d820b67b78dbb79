"""Configuration in one place (xxgk.settings), ``xxgk config``, and the production templates that name settings:
``infra/xxgk.example.toml``, ``infra/env.example``, ``infra/docker-compose.yml`` and ``prefect.yaml``."""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from xxgk.alerts.config import ENV_PREFIX, load_alert_config
from xxgk.cli import main
from xxgk.settings import (
    SETTINGS,
    ConfigError,
    apply_to_environ,
    config_path,
    describe,
    load_settings,
    read_file,
)
from xxgk.storage.config import S3Settings

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_precedence_is_flag_then_env_then_file_then_default(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "xxgk.toml", '[lake]\nlocation = "s3://from-file/lake"\n[run]\nbatch_size = 50\n'
                                         '[runner]\nkind = "dask"\n')
    env = {"XXGK_BATCH_SIZE": "70"}
    s = load_settings(env=env, path=cfg)
    assert (s.lake, s.batch_size, s.task_runner, s.values["XXGK_LAKE"].origin) == ("s3://from-file/lake", 70, "dask",
                                                                                    "file")
    assert s.values["XXGK_BATCH_SIZE"].origin == "env"
    assert s.values["XXGK_PARSE_TIMEOUT"].origin == "default"
    s = load_settings(env=env, path=cfg, flags={"XXGK_LAKE": "/tmp/lake", "XXGK_BATCH_SIZE": None})
    assert s.lake == "/tmp/lake" and s.batch_size == 70


def test_the_file_is_found_in_cwd_or_named_by_xxgk_config(tmp_path: Path) -> None:
    assert config_path({}, cwd=tmp_path) is None
    local = _write(tmp_path / "xxgk.toml", "")
    assert config_path({}, cwd=tmp_path) == local
    other = _write(tmp_path / "other.toml", "")
    assert config_path({"XXGK_CONFIG": str(other)}, cwd=tmp_path) == other
    with pytest.raises(ConfigError, match="does not name a file"):
        config_path({"XXGK_CONFIG": str(tmp_path / "missing.toml")})


def test_unknown_keys_and_broken_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting \[lake\] locaton"):
        read_file(_write(tmp_path / "a.toml", '[lake]\nlocaton = "x"\n'))
    with pytest.raises(ConfigError, match="cannot read"):
        read_file(_write(tmp_path / "b.toml", "[lake\n"))


def test_file_values_reach_modules_that_read_the_environment(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "x.toml", '[s3]\nendpoint_url = "http://minio:9000"\nmax_attempts = 3\n'
                                      '[alerts]\nwebhook_url = "https://hooks.example/abc?token=s3cret"\n')
    environ = {"XXGK_S3_MAX_ATTEMPTS": "9"}
    exported = apply_to_environ(load_settings(env=environ, path=cfg), environ)
    assert sorted(exported) == ["XXGK_ALERT_WEBHOOK_URL", "XXGK_S3_ENDPOINT_URL"]
    s3 = S3Settings.from_env(environ)
    assert (s3.endpoint_url, s3.max_attempts) == ("http://minio:9000", 9)  # the environment wins
    assert load_alert_config(environ).channels == ("webhook",)


def test_settings_use_the_names_other_modules_read() -> None:
    names = {s.env for s in SETTINGS}
    assert {"XXGK_LAKE", "XXGK_S3_ENDPOINT_URL", "XXGK_PARSE_TIMEOUT", "XXGK_WORK_DIR", "PREFECT_API_URL"} <= names
    alerts_source = inspect.getsource(sys.modules["xxgk.alerts.config"])
    alert_names = {ENV_PREFIX + m for m in re.findall(r'get\("([A-Z_]+)"\)', alerts_source)}
    alert_names |= {ENV_PREFIX + m for m in re.findall(r'\{ENV_PREFIX\}([A-Z_]+)', alerts_source)}
    assert alert_names and alert_names <= names


def test_describe_masks_secrets() -> None:
    env = {"XXGK_ALERT_SMTP_PASSWORD": "hunter2", "XXGK_ALERT_DINGTALK_URL":
           "https://oapi.dingtalk.com/robot/send?access_token=tok123", "AWS_SECRET_ACCESS_KEY": "abc",
           "PREFECT_API_URL": "http://user:pw@prefect:4200/api"}
    rows = {r["env"]: r["value"] for r in describe(load_settings(env=env, path=None))}
    text = json.dumps(rows)
    assert "hunter2" not in text and "tok123" not in text and "abc" not in rows.values() and "pw@" not in text
    assert rows["XXGK_ALERT_SMTP_PASSWORD"] == "****"
    assert rows["XXGK_ALERT_DINGTALK_URL"].startswith("https://oapi.dingtalk.com/")
    assert rows["PREFECT_API_URL"] == "http://****@prefect:4200/api"


def test_config_command_shows_effective_values_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(tmp_path / "xxgk.toml", '[lake]\nlocation = "s3://b/p"\n[alerts]\nsmtp_password = "pw-123"\n')
    monkeypatch.setenv("XXGK_CONFIG", str(cfg))
    monkeypatch.setenv("XXGK_TASK_RUNNER", "dask")
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    rows = {r["env"]: r for r in json.loads(out)["settings"]}
    assert rows["XXGK_LAKE"]["value"] == "s3://b/p" and rows["XXGK_LAKE"]["origin"] == "file"
    assert rows["XXGK_TASK_RUNNER"]["origin"] == "env" and "pw-123" not in out
    monkeypatch.setenv("XXGK_CONFIG", str(tmp_path / "nope.toml"))
    assert main(["config"]) == 1
    assert "does not name a file" in capsys.readouterr().err


# --- production templates ------------------------------------------------------------------------------------

def test_example_toml_names_every_setting_and_loads() -> None:
    text = (INFRA / "xxgk.example.toml").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert re.search(rf"^#? ?{s.key} = ", text, re.M), f"[{s.section}] {s.key} missing"
        assert s.env in text
    read_file(INFRA / "xxgk.example.toml")  # every uncommented key is known


def _compose() -> dict:
    return yaml.safe_load((INFRA / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_the_production_services_with_their_ports() -> None:
    services = _compose()["services"]
    assert {"minio", "postgres", "prefect-server", "worker", "dask-scheduler", "dask-worker"} <= set(services)
    ports = {name: {str(p).split(":")[0] for p in svc.get("ports", [])} for name, svc in services.items()}
    assert {"9000"} <= ports["minio"] and ports["prefect-server"] == {"4200"} and "8786" in ports["dask-scheduler"]
    server_env = services["prefect-server"]["environment"]
    assert server_env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in server_env["PREFECT_API_DATABASE_CONNECTION_URL"]
    worker_env = services["worker"]["environment"]
    assert worker_env["XXGK_DASK_ADDRESS"].endswith("dask-scheduler:8786")
    assert worker_env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert worker_env["XXGK_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert "xxgk-process" in services["worker"]["command"]


def test_compose_variables_are_documented_and_xxgk_names_are_settings() -> None:
    compose_text = (INFRA / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", compose_text))
    env_example = (INFRA / "env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z0-9_]+)=", env_example, re.M))
    assert used <= documented, f"undocumented: {sorted(used - documented)}"
    readme = (INFRA / "README.md").read_text(encoding="utf-8")
    known = {s.env for s in SETTINGS}
    for name in documented | used:
        assert name in readme, f"{name} not explained in infra/README.md"
    for svc in _compose()["services"].values():
        for name in svc.get("environment") or {}:
            if name.startswith("XXGK_") and name != "XXGK_REPO":
                assert name in known, f"{name} is not a setting of xxgk.settings"


def test_prefect_yaml_deploys_the_annual_flows_on_schedules_after_the_deadlines() -> None:
    sys.path.insert(0, str(ROOT))
    from flows import annual_run as module

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {"annual-february", "annual-april", "backfill"}
    months = set()
    for d in deployments.values():
        path, _, func = d["entrypoint"].partition(":")
        assert (ROOT / path).is_file()
        flow = getattr(module, func)
        params = set(inspect.signature(flow.fn).parameters)
        assert set(d["parameters"]) <= params, d["name"]
        for sched in d.get("schedules") or []:
            assert sched["timezone"] == "Asia/Shanghai"
            minute, hour, day, month, weekday = sched["cron"].split()
            assert int(day) <= 10 and weekday == "*"
            months.add(int(month))
    assert months == {2, 4}  # after 1月31日 and 3月31日
    assert deployments["backfill"]["entrypoint"].endswith(":backfill")
    assert {"start_year", "end_year"} <= set(deployments["backfill"]["parameters"])
