"""The gateway service: starts, serves health and metrics, projects job events."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from support import Recorder, free_port, run_consumer, subscription, wait_for

from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge.events.v1.pose_pb2 import PoseRequested
from reelforge.events.v1.transcription_pb2 import TranscriptionCompleted, TranscriptionRequested
from reelforge_common.bus import Bus, PermanentError, new_envelope
from reelforge_common.db import Database
from reelforge_common.runner import RunningService
from reelforge_common.settings import ServiceSettings
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.main import DEFINITION
from reelforge_gateway.projection import JobStatus, JobUpdate
from reelforge_gateway.store.jobs import apply_update, get_job

# The console script installed beside this interpreter (CI has no venv on PATH).
GATEWAY = str(Path(sys.executable).parent / "reelforge-gateway")


async def _health(port: int) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return int(reply.status)


async def test_gateway_serves_health_and_metrics_and_projects_job_events(
    settings: ServiceSettings, bus: Bus, db: Database
) -> None:
    service = RunningService(DEFINITION, GatewaySettings.model_validate(settings.model_dump()))
    await service.start()
    try:
        assert await _health(service.grpc_port) == health_pb2.HealthCheckResponse.SERVING
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.http_port}") as http:
            assert (await http.get("/readyz")).status_code == 200
            metrics = (await http.get("/metrics")).text
        assert 'reelforge_gateway_grpc_requests_total{code="OK",method="/grpc.health.v1.Health/Check"} 1.0' in metrics

        for event_type, payload in [
            ("transcription.requested", TranscriptionRequested(asset_id="a1")),
            ("transcription.progress", JobProgress(stage="transcribing", fraction=0.5, resource_id="a1")),
            ("transcription.completed", TranscriptionCompleted(asset_id="a1", transcript_id="tr1")),
            ("pose.failed", JobFailed(code="media_unreadable", message="no video stream", stage="decoding")),
        ]:
            job = "job-pose" if event_type.startswith("pose") else "job-tr"
            await bus.publish(
                new_envelope(event_type=event_type, tenant_id="acme", payload=payload, producer="t", correlation_id=job)
            )

        async def job_is(job_id: str, status: str) -> bool:
            row = await get_job(db.pool, tenant_id="acme", job_id=job_id)
            return row is not None and row["status"] == status

        await wait_for(lambda: job_is("job-tr", "succeeded"), what="transcription job to succeed")
        await wait_for(lambda: job_is("job-pose", "failed"), what="pose job to fail")
        done = await get_job(db.pool, tenant_id="acme", job_id="job-tr")
        assert done is not None
        assert (done["kind"], done["progress"], done["resource_id"]) == ("transcription", 1.0, "a1")
        failed = await get_job(db.pool, tenant_id="acme", job_id="job-pose")
        assert failed is not None
        assert (failed["error_code"], failed["error_message"]) == ("media_unreadable", "no video stream")
        assert await get_job(db.pool, tenant_id="globex", job_id="job-tr") is None
    finally:
        await service.stop()


async def _health_of(port: int, service: str) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        request = health_pb2.HealthCheckRequest(service=service)
        reply = await health_pb2_grpc.HealthStub(channel).Check(request, timeout=5)
    return int(reply.status)


async def test_grpc_health_follows_readiness_while_liveness_stays_up(settings: ServiceSettings) -> None:
    """What Kubernetes' gRPC probes see: "" (readiness) goes NOT_SERVING when
    the service loses NATS; "liveness" stays SERVING, so the pod is taken out
    of rotation, not restarted."""
    service = RunningService(DEFINITION, GatewaySettings.model_validate(settings.model_dump()))
    await service.start()
    try:
        assert await _health_of(service.grpc_port, "") == health_pb2.HealthCheckResponse.SERVING
        assert await _health_of(service.grpc_port, "liveness") == health_pb2.HealthCheckResponse.SERVING
        await service.resources.bus.nc.close()

        async def not_serving() -> bool:
            return bool(await _health_of(service.grpc_port, "") == health_pb2.HealthCheckResponse.NOT_SERVING)

        await wait_for(not_serving, timeout_s=15, what="readiness to follow the lost NATS connection")
        assert await _health_of(service.grpc_port, "liveness") == health_pb2.HealthCheckResponse.SERVING
    finally:
        await service.stop()


async def test_dead_lettered_job_message_fails_the_job_with_its_reason(
    settings: ServiceSettings, bus: Bus, db: Database
) -> None:
    service = RunningService(DEFINITION, GatewaySettings.model_validate(settings.model_dump()))
    await service.start()
    try:
        worker = await run_consumer(
            bus, subscription("pose-worker", "pose.requested", PoseRequested, Recorder(PermanentError("asset gone")))
        )
        await bus.publish(
            new_envelope(
                event_type="pose.requested",
                tenant_id="acme",
                payload=PoseRequested(asset_id="a9"),
                producer="t",
                correlation_id="job-dlq",
            )
        )

        async def failed() -> bool:
            row = await get_job(db.pool, tenant_id="acme", job_id="job-dlq")
            return row is not None and row["status"] == "failed"

        await wait_for(failed, what="dead-lettered job to fail")
        await worker.stop(5)
        row = await get_job(db.pool, tenant_id="acme", job_id="job-dlq")
        assert row is not None
        assert (row["error_code"], row["error_message"]) == ("dead_lettered", "asset gone")
    finally:
        await service.stop()


async def test_read_model_ignores_stale_updates_and_never_reopens_a_finished_job(db: Database) -> None:
    await db.migrate("gateway", DEFINITION.migrations)
    t0 = datetime.now(UTC)

    def update(status: JobStatus, seconds: int, progress: float | None = None, resource_id: str = "") -> JobUpdate:
        at = t0 + timedelta(seconds=seconds)
        return JobUpdate(
            tenant_id="acme", job_id="j", kind="pose", status=status, at=at, progress=progress, resource_id=resource_id
        )

    async with db.pool.acquire() as conn:
        await apply_update(conn, update(JobStatus.RUNNING, 2, 0.6))
        await apply_update(conn, update(JobStatus.RUNNING, 1, 0.3))  # arrives late
        row = await get_job(conn, tenant_id="acme", job_id="j")
        assert row is not None
        assert row["progress"] == 0.6
        await apply_update(conn, update(JobStatus.SUCCEEDED, 3, 1.0))
        await apply_update(conn, update(JobStatus.RUNNING, 4, 0.9, resource_id="a7"))  # a straggler after the end
        row = await get_job(conn, tenant_id="acme", job_id="j")
    assert row is not None
    assert (row["status"], row["progress"], row["resource_id"]) == ("succeeded", 1.0, "a7")
    assert row["created_at"] == t0 + timedelta(seconds=1)


async def test_readiness_fails_once_a_background_loop_has_ended(settings: ServiceSettings, db: Database) -> None:
    service = RunningService(DEFINITION, GatewaySettings.model_validate(settings.model_dump()))
    await service.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.http_port}") as http:
            assert (await http.get("/readyz")).status_code == 200
            # Fault injection: the projection's fetch loop dies as an unexpected bug would end it.
            service._consumers[0]._tasks[0].cancel()

            async def unready() -> bool:
                return (await http.get("/readyz")).status_code == 503

            await wait_for(unready, what="readyz to report the dead loop")
            assert (await http.get("/healthz")).status_code == 200  # the process itself is still up
    finally:
        await service.stop()


async def test_gateway_process_starts_logs_json_and_stops_cleanly_on_sigterm(
    child_env: dict[str, str], bus: Bus, db: Database
) -> None:
    grpc_port, http_port = free_port(), free_port()
    env = {**child_env, "REELFORGE_GRPC_PORT": str(grpc_port), "REELFORGE_HTTP_PORT": str(http_port)}
    proc = await asyncio.create_subprocess_exec(
        GATEWAY, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{http_port}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    await wait_for(ready, timeout_s=30, what="gateway process to be ready")
    assert await _health(grpc_port) == health_pb2.HealthCheckResponse.SERVING
    proc.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    messages = [entry["msg"] for entry in lines]
    assert "service started" in messages
    assert "service stopped" in messages
    assert all(entry["service"] == "gateway" for entry in lines)


async def test_gateway_refuses_to_start_in_production_with_default_secrets(child_env: dict[str, str]) -> None:
    env = {**child_env, "REELFORGE_ENVIRONMENT": "production", "REELFORGE_S3_SECRET_KEY": "minioadmin"}
    proc = await asyncio.create_subprocess_exec(
        GATEWAY, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "REELFORGE_S3_SECRET_KEY" in stderr.decode()
    assert "default secret" in stderr.decode()
