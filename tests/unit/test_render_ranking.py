"""Highlight re-ranking by a language model: its answer is checked, not trusted."""

from __future__ import annotations

import json

import pytest

from reelforge_render.highlights import Highlight, Reason
from reelforge_render.ranking import apply_ranking, prompt_messages, shortlist_size


def highlight(n: int) -> Highlight:
    reasons = (Reason("hook", 0.5, 1.0, "opens with a question"),)
    return Highlight(n, n, n * 30.0, n * 30.0 + 20, 0.9 - n / 10, reasons, f"offline title {n}", f"excerpt {n}")


SHORTLIST = [highlight(n) for n in range(5)]


def test_the_models_picks_come_first_titled_with_hashtags_and_the_offline_order_fills_up() -> None:
    answer = json.dumps(
        {
            "clips": [
                {"candidate": 3, "title": "Why pricing matters", "hashtags": ["#pricing", "no hash", "#saas"]},
                {"candidate": 9, "title": "unknown candidate"},
                {"candidate": 3, "title": "a repeat"},
                {"candidate": 5, "title": "", "hashtags": "not a list"},
            ]
        }
    )
    ranked = apply_ranking(SHORTLIST, 3, answer)
    assert [h.first for h in ranked] == [2, 4, 0]
    assert [h.title for h in ranked] == ["Why pricing matters", "offline title 4", "offline title 0"]
    assert ranked[0].hashtags == ("#pricing", "#saas")
    assert ranked[2].hashtags == ()
    llm = [r for h in ranked for r in h.reasons if r.feature == "llm_rank"]
    assert [(r.weight, round(r.value, 3)) for r in llm] == [(0.0, 1.0), (0.0, 0.667), (0.0, 0.333)]
    assert [h.score for h in ranked] == [SHORTLIST[2].score, SHORTLIST[4].score, SHORTLIST[0].score]


@pytest.mark.parametrize("answer", ["not json", '{"picks": []}', "[1, 2]"])
def test_a_garbled_answer_is_refused(answer: str) -> None:
    with pytest.raises((ValueError, AttributeError)):
        apply_ranking(SHORTLIST, 3, answer)


def test_the_prompt_asks_for_json_and_shows_every_candidate_with_its_features() -> None:
    system, user = prompt_messages(SHORTLIST, 3, "pricing")
    assert "JSON" in system.content
    assert "looking for: pricing" in user.content
    assert all(f"Candidate {n + 1} (20 s; hook 0.50): excerpt {n}" in user.content for n in range(5))
    assert shortlist_size(3) == 6
    assert shortlist_size(1) == 3
