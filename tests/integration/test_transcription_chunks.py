"""Long media: transcribed in chunks cut at silences, in parallel, stitched at the right times."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import jiwer
import pytest
from conftest import Platform
from media_corpus import MEDIA, ffmpeg
from test_transcription import ready_asset, transcribe

from reelforge_common.db import Database
from reelforge_transcription.engine import Engine, EngineConfig

SPEECH_FILES = [
    *sorted((MEDIA / "speech" / "librivox_sense_and_sensibility").glob("*.wav")),
    MEDIA / "speech" / "jfk" / "jfk.wav",
    *sorted((MEDIA / "speech" / "cmu_arctic").glob("*.wav")),
]
CHUNKED = {"model": "tiny.en", "chunk_threshold_s": 300, "chunk_s": 120, "transcribe_concurrency": 2}

pytestmark = pytest.mark.parametrize("platform", [{"transcription": CHUNKED}], indirect=True)


def ten_minutes_of_speech(path: Path) -> Path:
    inputs = [arg for source in SPEECH_FILES for arg in ("-i", str(source))]
    graph = f"{''.join(f'[{i}:a]' for i in range(len(SPEECH_FILES)))}concat=n={len(SPEECH_FILES)}:v=0:a=1"
    one_round = path.with_name("round.wav")
    ffmpeg(*inputs, "-filter_complex", graph, "-ar", "16000", "-ac", "1", str(one_round))
    ffmpeg("-stream_loop", "-1", "-i", str(one_round), "-t", "610", str(path))
    return path


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower()))


# Whisper runs over ten minutes of speech twice (chunked, then in one pass) on
# two cores beside the gateway and ingest: about 150 s with set-up and teardown,
# too close to the suite's 180 s budget per test.
@pytest.mark.timeout(420)
async def test_a_long_file_is_chunked_and_says_what_one_pass_says(
    platform: Platform, db: Database, tmp_path: Path, model_cache: Path
) -> None:
    _tenant, auth = await platform.tenant("acme")
    audio = ten_minutes_of_speech(tmp_path / "long.wav")
    asset_id = await ready_asset(platform, auth, audio, "audio/wav")

    job = await transcribe(platform, auth, asset_id)

    assert job["status"] == "succeeded", job
    assert platform.transcription is not None
    schema = platform.transcription.settings.database_schema
    spans = await db.pool.fetch(f'SELECT start_s, end_s FROM "{schema}".transcript_chunks ORDER BY idx')
    assert len(spans) >= 4  # about 120 s each, cut at silences
    assert spans[0]["start_s"] == 0
    assert all(a["end_s"] == b["start_s"] for a, b in itertools.pairwise(spans))
    document = (await platform.api.get(f"/v1/transcripts/{asset_id}", headers=auth)).json()
    assert 609 < document["duration_s"] < 611
    segments = document["segments"]
    starts = [segment["start"] for segment in segments]
    assert starts == sorted(starts)
    assert segments[-1]["end"] > 540  # the stitched times reach the end of the media, not a chunk's
    word_starts = [word["start"] for segment in segments for word in segment["words"]]
    assert word_starts == sorted(word_starts)
    chunked = words((await platform.api.get(f"/v1/transcripts/{asset_id}?format=txt", headers=auth)).text)

    one_pass = Engine(EngineConfig(model="tiny.en", model_cache=model_cache)).transcribe(audio)
    difference = jiwer.wer(words(one_pass.text), chunked)
    assert difference <= 0.05, difference
