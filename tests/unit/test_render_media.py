"""Reframing, captions, export presets and audio levels of clips."""

from __future__ import annotations

import io
import re
import wave

import numpy as np
import pytest

from reelforge_render.audio_energy import energy_db
from reelforge_render.captions import ass_document, clip_words, cues, srt_document
from reelforge_render.encoding import video_options
from reelforge_render.options import ClipOptions, ExportSpec
from reelforge_render.reframe import SubjectTrack, crop_size, plan_framing
from reelforge_render.sentences import Word


def track(xs: list[float] | np.ndarray, *, step: float = 0.5, present: bool = True) -> SubjectTrack:
    centres = np.asarray(xs, np.float64)
    times = np.arange(len(centres)) * step
    return SubjectTrack(times, centres, np.full(len(centres), 0.5), np.full(len(centres), present))


def test_the_crop_keeps_the_full_height_of_a_wide_picture() -> None:
    assert crop_size(1280, 720, "9:16") == (404, 720)
    assert crop_size(1280, 720, "1:1") == (720, 720)
    assert crop_size(1080, 1920, "16:9") == (1080, 606)
    assert ExportSpec(resolution=1080).size("9:16") == (1080, 1920)
    assert ExportSpec(resolution=720).size("16:9") == (1280, 720)
    assert ExportSpec(resolution=1080).size("4:5") == (1080, 1350)


def test_the_camera_follows_the_subject_and_holds_still_while_they_sway() -> None:
    swaying = 0.25 + 0.01 * np.sin(np.arange(40))  # small moves around a quarter of the width
    framing = plan_framing(track(swaying), width=1280, height=720, aspect="9:16", start_s=2, end_s=12, fps=30)
    assert framing.kind == "subject"
    assert np.ptp(framing.x) <= 4, "the crop wobbles with the speaker"
    centre = framing.x.mean() + framing.crop_w / 2
    assert abs(centre - 0.25 * 1280) < 0.12 * framing.crop_w + 2
    walking = np.linspace(0.2, 0.8, 40)
    moving = plan_framing(track(walking), width=1280, height=720, aspect="9:16", start_s=0, end_s=19.5, fps=30)
    assert moving.x[-1] - moving.x[0] > 500
    assert (np.diff(moving.x) >= -1).all(), "the camera goes back and forth"
    assert (moving.x >= 0).all()
    assert (moving.x <= 1280 - moving.crop_w).all()
    assert moving.commands().startswith("0.000 crop x ")


def test_nobody_in_frame_falls_back_to_a_blurred_pad_or_the_centre() -> None:
    empty = track([0.5] * 40, present=False)
    wide = plan_framing(empty, width=1280, height=720, aspect="9:16", start_s=0, end_s=10, fps=30)
    square = plan_framing(empty, width=1280, height=720, aspect="16:9", start_s=0, end_s=10, fps=30)
    near = plan_framing(empty, width=1200, height=1000, aspect="1:1", start_s=0, end_s=10, fps=30)
    assert (wide.kind, square.kind, near.kind) == ("blurred_pad", "centre", "centre")
    assert int(near.x[0]) == (1200 - near.crop_w) // 2


def words(text: str, start: float = 0.0, step: float = 0.4) -> list[Word]:
    return [Word(w, start + i * step, start + i * step + 0.3) for i, w in enumerate(text.split())]


def test_cues_hold_at_most_two_lines_that_fit() -> None:
    said = words("one two three four five six seven eight nine ten eleven twelve thirteen fourteen.", step=0.2)
    found = cues(said, max_chars=12)
    assert found
    for cue in found:
        assert 1 <= len(cue.lines) <= 2
        assert all(len(" ".join(w.text for w in line)) <= 12 or len(line) == 1 for line in cue.lines)
        assert cue.end - cue.start <= 3.0 + 0.3
    assert [w for cue in found for w in cue.words] == said


@pytest.mark.parametrize("style", ["highlight", "pop", "classic"])
def test_each_caption_style_is_valid_ass_within_the_safe_area(style: str) -> None:
    document = ass_document(words("ask not what your country can do for you."), width=1080, height=1920,
                            style=style, position="bottom")  # fmt: skip
    assert "PlayResX: 1080" in document
    assert "PlayResY: 1920" in document
    style_line = next(line for line in document.splitlines() if line.startswith("Style: Caption"))
    fields = style_line.split(",")
    assert fields[18] == "2"  # bottom centre
    assert int(fields[-2]) == round(0.12 * 1920)  # 12% above the bottom edge
    events = [line for line in document.splitlines() if line.startswith("Dialogue:")]
    if style == "classic":
        assert len(events) == 2  # one per cue: 3.5 s of speech, cues last at most 3 s
    else:
        assert len(events) == 9  # one per word
    if style == "highlight":
        assert all(events[i].count("\\c&H0000E5FF&") == 1 for i in range(len(events)))
    if style == "pop":
        assert all("\\t(0,120," in event for event in events)


def test_clip_words_are_timed_from_the_clips_start_and_srt_lists_them() -> None:
    inside = clip_words(words("before the clip now inside it after", start=10.0), 10.5, 12.5)
    assert [w.text for w in inside] == ["clip", "now", "inside", "it"]
    assert inside[0].start == pytest.approx(0.3)
    document = srt_document(inside)
    assert document.startswith("1\n00:00:00,300 --> ")
    assert re.search(r"clip now inside it", document)


def test_export_presets_choose_the_encoder_and_quality() -> None:
    assert video_options(ExportSpec(), speed_preset="veryfast")["vcodec"] == "libx264"
    assert video_options(ExportSpec(), speed_preset="veryfast")["crf"] == 20
    vp9 = video_options(ExportSpec(codec="vp9"), speed_preset="veryfast")
    assert (vp9["vcodec"], vp9["b:v"]) == ("libvpx-vp9", 0)
    capped = video_options(ExportSpec(codec="h265", video_bitrate_kbps=4000), speed_preset="fast")
    assert (capped["b:v"], capped["tag:v"], "crf" in capped) == ("4000k", "hvc1", False)
    assert video_options(ExportSpec(codec="av1"), speed_preset="fast")["vcodec"] == "libsvtav1"


def test_clip_options_say_what_is_wrong() -> None:
    assert ClipOptions().problems() == []
    wrong = ClipOptions(count=0, aspect="2:1", caption_style="comic", export=ExportSpec(resolution=999))
    problems = " ".join(wrong.problems())
    for field in ("count", "aspect", "caption_style", "export.resolution"):
        assert field in problems
    assert ClipOptions.from_json(ClipOptions(prompt="x").to_json()) == ClipOptions(prompt="x")


def test_audio_energy_is_louder_where_the_signal_is() -> None:
    rate = 16000
    quiet, loud = np.zeros(rate), 0.5 * np.sin(np.arange(rate) * 2 * np.pi * 440 / rate)
    samples = (np.concatenate([quiet, loud]) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    levels = energy_db(buffer.getvalue(), hop_s=0.5)
    assert len(levels) == 4
    assert levels[0] == -90.0
    assert levels[3] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.5)
