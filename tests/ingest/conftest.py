"""Fixtures for ingest tests: a loopback site with report pages, attachments and misbehaving URLs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_fixtures import FixtureServer
from ingest_fixtures import FAST_FETCH, standard_routes

from xxgk.ingest import IngestOptions


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    server = FixtureServer()
    server.routes.update(standard_routes(server.server.server_address[1]))
    yield server
    server.close()


@pytest.fixture
def fast_options() -> IngestOptions:
    return IngestOptions(fetch=FAST_FETCH)
