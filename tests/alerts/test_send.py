"""Alerts reach a loopback webhook server and a loopback SMTP server; unreachable channels are retried and logged."""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from xxgk.alerts import AlertSummary, ReportFailure, load_alert_config, send_alerts, summarize_results
from xxgk.alerts.message import RUN_FAILED

SECRET_TOKEN = "s3cr3t-token-value"
SMTP_PASSWORD = "hunter2-password"


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, json.loads(body)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "ok": true}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def webhook_server() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Recorder", (_Recorder,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough RFC 5321 to accept one message per session (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT)."""

    messages: list[dict] = []

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._reply("220 localhost test SMTP")
        envelope: dict = {"rcpt": []}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode().strip()
            upper = cmd.upper()
            if upper.startswith("EHLO"):
                self.wfile.write(b"250-localhost\r\n250 AUTH PLAIN LOGIN\r\n")
            elif upper.startswith("HELO"):
                self._reply("250 localhost")
            elif upper.startswith("AUTH"):
                envelope["auth"] = cmd
                self._reply("235 ok")
            elif upper.startswith("MAIL FROM"):
                envelope["from"] = cmd[10:]
                self._reply("250 ok")
            elif upper.startswith("RCPT TO"):
                envelope["rcpt"].append(cmd[8:])
                self._reply("250 ok")
            elif upper == "DATA":
                self._reply("354 go ahead")
                data = b""
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    data += chunk
                envelope["data"] = data
                type(self).messages.append(envelope)
                envelope = {"rcpt": []}
                self._reply("250 queued")
            elif upper == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 ok")


@pytest.fixture()
def smtp_server() -> Iterator[tuple[int, type[_SmtpHandler]]]:
    handler = type("SmtpHandler", (_SmtpHandler,), {"messages": []})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _results() -> list[dict]:
    rows = []
    for sha, agency, rules in (("a" * 64, "甲县人民政府", ["I1", "I2", "I2"]), ("b" * 64, "乙镇人民政府", ["I4"]),
                               ("c" * 64, "丙街道办事处", [])):
        rows.append({"source_sha256": sha, "agency_name": agency, "report_year": 2024, "rule_id": "I3",
                     "severity": "error", "passed": True})
        for rule in rules:
            rows.append({"source_sha256": sha, "agency_name": agency, "report_year": 2024, "rule_id": rule,
                         "severity": "error", "passed": False})
        rows.append({"source_sha256": sha, "agency_name": agency, "report_year": 2024, "rule_id": "X1",
                     "severity": "warning", "passed": False})
    return rows


def _summary() -> AlertSummary:
    return summarize_results(_results(), run_id="run-1", lake="/lake", release_id="r1",
                             report_location="/lake/releases/r1/quality_report.html")


def test_summary_counts_blocking_failures_per_rule_and_ranks_worst_reports() -> None:
    summary = _summary()
    assert summary.reports_checked == 3
    assert summary.reports_quarantined == 2
    assert summary.counts_per_rule == {"I1": 1, "I2": 1, "I4": 1}
    assert [r.agency_name for r in summary.worst_reports] == ["甲县人民政府", "乙镇人民政府"]
    assert summary.worst_reports[0] == ReportFailure("a" * 64, "甲县人民政府", 2024, 3, ("I1", "I2"))


def test_nothing_is_sent_when_nothing_is_configured(caplog: pytest.LogCaptureFixture) -> None:
    config = load_alert_config({})
    assert not config.is_configured
    assert send_alerts(_summary(), config) == []


