"""S3Store through boto3 against moto's server on loopback, with faults injected by a proxy in front of it."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

import boto3
import pytest
from s3_faults import Fault, FaultProxy

from xxgk.storage import ObjectStore, RetryPolicy, S3Settings, StorageError, open_lake
from xxgk.storage.s3 import S3Store

FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def proxy(s3_env: str) -> Iterator[FaultProxy]:
    fp = FaultProxy(s3_env)
    yield fp
    fp.close()


def proxied_store(proxy: FaultProxy, bucket: str, **kwargs: object) -> S3Store:
    settings = S3Settings(endpoint_url=proxy.url, region="us-east-1", addressing_style="path",
                          connect_timeout=1.0, read_timeout=0.5, max_attempts=4)
    return S3Store(bucket, "lake", settings=settings, retry=FAST_RETRY, **kwargs)  # type: ignore[arg-type]


def direct_client(endpoint: str):  # noqa: ANN201 - boto3 client
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def test_open_lake_s3_round_trip(s3_bucket: str) -> None:
    store = open_lake(f"s3://{s3_bucket}/some/prefix")
    assert isinstance(store, ObjectStore)
    store.put_bytes("raw/ab/b", b"two", content_type="text/plain")
    store.put_bytes("raw/ab/a", b"one")
    store.put_bytes("staging/x", b"three")
    assert store.get_bytes("raw/ab/a") == b"one"
    assert store.exists("raw/ab/b") and not store.exists("raw/ab/c")
    assert list(store.list_keys("raw/")) == ["raw/ab/a", "raw/ab/b"]
    assert list(store.list_keys()) == ["raw/ab/a", "raw/ab/b", "staging/x"]
    assert store.uri("raw/ab/a") == f"s3://{s3_bucket}/some/prefix/raw/ab/a"
    store.delete("raw/ab/a")
    store.delete("raw/ab/a")  # idempotent
    with pytest.raises(KeyError):
        store.get_bytes("raw/ab/a")
    head = store.head("raw/ab/b")  # type: ignore[attr-defined]
    assert head.size == 3 and head.etag and head.content_type == "text/plain"


def test_open_lake_reads_env(s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_LAKE", f"s3://{s3_bucket}/envlake")
    store = open_lake(None)
    assert isinstance(store, S3Store) and store.prefix == "envlake"
    assert store.settings.endpoint_url and store.settings.addressing_style == "path"


def test_listing_follows_continuation_pages(s3_bucket: str) -> None:
    store = open_lake(f"s3://{s3_bucket}", list_page_size=2)
    for i in (4, 0, 3, 1, 2):
        store.put_bytes(f"k/{i:05d}", b"")
    store.put_bytes("other", b"")
    assert list(store.list_keys("k/")) == [f"k/{i:05d}" for i in range(5)]


def test_fsspec_filesystem_lets_duckdb_read_the_lake(s3_bucket: str) -> None:
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = open_lake(f"s3://{s3_bucket}/lake")
    buf = io.BytesIO()
    pq.write_table(pa.table({"n": [1, 2, 3]}), buf)
    store.put_bytes("staging/t/part.parquet", buf.getvalue())
    fs = store.fsspec_filesystem()  # type: ignore[attr-defined]
    assert fs.cat(store.uri("staging/t/part.parquet")) == buf.getvalue()
    con = duckdb.connect()
    con.register_filesystem(fs)
    assert con.execute(f"select sum(n) from read_parquet('{store.uri('staging/t/part.parquet')}')").fetchone() == (6,)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault("status", code=503, s3_code="SlowDown", times=2), id="503-slowdown"),
        pytest.param(Fault("status", code=500, s3_code="InternalError", times=2), id="500-internal"),
        pytest.param(Fault("reset_before", partial=10, times=2), id="reset-mid-body"),
        pytest.param(Fault("stall", seconds=3.0, times=1), id="slow-response"),
    ],
)
def test_put_survives_transient_faults(proxy: FaultProxy, s3_bucket: str, fault: Fault) -> None:
    store = proxied_store(proxy, s3_bucket)
    data = b"report bytes " * 1000
    expected_failures = fault.times
    proxy.add(Fault(fault.kind, method="PUT", path_contains="/raw/", times=fault.times, code=fault.code,
                    s3_code=fault.s3_code, partial=fault.partial, seconds=fault.seconds))
    store.put_bytes("raw/aa/obj", data)
    assert proxy.count("PUT", "/raw/aa/obj") == expected_failures + 1
    stored = direct_client(proxy_upstream(proxy)).get_object(Bucket=s3_bucket, Key="lake/raw/aa/obj")
    assert stored["Body"].read() == data


def proxy_upstream(proxy: FaultProxy) -> str:
    host, port = proxy.upstream
    return f"http://{host}:{port}"


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault("status", method="GET", code=503, s3_code="ServiceUnavailable", times=2), id="503"),
        pytest.param(Fault("reset_after", method="GET", times=2), id="truncated-body"),
        pytest.param(Fault("stall", method="GET", seconds=3.0, times=1), id="slow-response"),
        pytest.param(Fault("reset_before", method="GET", times=3), id="connection-reset"),
    ],
)
def test_get_survives_transient_faults(proxy: FaultProxy, s3_bucket: str, fault: Fault) -> None:
    store = proxied_store(proxy, s3_bucket)
    data = bytes(range(256)) * 400
    store.put_bytes("raw/bb/obj", data)
    failures = fault.times
    fault.path_contains = "/raw/bb/obj"
    proxy.add(fault)
    assert store.get_bytes("raw/bb/obj") == data
    assert proxy.count("GET", "/raw/bb/obj") == failures + 1


def test_client_errors_are_not_retried(proxy: FaultProxy, s3_bucket: str) -> None:
    store = proxied_store(proxy, s3_bucket)
    proxy.add(Fault("status", method="PUT", code=403, s3_code="AccessDenied", times=-1))
    with pytest.raises(StorageError, match="AccessDenied"):
        store.put_bytes("raw/cc/obj", b"x")
    assert proxy.count("PUT") == 1


def test_missing_object_is_keyerror_without_retries(proxy: FaultProxy, s3_bucket: str) -> None:
    store = proxied_store(proxy, s3_bucket)
    with pytest.raises(KeyError):
        store.get_bytes("raw/dd/none")
    assert not store.exists("raw/dd/none")
    assert proxy.count("GET") == 1 and proxy.count("HEAD") == 1


def test_interrupted_upload_leaves_nothing_under_its_key(proxy: FaultProxy, s3_bucket: str) -> None:
    store = proxied_store(proxy, s3_bucket)
    proxy.add(Fault("reset_before", method="PUT", partial=4096, times=-1))
    with pytest.raises(StorageError, match="raw/ee/obj"):
        store.put_bytes("raw/ee/obj", b"x" * 100_000)
    assert proxy.count("PUT") == FAST_RETRY.attempts
    client = direct_client(proxy_upstream(proxy))
    assert client.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0


def test_interrupted_overwrite_keeps_the_old_object(proxy: FaultProxy, s3_bucket: str) -> None:
    store = proxied_store(proxy, s3_bucket)
    store.put_bytes("releases/CURRENT", b"release-1")
    proxy.add(Fault("reset_before", method="PUT", partial=3, times=-1))
    with pytest.raises(StorageError):
        store.put_bytes("releases/CURRENT", b"release-2")
    assert store.get_bytes("releases/CURRENT") == b"release-1"


MIB = 1024 * 1024


@pytest.mark.slow
def test_multipart_upload_retries_a_failed_part(proxy: FaultProxy, s3_bucket: str) -> None:
    store = proxied_store(proxy, s3_bucket, multipart_threshold=5 * MIB, part_size=5 * MIB)
    data = hashlib.sha256(b"seed").digest() * (11 * MIB // 32)
    proxy.add(Fault("reset_before", method="PUT", path_contains="partNumber=2", partial=1000, times=2))
    store.put_bytes("raw/ff/big", data)
    assert proxy.count("PUT", "partNumber=2") == 3
    assert store.get_bytes("raw/ff/big") == data


@pytest.mark.slow
def test_multipart_upload_that_fails_is_aborted_and_invisible(proxy: FaultProxy, s3_bucket: str) -> None:
    store = proxied_store(proxy, s3_bucket, multipart_threshold=5 * MIB, part_size=5 * MIB)
    proxy.add(Fault("reset_before", method="PUT", path_contains="partNumber=3", partial=10, times=-1))
    with pytest.raises(StorageError):
        store.put_bytes("raw/gg/big", b"y" * (11 * MIB))
    client = direct_client(proxy_upstream(proxy))
    assert client.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert proxy.count("DELETE", "uploadId=") == 1  # AbortMultipartUpload
