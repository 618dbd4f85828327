"""The retry schedule of webhook deliveries."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from reelforge_notify.config import RETRY_DELAYS_S
from reelforge_notify.schedule import RetrySchedule, parse_retry_after


def test_the_default_schedule_is_the_standard_one() -> None:
    # After the immediate first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    assert RETRY_DELAYS_S == (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
    assert RetrySchedule(RETRY_DELAYS_S).attempts == 8


def test_delays_follow_the_schedule_within_the_jitter() -> None:
    schedule = RetrySchedule(RETRY_DELAYS_S, jitter=0.1)
    rng = random.Random(7)
    for failures, base in enumerate(RETRY_DELAYS_S, start=1):
        delays = [schedule.delay_after(failures, rng=rng) for _ in range(200)]
        assert all(d is not None and base * 0.9 <= d <= base * 1.1 for d in delays)
        assert len({round(d or 0, 6) for d in delays}) > 100  # jittered, not constant


def test_no_attempt_is_left_after_the_last_delay() -> None:
    schedule = RetrySchedule(RETRY_DELAYS_S)
    assert schedule.delay_after(len(RETRY_DELAYS_S)) is not None
    assert schedule.delay_after(len(RETRY_DELAYS_S) + 1) is None


def test_retry_after_lengthens_the_delay_but_never_shortens_it() -> None:
    schedule = RetrySchedule(RETRY_DELAYS_S, jitter=0.0)
    assert schedule.delay_after(1, retry_after_s=120.0) == 120.0
    assert schedule.delay_after(2, retry_after_s=1.0) == 300.0


def test_a_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    schedule = RetrySchedule(RETRY_DELAYS_S, jitter=0.0, max_retry_after_s=3600.0)
    assert schedule.delay_after(1, retry_after_s=86400.0) == 5.0


def test_the_time_scale_shrinks_every_delay() -> None:
    schedule = RetrySchedule(RETRY_DELAYS_S, jitter=0.0, time_scale=0.001)
    assert schedule.delay_after(3) == pytest.approx(1.8)
    assert schedule.delay_after(1, retry_after_s=60.0) == pytest.approx(0.06)
    assert schedule.scaled(5 * 86400) == pytest.approx(432.0)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