def test_webhook_formats_reach_a_local_server(webhook_server, caplog: pytest.LogCaptureFixture) -> None:
    base, handler = webhook_server
    env = {
        "XXGK_ALERT_WEBHOOK_URL": f"{base}/hook?token={SECRET_TOKEN}",
        "XXGK_ALERT_SLACK_URL": f"{base}/services/T000/B000/{SECRET_TOKEN}",
        "XXGK_ALERT_DINGTALK_URL": f"{base}/robot/send?access_token={SECRET_TOKEN}",
        "XXGK_ALERT_DINGTALK_SECRET": "SECdingsecret",
        "XXGK_ALERT_WECOM_URL": f"{base}/cgi-bin/webhook/send?key={SECRET_TOKEN}",
    }
    caplog.set_level(logging.DEBUG, logger="xxgk")
    deliveries = send_alerts(_summary(), load_alert_config(env))
    assert [(d.channel, d.delivered, d.attempts) for d in deliveries] == [
        ("webhook", True, 1), ("slack", True, 1), ("dingtalk", True, 1), ("wecom", True, 1)]
    by_path = {path.split("?")[0]: body for path, body in handler.received}
    generic = by_path["/hook"]
    assert generic["counts_per_rule"] == {"I1": 1, "I2": 1, "I4": 1}
    assert generic["worst_reports"][0]["agency_name"] == "甲县人民政府"
    assert generic["report_location"] == "/lake/releases/r1/quality_report.html"
    slack = by_path[f"/services/T000/B000/{SECRET_TOKEN}"]
    assert "2 of 3 reports quarantined" in slack["text"]
    assert "甲县人民政府" in slack["blocks"][1]["text"]["text"]
    ding = by_path["/robot/send"]
    assert ding["msgtype"] == "markdown" and "I1: 1" in ding["markdown"]["text"]
    ding_path = next(p for p, _ in handler.received if p.startswith("/robot/send"))
    assert "timestamp=" in ding_path and "sign=" in ding_path
    wecom = by_path["/cgi-bin/webhook/send"]
    assert wecom["msgtype"] == "markdown" and "quality_report.html" in wecom["markdown"]["content"]
    assert SECRET_TOKEN not in caplog.text


def test_email_reaches_a_local_smtp_server(smtp_server, caplog: pytest.LogCaptureFixture) -> None:
    port, handler = smtp_server
    env = {"XXGK_ALERT_SMTP_HOST": "127.0.0.1", "XXGK_ALERT_SMTP_PORT": str(port),
           "XXGK_ALERT_SMTP_USER": "bot", "XXGK_ALERT_SMTP_PASSWORD": SMTP_PASSWORD,
           "XXGK_ALERT_SMTP_STARTTLS": "0",
           "XXGK_ALERT_SMTP_FROM": "xxgk@example.org", "XXGK_ALERT_SMTP_TO": "dq@example.org, ops@example.org"}
    caplog.set_level(logging.DEBUG, logger="xxgk")
    config = load_alert_config(env)
    assert SMTP_PASSWORD not in repr(config)
    deliveries = send_alerts(_summary(), config)
    assert [(d.channel, d.delivered) for d in deliveries] == [("email", True)]
    (envelope,) = handler.messages
    assert envelope["rcpt"] == ["<dq@example.org>", "<ops@example.org>"]
    msg = message_from_bytes(envelope["data"], policy=default_policy)
    assert "2 of 3 reports quarantined" in msg["Subject"]
    body = msg.get_content()
    assert "I4: 1" in body and "乙镇人民政府" in body and "quality_report.html" in body
    assert SMTP_PASSWORD not in caplog.text


def test_unreachable_channel_is_retried_logged_and_does_not_raise(webhook_server, caplog) -> None:
    base, handler = webhook_server
    dead = f"http://127.0.0.1:{_closed_port()}/hook?token={SECRET_TOKEN}"
    env = {"XXGK_ALERT_WEBHOOK_URL": dead, "XXGK_ALERT_WECOM_URL": f"{base}/wecom?key=k",
           "XXGK_ALERT_RETRIES": "3", "XXGK_ALERT_TIMEOUT": "2"}
    slept: list[float] = []
    caplog.set_level(logging.INFO, logger="xxgk")
    deliveries = send_alerts(_summary(), load_alert_config(env), sleep=slept.append)
    assert [(d.channel, d.delivered, d.attempts) for d in deliveries] == [("webhook", False, 3), ("wecom", True, 1)]
    assert slept == [1.0, 2.0]
    assert "attempt 1/3 failed" in caplog.text and "unreachable after 3 attempts" in caplog.text
    assert SECRET_TOKEN not in caplog.text
    assert len(handler.received) == 1


def test_server_error_is_retried_then_given_up(webhook_server) -> None:
    base, handler = webhook_server
    handler.status = 503
    config = load_alert_config({"XXGK_ALERT_SLACK_URL": f"{base}/slack", "XXGK_ALERT_RETRIES": "2"})
    (delivery,) = send_alerts(_summary(), config, sleep=lambda s: None)
    assert (delivery.delivered, delivery.attempts) == (False, 2)
    assert len(handler.received) == 2


def test_run_failure_summary_renders_the_error() -> None:
    summary = AlertSummary(kind=RUN_FAILED, run_id="run-9", lake="s3://bucket/lake", error="StorageError: boom")
    text = summary.render_text()
    assert "FAILED" in summary.title and "StorageError: boom" in text and "s3://bucket/lake" in text
