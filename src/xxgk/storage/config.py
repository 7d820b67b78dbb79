"""Settings for reaching S3 (or MinIO and other S3-compatible stores), read from the environment.

Only *where* and *how patiently* live here. Credentials are never read, stored or logged by xxgk: boto3 and s3fs
find them through the standard AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``,
``~/.aws/credentials``, instance roles, …).

Environment variables:

* ``XXGK_S3_ENDPOINT_URL``   custom endpoint (MinIO, moto, …); else the standard ``AWS_ENDPOINT_URL_S3`` or
  ``AWS_ENDPOINT_URL``; none set means AWS S3.
* ``AWS_REGION`` / ``AWS_DEFAULT_REGION``   region (first one set wins).
* ``XXGK_S3_ADDRESSING_STYLE``   ``path`` / ``virtual`` / ``auto``; default ``path`` with a custom endpoint.
* ``XXGK_S3_CONNECT_TIMEOUT``, ``XXGK_S3_READ_TIMEOUT``   seconds (defaults 10 and 60).
* ``XXGK_S3_MAX_ATTEMPTS``   tries per operation including the first (default 5).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> S3Settings:
        env = os.environ if env is None else env
        endpoint = (env.get("XXGK_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
                    or None)
        style = env.get("XXGK_S3_ADDRESSING_STYLE") or ("path" if endpoint else None)
        return cls(
            endpoint_url=endpoint,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            addressing_style=style,
            connect_timeout=float(env.get("XXGK_S3_CONNECT_TIMEOUT") or 10.0),
            read_timeout=float(env.get("XXGK_S3_READ_TIMEOUT") or 60.0),
            max_attempts=int(env.get("XXGK_S3_MAX_ATTEMPTS") or 5),
        )


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` → ``("bucket", "some/prefix")``; raises ValueError for anything else."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, prefix.strip("/")
