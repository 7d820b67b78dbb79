"""The fetcher on its own: retries, redirects, caps and conditional requests against the loopback site."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

from ingest_fixtures import FAST_FETCH, UTF8_PAGE
from http_fixtures import FixtureServer, Route

from xxgk.ingest.fetch import Fetcher, FetchOptions, FetchResult, HostLimiter, _retry_after


def fetch(url: str, options: FetchOptions = FAST_FETCH, **kw: str) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(options) as fetcher:
            return await fetcher.fetch(url, **kw)

    return asyncio.run(go())


def test_ok_with_validators(site: FixtureServer) -> None:
    result = fetch(site.url("/utf8.html"))
    assert (result.status, result.data, result.error, result.attempts) == (200, UTF8_PAGE, None, 1)
    assert result.etag and result.content_type == "text/html; charset=utf-8"
    again = fetch(site.url("/utf8.html"), etag=result.etag)
    assert again.is_not_modified and again.data is None


def test_retries_5xx_and_429_but_not_404(site: FixtureServer) -> None:
    site.routes["/busy"] = Route(b"ok", fail_first=2)
    assert fetch(site.url("/busy"), replace(FAST_FETCH, attempts=3)).data == b"ok"
    assert site.hits("/busy") == 3
    site.routes["/limited"] = Route(b"slow down", status=429, headers={"Retry-After": "0"})
    assert fetch(site.url("/limited")).error == "HTTP 429 after 2 attempts"
    assert site.hits("/limited") == 2
    site.routes["/forbidden"] = Route(b"no", status=403)
    result = fetch(site.url("/forbidden"))
    assert (result.status, result.error, site.hits("/forbidden")) == (403, "HTTP 403 Forbidden", 1)


def test_redirect_limits(site: FixtureServer) -> None:
    for i in range(5):
        site.routes[f"/hop{i}"] = Route(status=307, headers={"Location": f"/hop{i + 1}"})
    site.routes["/hop5"] = Route(b"arrived")
    assert "too many redirects (more than 3)" in (fetch(site.url("/hop0")).error or "")
    result = fetch(site.url("/hop0"), replace(FAST_FETCH, max_redirects=5))
    assert (result.data, result.final_url) == (b"arrived", site.url("/hop5"))
    assert "redirect loop" in (fetch(site.url("/loop-a")).error or "")
    assert site.hits("/loop-a") == 1  # permanent: not retried


def test_unreachable_host_fails_with_reason() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        result = fetch(f"http://127.0.0.1:{port}/x.html")
    assert result.error and result.error.startswith("connection error") and "after 2 attempts" in result.error


def test_retry_after_header() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_host_limiter_spaces_request_starts_per_host() -> None:
    async def go() -> dict[str, list[float]]:
        limiter = HostLimiter(concurrency=3, interval=0.05)
        starts: dict[str, list[float]] = {"a": [], "b": []}

        async def one(host: str) -> None:
            async with limiter.slot(host):
                starts[host].append(asyncio.get_running_loop().time())

        await asyncio.gather(*(one(h) for h in "ababab"))
        return starts

    starts = asyncio.run(go())
    for host_starts in starts.values():
        gaps = [b - a for a, b in zip(host_starts, host_starts[1:], strict=False)]
        assert len(gaps) == 2 and min(gaps) >= 0.05 - 0.002  # a lower bound the limiter guarantees


def test_waiting_for_a_busy_host_is_not_a_timeout(site: FixtureServer) -> None:
    for i in range(8):
        site.routes[f"/q{i}"] = Route(b"ok")
    options = replace(FAST_FETCH, per_host_concurrency=1, per_host_interval=0.1, total_timeout=0.5, attempts=1)

    async def go() -> list[FetchResult]:
        async with Fetcher(options) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(site.url(f"/q{i}")) for i in range(8)))

    results = asyncio.run(go())  # the queue (8 × 0.1 s) is longer than one attempt's deadline (0.5 s)
    assert [r.error for r in results] == [None] * 8
