"""The reelforge CLI against fake servers: JSON output, error lines and exit
codes, configuration precedence, login, upload, jobs watch, transcribe, admin,
keys and quotas."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from reelforge_cli.main import create_app
from reelforge_sdk import RetryPolicy

Handler = Callable[[httpx.Request], httpx.Response]
TOKEN = "rf_k1_secret"
NO_SLEEP_RETRY = RetryPolicy(max_retries=2, jitter=lambda d: d)


def problem(status: int, code: str, detail: str) -> httpx.Response:
    body = {"type": f"urn:reelforge:problem:{code}", "title": code, "status": status, "detail": detail, "code": code}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


def asset_json(asset_id: str = "a_1", status: str = "ready", **extra: Any) -> dict[str, Any]:
    return {
        "id": asset_id,
        "job_id": "j_1",
        "status": status,
        "filename": "clip.mp4",
        "content_type": "video/mp4",
        "size_bytes": 2048,
        "source": "upload",
        "media": None,
        "derivatives": {},
        "error": None,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:01Z",
        **extra,
    }


def job_json(status: str = "running", progress: float = 0.5, **extra: Any) -> dict[str, Any]:
    return {
        "id": "j_1",
        "kind": "ingest",
        "status": status,
        "stage": "probe",
        "progress": progress,
        "resource_id": "a_1",
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": f"2025-01-01T00:00:{int(progress * 10):02d}Z",
        "error": {"code": "media_unreadable", "message": "not a video"} if status == "failed" else None,
        **extra,
    }


def quota_report_json(**quotas: Any) -> dict[str, Any]:
    return {
        "tenant_id": "t_42",
        "quotas": {
            "max_upload_bytes": 5_000_000_000,
            "max_media_duration_s": 14400.0,
            "max_concurrent_jobs": 4,
            "monthly_minutes": 500,
            "rate_limit_per_s": 20.0,
            "rate_limit_burst": 40,
            "defaults": ["max_concurrent_jobs", "max_media_duration_s", "max_upload_bytes", "rate_limit_per_s"],
            **quotas,
        },
        "usage": {"month": "2025-01-01", "minutes_used": 12.5, "active_jobs": 1},
    }


class Fake:
    """A fake API: records requests, answers through ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def cli_env(tmp_path: Path) -> dict[str, str | None]:
    """A clean environment: no key, a private config file, a wide terminal."""
    return {
        "REELFORGE_API_URL": "http://api.test",
        "REELFORGE_API_KEY": TOKEN,
        "REELFORGE_CONFIG": str(tmp_path / "config" / "reelforge.json"),
        "REELFORGE_PROFILE": None,
        "REELFORGE_OPERATOR_TOKEN": None,
        "COLUMNS": "200",
    }


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    return cli_env(tmp_path)


def run(fake: Handler, args: list[str], env: dict[str, str | None], *, input: str | None = None) -> Result:
    app = create_app(transport=httpx.MockTransport(fake), retry=NO_SLEEP_RETRY, sleep=lambda _: None)
    return CliRunner().invoke(app, args, env=env, input=input)


# Output and errors


def test_json_output_is_the_api_object_as_returned(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json=asset_json(extra_field="kept")))

    result = run(fake, ["assets", "get", "a_1", "--json"], env)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == asset_json(extra_field="kept")
    assert fake.requests[0].url == "http://api.test/v1/assets/a_1"
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_human_output_shows_the_asset(env: dict[str, str | None]) -> None:
    result = run(Fake(lambda _: httpx.Response(200, json=asset_json())), ["assets", "get", "a_1"], env)

    assert result.exit_code == 0
    assert "asset a_1" in result.stdout
    assert "clip.mp4" in result.stdout
    assert "ready" in result.stdout


def test_an_api_error_is_one_line_on_stderr_and_exit_1(env: dict[str, str | None]) -> None:
    result = run(Fake(lambda _: problem(404, "not_found", "no asset 123")), ["assets", "get", "123"], env)

    assert result.exit_code == 1
    assert result.stderr == "error: not_found: no asset 123 (HTTP 404)\n"
    assert result.stdout == ""


def test_an_api_error_with_json_is_an_error_document_on_stdout(env: dict[str, str | None]) -> None:
    result = run(Fake(lambda _: problem(403, "forbidden", "needs admin")), ["keys", "list", "--json"], env)

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {"status": 403, "code": "forbidden", "title": "forbidden", "detail": "needs admin"}
    }


