"""aigen's policies without a provider: the circuit breaker's states, prices
and the fit of a request to a model."""

from __future__ import annotations

from reelforge_aigen.breaker import CircuitBreaker
from reelforge_aigen.pricing import PriceList
from reelforge_aigen.providers.local import MODELS as LOCAL
from reelforge_aigen.providers.local import frame_size
from reelforge_aigen.providers.minimax import MODELS as MINIMAX


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_circuit_opens_after_consecutive_failures_and_lets_one_trial_through_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown_s=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.failed()
    breaker.succeeded()  # a success in between resets the count
    for _ in range(3):
        assert breaker.allow()
        breaker.failed()
    assert (breaker.state, breaker.allow(), breaker.retry_in()) == ("open", False, 10)
    clock.now = 10
    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow()  # one trial at a time
    breaker.failed()  # the trial failed: another cooldown
    assert (breaker.state, breaker.allow()) == ("open", False)
    clock.now = 20
    assert breaker.allow()
    breaker.succeeded()
    assert (breaker.state, breaker.allow(), breaker.allow()) == ("closed", True, True)


def test_a_cancelled_trial_gives_its_place_back() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown_s=1, clock=clock)
    breaker.failed()
    clock.now = 1
    assert breaker.allow()
    breaker.released()
    assert breaker.allow()


def test_prices_scale_with_duration_and_resolution_and_can_be_overridden() -> None:
    prices = PriceList({})
    assert prices.video_micros("minimax", "MiniMax-Hailuo-02", duration_s=6, resolution="768p") == 282_000
    assert prices.video_micros("minimax", "MiniMax-Hailuo-02", duration_s=6, resolution="1080p") == 493_500
    assert prices.video_micros("minimax", "MiniMax-Hailuo-02", duration_s=10, resolution="768p") == 470_000
    assert prices.video_micros("local", "procedural-v1", duration_s=30, resolution="1080p") == 0
    assert prices.chat_micros("gpt-4o-mini", prompt_tokens=1_000_000, completion_tokens=0) == 150_000
    custom = PriceList({"minimax": {"MiniMax-Hailuo-02": {"base_usd": 1.0}}, "acme": {"*": {"per_second_usd": 0.5}}})
    assert custom.video_micros("minimax", "MiniMax-Hailuo-02", duration_s=6, resolution="768p") == 1_000_000
    assert custom.video_micros("minimax", "S2V-01", duration_s=6, resolution="720p") == 430_000
    assert custom.video_micros("acme", "any", duration_s=2, resolution="720p") == 1_000_000


def test_a_request_must_fit_the_models_durations_resolutions_and_inputs() -> None:
    hailuo = MINIMAX["MiniMax-Hailuo-02"]
    assert hailuo.problems(duration_s=6, resolution="1080p", aspect="16:9", image=True, character=False) == []
    problems = hailuo.problems(duration_s=10, resolution="1080p", aspect="9:16", image=False, character=True)
    assert problems == [
        "MiniMax-Hailuo-02 makes 1080p videos of 6 s only",
        "MiniMax-Hailuo-02 makes 16:9 videos",
        "MiniMax-Hailuo-02 takes no character reference",
    ]
    assert MINIMAX["S2V-01"].problems(duration_s=7, resolution="720p", aspect="16:9", image=False, character=True) == [
        "S2V-01 makes videos of 6 s"
    ]


def test_local_frames_are_even_sized_with_the_resolution_as_the_short_side() -> None:
    assert frame_size("1080p", "9:16") == (1080, 1920)
    assert frame_size("720p", "16:9") == (1280, 720)
    assert frame_size("480p", "16:9") == (854, 480)
    assert frame_size("480p", "1:1") == (480, 480)


def test_a_fallback_makes_the_duration_and_resolution_closest_to_those_asked() -> None:

    assert LOCAL["procedural-v1"].nearest(duration_s=6, resolution="768p") == (6.0, "720p")
    assert LOCAL["procedural-v1"].nearest(duration_s=45, resolution="512p") == (30.0, "480p")
    hailuo = MINIMAX["MiniMax-Hailuo-02"]
    assert hailuo.nearest(duration_s=9, resolution="1080p") == (6.0, "1080p")  # 1080p is made at 6 s only
    assert hailuo.nearest(duration_s=5, resolution="720p") == (6.0, "768p")
