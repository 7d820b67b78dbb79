"""A release is written completely before releases/CURRENT moves; an interrupted publication leaves the previous
release current and intact; releases are never overwritten; two runs cannot publish at once."""

from __future__ import annotations

import json

import pytest

from xxgk.publish import (
    CURRENT_KEY,
    PublishLock,
    PublishLocked,
    ReleaseError,
    is_complete,
    read_current,
    read_manifest,
    write_release,
)
from xxgk.publish.lock import LOCK_KEY
from xxgk.publish.release import list_releases, remove_incomplete
from xxgk.storage import LocalStore, open_lake


class Crash(Exception):
    pass


def _files(tag: str) -> dict[str, bytes]:
    return {"marts/agency_year.csv": f"a,b\n{tag},1\n".encode(), "marts/agency_year.parquet": tag.encode() * 10,
            "xxgk.duckdb": b"\0" * 100 + tag.encode(), "quality_report.html": f"<p>{tag}</p>".encode()}


def _crash_at(step: str):
    def hook(s: str) -> None:
        if s == step:
            raise Crash(step)
    return hook


def _snapshot(store, release_id: str) -> dict[str, bytes]:
    prefix = f"releases/{release_id}/"
    return {k: store.get_bytes(k) for k in store.list_keys(prefix)}


def test_first_release_becomes_current(local_lake: LocalStore) -> None:
    assert read_current(local_lake) is None
    manifest = write_release(local_lake, "r1", _files("one"))
    assert read_current(local_lake) == "r1"
    assert is_complete(local_lake, "r1")
    assert {f["key"] for f in manifest.files} == set(_files("one"))
    assert read_manifest(local_lake, "r1").previous_release is None


@pytest.mark.parametrize("step", [
    pytest.param("file:marts/agency_year.csv", id="before-first-file"),
    pytest.param("file:xxgk.duckdb", id="between-files"),
    pytest.param("file:quality_report.html", id="before-last-file"),
    pytest.param("manifest", id="before-manifest"),
    pytest.param("verify", id="after-manifest"),
    pytest.param("pointer", id="before-pointer-switch"),
])
def test_interrupted_publication_keeps_previous_release_current_and_intact(local_lake: LocalStore,
                                                                           step: str) -> None:
    write_release(local_lake, "r1", _files("one"))
    before = _snapshot(local_lake, "r1")
    with pytest.raises(Crash):
        write_release(local_lake, "r2", _files("two"), hook=_crash_at(step))
    assert read_current(local_lake) == "r1"
    assert _snapshot(local_lake, "r1") == before
    assert is_complete(local_lake, "r1")
    assert list_releases(local_lake) == (["r1", "r2"] if step in ("verify", "pointer") else ["r1"])
    # the re-run completes (same id after a crash before the manifest; leftovers are replaced)
    rerun_id = "r2" if step not in ("verify", "pointer") else "r3"
    write_release(local_lake, rerun_id, _files("two"))
    assert read_current(local_lake) == rerun_id
    assert read_manifest(local_lake, rerun_id).previous_release == "r1"
    assert local_lake.get_bytes(f"releases/{rerun_id}/marts/agency_year.csv") == _files("two")[
        "marts/agency_year.csv"]


def test_incomplete_release_leftovers_are_removed(local_lake: LocalStore) -> None:
    write_release(local_lake, "r1", _files("one"))
    with pytest.raises(Crash):
        write_release(local_lake, "r2", _files("two"), hook=_crash_at("manifest"))
    assert any(local_lake.list_keys("releases/r2/"))
    assert remove_incomplete(local_lake) == ["r2"]
    assert not any(local_lake.list_keys("releases/r2/"))
    assert is_complete(local_lake, "r1") and read_current(local_lake) == "r1"


def test_a_complete_release_is_never_overwritten(local_lake: LocalStore) -> None:
    write_release(local_lake, "r1", _files("one"))
    with pytest.raises(ReleaseError, match="never overwritten"):
        write_release(local_lake, "r1", _files("two"))
    assert local_lake.get_bytes("releases/r1/quality_report.html") == b"<p>one</p>"


def test_second_run_cannot_take_the_lock(local_lake: LocalStore) -> None:
    with PublishLock(local_lake, owner="run-a"):
        with pytest.raises(PublishLocked, match="run-a") as info:
            PublishLock(local_lake, owner="run-b").acquire()
        assert "--break-lock" in str(info.value)
    assert not local_lake.exists(LOCK_KEY)
    with PublishLock(local_lake, owner="run-b"):
        assert json.loads(local_lake.get_bytes(LOCK_KEY))["owner"] == "run-b"


def test_lock_of_a_dead_process_on_this_host_is_taken_over(local_lake: LocalStore) -> None:
    import socket

    local_lake.put_bytes(LOCK_KEY, json.dumps({"owner": "crashed", "host": socket.gethostname(), "pid": 2 ** 22 + 7,
                                               "acquired_epoch": 9e12}).encode())
    with PublishLock(local_lake, owner="run-new"):
        assert json.loads(local_lake.get_bytes(LOCK_KEY))["owner"] == "run-new"


def test_break_lock_takes_over_a_live_lock(local_lake: LocalStore) -> None:
    with PublishLock(local_lake, owner="run-a"):
        with PublishLock(local_lake, owner="run-b", break_lock=True):
            assert json.loads(local_lake.get_bytes(LOCK_KEY))["owner"] == "run-b"


def test_release_and_lock_on_s3(s3_bucket: str) -> None:
    store = open_lake(f"s3://{s3_bucket}/lake")
    write_release(store, "r1", _files("one"))
    with PublishLock(store, owner="run-a"):
        with pytest.raises(PublishLocked):
            PublishLock(store, owner="run-b").acquire()
        with pytest.raises(Crash):
            write_release(store, "r2", _files("two"), hook=_crash_at("pointer"))
    assert read_current(store) == "r1" and is_complete(store, "r1")
    write_release(store, "r3", _files("three"))
    assert store.get_bytes(CURRENT_KEY).decode().strip() == "r3"
    assert store.get_bytes("releases/r3/quality_report.html") == b"<p>three</p>"
