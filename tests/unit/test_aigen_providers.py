"""Contract tests of aigen's provider adapters against local fakes that speak
each provider's documented HTTP API (endpoints, auth headers, error bodies):
success, refused keys, 429 with Retry-After, 5xx, malformed JSON, failed
tasks and slow polling; through the same retry policy the service uses."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from ipaddress import ip_network
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reelforge_aigen.calls import Attempts, ProviderCalls
from reelforge_aigen.config import AigenSettings
from reelforge_aigen.providers.base import Image, Outcome, ProviderError, VideoJob
from reelforge_aigen.providers.chat import ChatProvider
from reelforge_aigen.providers.http import Downloads
from reelforge_aigen.providers.minimax import MiniMax
from reelforge_aigen.providers.segmind import Segmind
from reelforge_common.safe_egress import AddressPolicy
from reelforge_common.telemetry import Metrics
from reelforge_devstack.fakes import minimax as minimax_fake
from reelforge_devstack.fakes import openai_chat as chat_fake
from reelforge_devstack.fakes import segmind as segmind_fake
from reelforge_devstack.fakes.minimax import FakeMiniMax
from reelforge_devstack.fakes.openai_chat import FakeChat
from reelforge_devstack.fakes.segmind import FakeSegmind
from reelforge_devstack.fakes.server import sample_video, serve

IMAGE = Path(__file__).resolve().parents[2].parent / "shared" / "media" / "images" / "astronaut.png"
DOWNLOADS = Downloads(policy=AddressPolicy(), max_bytes=10**8, timeout_s=30)
# The fakes listen on 127.0.0.2: downloads may reach it, as an operator's allowlist would let them.
LOCAL_DOWNLOADS = Downloads(policy=AddressPolicy([ip_network("127.0.0.2/32")]), max_bytes=10**8, timeout_s=30)
T = TypeVar("T")


class Sleeps:
    """A sleep that records how long it was asked to wait, and does not."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def calls(sleeps: Sleeps) -> ProviderCalls:
    settings = AigenSettings(provider_max_attempts=3, provider_backoff_s=0.5, breaker_failures=100)
    return ProviderCalls(settings, Metrics("aigen"), sleep=sleeps)


def job(model: str, **changes: Any) -> VideoJob:
    fields: dict[str, Any] = {
        "generation_id": "gen_1", "model": model, "prompt": "a lighthouse at dusk", "duration_s": 6.0,
        "resolution": "768p", "aspect": "16:9",
    }  # fmt: skip
    return VideoJob(**{**fields, **changes})


async def until_done(
    calls: ProviderCalls, name: str, poll: Callable[[], Awaitable[Outcome]], attempts: Attempts
) -> list[Outcome]:
    seen = []
    while not (outcome := await calls.call(name, poll, attempts)).done:
        seen.append(outcome)
    return [*seen, outcome]


# MiniMax.


@pytest.fixture
async def minimax() -> AsyncIterator[tuple[FakeMiniMax, MiniMax]]:
    fake = FakeMiniMax()
    async with serve(fake.app) as url:
        adapter = MiniMax(
            api_key=fake.api_key, base_url=url, group_id="", default_model="MiniMax-Hailuo-02", timeout_s=5,
            downloads=LOCAL_DOWNLOADS,
        )  # fmt: skip
        yield fake, adapter
        await adapter.close()


async def test_minimax_text_and_image_to_video_submits_polls_and_downloads(
    minimax: tuple[FakeMiniMax, MiniMax], calls: ProviderCalls, tmp_path: Path
) -> None:
    fake, adapter = minimax
    fake.polls_until_done = 3
    attempts = Attempts()
    first_frame = Image(IMAGE.read_bytes(), "image/png")
    dest = tmp_path / "video.mp4"
    submitted = await calls.call(
        "minimax", lambda: adapter.submit(job("MiniMax-Hailuo-02", first_frame=first_frame), dest), attempts
    )
    assert submitted.task_id.isdigit()
    assert not submitted.done
    body = fake.submitted[-1]
    assert (body["duration"], body["resolution"], body["prompt_optimizer"]) == (6, "768P", True)
    assert body["first_frame_image"].startswith("data:image/png;base64,")
    assert base64.b64decode(body["first_frame_image"].split(",", 1)[1]) == IMAGE.read_bytes()
    outcomes = await until_done(calls, "minimax", lambda: adapter.poll(submitted.task_id, dest), attempts)
    assert [o.fraction for o in outcomes[:-1]] == [0.1, 0.2, 0.5]  # Preparing, Queueing, Processing
    assert outcomes[-1].video == dest
    assert dest.read_bytes() == sample_video()
    assert attempts.count == 5
    assert (fake.state.calls["retrieve"], fake.state.calls["download"]) == (1, 1)


