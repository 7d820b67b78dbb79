"""A loopback HTTP server serving report-page fixtures, with the misbehaviours real government sites show.

Routes are :class:`Route` objects in ``FixtureServer.routes`` (tests may change them between runs). The server
records every request and the highest number of requests in flight at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0  # answer 500 to this many requests first
    trickle: float = 0.0  # seconds between one-byte chunks of the body
    no_length: bool = False  # send the body without Content-Length, then close
    use_etag: bool = False  # send an ETag and answer If-None-Match with 304
    hold: float = 0.0  # sleep before answering (for concurrency counting)
    hits: int = 0


class FixtureServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str], float]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.stop = threading.Event()
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _, _ in self.requests if p == path)

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_owner: FixtureServer

    def log_message(self, *args: object) -> None:
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except OSError:  # the client gave up (timeout test): nothing to answer
            self.close_connection = True

    def do_GET(self) -> None:
        owner = self.server_owner
        with owner.lock:
            owner.requests.append((self.path, dict(self.headers.items()), time.monotonic()))
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
            route = owner.routes.get(self.path)
            if route is not None:
                route.hits += 1
        if route is not None and route.hold:
            owner.stop.wait(route.hold)
        with owner.lock:  # before answering: a client that has its answer is no longer counted
            owner.in_flight -= 1
        try:
            self._answer(route)
        except OSError:
            self.close_connection = True

    def _send(self, status: int, body: bytes, headers: dict[str, str], *, length: bool = True) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, route: Route | None) -> None:
        owner = self.server_owner
        if route is None:
            self._send(404, b"<html>not found</html>", {"Content-Type": "text/html"})
            return
        if route.hits <= route.fail_first:
            self._send(500, b"<html>server error</html>", {"Content-Type": "text/html"})
            return
        headers = dict(route.headers)
        if route.use_etag:
            etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", {"ETag": etag})
                return
        if route.trickle:
            self.send_response(route.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            for i in range(len(route.body)):
                if owner.stop.wait(route.trickle):
                    break
                self.wfile.write(route.body[i:i + 1])
                self.wfile.flush()
            return
        if route.no_length:
            headers["Connection"] = "close"
            self.close_connection = True
            self._send(route.status, route.body, headers, length=False)
            return
        self._send(route.status, route.body, headers)
