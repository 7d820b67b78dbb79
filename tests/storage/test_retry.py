"""The retry policy: transient errors are retried with bounded backoff, others surface at once."""

from __future__ import annotations

import pytest

from xxgk.storage.retry import RetryPolicy, call_with_retry


class Flaky:
    def __init__(self, failures: int, exc: Exception) -> None:
        self.failures, self.exc, self.calls = failures, exc, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc
        return "ok"


def transient(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionError)


def test_transient_errors_are_retried_with_bounded_waits() -> None:
    waits: list[float] = []
    fn = Flaky(3, ConnectionResetError("reset"))
    policy = RetryPolicy(attempts=5, base_delay=0.5, max_delay=1.0)
    assert call_with_retry(fn, policy=policy, is_transient=transient, describe="t", sleep=waits.append) == "ok"
    assert fn.calls == 4 and len(waits) == 3
    assert all(0 <= w <= c for w, c in zip(waits, [0.5, 1.0, 1.0], strict=True))


def test_gives_up_after_the_last_attempt() -> None:
    fn = Flaky(10, ConnectionResetError("reset"))
    with pytest.raises(ConnectionResetError):
        call_with_retry(fn, policy=RetryPolicy(attempts=3), is_transient=transient, describe="t", sleep=lambda s: None)
    assert fn.calls == 3


def test_permanent_errors_are_not_retried() -> None:
    fn = Flaky(1, PermissionError("denied"))
    with pytest.raises(PermissionError):
        call_with_retry(fn, policy=RetryPolicy(attempts=5), is_transient=transient, describe="t", sleep=lambda s: None)
    assert fn.calls == 1
