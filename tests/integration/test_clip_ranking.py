"""Clip jobs ranked and titled by a language model (a fake OpenAI-compatible
API behind aigen), and kept offline when the model fails."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import Platform
from media_corpus import LECTURE
from support import free_port
from test_clips import clip_job
from test_transcription import ready_asset

from reelforge_devstack.fakes import openai_chat as faults
from reelforge_devstack.fakes.openai_chat import FakeChat
from reelforge_devstack.fakes.server import serve

CHAT_PORT = free_port()
WITH_RANKING = {
    "transcription": {},
    "pose": {},
    "render": {"llm_ranking": True},
    "aigen": {
        "llm_base_url": f"http://127.0.0.2:{CHAT_PORT}/v1",
        "llm_api_key": "fake-llm-key",
        "provider_max_attempts": 1,
    },
}
pytestmark = pytest.mark.parametrize("platform", [WITH_RANKING], indirect=True)
SHORT = {"count": 2, "min_duration": 5, "max_duration": 15, "captions": "none"}


def last_first(messages: list[dict[str, Any]]) -> str:
    """The model's answer: the shortlist backwards, each with a title and hashtags."""
    numbers = [int(n) for n in re.findall(r"^Candidate (\d+)", messages[-1]["content"], flags=re.MULTILINE)]
    picks = [{"candidate": n, "title": f"Moment {n}", "hashtags": ["#lecture", f"#m{n}"]} for n in reversed(numbers)]
    return json.dumps({"clips": picks})


@pytest.fixture
async def chat() -> AsyncIterator[FakeChat]:
    fake = FakeChat(responder=last_first)
    async with serve(fake.app, port=CHAT_PORT):
        yield fake


async def test_the_language_model_orders_titles_and_tags_the_clips_and_is_charged(
    platform: Platform, chat: FakeChat
) -> None:
    _, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, LECTURE, "video/mp4")
    ranked = await clip_job(platform, auth, asset_id=asset_id, **SHORT)
    [request] = chat.requests
    assert request["response_format"] == {"type": "json_object"}
    shortlist = len(re.findall(r"^Candidate \d+", request["messages"][-1]["content"], flags=re.MULTILINE))
    assert shortlist > 2
    clips = ranked["clips"]
    assert [c["title"] for c in clips] == [f"Moment {shortlist}", f"Moment {shortlist - 1}"]
    assert clips[0]["hashtags"] == ["#lecture", f"#m{shortlist}"]
    assert [r["weight"] for c in clips for r in c["reasons"] if r["feature"] == "llm_rank"] == [0.0, 0.0]
    spend = (await platform.api.get("/v1/spend", headers=auth)).json()
    assert [e["kind"] for e in spend["entries"]] == ["completion"]
    assert spend["spent"]["micros"] > 0

    # The model failing leaves the offline ranking and keyphrase titles in place; the job still succeeds.
    chat.state.fail_always("chat", faults.server_error)
    offline = await clip_job(platform, auth, asset_id=asset_id, **SHORT)
    assert all(not c["hashtags"] for c in offline["clips"])
    assert all(r["feature"] != "llm_rank" for c in offline["clips"] for r in c["reasons"])
    assert [c["title"] for c in offline["clips"]] != [c["title"] for c in clips]
