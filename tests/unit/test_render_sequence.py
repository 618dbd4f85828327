"""The arithmetic and graph of joining clips into a sequence (no FFmpeg run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelforge_render.export_settings import ExportSettings
from reelforge_render.sequence import Output, Piece, Transition, command, length, problems

FADE = Transition("crossfade", 0.5)
CUT = Transition()


def test_a_sequence_lasts_its_clips_less_the_overlapping_transitions() -> None:
    assert length([3.0, 2.0, 4.0], [FADE, CUT]) == pytest.approx(8.5)
    assert length([3.0, 2.0], [Transition("cut", 1.0)]) == pytest.approx(5.0)  # a cut overlaps nothing


def test_transitions_must_fit_the_clips_they_join() -> None:
    assert problems([3.0, 2.0, 4.0], [FADE, FADE]) == []
    assert problems([3.0, 2.0], [FADE, FADE]) == ["2 clips need 1 transitions, not 2"]
    # The middle clip would be all transition: 1.0 + 1.0 of its 2 s.
    found = problems([3.0, 2.0, 4.0], [Transition("crossfade", 1.0)] * 2)
    assert len(found) == 1
    assert found[0].startswith("clip 2 lasts 2.00 s")


def test_the_transitions_asked_for_become_one_per_join() -> None:
    assert ExportSettings().joins(3) == (CUT, CUT)
    assert ExportSettings(transitions=(FADE,)).joins(4) == (FADE, FADE, FADE)
    assert ExportSettings(transitions=(FADE, CUT)).joins(3) == (FADE, CUT)
    assert ExportSettings(transitions=(FADE, CUT)).joins(4) is None


def test_settings_survive_their_message_and_json() -> None:
    settings = ExportSettings(resolution="4K", aspect="9:16", fps=25, codec="h265", transitions=(FADE, CUT))
    assert ExportSettings.from_json(settings.to_json()) == settings
    assert ExportSettings.from_message(settings.to_message()) == settings
    assert (settings.output().width, settings.output().height) == (2160, 3840)
    assert ExportSettings(codec="av1", quality="lossless").problems() == [
        "av1 has no lossless mode here: use h264 or h265"
    ]


def test_a_duplicated_clip_is_decoded_once_and_split() -> None:
    clip, silent = Piece(Path("a.mp4"), 1.0, 2.0, True), Piece(Path("b.mp4"), 0.0, 2.0, False)
    other_silent = Piece(Path("c.mp4"), 0.0, 2.0, False)
    args = command(
        [clip, silent, clip, other_silent], [FADE, CUT, FADE], Output(640, 360, 30), Path("out.mp4"),
        threads=0, speed_preset="veryfast",
    )  # fmt: skip
    inputs = [args[i + 1] for i, arg in enumerate(args) if arg == "-i"]
    assert inputs.count("file:a.mp4") == 1
    # One silence of 2 s serves both silent clips.
    assert sum(i.startswith("anullsrc") for i in inputs) == 1
    graph = args[args.index("-filter_complex") + 1]
    assert "split=2" in graph
    assert graph.count("asplit=2") == 2  # the duplicated clip's sound, and the shared silence


def test_tags_are_options_of_the_output() -> None:
    args = command(
        [Piece(Path("a.mp4"), 0.0, 2.0, True)], [], Output(640, 360, 30), Path("out.mp4"),
        threads=0, speed_preset="veryfast", metadata={"title": "ab #1"},
    )  # fmt: skip
    assert args[args.index("-metadata") + 1] == "title=ab #1"
    assert args.index("-metadata") < args.index("out.mp4")
