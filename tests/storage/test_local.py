"""LocalStore: the ObjectStore contract on a folder, atomic writes, and open_lake's choice of store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xxgk.storage import LocalStore, ObjectStore, open_lake
from xxgk.storage.paths import is_raw_object_key, raw_key, validate_key


def test_round_trip_and_listing(local_lake: LocalStore) -> None:
    assert isinstance(local_lake, ObjectStore)
    assert list(local_lake.list_keys()) == []
    local_lake.put_bytes("raw/ab/b", b"2")
    local_lake.put_bytes("raw/ab/a", b"1")
    local_lake.put_bytes("raw/_manifest/r1.parquet", b"m")
    local_lake.put_bytes("staging/reports/report_year=2024/part.parquet", b"p")
    assert local_lake.get_bytes("raw/ab/a") == b"1"
    assert list(local_lake.list_keys("raw/ab/")) == ["raw/ab/a", "raw/ab/b"]
    assert list(local_lake.list_keys("raw/a")) == ["raw/ab/a", "raw/ab/b"]
    assert list(local_lake.list_keys("st")) == ["staging/reports/report_year=2024/part.parquet"]
    assert list(local_lake.list_keys("nothing/")) == []
    assert local_lake.exists("raw/ab/a") and not local_lake.exists("raw/ab")
    local_lake.put_bytes("raw/ab/a", b"replaced")
    assert local_lake.get_bytes("raw/ab/a") == b"replaced"
    local_lake.delete("raw/ab/a")
    local_lake.delete("raw/ab/a")
    with pytest.raises(KeyError):
        local_lake.get_bytes("raw/ab/a")
    assert Path(local_lake.uri("raw/ab/b")).read_bytes() == b"2"


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "a/", ".tmp/x", "a\\b"])
def test_bad_keys_are_refused(local_lake: LocalStore, key: str) -> None:
    with pytest.raises(ValueError):
        local_lake.put_bytes(key, b"x")


class Interrupted(BaseException):
    """Stands for the process being killed between writing the bytes and publishing them."""


def test_interrupted_write_leaves_nothing_under_the_key(local_lake: LocalStore,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    local_lake.put_bytes("releases/CURRENT", b"old")

    def die(fd: int) -> None:
        raise Interrupted

    monkeypatch.setattr(os, "fsync", die)
    with pytest.raises(Interrupted):
        local_lake.put_bytes("raw/cd/new", b"half-written")
    with pytest.raises(Interrupted):
        local_lake.put_bytes("releases/CURRENT", b"new")
    monkeypatch.undo()
    assert not local_lake.exists("raw/cd/new")
    assert local_lake.get_bytes("releases/CURRENT") == b"old"
    assert list(local_lake.list_keys()) == ["releases/CURRENT"]
    assert list((local_lake.root / ".tmp").iterdir()) == []


def test_open_lake_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XXGK_LAKE", raising=False)
    assert open_lake(None).uri() == str(tmp_path / "lake")  # type: ignore[union-attr]
    monkeypatch.setenv("XXGK_LAKE", str(tmp_path / "envlake"))
    assert open_lake(None).uri() == str(tmp_path / "envlake")
    assert open_lake(str(tmp_path / "given")).uri() == str(tmp_path / "given")
    assert open_lake(f"file://{tmp_path}/f").uri() == str(tmp_path / "f")
    with pytest.raises(ValueError, match="unsupported lake"):
        open_lake("gs://bucket/x")


def test_raw_keys() -> None:
    sha = "ab" + "0" * 62
    assert raw_key(sha) == f"raw/ab/{sha}"
    assert is_raw_object_key(raw_key(sha)) and not is_raw_object_key("raw/_manifest/x.parquet")
    with pytest.raises(ValueError):
        raw_key("AB" + "0" * 62)
    assert validate_key("raw/_manifest/r.parquet") == "raw/_manifest/r.parquet"


def test_s3_settings_from_env() -> None:
    from xxgk.storage import S3Settings

    assert S3Settings.from_env({}) == S3Settings()
    minio = S3Settings.from_env({"XXGK_S3_ENDPOINT_URL": "http://minio:9000", "AWS_DEFAULT_REGION": "cn-north-1",
                                 "XXGK_S3_READ_TIMEOUT": "5", "XXGK_S3_MAX_ATTEMPTS": "2"})
    assert (minio.endpoint_url, minio.region, minio.addressing_style, minio.read_timeout, minio.max_attempts) == (
        "http://minio:9000", "cn-north-1", "path", 5.0, 2)
    standard = S3Settings.from_env({"AWS_ENDPOINT_URL_S3": "http://s3.local", "AWS_REGION": "r1",
                                    "AWS_DEFAULT_REGION": "r2"})
    assert (standard.endpoint_url, standard.region) == ("http://s3.local", "r1")


def test_deferred_sync_writes_are_atomic_and_synced_once_at_the_end(local_lake: LocalStore,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import xxgk.storage.local as local

    fsyncs: list[int] = []
    syncs: list[str] = []
    real_fsync = os.fsync
    monkeypatch.setattr(local.os, "fsync", lambda fd: fsyncs.append(fd) or real_fsync(fd))
    monkeypatch.setattr(local, "sync_file_system", lambda path: syncs.append(str(path)))
    with local_lake.deferred_sync():
        for i in range(5):
            local_lake.put_bytes(f"raw/{i}", b"x" * i)
        assert syncs == [] and fsyncs == []
    assert syncs == [str(local_lake.root)]
    assert [local_lake.get_bytes(f"raw/{i}") for i in range(5)] == [b"x" * i for i in range(5)]
    assert not list((local_lake.root / ".tmp").iterdir())
    local_lake.put_bytes("raw/after", b"y")
    assert len(fsyncs) == 1  # outside the block every write is fsynced again


def test_sync_file_system_runs_on_a_real_folder(tmp_path: Path) -> None:
    from xxgk.storage.local import sync_file_system

    sync_file_system(tmp_path)
