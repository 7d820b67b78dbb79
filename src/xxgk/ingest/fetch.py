"""A polite HTTP fetcher (httpx, asyncio) for report pages and their attachments.

Politeness: at most ``per_host_concurrency`` requests in flight per host and at least ``per_host_interval`` seconds
between request starts to the same host; a global ``concurrency`` cap; an identifying User-Agent; conditional GETs
(``If-None-Match`` / ``If-Modified-Since``) when a previous version is known.

Robustness: connect/read timeouts plus a total deadline per attempt (so a body that trickles in forever fails);
a size cap checked on ``Content-Length`` and while streaming; redirects followed by hand (http(s) only, at most
``max_redirects``, loops detected); retries with backoff on 5xx, 429, timeouts and connection errors, never on
other 4xx. Every outcome is a :class:`FetchResult`; the fetcher does not raise for a bad URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from xxgk.ingest.links import strip_fragment
from xxgk.ingest.sources import check_url
from xxgk.storage.retry import RetryPolicy

logger = logging.getLogger(__name__)

USER_AGENT = "xxgk-lakehouse/0.1 (government information-disclosure report archive)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchOptions:
    """Every switch and threshold of the fetcher (defaults are for production; tests shrink them)."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0  # one attempt, headers and body
    max_bytes: int = 64 * 1024 * 1024
    max_redirects: int = 5
    attempts: int = 3
    backoff: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=3, base_delay=1.0, max_delay=30.0))
    per_host_concurrency: int = 2
    per_host_interval: float = 0.5
    concurrency: int = 16
    user_agent: str = USER_AGENT
    trust_env: bool = True  # honour HTTP(S)_PROXY / NO_PROXY and SSL_CERT_FILE from the environment


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str | None = None
    status: int | None = None
    data: bytes | None = None
    error: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 0
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_not_modified(self) -> bool:
        return self.status == 304 and self.error is None


class PermanentFetchError(Exception):
    """A failure retrying cannot fix (size cap, redirect loop, bad redirect target)."""


class _RetryableStatus(Exception):
    def __init__(self, result: FetchResult, retry_after: float | None) -> None:
        super().__init__(f"HTTP {result.status}")
        self.result = result
        self.retry_after = retry_after


class HostLimiter:
    """Per-host concurrency (:meth:`slot`) and spacing of request starts (:meth:`wait_turn`)."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.concurrency = max(1, concurrency)
        self.interval = max(0.0, interval)
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_start: dict[str, float] = {}

    async def wait_turn(self, host: str) -> None:
        """Return when a request to ``host`` may start (``interval`` after the previous start)."""
        async with self._locks.setdefault(host, asyncio.Lock()):
            loop = asyncio.get_running_loop()
            wait = self._next_start.get(host, 0.0) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start[host] = loop.time() + self.interval

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """One of ``concurrency`` places for ``host``, entered at the host's next turn."""
        async with self._sems.setdefault(host, asyncio.Semaphore(self.concurrency)):
            await self.wait_turn(host)
            yield


