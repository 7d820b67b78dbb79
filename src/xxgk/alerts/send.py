"""Delivery of an :class:`~xxgk.alerts.message.AlertSummary` to every configured channel.

Payload builders are pure functions (one per webhook format); :func:`send_alerts` posts them with retries and
never raises: a channel that stays unreachable is logged (without its secret URL) and reported as not delivered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import smtplib
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from xxgk.alerts.config import AlertConfig, SmtpConfig, redact_url
from xxgk.alerts.message import AlertSummary

logger = logging.getLogger(__name__)

# Short enough for every robot API (钉钉 and 企业微信 cap markdown at 4096 bytes / 20 000 bytes).
MAX_MARKDOWN_BYTES = 4000


@dataclass(frozen=True)
class Delivery:
    channel: str
    delivered: bool
    attempts: int
    error: str | None = None


class _PermanentError(Exception):
    """The channel answered and refused the message: retrying will not help."""


def build_webhook_payload(summary: AlertSummary) -> dict[str, Any]:
    """The generic JSON webhook body: the whole summary as data, plus a text rendering."""
    return {"source": "xxgk", **summary.to_json_dict(), "text": summary.render_text()}


def build_slack_payload(summary: AlertSummary) -> dict[str, Any]:
    """Slack incoming-webhook body (``text`` fallback and one mrkdwn section)."""
    body = summary.render_text()
    return {
        "text": summary.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": summary.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{body[:2900]}```"}},
        ],
    }


def _truncate_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore") + "\n…"


def build_dingtalk_payload(summary: AlertSummary) -> dict[str, Any]:
    """钉钉 custom robot body (msgtype markdown)."""
    return {
        "msgtype": "markdown",
        "markdown": {"title": summary.title[:64],
                     "text": _truncate_bytes(summary.render_markdown(), MAX_MARKDOWN_BYTES)},
    }


def build_wecom_payload(summary: AlertSummary) -> dict[str, Any]:
    """企业微信 group robot body (msgtype markdown)."""
    content = _truncate_bytes(summary.render_markdown(), MAX_MARKDOWN_BYTES)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def sign_dingtalk_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """Append 钉钉's ``timestamp`` and ``sign`` (HMAC-SHA256 of ``"{timestamp}\\n{secret}"``) to the robot URL."""
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def build_email(summary: AlertSummary, smtp: SmtpConfig) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = summary.title
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg.set_content(summary.render_text())
    return msg


def _check_response(response: httpx.Response, channel: str) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise httpx.HTTPStatusError(f"HTTP {response.status_code}", request=response.request, response=response)
    if response.status_code >= 400:
        raise _PermanentError(f"HTTP {response.status_code}")
    if channel in ("dingtalk", "wecom"):
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            errcode = 0
        if errcode not in (0, None):
            raise _PermanentError(f"robot API errcode {errcode}")


def _post_json(url: str, payload: dict[str, Any], timeout_s: float, channel: str) -> None:
    response = httpx.post(url, json=payload, timeout=timeout_s)
    _check_response(response, channel)


def _send_email(msg: EmailMessage, smtp: SmtpConfig, timeout_s: float) -> None:
    client_cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    with client_cls(smtp.host, smtp.port, timeout=timeout_s) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg, from_addr=smtp.sender, to_addrs=list(smtp.recipients))


def _with_retries(channel: str, where: str, attempt_fn: Callable[[], None], config: AlertConfig,
                  sleep: Callable[[float], None]) -> Delivery:
    last_error = ""
    for attempt in range(1, config.retries + 1):
        try:
            attempt_fn()
        except _PermanentError as exc:
            logger.warning("alert channel %s (%s) refused the message: %s", channel, where, exc)
            return Delivery(channel, False, attempt, str(exc))
        except (httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
            last_error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, httpx.HTTPError) else type(exc).__name__
            logger.warning("alert channel %s (%s) attempt %d/%d failed: %s", channel, where, attempt,
                           config.retries, last_error)
            if attempt < config.retries:
                sleep(config.backoff_s * 2 ** (attempt - 1))
            continue
        logger.info("alert sent to %s (%s) after %d attempt(s)", channel, where, attempt)
        return Delivery(channel, True, attempt)
    logger.error("alert channel %s (%s) unreachable after %d attempts; the run goes on", channel, where,
                 config.retries)
    return Delivery(channel, False, config.retries, last_error)


def send_alerts(summary: AlertSummary, config: AlertConfig,
                sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """Send ``summary`` to each configured channel; returns one :class:`Delivery` per channel, never raises."""
    if not config.is_configured:
        logger.info("no alert channel configured; nothing sent")
        return []
    timeout = config.timeout_s
    jobs: list[tuple[str, str, Callable[[], None]]] = []
    if config.webhook_url:
        url = config.webhook_url
        jobs.append(("webhook", redact_url(url),
                     lambda: _post_json(url, build_webhook_payload(summary), timeout, "webhook")))
    if config.slack_url:
        slack = config.slack_url
        jobs.append(("slack", redact_url(slack),
                     lambda: _post_json(slack, build_slack_payload(summary), timeout, "slack")))
    if config.dingtalk_url:
        ding, secret = config.dingtalk_url, config.dingtalk_secret
        jobs.append(("dingtalk", redact_url(ding), lambda: _post_json(
            sign_dingtalk_url(ding, secret) if secret else ding, build_dingtalk_payload(summary), timeout, "dingtalk")))
    if config.wecom_url:
        wecom = config.wecom_url
        jobs.append(("wecom", redact_url(wecom),
                     lambda: _post_json(wecom, build_wecom_payload(summary), timeout, "wecom")))
    if config.smtp:
        smtp = config.smtp
        jobs.append(("email", f"smtp://{smtp.host}:{smtp.port}",
                     lambda: _send_email(build_email(summary, smtp), smtp, timeout)))
    deliveries = []
    for channel, where, fn in jobs:
        try:
            deliveries.append(_with_retries(channel, where, fn, config, sleep))
        except Exception as exc:  # a broken channel must never fail the run
            logger.error("alert channel %s (%s) failed unexpectedly: %s", channel, where, type(exc).__name__)
            deliveries.append(Delivery(channel, False, 0, type(exc).__name__))
    return deliveries
