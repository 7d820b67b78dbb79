"""The S3 object store (AWS S3 or any S3-compatible store such as MinIO), through boto3.

boto3/botocore are imported only here. botocore's own retries are switched off (one attempt per call) and every
operation goes through :func:`~xxgk.storage.retry.call_with_retry`, so one policy, one classification of transient
errors (5xx, throttling, connection resets, timeouts, truncated bodies) and one log line per retry cover all of it.

Atomicity: a single ``PutObject`` becomes visible only once S3 has the whole body (botocore sends a CRC32 checksum, so
a damaged body is rejected). Large objects use a multipart upload, which becomes visible only on
``CompleteMultipartUpload``; if any part fails for good, the upload is aborted, so nothing appears under the key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
import botocore.exceptions
from botocore.config import Config

from xxgk.storage.base import ObjectInfo, StorageError
from xxgk.storage.config import S3Settings
from xxgk.storage.paths import validate_key
from xxgk.storage.retry import RetryPolicy, call_with_retry

logger = logging.getLogger(__name__)

T = TypeVar("T")

MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_SIZE = 8 * 1024 * 1024  # S3 requires ≥ 5 MiB for every part but the last

_TRANSIENT_CODES = {
    "InternalError", "ServiceUnavailable", "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout",
    "RequestTimeTooSkewed", "BadDigest", "IncompleteBody", "XAmzContentSHA256Mismatch", "InvalidDigest",
}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    botocore.exceptions.ConnectionError,  # EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, …
    botocore.exceptions.HTTPClientError,
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ResponseStreamingError,
    ConnectionError,
    TimeoutError,
)


def is_transient_s3_error(exc: BaseException) -> bool:
    """True for errors worth retrying: network trouble, truncated bodies, 5xx and throttling answers."""
    if isinstance(exc, _TRANSIENT_EXCEPTIONS):
        return True
    if isinstance(exc, botocore.exceptions.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return status >= 500 or code in _TRANSIENT_CODES or status == 429
    return False


def _is_missing(exc: BaseException) -> bool:
    if isinstance(exc, botocore.exceptions.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in _MISSING_CODES or status == 404
    return False


_clients: dict[S3Settings, Any] = {}
_clients_lock = threading.Lock()


def shared_client(settings: S3Settings) -> Any:
    """One client per settings in this process (creating one costs ~0.1–0.5 s; clients are thread-safe)."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = _clients[settings] = make_client(settings)
        return client


def make_client(settings: S3Settings) -> Any:
    """A boto3 S3 client for ``settings``; credentials come from the standard AWS chain."""
    s3_config: dict[str, Any] = {}
    if settings.addressing_style:
        s3_config["addressing_style"] = settings.addressing_style
    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"total_max_attempts": 1},  # xxgk retries, see module docstring
        s3=s3_config or None,
    )
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config)