def test_an_unreachable_api_is_one_line_without_a_traceback(env: dict[str, str | None]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result = run(refuse, ["jobs", "list"], env)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: network_error: connection refused")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_missing_api_key_is_a_usage_error(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json={"items": [], "next_cursor": None}))

    result = run(fake, ["assets", "list"], {**env, "REELFORGE_API_KEY": None})

    assert result.exit_code == 2
    assert result.stderr.startswith("error: missing_api_key: no API key")
    assert fake.requests == []


# Configuration


def test_login_writes_the_profile_readable_by_the_user_only(env: dict[str, str | None], tmp_path: Path) -> None:
    fake = Fake(lambda _: httpx.Response(200, json={"items": [], "next_cursor": None}))
    env = {**env, "REELFORGE_API_URL": None, "REELFORGE_API_KEY": None}

    result = run(fake, ["login", "--api-url", "http://prod.test/", "--api-key", "rf_a_b", "--json"], env)

    assert result.exit_code == 0, result.output
    path = tmp_path / "config" / "reelforge.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "profiles": {"default": {"api_url": "http://prod.test", "api_key": "rf_a_b"}}
    }
    assert json.loads(result.stdout)["profile"] == "default"
    assert fake.requests[0].headers["authorization"] == "Bearer rf_a_b"

    run(fake, ["jobs", "list"], env)
    assert str(fake.requests[-1].url).startswith("http://prod.test/v1/jobs")
    assert fake.requests[-1].headers["authorization"] == "Bearer rf_a_b"


def test_login_prompts_for_the_key_and_refuses_a_wrong_one(env: dict[str, str | None], tmp_path: Path) -> None:
    fake = Fake(lambda _: problem(401, "unauthenticated", "the API key is unknown, revoked or malformed"))

    result = run(fake, ["login", "--profile", "staging"], env, input="rf_bad_key\n")

    assert result.exit_code == 1
    assert "error: unauthenticated" in result.stderr
    assert fake.requests[0].headers["authorization"] == "Bearer rf_bad_key"
    assert not (tmp_path / "config" / "reelforge.json").exists()


def test_options_beat_a_named_profile_which_beats_the_environment(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json={"items": [], "next_cursor": None}))
    for name, key in (("default", "rf_default_k"), ("ci", "rf_ci_k")):
        run(fake, ["login", "--profile", name, "--api-key", key, "--no-verify"], env)

    def key_used(*args: str, **overrides: str | None) -> str:
        result = run(fake, [*args, "jobs", "list", "--json"], {**env, **overrides})
        assert result.exit_code == 0, result.output
        return fake.requests[-1].headers["authorization"].removeprefix("Bearer ")

    assert key_used() == TOKEN
    assert key_used(REELFORGE_API_KEY=None) == "rf_default_k"
    assert key_used("--profile", "ci") == "rf_ci_k"
    assert key_used(REELFORGE_API_KEY=None, REELFORGE_PROFILE="ci") == "rf_ci_k"
    assert key_used("--profile", "ci", "--api-key", "rf_flag_k") == "rf_flag_k"


def test_an_unknown_profile_is_a_usage_error(env: dict[str, str | None]) -> None:
    result = run(Fake(lambda _: httpx.Response(200)), ["--profile", "nope", "jobs", "list"], env)

    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown_profile: no profile 'nope'")


# Upload and import


def upload_server(final: dict[str, Any]) -> Fake:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v1/assets":
            return httpx.Response(201, json=asset_json(status="processing"))
        if request.method == "POST" and request.url.path == "/v1/imports":
            return httpx.Response(202, json=asset_json(status="importing", source="import"))
        return httpx.Response(200, json=final)

    return Fake(handler)


def test_upload_waits_for_the_asset_and_prints_it_as_json(env: dict[str, str | None], tmp_path: Path) -> None:
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"\0" * 2048)
    fake = upload_server(asset_json(status="ready"))

    result = run(fake, ["upload", str(media), "--json"], env)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == asset_json(status="ready")
    assert [(r.method, r.url.path) for r in fake.requests] == [("POST", "/v1/assets"), ("GET", "/v1/assets/a_1")]
    assert fake.requests[0].headers["content-type"].startswith("multipart/form-data; boundary=")


def test_upload_without_waiting_prints_the_processing_asset(env: dict[str, str | None], tmp_path: Path) -> None:
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"\0" * 10)
    fake = upload_server(asset_json(status="ready"))

    result = run(fake, ["upload", str(media), "--no-wait", "--json"], env)

    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "processing"
    assert len(fake.requests) == 1


def test_an_asset_that_fails_processing_exits_1_with_its_reason(env: dict[str, str | None], tmp_path: Path) -> None:
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"\0" * 10)
    failed = asset_json(status="failed", error={"code": "media_unreadable", "message": "not a video"})

    result = run(upload_server(failed), ["upload", str(media)], env)

    assert result.exit_code == 1
    assert result.stderr.endswith("error: media_unreadable: not a video (asset a_1 failed)\n")
    assert "asset a_1" in result.stdout


