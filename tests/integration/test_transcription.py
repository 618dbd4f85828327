"""Transcription end to end: upload, POST /v1/transcriptions, the job, the transcript in four formats."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import srt
import webvtt
from conftest import WITH_TRANSCRIPTION, Platform
from media_corpus import SPEECH, ffmpeg
from minio import Minio
from support import wait_for
from test_assets import wait_until_done

from reelforge.api.v1 import jobs_pb2, jobs_pb2_grpc, transcripts_pb2, transcripts_pb2_grpc

pytestmark = pytest.mark.parametrize("platform", [WITH_TRANSCRIPTION], indirect=True)
JFK = SPEECH / "jfk.wav"


async def ready_asset(platform: Platform, auth: dict[str, str], path: Path, content_type: str) -> str:
    with path.open("rb") as file:
        response = await platform.api.post("/v1/assets", files={"file": (path.name, file, content_type)}, headers=auth)
    assert response.status_code == 201, response.text
    asset = await wait_until_done(platform, auth, response.json()["id"])
    assert asset["status"] == "ready", asset
    return str(asset["id"])


async def transcribe(platform: Platform, auth: dict[str, str], asset_id: str, **options: Any) -> dict[str, Any]:
    """Start a transcription and wait for its job to end; returns the job."""
    response = await platform.api.post("/v1/transcriptions", json={"asset_id": asset_id, **options}, headers=auth)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert (job["kind"], job["resource_id"]) == ("transcription", asset_id)

    async def ended() -> bool:
        nonlocal job
        job = (await platform.api.get(f"/v1/jobs/{job['id']}", headers=auth)).json()
        return job["status"] in {"succeeded", "failed"}

    await wait_for(ended, timeout_s=180, what="the transcription job to end")
    return job


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


async def test_speech_becomes_a_transcript_in_json_srt_vtt_and_text(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, JFK, "audio/wav")
    job = await transcribe(platform, auth, asset_id)
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1.0

    async def transcript(format: str) -> httpx.Response:
        response = await platform.api.get(f"/v1/transcripts/{asset_id}?format={format}", headers=auth)
        assert response.status_code == 200, response.text
        return response

    document = (await transcript("json")).json()
    assert document["language"] == "en"
    assert document["language_probability"] > 0.5
    assert 10.5 < document["duration_s"] < 11.5
    words = [word for segment in document["segments"] for word in segment["words"]]
    starts = [word["start"] for word in words]
    assert starts == sorted(starts)
    spoken = words_of((await transcript("txt")).text)
    assert " ".join(spoken).endswith("ask not what your country can do for you ask what you can do for your country")

    subrip = await transcript("srt")
    assert subrip.headers["content-type"].startswith("application/x-subrip")
    cues = list(srt.parse(subrip.text))
    assert cues
    assert all(len(line) <= 42 for cue in cues for line in cue.content.splitlines())
    assert words_of(" ".join(cue.content for cue in cues)) == spoken
    web = webvtt.from_string((await transcript("vtt")).text)
    assert [caption.text for caption in web.captions] == [cue.content for cue in cues]


async def test_search_finds_the_moment_in_the_tenants_transcripts_only(platform: Platform) -> None:
    _acme, acme = await platform.tenant("acme")
    _globex, globex = await platform.tenant("globex")
    speech = SPEECH.parent / "cmu_arctic" / "arctic_a0007.wav"
    jfk, other = (
        await ready_asset(platform, acme, JFK, "audio/wav"),
        await ready_asset(platform, acme, speech, "audio/wav"),
    )
    for asset_id in (jfk, other):
        assert (await transcribe(platform, acme, asset_id))["status"] == "succeeded"

    async def search(query: str, auth: dict[str, str]) -> list[dict[str, Any]]:
        response = await platform.api.get("/v1/search", params={"q": query}, headers=auth)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    hits = await search("what you can do for your country", acme)
    assert hits, "no hit"
    assert hits[0]["asset_id"] == jfk
    assert "country" in hits[0]["text"].lower()
    assert 0 <= hits[0]["start_s"] < hits[0]["end_s"] <= 11.5
    assert {hit["asset_id"] for hit in hits} == {jfk}
    # Semantic search: what was meant, in other words.
    meant = await search("duty to the nation", acme)
    assert meant, "no semantic hit"
    assert meant[0]["asset_id"] == jfk
    assert await search('"country can do for you" -americans', acme) == []  # the segment says "Americans"
    assert await search("what you can do for your country", globex) == []
    refused = await platform.api.get("/v1/search", params={"q": ""}, headers=acme)
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed")


async def test_media_without_speech_gives_an_empty_transcript_not_a_failure(platform: Platform, tmp_path: Path) -> None:
    _tenant, auth = await platform.tenant("acme")
    video_only = tmp_path / "silent-film.mp4"
    picture = "testsrc=duration=3:size=160x120:rate=10"
    ffmpeg("-f", "lavfi", "-i", picture, "-an", "-pix_fmt", "yuv420p", str(video_only))
    silence = tmp_path / "silence.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5", str(silence))

    no_audio = await ready_asset(platform, auth, video_only, "video/mp4")
    assert (await transcribe(platform, auth, no_audio))["status"] == "succeeded"
    document = (await platform.api.get(f"/v1/transcripts/{no_audio}", headers=auth)).json()
    assert (document["no_audio"], document["segments"]) == (True, [])

    quiet = await ready_asset(platform, auth, silence, "audio/wav")
    assert (await transcribe(platform, auth, quiet))["status"] == "succeeded"
    document = (await platform.api.get(f"/v1/transcripts/{quiet}", headers=auth)).json()
    assert (document["no_audio"], document["segments"]) == (False, [])
    assert (await platform.api.get(f"/v1/transcripts/{quiet}?format=srt", headers=auth)).text == ""


async def test_an_audio_track_that_does_not_decode_fails_the_job_with_the_reason(
    platform: Platform, minio_client: Minio
) -> None:
    tenant, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, JFK, "audio/wav")
    # The stored audio is damaged after ingest validated it (a disk or bucket fault).
    garbage = b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 64
    minio_client.put_object("reelforge", f"ingest/{tenant}/{asset_id}/audio.wav", io.BytesIO(garbage), len(garbage))

    job = await transcribe(platform, auth, asset_id)

    assert job["status"] == "failed"
    assert job["error"]["code"] == "media_unreadable"
    assert "does not decode" in job["error"]["message"]
    refused = await platform.api.get(f"/v1/transcripts/{asset_id}", headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (409, "transcript_failed")


async def test_bad_requests_are_refused_with_their_codes(platform: Platform) -> None:
    _acme, acme = await platform.tenant("acme")
    _globex, globex = await platform.tenant("globex")
    asset_id = await ready_asset(platform, acme, JFK, "audio/wav")

    async def refused(body: dict[str, Any], auth: dict[str, str]) -> tuple[int, str]:
        response = await platform.api.post("/v1/transcriptions", json=body, headers=auth)
        return response.status_code, response.json()["code"]

    assert await refused({"asset_id": asset_id, "language": "xx"}, acme) == (422, "unsupported_language")
    assert await refused({"asset_id": asset_id, "model": "large-v3"}, acme) == (422, "unsupported_model")
    assert await refused({"asset_id": "nope"}, acme) == (404, "not_found")
    assert await refused({"asset_id": asset_id}, globex) == (404, "not_found")
    assert await refused({}, acme) == (422, "validation_failed")
    missing = await platform.api.get(f"/v1/transcripts/{asset_id}", headers=acme)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad_format = await platform.api.get(f"/v1/transcripts/{asset_id}?format=doc", headers=acme)
    assert (bad_format.status_code, bad_format.json()["code"]) == (422, "validation_failed")

    forced = await transcribe(platform, acme, asset_id, language="en", prompt="Kennedy, Americans")
    assert forced["status"] == "succeeded"
    other_tenant = await platform.api.get(f"/v1/transcripts/{asset_id}", headers=globex)
    assert (other_tenant.status_code, other_tenant.json()["code"]) == (404, "not_found")
    assert json.loads((await platform.api.get(f"/v1/transcripts/{asset_id}", headers=acme)).text)["language"] == "en"


async def test_the_same_operations_over_the_public_grpc_api(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    _globex, globex = await platform.tenant("globex")
    asset_id = await ready_asset(platform, auth, JFK, "audio/wav")
    metadata = (("authorization", auth["Authorization"]),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        transcripts = transcripts_pb2_grpc.TranscriptsStub(channel)
        job = await transcripts.CreateTranscription(
            transcripts_pb2.CreateTranscriptionRequest(asset_id=asset_id, language="en"), metadata=metadata
        )
        assert (job.kind, job.resource_id) == ("transcription", asset_id)
        watch = jobs_pb2_grpc.JobsStub(channel).WatchJob(jobs_pb2.WatchJobRequest(job_id=job.id), metadata=metadata)
        final = [event.job async for event in watch if event.HasField("job")][-1]
        assert final.status == jobs_pb2.JOB_STATUS_SUCCEEDED

        text = await transcripts.GetTranscript(
            transcripts_pb2.GetTranscriptRequest(asset_id=asset_id, format=transcripts_pb2.TRANSCRIPT_FORMAT_TXT),
            metadata=metadata,
        )
        assert text.content_type == "text/plain"
        assert words_of(text.body)[-4:] == ["do", "for", "your", "country"]
        found = await transcripts.SearchTranscripts(
            transcripts_pb2.SearchTranscriptsRequest(query="duty to the nation"), metadata=metadata
        )
        assert [hit.asset_id for hit in found.hits][:1] == [asset_id]

        for call, status, code in [
            (
                transcripts.CreateTranscription(
                    transcripts_pb2.CreateTranscriptionRequest(asset_id=asset_id, language="xx"), metadata=metadata
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
                "unsupported_language",
            ),
            (
                transcripts.GetTranscript(
                    transcripts_pb2.GetTranscriptRequest(asset_id=asset_id),
                    metadata=(("authorization", globex["Authorization"]),),
                ),
                grpc.StatusCode.NOT_FOUND,
                "not_found",
            ),
            (
                transcripts.SearchTranscripts(transcripts_pb2.SearchTranscriptsRequest(query=" "), metadata=metadata),
                grpc.StatusCode.INVALID_ARGUMENT,
                "validation_failed",
            ),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            assert refused.value.code() == status
            assert dict(refused.value.trailing_metadata() or ())["rf-error-code"] == code


async def test_hotwords_reach_the_decoder(platform: Platform) -> None:
    """ "ten of clubs" is heard as "ten of clothes" without a hint (see the engine's WER tests)."""
    _tenant, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, SPEECH.parent / "cmu_pocketsphinx" / "001.wav", "audio/wav")
    job = await transcribe(platform, auth, asset_id, hotwords="clubs diamonds hearts spades")
    assert job["status"] == "succeeded", job
    text = (await platform.api.get(f"/v1/transcripts/{asset_id}?format=txt", headers=auth)).text
    assert "clubs" in words_of(text), text