class S3Store:
    """An :class:`~xxgk.storage.base.ObjectStore` over ``s3://bucket/prefix``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        settings: S3Settings | None = None,
        retry: RetryPolicy | None = None,
        client: Any = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
        list_page_size: int = 1000,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.settings = settings or S3Settings.from_env()
        self.retry = retry or RetryPolicy(attempts=self.settings.max_attempts)
        self.client = client if client is not None else shared_client(self.settings)
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.list_page_size = list_page_size
        self._sleep_kw: dict[str, Any] = {"sleep": sleep} if sleep else {}

    def __repr__(self) -> str:
        return f"S3Store({self.uri()!r}, endpoint={self.settings.endpoint_url!r})"

    def __getstate__(self) -> dict[str, Any]:
        """A store travels to another process (a parse sandbox, a Dask worker) as its settings; the process makes
        its own client. A store with a client or sleep of its own (tests) does not travel."""
        if self.client is not shared_client(self.settings) or self._sleep_kw:
            raise TypeError("an S3Store with its own client or sleep function cannot be pickled")
        return {"bucket": self.bucket, "prefix": self.prefix, "settings": self.settings, "retry": self.retry,
                "multipart_threshold": self.multipart_threshold, "part_size": self.part_size,
                "list_page_size": self.list_page_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state.pop("bucket"), state.pop("prefix"), **state)  # type: ignore[misc]

    # -- helpers -------------------------------------------------------------------------------------------------

    def _full(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, describe: str, fn: Callable[[], T]) -> T:
        return call_with_retry(fn, policy=self.retry, is_transient=is_transient_s3_error, describe=describe,
                               **self._sleep_kw)

    def _fail(self, action: str, key: str, exc: BaseException) -> StorageError:
        return StorageError(f"cannot {action} {self.uri(key)}: {type(exc).__name__}: {exc}")

    # -- ObjectStore -------------------------------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        full = self._full(key)
        extra = {"ContentType": content_type} if content_type else {}
        try:
            if len(data) < self.multipart_threshold:
                self._call(f"put {self.uri(key)}",
                           lambda: self.client.put_object(Bucket=self.bucket, Key=full, Body=data, **extra))
            else:
                self._put_multipart(key, full, data, extra)
        except StorageError:
            raise
        except Exception as exc:
            raise self._fail("write", key, exc) from exc

    def _put_multipart(self, key: str, full: str, data: bytes, extra: dict[str, Any]) -> None:
        upload = self._call(f"start upload {self.uri(key)}", lambda: self.client.create_multipart_upload(
            Bucket=self.bucket, Key=full, **extra))
        upload_id = upload["UploadId"]
        try:
            parts = []
            for number, start in enumerate(range(0, len(data), self.part_size), start=1):
                chunk = data[start:start + self.part_size]
                answer = self._call(f"upload part {number} of {self.uri(key)}", lambda: self.client.upload_part(
                    Bucket=self.bucket, Key=full, UploadId=upload_id, PartNumber=number, Body=chunk))
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            self._call(f"complete upload {self.uri(key)}", lambda: self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=full, UploadId=upload_id, MultipartUpload={"Parts": parts}))
        except BaseException:
            self._abort(key, full, upload_id)
            raise

    def _abort(self, key: str, full: str, upload_id: str) -> None:
        try:
            self._call(f"abort upload {self.uri(key)}", lambda: self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=full, UploadId=upload_id))
        except Exception as exc:  # the bucket's lifecycle rule for incomplete uploads is the backstop
            logger.error("could not abort multipart upload of %s (%s); it is invisible but occupies space",
                         self.uri(key), exc)

    def get_bytes(self, key: str) -> bytes:
        full = self._full(key)

        def read() -> bytes:
            return self.client.get_object(Bucket=self.bucket, Key=full)["Body"].read()

        try:
            return self._call(f"get {self.uri(key)}", read)
        except Exception as exc:
            if _is_missing(exc):
                raise KeyError(key) from None
            raise self._fail("read", key, exc) from exc

    def get_with_info(self, key: str) -> tuple[bytes, ObjectInfo]:
        """Bytes and metadata (ETag, Last-Modified, Content-Type) in one request; KeyError when missing."""
        full = self._full(key)

        def read() -> tuple[bytes, dict[str, Any]]:
            answer = self.client.get_object(Bucket=self.bucket, Key=full)
            return answer["Body"].read(), answer

        try:
            data, answer = self._call(f"get {self.uri(key)}", read)
        except Exception as exc:
            if _is_missing(exc):
                raise KeyError(key) from None
            raise self._fail("read", key, exc) from exc
        return data, ObjectInfo(key=key, size=len(data), etag=answer.get("ETag"),
                                last_modified=answer.get("LastModified"), content_type=answer.get("ContentType"))

    def head(self, key: str) -> ObjectInfo:
        """Size, ETag and Last-Modified; raises KeyError when the object does not exist."""
        full = self._full(key)
        try:
            answer = self._call(f"head {self.uri(key)}", lambda: self.client.head_object(Bucket=self.bucket, Key=full))
        except Exception as exc:
            if _is_missing(exc):
                raise KeyError(key) from None
            raise self._fail("stat", key, exc) from exc
        return ObjectInfo(key=key, size=int(answer.get("ContentLength", 0)), etag=answer.get("ETag"),
                          last_modified=answer.get("LastModified"), content_type=answer.get("ContentType"))

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except KeyError:
            return False
        return True

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": base + prefix, "MaxKeys": self.list_page_size}
            if token:
                kwargs["ContinuationToken"] = token
            try:
                page = self._call(f"list {self.uri(prefix)}", lambda: self.client.list_objects_v2(**kwargs))
            except Exception as exc:
                raise StorageError(f"cannot list {self.uri(prefix)}: {type(exc).__name__}: {exc}") from exc
            for item in page.get("Contents", []):
                yield item["Key"][len(base):]
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")

    def delete(self, key: str) -> None:
        full = self._full(key)
        try:
            self._call(f"delete {self.uri(key)}", lambda: self.client.delete_object(Bucket=self.bucket, Key=full))
        except Exception as exc:
            raise self._fail("delete", key, exc) from exc

    def uri(self, key: str = "") -> str:
        path = "/".join(p for p in (self.prefix, key) if p)
        return f"s3://{self.bucket}/{path}" if path else f"s3://{self.bucket}"

    def fsspec_filesystem(self) -> Any:
        """An ``s3fs.S3FileSystem`` on the same endpoint and region (credentials: standard AWS chain).

        DuckDB has no httpfs here: ``con.register_filesystem(store.fsspec_filesystem())``, then read
        ``store.uri(key)``.
        """
        import s3fs

        config_kwargs: dict[str, Any] = {"connect_timeout": self.settings.connect_timeout,
                                         "read_timeout": self.settings.read_timeout,
                                         "retries": {"mode": "standard", "max_attempts": self.settings.max_attempts}}
        if self.settings.addressing_style:
            config_kwargs["s3"] = {"addressing_style": self.settings.addressing_style}
        client_kwargs: dict[str, Any] = {}
        if self.settings.region:
            client_kwargs["region_name"] = self.settings.region
        return s3fs.S3FileSystem(endpoint_url=self.settings.endpoint_url, client_kwargs=client_kwargs,
                                 config_kwargs=config_kwargs)
