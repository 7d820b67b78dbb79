"""Retry with exponential backoff and full jitter, shared by the object stores and the URL fetcher.

Only the *policy* lives here (how many attempts, how long to wait); each caller says which exceptions are transient.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; the wait before try *n* (n ≥ 2) is uniform in [0, min(max_delay, base·2^(n-2))]."""

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 10.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return (rng or random).uniform(0, ceiling) if ceiling > 0 else 0.0


def call_with_retry(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    is_transient: Callable[[BaseException], bool],
    describe: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` until it succeeds, a non-transient error occurs, or ``policy.attempts`` are used up.

    The last exception propagates unchanged; callers wrap it into their own error type.
    """
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as exc:
            if attempt >= policy.attempts or not is_transient(exc):
                raise
            wait = policy.delay(attempt)
            logger.warning("%s failed (attempt %d/%d: %s); retrying in %.2fs", describe, attempt, policy.attempts,
                           _short(exc), wait)
            sleep(wait)
            attempt += 1


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}"
