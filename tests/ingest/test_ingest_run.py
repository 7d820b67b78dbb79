"""Whole ingest runs against a loopback site, local files and moto S3: what is stored, what the manifest says."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import boto3
import pytest
from ingest_fixtures import DOC, GBK_MISSING_PAGE, GBK_WRONG_PAGE, PDF, UTF8_PAGE, XLSX
from http_fixtures import FixtureServer, Route

from xxgk.ingest import IngestOptions, current_objects, ingest, read_manifest
from xxgk.ingest.manifest import MANIFEST_COLUMNS
from xxgk.storage import LocalStore, open_lake, raw_key


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_objects(store: LocalStore) -> set[str]:
    return {k for k in store.list_keys("raw/") if not k.startswith("raw/_manifest/")}


def url_list(tmp_path: Path, site: FixtureServer, skip: tuple[str, ...] = ()) -> Path:
    u = site.url
    lines = [
        "url,agency,year",
        f"{u('/utf8.html')},某某区人民政府,2023",
        f"{u('/gbk-wrong.html')},某某区人民政府,2023",
        f"{u('/gbk-missing.html')},,",
        f"{u('/2023/report.html')},某某县人民政府,2023",
        f"{u('/missing.html')},,",
        f"{u('/flaky.html')},,",
        f"{u('/always500.html')},,",
        f"{u('/loop-a')},,",
        f"{u('/moved')},,",
        f"{u('/to-ftp')},,",
        f"{u('/big.pdf')},,",
        f"{u('/big-no-length.html')},,",
        f"{u('/slow.html')},,",
        "ftp://127.0.0.1/report.pdf,,",
        "file:///etc/passwd,,",
        f"{u('/utf8.html?x=1')},too,many,fields",
        f"{u('/utf8.html?y=1')},某局,twenty",
    ]
    path = tmp_path / "urls.csv"
    path.write_text("\n".join(line for line in lines if not any(s in line for s in skip)) + "\n", encoding="utf-8")
    return path


def by_source(rows: tuple) -> dict[str, object]:  # type: ignore[type-arg]
    return {r.source: r for r in rows}


def test_every_url_fixture_ends_stored_or_failed_with_a_reason(
    tmp_path: Path, site: FixtureServer, local_lake: LocalStore, fast_options: IngestOptions
) -> None:
    csv_path = url_list(tmp_path, site)
    result = ingest([str(csv_path)], local_lake, options=fast_options)
    rows = by_source(result.rows)
    u = site.url

    def ok(path: str, body: bytes, media: str, encoding: str | None) -> object:
        row = rows[u(path)]
        assert row.status == "new", (path, row.error)
        assert (row.sha256, row.size, row.media_type, row.encoding) == (sha(body), len(body), media, encoding)
        assert local_lake.get_bytes(raw_key(row.sha256)) == body
        assert row.http_status == 200
        return row

    utf8 = ok("/utf8.html", UTF8_PAGE, "html", "utf-8")
    assert (utf8.agency_hint, utf8.year_hint, utf8.origin) == ("某某区人民政府", 2023, f"{csv_path}:2")
    assert utf8.etag and utf8.etag.startswith('"')
    wrong = ok("/gbk-wrong.html", GBK_WRONG_PAGE, "html", "gb18030")
    assert wrong.declared_charset == "utf-8"  # what it claimed, kept beside what it is
    missing_cs = ok("/gbk-missing.html", GBK_MISSING_PAGE, "html", "gb18030")
    assert missing_cs.declared_charset is None
    page = rows[u("/2023/report.html")]
    assert page.status == "new" and page.media_type == "html"

    # attachments: stored with their own media type, linked to the page, hints inherited
    for path, body, media in [("/files/report.pdf", PDF, "pdf"), ("/2023/files/table.xlsx", XLSX, "xlsx"),
                              ("/files/old.doc", DOC, "doc")]:
        row = ok(path, body, media, None)
        assert (row.parent_url, row.parent_sha256) == (u("/2023/report.html"), page.sha256)
        assert (row.agency_hint, row.year_hint) == ("某某县人民政府", 2023)
    gone = rows[u("/files/gone.pdf")]
    assert (gone.status, gone.http_status, gone.parent_sha256) == ("failed", 404, page.sha256)
    assert u("/utf8.html#") not in rows and sum(1 for r in result.rows if r.source == u("/utf8.html")) == 1

    flaky = ok("/flaky.html", site.routes["/flaky.html"].body, "html", "utf-8")
    assert flaky is not None and site.hits("/flaky.html") == 2
    moved = rows[u("/moved")]
    assert moved.status == "new" and moved.final_url == u("/gbk-missing.html") and moved.sha256 == sha(GBK_MISSING_PAGE)

    reasons = {path: rows[u(path)].error for path in ["/missing.html", "/always500.html", "/loop-a", "/to-ftp",
                                                         "/big.pdf", "/big-no-length.html", "/slow.html"]}
    for path in reasons:
        assert rows[u(path)].status == "failed" and rows[u(path)].sha256 is None
    assert reasons["/missing.html"].startswith("HTTP 404") and site.hits("/missing.html") == 1  # 4xx: no retry
    assert reasons["/always500.html"] == "HTTP 500 after 2 attempts" and site.hits("/always500.html") == 2
    assert "redirect loop" in reasons["/loop-a"]
    assert "unsupported URL scheme 'ftp'" in reasons["/to-ftp"]
    assert "too large" in reasons["/big.pdf"] and "Content-Length" in reasons["/big.pdf"]
    assert "too large" in reasons["/big-no-length.html"]
    assert "timed out" in reasons["/slow.html"] and site.hits("/slow.html") == 2  # timeouts are retried

    assert "unsupported URL scheme 'ftp'" in rows["ftp://127.0.0.1/report.pdf"].error
    assert "unsupported URL scheme 'file'" in rows["file:///etc/passwd"].error
    assert "4 fields, header has 3" in rows[f"{csv_path}:17"].error
    assert "not a year" in rows[u("/utf8.html?y=1")].error

    counts = result.summary.counts
    assert counts["failed"] == 12 and counts["new"] == 9 and counts["changed"] == counts["unchanged"] == 0
    assert result.summary.objects_stored == 8  # /moved has the same bytes as /gbk-missing.html
    assert len(raw_objects(local_lake)) == 8

    manifest = read_manifest(local_lake)
    assert list(manifest.columns) == list(MANIFEST_COLUMNS) and len(manifest) == len(result.rows)
    assert (manifest["run_id"] == result.summary.run_id).all()


def test_second_run_stores_nothing_and_a_changed_page_is_a_linked_version(
    tmp_path: Path, site: FixtureServer, local_lake: LocalStore, fast_options: IngestOptions
) -> None:
    csv_path = url_list(tmp_path, site, skip=("/slow.html", "/always500.html"))
    first = ingest([str(csv_path)], local_lake, options=fast_options)
    objects = raw_objects(local_lake)

    second = ingest([str(csv_path)], local_lake, options=fast_options)
    assert raw_objects(local_lake) == objects
    assert second.summary.objects_stored == 0
    assert second.summary.counts["new"] == second.summary.counts["changed"] == 0
    assert second.summary.counts["unchanged"] == first.summary.counts["new"]
    conditional = [h for p, h, _ in site.requests if p == "/utf8.html"]
    assert conditional[-1].get("If-None-Match")  # the ETag page answered 304
    assert by_source(second.rows)[site.url("/utf8.html")].http_status == 304

    old = by_source(first.rows)[site.url("/gbk-wrong.html")].sha256
    edited = GBK_WRONG_PAGE.replace("主动公开".encode("gbk"), "主动公开（更正）".encode("gbk"))
    site.routes["/gbk-wrong.html"] = Route(edited, headers={"Content-Type": "text/html"})
    third = ingest([str(csv_path)], local_lake, options=fast_options)
    changed = [r for r in third.rows if r.status == "changed"]
    assert len(changed) == 1
    assert (changed[0].source, changed[0].previous_sha256, changed[0].sha256) == (
        site.url("/gbk-wrong.html"), old, sha(edited))
    assert raw_objects(local_lake) == objects | {raw_key(sha(edited))}
    assert local_lake.get_bytes(raw_key(old)) == GBK_WRONG_PAGE  # the old version stays

    current = current_objects(local_lake)
    assert sha(edited) in set(current["sha256"]) and old not in set(current["sha256"])
    assert len(read_manifest(local_lake)) == len(first.rows) + len(second.rows) + len(third.rows)


def test_local_files_folders_globs_and_bad_entries(tmp_path: Path, local_lake: LocalStore,
                                                   fast_options: IngestOptions) -> None:
    src = tmp_path / "reports"
    (src / "sub").mkdir(parents=True)
    (src / "甲县人民政府2024年政府信息公开工作年度报告.txt").write_bytes("报告".encode("gbk"))
    (src / "sub" / "copy.txt").write_bytes("报告".encode("gbk"))  # same bytes, another source
    (src / "sub" / "b.pdf").write_bytes(PDF)
    (src / ".hidden").write_bytes(b"skip me")
    os.symlink(tmp_path / "nowhere.txt", src / "dangling.txt")
    result = ingest([str(src), str(tmp_path / "absent.txt"), str(tmp_path / "*.nomatch"), str(src / "sub" / "*.pdf")],
                    local_lake, options=fast_options)
    rows = by_source(result.rows)
    named = rows[str(src / "甲县人民政府2024年政府信息公开工作年度报告.txt")]
    assert (named.status, named.media_type, named.encoding, named.agency_hint, named.year_hint) == (
        "new", "text", "gb18030", "甲县人民政府", 2024)
    assert rows[str(src / "sub" / "copy.txt")].sha256 == named.sha256
    assert rows[str(src / "dangling.txt")].error == "cannot read file: No such file or directory"
    assert rows[str(tmp_path / "absent.txt")].error == "no such file or directory"
    assert rows[str(tmp_path / "*.nomatch")].error == "no files match this pattern"
    assert str(src / ".hidden") not in rows
    assert sum(1 for r in result.rows if r.source == str(src / "sub" / "b.pdf")) == 1  # folder and glob: once
    assert result.summary.counts == {"new": 3, "unchanged": 0, "changed": 0, "failed": 3}
    assert len(raw_objects(local_lake)) == 2


def test_s3_prefix_source_into_an_s3_lake(s3_bucket: str, s3_env: str, fast_options: IngestOptions) -> None:
    client = boto3.client("s3", endpoint_url=s3_env, region_name="us-east-1")
    client.put_object(Bucket=s3_bucket, Key="incoming/2024/a.pdf", Body=PDF, ContentType="application/pdf")
    client.put_object(Bucket=s3_bucket, Key="incoming/2024/b.html", Body=UTF8_PAGE)
    client.put_object(Bucket=s3_bucket, Key="elsewhere/c.txt", Body=b"not under the prefix")
    lake = open_lake(f"s3://{s3_bucket}/lake")
    sources = [f"s3://{s3_bucket}/incoming", f"s3://{s3_bucket}/empty-prefix", f"s3://{s3_bucket}/elsewhere/c.txt"]
    result = ingest(sources, lake, options=fast_options)
    rows = by_source(result.rows)
    pdf = rows[f"s3://{s3_bucket}/incoming/2024/a.pdf"]
    assert (pdf.source_kind, pdf.status, pdf.media_type, pdf.year_hint) == ("s3", "new", "pdf", 2024)
    assert pdf.etag and pdf.content_type == "application/pdf" and pdf.last_modified
    assert lake.get_bytes(raw_key(sha(PDF))) == PDF
    assert rows[f"s3://{s3_bucket}/empty-prefix"].error == "no objects under this S3 prefix"
    assert rows[f"s3://{s3_bucket}/elsewhere/c.txt"].media_type == "text"  # one object named by its key
    again = ingest([f"s3://{s3_bucket}/incoming"], lake, options=fast_options)
    assert again.summary.counts["unchanged"] == 2 and again.summary.objects_stored == 0
    manifest = read_manifest(lake)
    assert len(manifest) == 6 and manifest["run_id"].nunique() == 2
    assert set(current_objects(lake)["sha256"]) == {sha(PDF), sha(UTF8_PAGE), sha(b"not under the prefix")}


def test_per_host_concurrency_is_respected(site: FixtureServer, local_lake: LocalStore) -> None:
    from dataclasses import replace

    from ingest_fixtures import FAST_FETCH

    for i in range(6):
        site.routes[f"/p{i}.html"] = Route(f"<html>{i}</html>".encode(), hold=0.15)
    options = IngestOptions(fetch=replace(FAST_FETCH, per_host_concurrency=2, per_host_interval=0.05,
                                          concurrency=8, total_timeout=5.0))
    result = ingest([site.url(f"/p{i}.html") for i in range(6)], local_lake, options=options)
    assert result.summary.counts["new"] == 6
    assert site.max_in_flight <= 2


def test_lake_write_failure_stops_the_run_with_a_clear_error(tmp_path: Path, fast_options: IngestOptions) -> None:
    from xxgk.storage import StorageError

    blocker = tmp_path / "lake"
    blocker.write_text("a file where the lake folder should be")
    (tmp_path / "r.txt").write_text("报告")
    with pytest.raises(StorageError, match="cannot write"):
        ingest([str(tmp_path / "r.txt")], LocalStore(blocker), options=fast_options)


def test_an_interrupted_run_records_what_it_finished(tmp_path: Path, local_lake: LocalStore) -> None:
    from xxgk.storage.paths import MANIFEST_PREFIX

    for i in range(6):
        (tmp_path / f"r{i}.txt").write_text(f"报告 {i}", encoding="utf-8")
    seen: list[str] = []

    def stop_after_three(row: object) -> None:
        seen.append(row.source)  # type: ignore[attr-defined]
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest([str(tmp_path / "*.txt")], local_lake, options=IngestOptions(io_concurrency=1), run_id="r-stopped",
               on_row=stop_after_three)
    assert list(local_lake.list_keys(MANIFEST_PREFIX)) == [f"{MANIFEST_PREFIX}r-stopped.parquet"]
    manifest = read_manifest(local_lake)
    assert sorted(manifest["source"]) == sorted(seen) and (manifest["status"] == "new").all()
    assert all(local_lake.exists(raw_key(s)) for s in manifest["sha256"])
    rerun = ingest([str(tmp_path / "*.txt")], local_lake)
    assert (rerun.summary.counts["unchanged"], rerun.summary.counts["new"]) == (3, 3)


def _age(path: Path, seconds: float = 60) -> None:
    """Give ``path`` an mtime well before now (a file written just before its read is read again next time)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_an_unchanged_file_is_not_read_again_but_a_same_size_edit_with_a_new_mtime_is(
        tmp_path: Path, local_lake: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, text in (("a.txt", "甲报告 2023"), ("b.txt", "乙报告 2023")):
        (folder / name).write_text(text, encoding="utf-8")
        _age(folder / name)
    first = ingest([str(folder)], local_lake)
    assert first.summary.counts["new"] == 2 and all(r.mtime_ns for r in first.rows)

    import xxgk.ingest.run as run_module

    reads: list[str] = []
    real_read = run_module._Ingester._read_file
    monkeypatch.setattr(run_module._Ingester, "_read_file",
                        lambda self, path: reads.append(path) or real_read(self, path))
    second = ingest([str(folder)], local_lake)
    assert second.summary.counts["unchanged"] == 2 and reads == []
    assert {r.sha256 for r in second.rows} == {r.sha256 for r in first.rows}
    assert {r.mtime_ns for r in second.rows} == {r.mtime_ns for r in first.rows}

    (folder / "b.txt").write_text("丙报告 2023", encoding="utf-8")  # same size, new bytes, new mtime
    third = ingest([str(folder)], local_lake)
    assert reads == [str(folder / "b.txt")]
    b = next(r for r in third.rows if r.source.endswith("b.txt"))
    assert b.status == "changed" and b.sha256 == sha("丙报告 2023".encode())


def test_a_file_modified_just_before_it_was_read_is_read_again(tmp_path: Path, local_lake: LocalStore) -> None:
    path = tmp_path / "fresh.txt"
    path.write_text("刚写的报告", encoding="utf-8")  # mtime ≈ the read: a same-tick edit could keep it
    ingest([str(path)], local_lake)
    import xxgk.ingest.run as run_module

    prev = run_module.previous_versions(local_lake)[str(path)]
    assert prev.mtime_ns == path.stat().st_mtime_ns
    assert not prev.same_file(path.stat().st_size, path.stat().st_mtime_ns)
    again = ingest([str(path)], local_lake)
    assert again.summary.counts["unchanged"] == 1


def test_manifests_written_before_mtime_ns_are_read_with_it_null(local_lake: LocalStore) -> None:
    import io
    from datetime import UTC, datetime

    import pyarrow.parquet as pq

    from xxgk.ingest.manifest import MANIFEST_SCHEMA, ManifestRow, rows_to_table

    row = ManifestRow(run_id="old", source_kind="file", source="/x/a.txt", fetched_at=datetime.now(UTC),
                      status="new", sha256="a" * 64, size=3)
    table = rows_to_table([row]).drop_columns(["mtime_ns"])
    buf = io.BytesIO()
    pq.write_table(table, buf)
    local_lake.put_bytes("raw/_manifest/old.parquet", buf.getvalue())
    manifest = read_manifest(local_lake)
    assert list(manifest.columns) == list(MANIFEST_SCHEMA.names) and manifest["mtime_ns"].isna().all()
