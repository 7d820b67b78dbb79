"""Alert channel configuration, read from environment variables.

=============================  ===========================================================
``XXGK_ALERT_WEBHOOK_URL``     generic JSON webhook (the summary as a JSON object)
``XXGK_ALERT_SLACK_URL``       Slack incoming webhook
``XXGK_ALERT_DINGTALK_URL``    钉钉 robot webhook (``…/robot/send?access_token=…``)
``XXGK_ALERT_DINGTALK_SECRET`` optional 钉钉 signing secret (加签)
``XXGK_ALERT_WECOM_URL``       企业微信 group robot webhook (``…/webhook/send?key=…``)
``XXGK_ALERT_SMTP_HOST``       SMTP server; with ``_PORT`` (default 587, or 465 with ``_SSL=1``), ``_USER``,
                               ``_PASSWORD``, ``_FROM``, ``_TO`` (comma-separated), ``_STARTTLS`` (``1`` default
                               when a user is set), ``_SSL``
``XXGK_ALERT_RETRIES``         attempts per channel (default 3)
``XXGK_ALERT_TIMEOUT``         seconds per attempt (default 10)
=============================  ===========================================================

Secrets live only in these objects; their ``repr`` hides them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ENV_PREFIX = "XXGK_ALERT_"


def redact_url(url: str) -> str:
    """``https://oapi.dingtalk.com/robot/send?access_token=…`` → ``https://oapi.dingtalk.com/…``: safe to log."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    ssl: bool = False


@dataclass(frozen=True)
class AlertConfig:
    webhook_url: str | None = field(default=None, repr=False)
    slack_url: str | None = field(default=None, repr=False)
    dingtalk_url: str | None = field(default=None, repr=False)
    dingtalk_secret: str | None = field(default=None, repr=False)
    wecom_url: str | None = field(default=None, repr=False)
    smtp: SmtpConfig | None = None
    retries: int = 3
    timeout_s: float = 10.0
    backoff_s: float = 1.0

    @property
    def channels(self) -> tuple[str, ...]:
        """Names of the configured channels, in sending order."""
        named = (
            ("webhook", self.webhook_url),
            ("slack", self.slack_url),
            ("dingtalk", self.dingtalk_url),
            ("wecom", self.wecom_url),
            ("email", self.smtp),
        )
        return tuple(name for name, value in named if value)

    @property
    def is_configured(self) -> bool:
        return bool(self.channels)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _smtp_from_env(env: Mapping[str, str]) -> SmtpConfig | None:
    host = env.get(f"{ENV_PREFIX}SMTP_HOST", "").strip()
    if not host:
        return None
    user = env.get(f"{ENV_PREFIX}SMTP_USER") or None
    ssl = _flag(env.get(f"{ENV_PREFIX}SMTP_SSL"), False)
    port = int(env.get(f"{ENV_PREFIX}SMTP_PORT") or (465 if ssl else 587))
    recipients = tuple(a.strip() for a in env.get(f"{ENV_PREFIX}SMTP_TO", "").split(",") if a.strip())
    sender = env.get(f"{ENV_PREFIX}SMTP_FROM") or user or "xxgk@localhost"
    if not recipients:
        raise ValueError(f"{ENV_PREFIX}SMTP_HOST is set but {ENV_PREFIX}SMTP_TO names no recipient")
    return SmtpConfig(
        host=host,
        port=port,
        sender=sender,
        recipients=recipients,
        user=user,
        password=env.get(f"{ENV_PREFIX}SMTP_PASSWORD") or None,
        starttls=_flag(env.get(f"{ENV_PREFIX}SMTP_STARTTLS"), bool(user) and not ssl),
        ssl=ssl,
    )


def load_alert_config(env: Mapping[str, str] | None = None) -> AlertConfig:
    """The channels configured in ``env`` (default ``os.environ``); empty values count as not configured."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        return (env.get(f"{ENV_PREFIX}{name}") or "").strip() or None

    return AlertConfig(
        webhook_url=get("WEBHOOK_URL"),
        slack_url=get("SLACK_URL"),
        dingtalk_url=get("DINGTALK_URL"),
        dingtalk_secret=get("DINGTALK_SECRET"),
        wecom_url=get("WECOM_URL"),
        smtp=_smtp_from_env(env),
        retries=max(1, int(get("RETRIES") or 3)),
        timeout_s=float(get("TIMEOUT") or 10),
        backoff_s=float(get("BACKOFF") or 1),
    )
