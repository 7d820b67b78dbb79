"""``xxgk ingest`` end to end through the command line (library path, no Prefect)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from http_fixtures import FixtureServer

from xxgk.cli import main
from xxgk.ingest import read_manifest
from xxgk.storage import open_lake


def test_cli_ingests_reports_and_lists_failures(tmp_path: Path, site: FixtureServer, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # the CLI honours proxies; the loopback site must not go through one
    (tmp_path / "r.txt").write_text("报告", encoding="utf-8")
    lake = tmp_path / "lake"
    args = ["ingest", str(tmp_path / "r.txt"), site.url("/utf8.html"), site.url("/missing"), "file:///etc/passwd",
            "--lake", str(lake), "--attempts", "1", "--timeout", "2", "--interval", "0"]
    assert main(args) == 2  # finished, some entries failed
    out = capsys.readouterr().out
    assert "2 new, 0 unchanged, 0 changed, 2 failed; 2 objects stored" in out
    assert f"failed: {site.url('/missing')}: HTTP 404" in out and "unsupported URL scheme 'file'" in out
    assert main(args[:3] + args[5:] + ["--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["unchanged"], summary["objects_stored"], summary["failed"]) == (2, 0, 0)
    assert len(read_manifest(open_lake(str(lake)))) == 6


def test_cli_reports_an_unusable_lake_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.txt").write_text("报告", encoding="utf-8")
    (tmp_path / "lake").write_text("not a folder")
    assert main(["ingest", str(tmp_path / "r.txt"), "--lake", str(tmp_path / "lake")]) == 1
    err = capsys.readouterr().err
    assert "cannot be written" in err and "Traceback" not in err
    assert main(["ingest", str(tmp_path / "r.txt"), "--lake", "gs://bucket/x"]) == 1
    assert "unsupported lake location" in capsys.readouterr().err
