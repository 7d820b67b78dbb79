"""Alerts to maintainers and data-quality owners: what a failed gate or a failed run says, and where it is sent.

Channels are configured from environment variables only (see :mod:`xxgk.alerts.config`); nothing is sent when
nothing is configured, a channel that cannot be reached is retried and logged and never fails the run, and no
secret (webhook token, SMTP password) is ever written to a log.
"""

from xxgk.alerts.config import AlertConfig, SmtpConfig, load_alert_config
from xxgk.alerts.message import AlertSummary, ReportFailure, summarize_results
from xxgk.alerts.send import Delivery, send_alerts

__all__ = [
    "AlertConfig",
    "AlertSummary",
    "Delivery",
    "ReportFailure",
    "SmtpConfig",
    "load_alert_config",
    "send_alerts",
    "summarize_results",
]
