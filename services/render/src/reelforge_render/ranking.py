"""Optional re-ranking of highlights by the deployment's language model.

The offline scorer shortlists more moments than asked; the model (through
aigen's ``Complete``, which applies the tenant's AI budget, the provider's
rate limit and retries) orders them, titles each and suggests hashtags. Its
answer is checked, not trusted: unknown or repeated candidates are dropped,
missing places are filled in the offline order, and anything that goes wrong
(no model configured, budget spent, provider down, garbled JSON) leaves the
offline ranking and titles in place. The model's order shows as the
``llm_rank`` reason, with weight 0: the score stays the explainable one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import replace

import grpc

from reelforge.aigen.v1 import aigen_pb2, aigen_pb2_grpc
from reelforge_common.grpc_server import insecure_channel
from reelforge_render.highlights import Highlight, Reason

log = logging.getLogger(__name__)
_HASHTAG = re.compile(r"^#\w{1,30}$")
_MAX_HASHTAGS = 5
_MAX_TITLE = 80
_EXCERPT = 600
_SYSTEM = (
    "You choose the best moments of a long video for short-form social clips. Each candidate is a "
    "transcript excerpt with feature scores from 0 to 1. Prefer clips that hook in the first seconds, "
    "stand alone and end on a complete thought. Answer in JSON only: "
    '{"clips": [{"candidate": <number>, "title": <at most 8 words>, "hashtags": [<up to 5, each starting with #>]}]}, '
    "best first, each candidate at most once."
)


def shortlist_size(count: int) -> int:
    """How many offline candidates the model chooses ``count`` from."""
    return count + max(2, count)


def prompt_messages(highlights: Sequence[Highlight], count: int, focus: str) -> list[aigen_pb2.ChatMessage]:
    lines = [f"Pick the best {count} of these {len(highlights)} candidates."]
    if focus:
        lines.append(f"The viewer is looking for: {focus}")
    for number, highlight in enumerate(highlights, 1):
        features = ", ".join(f"{r.feature} {r.value:.2f}" for r in highlight.reasons)
        duration = highlight.end_s - highlight.start_s
        lines.append(f"Candidate {number} ({duration:.0f} s; {features}): {highlight.excerpt[:_EXCERPT]}")
    return [
        aigen_pb2.ChatMessage(role="system", content=_SYSTEM),
        aigen_pb2.ChatMessage(role="user", content="\n".join(lines)),
    ]


def apply_ranking(highlights: Sequence[Highlight], count: int, answer: str) -> list[Highlight]:
    """The model's picks (titled, with hashtags), then the offline order to fill up to ``count``."""
    picks = json.loads(answer).get("clips")
    if not isinstance(picks, list):
        raise ValueError("the answer has no list of clips")
    ranked: list[Highlight] = []
    seen: set[int] = set()
    for pick in picks:
        if not isinstance(pick, dict):
            continue
        number = pick.get("candidate")
        if not isinstance(number, int) or not 1 <= number <= len(highlights) or number in seen:
            continue
        seen.add(number)
        chosen = highlights[number - 1]
        title = str(pick.get("title") or "").strip()[:_MAX_TITLE] or chosen.title
        tags = [str(tag) for tag in pick.get("hashtags") or [] if _HASHTAG.match(str(tag))][:_MAX_HASHTAGS]
        ranked.append(replace(chosen, title=title, hashtags=tuple(tags)))
        if len(ranked) == count:
            break
    ranked += [h for n, h in enumerate(highlights, 1) if n not in seen][: count - len(ranked)]
    total = len(ranked)
    return [
        replace(
            highlight,
            reasons=(
                *highlight.reasons,
                Reason("llm_rank", 1 - place / total, 0.0, f"ranked {place + 1} of {total} by the language model"),
            ),
        )
        for place, highlight in enumerate(ranked)
    ]


class LlmRanker:
    def __init__(self, aigen_target: str, timeout_s: float) -> None:
        self._channel = insecure_channel(aigen_target)
        self._aigen = aigen_pb2_grpc.AigenStub(self._channel)
        self._timeout_s = timeout_s

    async def rank(
        self, highlights: Sequence[Highlight], *, count: int, focus: str, tenant_id: str, job_id: str
    ) -> list[Highlight]:
        """The model's ranking of ``highlights``; the offline one when it cannot give one."""
        offline = list(highlights[:count])
        if len(highlights) <= 1:
            return offline
        request = aigen_pb2.CompletionRequest(
            tenant_id=tenant_id,
            job_id=job_id,
            messages=prompt_messages(highlights, count, focus),
            json=True,
            max_tokens=120 * count + 100,
            temperature=0.2,
        )
        try:
            answer = await self._aigen.Complete(request, timeout=self._timeout_s)
            return apply_ranking(highlights, count, answer.content)
        except grpc.aio.AioRpcError as exc:
            log.warning("LLM ranking unavailable, keeping the offline ranking", extra={"reason": exc.details()})
        except (ValueError, AttributeError) as exc:
            log.warning("LLM ranking unusable, keeping the offline ranking", extra={"reason": str(exc)})
        return offline

    async def close(self) -> None:
        await self._channel.close()