async def test_minimax_subject_reference_goes_as_one_character_without_duration_or_resolution(
    minimax: tuple[FakeMiniMax, MiniMax], tmp_path: Path
) -> None:
    fake, adapter = minimax
    character = Image(IMAGE.read_bytes(), "image/png")
    submitted = await adapter.submit(job("S2V-01", resolution="720p", character=character), tmp_path / "v.mp4")
    assert submitted.task_id
    body = fake.submitted[-1]
    assert "duration" not in body
    assert "resolution" not in body
    assert body["subject_reference"][0]["type"] == "character"
    assert len(body["subject_reference"][0]["image"]) == 1


@pytest.mark.parametrize(
    ("fault", "code", "retryable"),
    [
        (lambda: minimax_fake.base_error(1004, "login fail"), "provider_auth_failed", False),
        (lambda: minimax_fake.base_error(1008, "insufficient balance"), "provider_out_of_credit", False),
        (lambda: minimax_fake.base_error(2013, "invalid params, prompt"), "provider_rejected", False),
        (lambda: minimax_fake.base_error(1026, "input new_sensitive"), "provider_rejected", False),
        (minimax_fake.rate_limited, "provider_rate_limited", True),
        (minimax_fake.server_error, "provider_unavailable", True),
        (minimax_fake.malformed, "provider_unavailable", True),
    ],
)
async def test_minimax_errors_are_classified_by_base_resp_then_http_status(
    minimax: tuple[FakeMiniMax, MiniMax], tmp_path: Path, fault: Any, code: str, retryable: bool
) -> None:
    fake, adapter = minimax
    fake.state.fail_next("submit", fault)
    with pytest.raises(ProviderError) as raised:
        await adapter.submit(job("MiniMax-Hailuo-02"), tmp_path / "v.mp4")
    assert (raised.value.code, raised.value.retryable) == (code, retryable)


async def test_minimax_wrong_key_is_refused_and_not_retried(
    minimax: tuple[FakeMiniMax, MiniMax], calls: ProviderCalls, sleeps: Sleeps, tmp_path: Path
) -> None:
    fake, _ = minimax
    async with serve(fake.app) as url:
        wrong = MiniMax(api_key="nope", base_url=url, group_id="", default_model="", timeout_s=5, downloads=DOWNLOADS)
        with pytest.raises(ProviderError) as raised:
            await calls.call("minimax", lambda: wrong.submit(job("MiniMax-Hailuo-02"), tmp_path / "v.mp4"), Attempts())
        await wrong.close()
    assert raised.value.code == "provider_auth_failed"
    assert (fake.state.calls["submit"], sleeps.waits) == (1, [])


async def test_minimax_429_is_retried_after_its_retry_after(
    minimax: tuple[FakeMiniMax, MiniMax], calls: ProviderCalls, sleeps: Sleeps, tmp_path: Path
) -> None:
    fake, adapter = minimax
    fake.state.fail_next("submit", lambda: minimax_fake.rate_limited(retry_after=7))
    attempts = Attempts()
    submitted = await calls.call(
        "minimax", lambda: adapter.submit(job("MiniMax-Hailuo-02"), tmp_path / "v.mp4"), attempts
    )
    assert submitted.task_id
    assert sleeps.waits == [7.0]
    assert attempts.count == fake.state.calls["submit"] == 2


async def test_minimax_5xx_and_garbled_answers_are_retried_with_backoff_then_given_up(
    minimax: tuple[FakeMiniMax, MiniMax], calls: ProviderCalls, sleeps: Sleeps, tmp_path: Path
) -> None:
    fake, adapter = minimax
    fake.state.fail_next("submit", minimax_fake.server_error)
    fake.state.fail_next("submit", minimax_fake.malformed)
    submitted = await calls.call(
        "minimax", lambda: adapter.submit(job("MiniMax-Hailuo-02"), tmp_path / "v.mp4"), Attempts()
    )
    assert submitted.task_id
    assert len(sleeps.waits) == 2
    assert all(0 <= wait <= 30 for wait in sleeps.waits)
    fake.state.fail_always("query", minimax_fake.server_error)
    with pytest.raises(ProviderError) as raised:
        await calls.call("minimax", lambda: adapter.poll(submitted.task_id, tmp_path / "v.mp4"), Attempts())
    assert raised.value.code == "provider_unavailable"
    assert fake.state.calls["query"] == 3  # provider_max_attempts


