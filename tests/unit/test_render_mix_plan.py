"""Choosing a mix's variants."""

from __future__ import annotations

from reelforge_render.mix_plan import auto_picks, problems

GROUPS = [["a", "b", "c"], ["x", "y"], ["p", "q"]]


def test_auto_picks_are_distinct_valid_and_the_same_for_the_same_seed() -> None:
    picks = auto_picks(GROUPS, 12, seed="mix_1")
    assert len({tuple(p) for p in picks}) == 12  # every combination, once
    assert all(0 <= i < len(group) for pick in picks for i, group in zip(pick, GROUPS, strict=True))
    assert auto_picks(GROUPS, 5, seed="mix_1") == auto_picks(GROUPS, 5, seed="mix_1")
    assert auto_picks(GROUPS, 5, seed="mix_1") != auto_picks(GROUPS, 5, seed="mix_2")


def test_problems_name_what_cannot_be_made() -> None:
    assert problems(GROUPS, mode="auto", count=12, picks=[]) == []
    assert problems(GROUPS, mode="auto", count=13, picks=[]) == [
        "auto mode makes 1 to 12 variants here (12 combinations)"
    ]
    assert problems(GROUPS, mode="manual", count=0, picks=[[0, 1, 1]]) == []
    assert problems(GROUPS, mode="manual", count=0, picks=[[0, 2, 1]]) == [
        "combination 1 must pick one index into each of the 3 groups"
    ]
    assert problems([[]], mode="auto", count=1, picks=[]) == ["each group holds 1 to 20 assets"]
