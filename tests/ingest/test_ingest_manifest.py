"""The manifest: one Parquet file per run, read back whole, and the current objects to parse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xxgk.ingest.manifest import (
    CURRENT_OBJECT_COLUMNS,
    MANIFEST_COLUMNS,
    ManifestRow,
    current_objects,
    read_manifest,
    write_manifest,
)
from xxgk.ingest.run import PreviousVersion, classify, previous_versions
from xxgk.storage import LocalStore

T0 = datetime(2025, 2, 1, tzinfo=UTC)
A, B, C = "a" * 64, "b" * 64, "c" * 64


def row(run: str, source: str, status: str, sha: str | None, minutes: int, **kw: object) -> ManifestRow:
    return ManifestRow(run_id=run, source_kind="url", source=source, fetched_at=T0 + timedelta(minutes=minutes),
                       status=status, sha256=sha, size=None if sha is None else 10, media_type="html", **kw)


def test_empty_lake_has_an_empty_typed_manifest(local_lake: LocalStore) -> None:
    df = read_manifest(local_lake)
    assert list(df.columns) == list(MANIFEST_COLUMNS) and df.empty
    assert list(current_objects(local_lake).columns) == list(CURRENT_OBJECT_COLUMNS)
    assert previous_versions(local_lake) == {}


def test_history_current_versions_and_objects(local_lake: LocalStore) -> None:
    write_manifest(local_lake, "r1", [row("r1", "http://x/1", "new", A, 0, etag='"e1"', year_hint=2023),
                                      row("r1", "http://x/2", "new", B, 1)])
    write_manifest(local_lake, "r2", [row("r2", "http://x/1", "changed", C, 10, previous_sha256=A),
                                      row("r2", "http://x/2", "failed", None, 11, error="HTTP 500 after 3 attempts"),
                                      row("r2", "http://x/3", "new", B, 12)])
    assert [k for k in local_lake.list_keys("raw/_manifest/")] == ["raw/_manifest/r1.parquet",
                                                                   "raw/_manifest/r2.parquet"]
    df = read_manifest(local_lake)
    assert len(df) == 5 and list(df["run_id"]) == ["r1", "r1", "r2", "r2", "r2"]
    assert df.loc[0, "year_hint"] == 2023 and str(df["fetched_at"].dt.tz) == "UTC"

    prev = previous_versions(local_lake)
    assert prev["http://x/1"].sha256 == C and prev["http://x/2"].sha256 == B  # a failure is not a version
    current = current_objects(local_lake)
    assert sorted(current["sha256"]) == [B, C]  # A was replaced; B counted once though two sources have it
    assert current.set_index("sha256").loc[B, "source"] == "http://x/3"


def test_classify() -> None:
    assert classify(None, A) == ("new", None)
    assert classify(PreviousVersion(sha256=A), A) == ("unchanged", None)
    assert classify(PreviousVersion(sha256=A), B) == ("changed", A)