async def test_a_failed_minimax_task_fails_with_the_providers_reason(
    minimax: tuple[FakeMiniMax, MiniMax], calls: ProviderCalls, tmp_path: Path
) -> None:
    fake, adapter = minimax
    fake.fail_next_task = "output new_sensitive"
    submitted = await adapter.submit(job("MiniMax-Hailuo-02"), tmp_path / "v.mp4")
    with pytest.raises(ProviderError) as raised:
        await until_done(calls, "minimax", lambda: adapter.poll(submitted.task_id, tmp_path / "v.mp4"), Attempts())
    assert (raised.value.code, raised.value.retryable) == ("generation_failed", False)
    assert "new_sensitive" in raised.value.message


async def test_slow_minimax_polling_reports_progress_until_the_video_is_ready(
    minimax: tuple[FakeMiniMax, MiniMax], calls: ProviderCalls, tmp_path: Path
) -> None:
    fake, adapter = minimax
    fake.polls_until_done = 12
    submitted = await adapter.submit(job("MiniMax-Hailuo-02"), tmp_path / "v.mp4")
    outcomes = await until_done(
        calls, "minimax", lambda: adapter.poll(submitted.task_id, tmp_path / "v.mp4"), Attempts()
    )
    assert len(outcomes) == 13
    assert outcomes[-1].done


async def test_result_downloads_may_not_reach_private_addresses(
    minimax: tuple[FakeMiniMax, MiniMax], tmp_path: Path
) -> None:
    fake, _ = minimax
    async with serve(fake.app) as url:
        strict = MiniMax(
            api_key=fake.api_key, base_url=url, group_id="", default_model="", timeout_s=5, downloads=DOWNLOADS
        )
        fake.polls_until_done = 0
        submitted = await strict.submit(job("MiniMax-Hailuo-02"), tmp_path / "v.mp4")
        with pytest.raises(ProviderError) as raised:
            await strict.poll(submitted.task_id, tmp_path / "v.mp4")
        await strict.close()
    assert raised.value.code == "provider_bad_result"
    assert fake.state.calls["download"] == 0


# Segmind.


@pytest.fixture
async def segmind() -> AsyncIterator[tuple[FakeSegmind, Segmind]]:
    fake = FakeSegmind()
    async with serve(fake.app) as url:
        adapter = Segmind(
            api_key=fake.api_key, base_url=url, default_model="kling-text2video", timeout_s=5, downloads=LOCAL_DOWNLOADS
        )
        yield fake, adapter
        await adapter.close()


async def test_segmind_queued_models_poll_the_request_and_charge_its_reported_cost(
    segmind: tuple[FakeSegmind, Segmind], calls: ProviderCalls, tmp_path: Path
) -> None:
    fake, adapter = segmind
    dest = tmp_path / "v.mp4"
    submitted = await adapter.submit(
        job("kling-text2video", duration_s=5, resolution="720p", aspect="9:16", seed=3), dest
    )
    body = fake.submitted[-1]
    assert (body["aspect_ratio"], body["duration"], body["seed"]) == ("9:16", 5, 3)
    outcomes = await until_done(calls, "segmind", lambda: adapter.poll(submitted.task_id, dest), Attempts())
    assert outcomes[-1].cost_micros == 280_000
    assert dest.read_bytes() == sample_video()


async def test_segmind_synchronous_models_answer_with_the_video_and_its_cost(
    segmind: tuple[FakeSegmind, Segmind], tmp_path: Path
) -> None:
    fake, adapter = segmind
    first_frame = Image(IMAGE.read_bytes(), "image/png")
    outcome = await adapter.submit(
        job("ltx-video", duration_s=4, resolution="480p", first_frame=first_frame), tmp_path / "v.mp4"
    )
    assert outcome.done
    assert outcome.cost_micros == 57_000
    assert fake.submitted[-1]["image"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    ("fault", "code", "retryable"),
    [
        (lambda: segmind_fake.error(401, "Unauthorized. API key is invalid"), "provider_auth_failed", False),
        (segmind_fake.out_of_credit, "provider_out_of_credit", False),
        (lambda: segmind_fake.error(406, "Invalid content type"), "provider_rejected", False),
        (lambda: segmind_fake.error(422, "Prompt is Mandatory"), "provider_rejected", False),
        (segmind_fake.rate_limited, "provider_rate_limited", True),
        (segmind_fake.server_error, "provider_unavailable", True),
    ],
)
async def test_segmind_errors_are_classified_by_status_and_message(
    segmind: tuple[FakeSegmind, Segmind], tmp_path: Path, fault: Any, code: str, retryable: bool
) -> None:
    fake, adapter = segmind
    fake.state.fail_next("submit", fault)
    with pytest.raises(ProviderError) as raised:
        await adapter.submit(job("kling-text2video", duration_s=5, resolution="720p"), tmp_path / "v.mp4")
    assert (raised.value.code, raised.value.retryable) == (code, retryable)


