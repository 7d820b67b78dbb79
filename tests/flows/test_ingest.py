"""The ``ingest`` flow as a real Prefect flow run (session harness in conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from xxgk.ingest import FetchOptions, IngestOptions, read_manifest
from xxgk.storage import RetryPolicy, open_lake

sys.path.insert(0, str(Path(__file__).parents[1] / "storage"))
sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))

from http_fixtures import FixtureServer, Route  # noqa: E402
from s3_faults import Fault, FaultProxy  # noqa: E402

from flows.ingest import ingest_reports  # noqa: E402

OPTIONS = IngestOptions(fetch=FetchOptions(connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0, attempts=2,
                                           backoff=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02),
                                           per_host_interval=0.0, concurrency=4, trust_env=False))


@pytest.fixture
def site() -> FixtureServer:
    server = FixtureServer()
    server.routes["/2024/report.html"] = Route(
        "<html><meta charset='utf-8'>某某局2024年政府信息公开工作年度报告<a href='/a.pdf'>附件</a></html>".encode())
    server.routes["/a.pdf"] = Route(b"%PDF-1.4 attachment")
    yield server
    server.close()


@pytest.mark.slow
def test_ingest_flow_run_in_batches_then_again_unchanged(tmp_path: Path, site: FixtureServer) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "one.txt").write_text("乌恰镇人民政府2024年政府信息公开工作年度报告", encoding="utf-8")
    (files / "two.txt").write_bytes("另一份报告".encode("gbk"))
    urls = tmp_path / "urls.csv"
    urls.write_text(f"url,agency,year\n{site.url('/2024/report.html')},某某局,2024\n{site.url('/gone')},,\n"
                    "ftp://example.gov.cn/x.pdf,,\n", encoding="utf-8")
    lake = str(tmp_path / "lake")

    first = ingest_reports([str(files), str(urls)], lake=lake, batch_size=2, options=OPTIONS)
    assert (first["new"], first["unchanged"], first["changed"], first["failed"]) == (4, 0, 0, 2)
    assert first["objects_stored"] == 4
    reasons = dict(first["failures"])
    assert reasons[site.url("/gone")].startswith("HTTP 404")
    assert "unsupported URL scheme 'ftp'" in reasons["ftp://example.gov.cn/x.pdf"]
    manifest = read_manifest(open_lake(lake))
    pdf = manifest[manifest["source"] == site.url("/a.pdf")].iloc[0]
    assert pdf["parent_url"] == site.url("/2024/report.html") and pdf["media_type"] == "pdf"

    second = ingest_reports([str(files), str(urls)], lake=lake, options=OPTIONS)
    assert (second["new"], second["unchanged"], second["objects_stored"]) == (0, 4, 0)
    assert len(read_manifest(open_lake(lake))) == 12


@pytest.mark.slow
def test_bucket_task_is_retried_by_prefect(tmp_path: Path, s3_bucket: str, s3_env: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = FaultProxy(s3_env)
    try:
        monkeypatch.setenv("XXGK_S3_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("XXGK_S3_MAX_ATTEMPTS", "1")  # the store gives up at once: the task retry must save it
        proxy.add(Fault("status", method="PUT", path_contains="/raw/_manifest/", code=503, s3_code="SlowDown"))
        (tmp_path / "r.txt").write_text("报告", encoding="utf-8")
        summary = ingest_reports([str(tmp_path / "r.txt")], lake=f"s3://{s3_bucket}/lake", options=OPTIONS)
        assert summary["new"] == 1 and summary["manifest_key"]
        assert proxy.count("PUT", "/raw/_manifest/") == 2
        assert len(read_manifest(open_lake(f"s3://{s3_bucket}/lake"))) == 1
    finally:
        proxy.close()
