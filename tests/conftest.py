"""Shared fixtures for the whole suite.

* ``s3_server``  (session) — a moto S3 server on 127.0.0.1 and a free port; yields its endpoint URL.
* ``s3_env``     (function) — points the environment at ``s3_server`` (``XXGK_S3_ENDPOINT_URL``, dummy AWS
  credentials, region, no profile/config files), so ``open_lake("s3://…")``, boto3 and s3fs reach moto.
* ``s3_bucket``  (function) — a fresh, empty bucket on ``s3_server`` (needs ``s3_env``); yields its name.
* ``local_lake`` (function) — a :class:`~xxgk.storage.LocalStore` in a temporary folder.
"""

from __future__ import annotations

import itertools
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from xxgk.storage import LocalStore

_bucket_numbers = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> str:
    empty = tmp_path_factory.mktemp("aws") / "none"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("XXGK_S3_ENDPOINT_URL", s3_server)
    return s3_server


@pytest.fixture
def s3_bucket(s3_env: str) -> str:
    import boto3

    name = f"xxgk-test-{next(_bucket_numbers)}-{free_port()}"
    boto3.client("s3", endpoint_url=s3_env, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture
def local_lake(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "lake")