async def test_segmind_429_waits_until_the_window_resets(
    segmind: tuple[FakeSegmind, Segmind], calls: ProviderCalls, sleeps: Sleeps, tmp_path: Path
) -> None:
    fake, adapter = segmind
    fake.state.fail_next("submit", lambda: segmind_fake.rate_limited(reset_in_s=3))
    await calls.call(
        "segmind",
        lambda: adapter.submit(job("kling-text2video", duration_s=5, resolution="720p"), tmp_path / "v.mp4"),
        Attempts(),
    )
    assert len(sleeps.waits) == 1
    assert 2 < sleeps.waits[0] <= 3


async def test_a_failed_segmind_request_and_a_garbled_status_are_told_apart(
    segmind: tuple[FakeSegmind, Segmind], calls: ProviderCalls, tmp_path: Path
) -> None:
    fake, adapter = segmind
    fake.fail_next_request = "NSFW content detected"
    submitted = await adapter.submit(job("kling-text2video", duration_s=5, resolution="720p"), tmp_path / "v.mp4")
    with pytest.raises(ProviderError) as raised:
        await until_done(calls, "segmind", lambda: adapter.poll(submitted.task_id, tmp_path / "v.mp4"), Attempts())
    assert (raised.value.code, "NSFW" in raised.value.message) == ("generation_failed", True)
    fake.state.fail_next("status", segmind_fake.malformed)
    fine = await adapter.submit(job("kling-text2video", duration_s=5, resolution="720p"), tmp_path / "w.mp4")
    outcomes = await until_done(calls, "segmind", lambda: adapter.poll(fine.task_id, tmp_path / "w.mp4"), Attempts())
    assert outcomes[-1].done


# OpenAI-compatible chat.


@pytest.fixture
async def chat() -> AsyncIterator[tuple[FakeChat, ChatProvider]]:
    fake = FakeChat(responder=lambda messages: '{"ranking": [2, 1]}')
    async with serve(fake.app) as url:
        adapter = ChatProvider(
            api_key=fake.api_key, base_url=f"{url}/v1", model="gpt-4o-mini", timeout_s=5, downloads=DOWNLOADS
        )
        yield fake, adapter
        await adapter.close()


JSON_ASK = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Rank these."}]


async def test_chat_completions_in_json_mode(chat: tuple[FakeChat, ChatProvider]) -> None:
    fake, adapter = chat
    reply = await adapter.complete(JSON_ASK, json_mode=True, max_tokens=100, temperature=0.2)
    assert reply.content == '{"ranking": [2, 1]}'
    assert reply.prompt_tokens > 0
    assert fake.requests[-1]["response_format"] == {"type": "json_object"}
    with pytest.raises(ProviderError) as raised:
        await adapter.complete(
            [{"role": "user", "content": "Rank these."}], json_mode=True, max_tokens=100, temperature=0
        )
    assert raised.value.code == "provider_rejected"


@pytest.mark.parametrize(
    ("fault", "code", "retryable"),
    [
        (
            lambda: chat_fake.error(401, "Incorrect API key", "invalid_request_error", "invalid_api_key"),
            "provider_auth_failed",
            False,
        ),
        (chat_fake.quota_exhausted, "provider_out_of_credit", False),
        (chat_fake.rate_limited, "provider_rate_limited", True),
        (chat_fake.server_error, "provider_unavailable", True),
        (chat_fake.malformed, "provider_unavailable", True),
    ],
)
async def test_chat_errors_tell_a_rate_limit_from_an_exhausted_quota(
    chat: tuple[FakeChat, ChatProvider], fault: Any, code: str, retryable: bool
) -> None:
    fake, adapter = chat
    fake.state.fail_next("chat", fault)
    with pytest.raises(ProviderError) as raised:
        await adapter.complete(JSON_ASK, json_mode=True, max_tokens=100, temperature=0)
    assert (raised.value.code, raised.value.retryable) == (code, retryable)


async def test_chat_rate_limits_are_retried_after_retry_after(
    chat: tuple[FakeChat, ChatProvider], calls: ProviderCalls, sleeps: Sleeps
) -> None:
    fake, adapter = chat
    fake.state.fail_next("chat", lambda: chat_fake.rate_limited(retry_after_s=2))
    reply = await calls.call(
        "llm", lambda: adapter.complete(JSON_ASK, json_mode=True, max_tokens=10, temperature=0), Attempts()
    )
    assert reply.content
    assert sleeps.waits == [2.0]
