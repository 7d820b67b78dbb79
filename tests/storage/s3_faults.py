"""A loopback HTTP proxy that injects faults in front of the moto S3 server.

Requests pass through to moto unless a planned fault matches (method and a substring of the path+query):

* ``status``        answer ``code`` with an S3 XML error (``s3_code``) without telling moto;
* ``reset_before``  read the head and ``partial`` bytes of the body, then reset the connection (RST): an upload
                    interrupted mid-body, which moto never sees;
* ``stall``         read the request, then say nothing for ``seconds`` (longer than the client's read timeout);
* ``reset_after``   forward to moto, send the status line, headers and half the body, then reset: a truncated
                    download.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path_contains: str = ""
    times: int = 1  # how many matching requests it hits; -1 = all
    code: int = 503
    s3_code: str = "SlowDown"
    partial: int = 0
    seconds: float = 2.0


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, str]] = []  # (method, path, what happened)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times != 0 and (fault.method in (None, method)) and fault.path_contains in path:
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def record(self, method: str, path: str, what: str) -> None:
        with self.lock:
            self.log.append((method, path, what))

    def count(self, method: str, path_contains: str = "", what: str | None = None) -> int:
        with self.lock:
            return sum(1 for m, p, w in self.log if m == method and path_contains in p and what in (None, w))

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except OSError:
            self.close_connection = True

    def do_GET(self) -> None:
        self._handle()

    do_PUT = do_POST = do_HEAD = do_DELETE = do_GET

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _handle(self) -> None:
        proxy = self.owner
        method, path = self.command, self.path
        length = int(self.headers.get("Content-Length") or 0)
        fault = proxy.take(method, path)
        if fault and fault.kind == "reset_before":
            self.rfile.read(min(length, fault.partial))
            proxy.record(method, path, "reset_before")
            self._reset()
            return
        body = self.rfile.read(length) if length else b""
        if fault and fault.kind == "status":
            proxy.record(method, path, f"status {fault.code}")
            payload = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{fault.s3_code}</Code>'
                       f"<Message>injected</Message></Error>").encode()
            self.send_response(fault.code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(payload)
            return
        if fault and fault.kind == "stall":
            proxy.record(method, path, "stall")
            proxy.stop.wait(fault.seconds)
            self._reset()
            return
        upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
        upstream.request(method, path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        truncate = bool(fault and fault.kind == "reset_after" and method != "HEAD")
        what = "reset_after" if truncate else f"forwarded {answer.status}"
        proxy.record(method, path, what)  # before answering, so a test that counts after the call sees it
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(name, value)
        declared = answer.getheader("Content-Length") if method == "HEAD" else str(len(data))
        self.send_header("Content-Length", declared or "0")
        self.end_headers()
        if truncate:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._reset()
            return
        if method != "HEAD":
            self.wfile.write(data)