class Fetcher:
    """Use as ``async with Fetcher(options) as f: result = await f.fetch(url)``."""

    def __init__(self, options: FetchOptions | None = None, *, transport: httpx.AsyncBaseTransport | None = None):
        self.options = options or FetchOptions()
        self._limiter = HostLimiter(self.options.per_host_concurrency, self.options.per_host_interval)
        self._global = asyncio.Semaphore(max(1, self.options.concurrency))
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        o = self.options
        timeout = httpx.Timeout(connect=o.connect_timeout, read=o.read_timeout, write=o.read_timeout,
                                pool=o.total_timeout)
        limits = httpx.Limits(max_connections=max(1, o.concurrency), max_keepalive_connections=max(1, o.concurrency))
        self._client = httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False,
                                         headers={"User-Agent": o.user_agent}, transport=self._transport,
                                         trust_env=o.trust_env)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch ``url`` with retries; conditional on ``etag``/``last_modified`` when given."""
        problem = check_url(url)
        if problem:
            return FetchResult(url=url, error=problem)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        o = self.options
        last_error = "not fetched"
        last_result: FetchResult | None = None
        host = httpx.URL(url).host
        for attempt in range(1, max(1, o.attempts) + 1):
            retry_after: float | None = None
            try:
                # Wait for the host's turn first, untimed and without holding a global place, so a queue for one
                # busy host neither times out nor blocks other hosts; then the attempt itself is timed.
                async with self._limiter.slot(host), self._global:
                    result = await asyncio.wait_for(self._fetch_once(url, headers, attempt), o.total_timeout)
                return result
            except PermanentFetchError as exc:
                return FetchResult(url=url, error=str(exc), attempts=attempt)
            except _RetryableStatus as exc:
                last_result, retry_after = exc.result, exc.retry_after
                last_error = f"HTTP {exc.result.status}"
            except (TimeoutError, httpx.TimeoutException):
                last_error = (f"timed out (connect {o.connect_timeout}s, read {o.read_timeout}s, "
                              f"total {o.total_timeout}s)")
            except httpx.TransportError as exc:
                last_error = f"connection error: {type(exc).__name__}: {exc}".rstrip(": ")
            except httpx.HTTPError as exc:  # e.g. DecodingError on a corrupt gzip body: not transient
                return FetchResult(url=url, error=f"HTTP error: {type(exc).__name__}: {exc}", attempts=attempt)
            if attempt < o.attempts:
                wait = o.backoff.delay(attempt)
                if retry_after is not None:
                    wait = max(wait, min(retry_after, o.backoff.max_delay))
                logger.info("fetch %s failed (%s, attempt %d/%d); retrying in %.2fs", url, last_error, attempt,
                            o.attempts, wait)
                await asyncio.sleep(wait)
        if last_result is not None:
            return FetchResult(url=url, final_url=last_result.final_url, status=last_result.status,
                               error=f"{last_error} after {o.attempts} attempts", attempts=o.attempts,
                               content_type=last_result.content_type)
        return FetchResult(url=url, error=f"{last_error} after {o.attempts} attempts", attempts=o.attempts)

    async def _fetch_once(self, url: str, headers: Mapping[str, str], attempt: int) -> FetchResult:
        assert self._client is not None, "use Fetcher as an async context manager"
        o = self.options
        current = url
        chain = [url]
        for _hop in range(o.max_redirects + 1):
            problem = check_url(current)
            if problem:
                raise PermanentFetchError(f"redirect to a URL that cannot be fetched ({problem}): {current}")
            if len(chain) > 1:  # a redirect hop: keep the spacing of its host (the first hop got its turn)
                await self._limiter.wait_turn(httpx.URL(current).host)
            request = self._client.build_request("GET", current, headers=headers if current == url else None)
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                    target = strip_fragment(str(response.url.join(response.headers["location"])))
                    if target in chain:
                        raise PermanentFetchError("redirect loop: " + " → ".join(chain + [target]))
                    chain.append(target)
                    current = target
                    continue
                return await self._read(url, current, response, attempt)
            finally:
                await response.aclose()
        raise PermanentFetchError(f"too many redirects (more than {o.max_redirects}): " + " → ".join(chain))

    async def _read(self, url: str, final_url: str, response: httpx.Response, attempt: int) -> FetchResult:
        o = self.options
        meta = {
            "url": url, "final_url": final_url, "status": response.status_code, "attempts": attempt,
            "content_type": response.headers.get("content-type"), "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }
        status = response.status_code
        if status >= 500 or status == 429:
            raise _RetryableStatus(FetchResult(**meta), _retry_after(response.headers.get("retry-after")))
        if status == 304:
            return FetchResult(**meta)
        if status >= 300 or status < 200:
            return FetchResult(**meta, error=f"HTTP {status} {response.reason_phrase}".strip())
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > o.max_bytes:
            raise PermanentFetchError(f"body too large: Content-Length {declared} bytes > cap {o.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > o.max_bytes:
                raise PermanentFetchError(f"body too large: more than cap {o.max_bytes} bytes")
            chunks.append(chunk)
        return FetchResult(**meta, data=b"".join(chunks))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