def test_uploading_a_missing_file_is_a_usage_error(env: dict[str, str | None], tmp_path: Path) -> None:
    fake = upload_server(asset_json())

    result = run(fake, ["upload", str(tmp_path / "nope.mp4"), "--json"], env)

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "file_not_found"
    assert fake.requests == []


def test_an_interrupted_multipart_upload_says_how_to_resume(env: dict[str, str | None], tmp_path: Path) -> None:
    media = tmp_path / "big.mp4"
    media.write_bytes(b"\1" * 3000)
    upload = {
        "asset_id": "a_big",
        "part_size": 1000,
        "part_count": 3,
        "parts": [{"number": n, "url": f"https://s3.test/p?partNumber={n}"} for n in (1, 2, 3)],
        "uploaded": [],
        "expires_at": None,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "s3.test":
            return httpx.Response(403 if request.url.params["partNumber"] == "2" else 200)
        return httpx.Response(201, json=upload)

    result = run(Fake(handler), ["upload", str(media), "--multipart-threshold", "1000"], env)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: upload_interrupted: parts 2 of upload a_big failed")
    assert result.stderr.rstrip().endswith(f"reelforge upload {media} --resume a_big (HTTP 403)")


def test_import_sends_the_url_and_waits(env: dict[str, str | None]) -> None:
    fake = upload_server(asset_json(status="ready", source="import"))

    result = run(fake, ["import", "https://example.com/talk.mp4", "--filename", "talk.mp4", "--json"], env)

    assert result.exit_code == 0, result.output
    assert json.loads(fake.requests[0].content) == {"url": "https://example.com/talk.mp4", "filename": "talk.mp4"}
    assert json.loads(result.stdout)["source"] == "import"


# Listings


def test_assets_list_all_follows_the_cursors(env: dict[str, str | None]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "c2":
            return httpx.Response(200, json={"items": [asset_json("a_2")], "next_cursor": None})
        return httpx.Response(200, json={"items": [asset_json("a_1")], "next_cursor": "c2"})

    result = run(Fake(handler), ["assets", "list", "--all", "--status", "ready", "--json"], env)

    assert result.exit_code == 0
    assert [a["id"] for a in json.loads(result.stdout)["items"]] == ["a_1", "a_2"]


def test_a_single_page_shows_how_to_get_the_next(env: dict[str, str | None]) -> None:
    page = {"items": [asset_json("a_1"), asset_json("a_2")], "next_cursor": "abc"}

    result = run(Fake(lambda _: httpx.Response(200, json=page)), ["assets", "list", "--limit", "2"], env)

    assert result.exit_code == 0
    assert "a_1" in result.stdout
    assert "a_2" in result.stdout
    assert "--cursor abc" in result.stdout


def test_jobs_list_passes_its_filters(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json={"items": [job_json()], "next_cursor": None}))

    result = run(fake, ["jobs", "list", "--status", "running", "--kind", "ingest", "--limit", "5"], env)

    assert result.exit_code == 0
    assert dict(fake.requests[0].url.params) == {"status": "running", "kind": "ingest", "limit": "5"}
    assert "ingest" in result.stdout


def test_jobs_get_shows_each_output_name_and_url(env: dict[str, str | None]) -> None:
    outputs = {
        name: {"url": f"https://s3.test/media/{name}?X-Amz-Signature=abc", "expires_at": "2025-01-01T01:00:00Z"}
        for name in ("original", "thumbnail", "proxy")
    }
    body = job_json("succeeded", 1.0, outputs=outputs)

    result = run(Fake(lambda _: httpx.Response(200, json=body)), ["jobs", "get", "j_1"], env)
    as_json = run(Fake(lambda _: httpx.Response(200, json=body)), ["jobs", "get", "j_1", "--json"], env)

    assert result.exit_code == 0, result.output
    assert "outputs" in result.stdout
    for name, output in outputs.items():
        assert name in result.stdout
        assert output["url"] in result.stdout
    assert json.loads(as_json.stdout)["outputs"] == outputs


def test_jobs_get_shows_no_outputs_row_while_there_are_none(env: dict[str, str | None]) -> None:
    result = run(Fake(lambda _: httpx.Response(200, json=job_json(outputs={}))), ["jobs", "get", "j_1"], env)

    assert result.exit_code == 0, result.output
    assert "job j_1" in result.stdout
    assert "outputs" not in result.stdout


# Jobs watch


def events(*jobs: dict[str, Any]) -> httpx.Response:
    body = "".join(f": ping\n\nevent: job\ndata: {json.dumps(job)}\n\n" for job in jobs)
    return httpx.Response(200, text=body, headers={"Content-Type": "text/event-stream"})


def test_jobs_watch_exits_0_when_the_job_succeeds(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: events(job_json(progress=0.2), job_json("succeeded", 1.0)))

    result = run(fake, ["jobs", "watch", "j_1", "--json"], env)

    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["running", "succeeded"]
    assert fake.requests[0].url.path == "/v1/jobs/j_1/events"


def test_jobs_watch_exits_1_when_the_job_fails(env: dict[str, str | None]) -> None:
    result = run(Fake(lambda _: events(job_json(progress=0.2), job_json("failed", 0.3))), ["jobs", "watch", "j_1"], env)

    assert result.exit_code == 1
    assert result.stderr.endswith("error: media_unreadable: not a video (job j_1 failed)\n")
    assert "job j_1" in result.stdout


# Transcribe

JFK_TEXT = "And so, my fellow Americans, ask not what your country can do for you.\n"
TRANSCRIPTS = {
    "txt": ("text/plain", JFK_TEXT),
    "srt": ("application/x-subrip", "1\n00:00:00,300 --> 00:00:07,600\n[music] ask not\n\n"),
    "json": ("application/json", json.dumps({"language": "en", "segments": [], "no_audio": False})),
}


def transcription_job(status: str = "queued", progress: float = 0.0) -> dict[str, Any]:
    return job_json(status, progress, kind="transcription", stage="transcribing")


def transcription_server(*job_states: dict[str, Any], created: httpx.Response | None = None) -> Fake:
    """Asset a_1 (uploads become it, ready at once); its transcription job goes through ``job_states``."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/assets":
            return httpx.Response(201, json=asset_json(status="processing"))
        if path == "/v1/assets/a_1":
            return httpx.Response(200, json=asset_json(status="ready"))
        if path == "/v1/transcriptions":
            return created or httpx.Response(202, json=transcription_job())
        if path == "/v1/jobs/j_1/events":
            return events(*job_states)
        if path == "/v1/transcripts/a_1":
            media_type, body = TRANSCRIPTS[request.url.params["format"]]
            return httpx.Response(200, text=body, headers={"Content-Type": f"{media_type}; charset=utf-8"})
        return problem(404, "not_found", f"no route {path}")

    return Fake(handler)


def succeeding() -> Fake:
    return transcription_server(transcription_job("running", 0.4), transcription_job("succeeded", 1.0))


def test_transcribe_an_asset_follows_the_job_and_prints_the_text(env: dict[str, str | None]) -> None:
    fake = succeeding()

    result = run(fake, ["transcribe", "a_1", "--format", "txt", "--language", "en", "--prompt", "Kennedy"], env)

    assert result.exit_code == 0, result.output
    assert result.stdout == JFK_TEXT
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("POST", "/v1/transcriptions"),
        ("GET", "/v1/jobs/j_1/events"),
        ("GET", "/v1/transcripts/a_1"),
    ]
    assert json.loads(fake.requests[0].content) == {
        "asset_id": "a_1",
        "language": "en",
        "word_timestamps": True,
        "prompt": "Kennedy",
    }
    assert fake.requests[0].headers["idempotency-key"]
    assert dict(fake.requests[2].url.params) == {"format": "txt"}


def test_transcribe_a_file_uploads_it_and_waits_for_the_asset_first(env: dict[str, str | None], tmp_path: Path) -> None:
    media = tmp_path / "jfk.wav"
    media.write_bytes(b"RIFF" + b"\0" * 100)
    fake = succeeding()

    result = run(fake, ["transcribe", str(media)], env)

    assert result.exit_code == 0, result.output
    assert result.stdout == JFK_TEXT
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("POST", "/v1/assets"),
        ("GET", "/v1/assets/a_1"),
        ("POST", "/v1/transcriptions"),
        ("GET", "/v1/jobs/j_1/events"),
        ("GET", "/v1/transcripts/a_1"),
    ]
    assert "uploaded jfk.wav as asset a_1" in result.stderr


def test_transcribe_with_output_writes_the_file_and_says_where_otherwise_prints_it_as_is(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    target = tmp_path / "jfk.srt"

    result = run(succeeding(), ["transcribe", "a_1", "--format", "srt", "-o", str(target)], env)
    printed = run(succeeding(), ["transcribe", "a_1", "--format", "srt"], env)

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == TRANSCRIPTS["srt"][1]
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"wrote the srt transcript of asset a_1 to {target}"
    assert printed.stdout == TRANSCRIPTS["srt"][1]


def test_transcribe_json_prints_one_object_with_the_transcript(env: dict[str, str | None], tmp_path: Path) -> None:
    target = tmp_path / "jfk.srt"

    as_text = run(succeeding(), ["transcribe", "a_1", "--format", "srt", "--output", str(target), "--json"], env)
    as_json = run(succeeding(), ["transcribe", "a_1", "--format", "json", "--json"], env)

    assert as_text.exit_code == 0, as_text.output
    assert json.loads(as_text.stdout) == {
        "asset_id": "a_1",
        "job_id": "j_1",
        "format": "srt",
        "output": str(target),
        "transcript": TRANSCRIPTS["srt"][1],
    }
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == {
        "asset_id": "a_1",
        "job_id": "j_1",
        "format": "json",
        "transcript": {"language": "en", "segments": [], "no_audio": False},
    }


def test_transcribe_exits_1_with_the_failed_jobs_error_code(env: dict[str, str | None]) -> None:
    fake = transcription_server(transcription_job("running", 0.2), transcription_job("failed", 0.3))

    result = run(fake, ["transcribe", "a_1"], env)
    as_json = run(fake, ["transcribe", "a_1", "--json"], env)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == "error: media_unreadable: not a video (job j_1 failed)"
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"]["code"] == "media_unreadable"
    assert "/v1/transcripts/a_1" not in [r.url.path for r in fake.requests]


def test_transcribe_in_an_unsupported_language_exits_1_with_its_code(env: dict[str, str | None]) -> None:
    refused = problem(422, "unsupported_language", "language 'xx' is not supported")
    fake = transcription_server(created=refused)

    result = run(fake, ["transcribe", "a_1", "--language", "xx"], env)
    as_json = run(fake, ["transcribe", "a_1", "--language", "xx", "--json"], env)

    assert result.exit_code == 1
    assert result.stderr == "error: unsupported_language: language 'xx' is not supported (HTTP 422)\n"
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"] == {
        "status": 422,
        "code": "unsupported_language",
        "title": "unsupported_language",
        "detail": "language 'xx' is not supported",
    }
    assert [r.url.path for r in fake.requests] == ["/v1/transcriptions"] * 2


def test_transcribe_an_unknown_asset_is_the_apis_not_found(env: dict[str, str | None]) -> None:
    fake = transcription_server(created=problem(404, "not_found", "no asset nope.mp4"))

    result = run(fake, ["transcribe", "nope.mp4"], env)

    assert result.exit_code == 1
    assert result.stderr == "error: not_found: no asset nope.mp4 (HTTP 404)\n"
    assert json.loads(fake.requests[0].content)["asset_id"] == "nope.mp4"


def test_transcribe_in_an_unknown_format_is_a_usage_error_and_sends_nothing(env: dict[str, str | None]) -> None:
    fake = succeeding()

    result = run(fake, ["transcribe", "a_1", "--format", "doc"], env)

    assert result.exit_code == 2
    assert result.stderr == "error: unknown_format: --format 'doc': expected one of json, srt, vtt, txt\n"
    assert fake.requests == []


# Admin and keys


def test_admin_tenant_create_prints_the_tenant_id_and_key_token(env: dict[str, str | None]) -> None:
    created = {
        "tenant": {"id": "t_42", "name": "acme", "created_at": "2025-01-01T00:00:00Z"},
        "api_key": {
            "id": "k_1",
            "name": "initial",
            "scopes": ["read", "write", "admin"],
            "created_at": "2025-01-01T00:00:00Z",
            "revoked_at": None,
            "token": "rf_k_1_supersecret",
        },
    }
    fake = Fake(lambda _: httpx.Response(201, json=created))

    result = run(fake, ["admin", "tenant", "create", "acme"], {**env, "REELFORGE_OPERATOR_TOKEN": "op-secret"})

    assert result.exit_code == 0, result.output
    assert "t_42" in result.stdout
    assert "rf_k_1_supersecret" in result.stdout
    assert fake.requests[0].headers["authorization"] == "Bearer op-secret"

    as_json = run(fake, ["admin", "tenant", "create", "acme", "--operator-token", "op-2", "--json"], env)
    assert json.loads(as_json.stdout) == created
    assert fake.requests[-1].headers["authorization"] == "Bearer op-2"


def test_admin_commands_need_the_operator_token(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json=[]))

    result = run(fake, ["admin", "tenant", "list"], env)

    assert result.exit_code == 2
    assert result.stderr.startswith("error: missing_operator_token")
    assert fake.requests == []


def test_keys_create_sends_the_chosen_scopes_and_shows_the_token(env: dict[str, str | None]) -> None:
    key = {
        "id": "k_9",
        "name": "ci",
        "scopes": ["read", "admin"],
        "created_at": "2025-01-01T00:00:00Z",
        "revoked_at": None,
        "token": "rf_k_9_secret",
    }
    fake = Fake(lambda _: httpx.Response(201, json=key))

    result = run(fake, ["keys", "create", "--name", "ci", "--scope", "read", "--scope", "admin"], env)

    assert result.exit_code == 0, result.output
    assert json.loads(fake.requests[0].content) == {"name": "ci", "scopes": ["read", "admin"]}
    assert "rf_k_9_secret" in result.stdout


def test_keys_revoke_and_rotate(env: dict[str, str | None]) -> None:
    key = {"id": "k_10", "name": "ci", "scopes": ["read"], "created_at": "2025-01-01T00:00:00Z", "revoked_at": None}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(201, json={**key, "token": "rf_k_10_new"})

    fake = Fake(handler)
    revoked = run(fake, ["keys", "revoke", "k_9", "--json"], env)
    rotated = run(fake, ["keys", "rotate", "k_10", "--json"], env)

    assert json.loads(revoked.stdout) == {"id": "k_9", "revoked": True}
    assert json.loads(rotated.stdout)["token"] == "rf_k_10_new"
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("DELETE", "/v1/api-keys/k_9"),
        ("POST", "/v1/api-keys/k_10/rotate"),
    ]


def test_download_url_prints_the_url_alone(env: dict[str, str | None]) -> None:
    link = {"url": "https://s3.test/media/a_1?X-Amz-Signature=abc", "expires_at": "2025-01-01T01:00:00Z"}

    result = run(Fake(lambda _: httpx.Response(200, json=link)), ["assets", "download-url", "a_1"], env)

    assert result.exit_code == 0
    assert result.stdout == link["url"] + "\n"


# Quotas


def table_rows(text: str) -> list[list[str]]:
    """The cells of each row of a rich table (inside a panel) in ``text``."""
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if len(cells) > 1:
            rows.append(cells)
    return rows


def test_quotas_prints_the_callers_report(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json=quota_report_json()))

    as_json = run(fake, ["quotas", "--json"], env)
    human = run(fake, ["quotas"], env)

    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == quota_report_json()
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/v1/quotas")] * 2
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert human.exit_code == 0, human.output
    rows = {cells[0]: cells[1:] for cells in table_rows(human.stdout)}
    assert rows["monthly_minutes"] == ["500", "own"]
    assert rows["rate_limit_burst"] == ["40", "own"]
    assert rows["max_upload_bytes"] == ["5000000000 (5.0 GB)", "default"]
    assert rows["rate_limit_per_s"] == ["20", "default"]
    assert "12.5 of 500" in human.stdout


def test_admin_tenant_quotas_without_options_only_reads(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json=quota_report_json()))

    result = run(fake, ["admin", "tenant", "quotas", "t_42", "--operator-token", "op-secret", "--json"], env)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == quota_report_json()
    assert [(r.method, r.url.path) for r in fake.requests] == [("GET", "/v1/admin/tenants/t_42/quotas")]
    assert fake.requests[0].headers["authorization"] == "Bearer op-secret"


def test_admin_tenant_quotas_sends_the_set_and_reset_quotas_as_a_merge_patch(env: dict[str, str | None]) -> None:
    answer = quota_report_json(rate_limit_burst=5)
    fake = Fake(lambda _: httpx.Response(200, json=answer))
    env = {**env, "REELFORGE_OPERATOR_TOKEN": "op-secret"}

    result = run(
        fake, ["admin", "tenant", "quotas", "t_42", "--reset", "monthly_minutes", "--rate-limit-burst", "5"], env
    )

    assert result.exit_code == 0, result.output
    [request] = fake.requests
    assert (request.method, request.url.path) == ("PATCH", "/v1/admin/tenants/t_42/quotas")
    assert request.headers["authorization"] == "Bearer op-secret"
    assert json.loads(request.content) == {"monthly_minutes": None, "rate_limit_burst": 5}
    assert "quotas of tenant t_42" in result.stdout

    as_json = run(fake, ["admin", "tenant", "quotas", "t_42", "--max-media-duration-s", "90.5", "--json"], env)
    assert json.loads(fake.requests[-1].content) == {"max_media_duration_s": 90.5}
    assert json.loads(as_json.stdout) == answer


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--reset", "max_cats"],
            "error: unknown_quota: --reset 'max_cats': expected one of max_upload_bytes, max_media_duration_s, "
            "max_concurrent_jobs, monthly_minutes, rate_limit_per_s, rate_limit_burst\n",
        ),
        (
            ["--reset", "monthly_minutes", "--monthly-minutes", "9"],
            "error: conflicting_options: --monthly-minutes and --reset monthly_minutes: "
            "set the quota or reset it, not both\n",
        ),
    ],
    ids=["unknown-name", "set-and-reset"],
)
def test_a_bad_reset_is_one_usage_error_line_and_sends_nothing(
    env: dict[str, str | None], args: list[str], line: str
) -> None:
    fake = Fake(lambda _: httpx.Response(200, json=quota_report_json()))
    env = {**env, "REELFORGE_OPERATOR_TOKEN": "op-secret"}

    result = run(fake, ["admin", "tenant", "quotas", "t_42", *args], env)
    as_json = run(fake, ["admin", "tenant", "quotas", "t_42", *args, "--json"], env)

    assert result.exit_code == 2
    assert result.stderr == line
    assert result.stdout == ""
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["code"] == line.split(":")[1].strip()
    assert fake.requests == []


# Pose and compare

FEEDBACK = {
    "joint": "left_knee",
    "direction": "less",
    "degrees": 25.0,
    "attempt_start_s": 3.0,
    "attempt_end_s": 4.6,
    "reference_start_s": 3.0,
    "reference_end_s": 4.0,
    "text": "left knee bends 25° less than the reference at 0:03\N{EN DASH}0:05",
}


def comparison_json(**extra: Any) -> dict[str, Any]:
    segment = {
        "reference_start_s": 3.0,
        "reference_end_s": 4.0,
        "attempt_start_s": 3.0,
        "attempt_end_s": 4.6,
        "score": 52.0,
        "weak": True,
        "differences": {"left_knee": 25.0},
        "feedback": [FEEDBACK],
    }
    return {
        "id": "cmp_1",
        "job_id": "j_1",
        "status": "completed",
        "reference_asset_id": "a_ref",
        "attempt_asset_id": "a_1",
        "reference_span": {"start_s": 0.0, "end_s": None},
        "attempt_span": {"start_s": 0.0, "end_s": None},
        "score": 81.5,
        "mirrored": True,
        "sample_fps": 10.0,
        "segments": [segment],
        "feedback": [FEEDBACK],
        "error": None,
        "created_at": "2025-01-01T00:00:00Z",
        "completed_at": "2025-01-01T00:00:09Z",
        **extra,
    }


def analysis_json(**extra: Any) -> dict[str, Any]:
    return {
        "id": "pa_1",
        "asset_id": "a_1",
        "job_id": "j_1",
        "status": "completed",
        "sample_fps": 10.0,
        "max_people": 2,
        "model": "full",
        "frames_analysed": 17,
        "frames_with_person": 17,
        "mean_visibility": 0.93,
        "people_seen": 1,
        "no_person": False,
        "duration_s": 1.7,
        "width": 360,
        "height": 640,
        "error": None,
        "created_at": "2025-01-01T00:00:00Z",
        "completed_at": "2025-01-01T00:00:03Z",
        **extra,
    }


def pose_server(*job_states: dict[str, Any], analysis: dict[str, Any] | None = None) -> Fake:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in {"/v1/pose-analyses", "/v1/comparisons"}:
            return httpx.Response(202, json=job_states[0])
        if path == "/v1/jobs/j_1/events":
            return events(*job_states)
        if path == "/v1/pose-analyses/a_1":
            return httpx.Response(200, json=analysis or analysis_json())
        if path == "/v1/comparisons/cmp_1":
            return httpx.Response(200, json=comparison_json())
        return problem(404, "not_found", f"no route {path}")

    return Fake(handler)


def compare_job(status: str, progress: float) -> dict[str, Any]:
    return job_json(status, progress, kind="compare", stage="aligning", resource_id="cmp_1")


def test_compare_follows_the_job_and_shows_the_score_and_the_feedback(env: dict[str, str | None]) -> None:
    fake = pose_server(compare_job("running", 0.5), compare_job("succeeded", 1.0))

    result = run(fake, ["compare", "a_ref", "a_1"], env)

    assert result.exit_code == 0, result.output
    assert "82 / 100" in result.stdout
    assert "mirrored" in result.stdout
    assert "left knee bends 25° less than the reference at 0:03" in result.stdout
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("POST", "/v1/comparisons"),
        ("GET", "/v1/jobs/j_1/events"),
        ("GET", "/v1/comparisons/cmp_1"),
    ]
    assert json.loads(fake.requests[0].content) == {"reference_asset_id": "a_ref", "attempt_asset_id": "a_1"}


def test_compare_json_prints_the_comparison_and_a_failed_job_exits_1(env: dict[str, str | None]) -> None:
    printed = run(pose_server(compare_job("succeeded", 1.0)), ["compare", "a_ref", "a_1", "--json"], env)
    failed = run(pose_server(compare_job("running", 0.2), compare_job("failed", 0.5)), ["compare", "a_ref", "a_1"], env)

    assert json.loads(printed.stdout) == comparison_json()
    assert failed.exit_code == 1
    assert failed.stderr.endswith("error: media_unreadable: not a video (job j_1 failed)\n")


def test_pose_says_when_nobody_was_found(env: dict[str, str | None]) -> None:
    job = job_json("succeeded", 1.0, kind="pose", stage="done")
    nobody = analysis_json(no_person=True, frames_with_person=0, people_seen=0)

    result = run(pose_server(job, analysis=nobody), ["pose", "a_1", "--fps", "5"], env)

    assert result.exit_code == 0, result.output
    assert "nobody found" in result.stdout
    assert "nobody was found in asset a_1" in result.stderr


# Clip

CLIP = {
    "index": 0,
    "start_s": 0.6,
    "end_s": 7.1,
    "duration_s": 6.5,
    "score": 0.82,
    "reasons": [{"feature": "hook", "value": 0.6, "weight": 0.2, "detail": "opens with a strong claim"}],
    "title": "John Dashwood",
    "excerpt": "John Dashwood had then leisure to consider...",
    "width": 1080,
    "height": 1920,
    "framing": "subject",
    "video": {"url": "http://s3.test/clip.mp4?sig=1", "expires_at": "2025-01-01T01:00:00Z"},
    "thumbnail": {"url": "http://s3.test/clip.jpg?sig=1", "expires_at": "2025-01-01T01:00:00Z"},
    "subtitles": {"url": "http://s3.test/clip.srt?sig=1", "expires_at": "2025-01-01T01:00:00Z"},
}


def clip_server(*job_states: dict[str, Any]) -> Fake:
    clip_job = {
        "id": "cj_1", "job_id": "j_1", "asset_id": "a_1", "status": "completed", "count": 1, "aspect": "9:16",
        "captions": None, "prompt": None, "clips": [CLIP], "error": None,
        "created_at": "2025-01-01T00:00:00Z", "completed_at": "2025-01-01T00:00:09Z",
    }  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "s3.test":
            assert "authorization" not in request.headers, "a presigned URL carries its own signature"
            return httpx.Response(200, content=f"bytes of {request.url.path}".encode())
        path = request.url.path
        if path == "/v1/clip-jobs":
            return httpx.Response(202, json=job_states[0])
        if path == "/v1/jobs/j_1/events":
            return events(*job_states)
        if path == "/v1/clip-jobs/cj_1":
            return httpx.Response(200, json=clip_job)
        return problem(404, "not_found", f"no route {path}")

    return Fake(handler)


def clip_state(status: str, progress: float) -> dict[str, Any]:
    return job_json(status, progress, kind="clipjob", stage="rendering", resource_id="cj_1")


def test_clip_follows_the_job_downloads_the_clips_and_writes_clips_json(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    fake = clip_server(clip_state("running", 0.6), clip_state("succeeded", 1.0))
    out = tmp_path / "out"

    result = run(fake, ["clip", "a_1", "--count", "1", "--no-captions", "--prompt", "pricing", "-o", str(out)], env)

    assert result.exit_code == 0, result.output
    assert json.loads(fake.requests[0].content) == {
        "asset_id": "a_1", "count": 1, "min_duration": 10.0, "max_duration": 60.0, "aspect": "9:16",
        "captions": None, "prompt": "pricing",
    }  # fmt: skip
    assert (out / "clip-01.mp4").read_bytes() == b"bytes of /clip.mp4"
    manifest = json.loads((out / "clips.json").read_text())
    assert manifest["clips"][0]["file"] == "clip-01.mp4"
    assert manifest["clips"][0]["subtitles_file"] == "clip-01.srt"
    assert "John Dashwood" in result.stdout
    assert "wrote 1 clips and clips.json" in result.stderr


def test_clip_refuses_bad_options_before_calling_the_api(env: dict[str, str | None], tmp_path: Path) -> None:
    fake = clip_server(clip_state("succeeded", 1.0))
    for args in (["--aspect", "2:1"], ["--min", "30", "--max", "10"], ["--caption-style", "comic"]):
        result = run(fake, ["clip", "a_1", "-o", str(tmp_path), *args], env)
        assert result.exit_code == 2, args
    assert fake.requests == []
