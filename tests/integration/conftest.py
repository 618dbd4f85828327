"""Integration fixtures over the real local stack (NATS, Postgres, S3).

The stack is started for the session when it is not already running, and
stopped afterwards only if this session started it. Every test gets its own
bus prefix (so its own streams), its own schema and its own S3 prefix.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import figures
import httpx
import pytest
from minio import Minio
from stack_sessions import StackSessions

from reelforge_aigen.config import AigenSettings
from reelforge_aigen.main import DEFINITION as AIGEN
from reelforge_common.bus import Bus
from reelforge_common.db import Database
from reelforge_common.runner import RunningService
from reelforge_common.settings import ServiceSettings
from reelforge_common.storage import ObjectStore
from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout
from reelforge_devstack.stack import Stack
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.main import DEFINITION as GATEWAY
from reelforge_ingest.config import IngestSettings
from reelforge_ingest.main import DEFINITION as INGEST
from reelforge_notify.config import NotifySettings
from reelforge_notify.main import DEFINITION as NOTIFY
from reelforge_pose.config import PoseSettings
from reelforge_pose.main import DEFINITION as POSE
from reelforge_render.config import RenderSettings
from reelforge_render.main import DEFINITION as RENDER
from reelforge_transcription.config import TranscriptionSettings
from reelforge_transcription.main import DEFINITION as TRANSCRIPTION

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """`make chaos` and `make security` end with their figures."""
    for suite in ("chaos", "security"):
        if lines := figures.table(suite):
            terminalreporter.section(f"{suite} figures")
            for line in lines:
                terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def stack_env() -> Iterator[dict[str, str]]:
    """Environment pointing at the running stack's infrastructure; what this
    session (or another running beside it) had to start, the last of them
    stops afterwards."""
    stack = Stack(StackLayout.discover(ROOT))
    infrastructure = stack.infrastructure()
    started = [component for component in infrastructure if not component.healthy()]
    try:
        stack.up(with_services=False, report=False)  # idempotent; (re)writes .stack/env
    except Exception:
        for component in reversed(started):  # leave nothing half-started behind
            component.stop()
        raise
    sessions = StackSessions(stack.layout.dir / "test-sessions")
    sessions.join([component.name for component in started])
    env = stack.external_env() or read_env_file(stack.layout.env_file)
    yield env
    to_stop = sessions.leave()
    for component in reversed(infrastructure):  # what was running before stays running
        if component.name in to_stop:
            component.stop()


@pytest.fixture
def uid() -> str:
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
def settings(stack_env: dict[str, str], uid: str) -> ServiceSettings:
    """Settings for code under test: the stack's endpoints, this test's prefix and schema."""
    return ServiceSettings.model_validate(
        {
            "nats_url": stack_env["REELFORGE_NATS_URL"],
            "database_url": stack_env["REELFORGE_DATABASE_URL"],
            "s3_endpoint": stack_env["REELFORGE_S3_ENDPOINT"],
            "s3_access_key": stack_env["REELFORGE_S3_ACCESS_KEY"],
            "s3_secret_key": stack_env["REELFORGE_S3_SECRET_KEY"],
            "s3_bucket": stack_env["REELFORGE_S3_BUCKET"],
            "bus_prefix": uid,
            "database_schema": uid,
        }
    )


@pytest.fixture
def child_env(stack_env: dict[str, str], uid: str) -> dict[str, str]:
    """Environment for subprocesses the test starts."""
    return {
        **os.environ,
        **stack_env,
        "REELFORGE_BUS_PREFIX": uid,
        "REELFORGE_DATABASE_SCHEMA": uid,
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
async def bus(settings: ServiceSettings) -> AsyncIterator[Bus]:
    connection = await Bus.connect(settings.nats_url, prefix=settings.bus_prefix, name="test")
    await connection.ensure_streams()
    yield connection
    for spec in connection.streams():
        await connection.js.delete_stream(spec.name)
    await connection.close()


@pytest.fixture
async def db(settings: ServiceSettings) -> AsyncIterator[Database]:
    database = await Database.connect(settings.database_url.get_secret_value(), schema=settings.database_schema)
    yield database
    await database.pool.execute(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE')
    await database.close()


@pytest.fixture
async def store(settings: ServiceSettings, uid: str) -> AsyncIterator[ObjectStore]:
    object_store = ObjectStore.from_settings(settings, uid)
    await object_store.ensure_bucket()
    yield object_store
    await object_store.delete_prefix(uid + "/")


@pytest.fixture
def minio_client(settings: ServiceSettings) -> Minio:
    return Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value(),
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=False,
    )


@dataclass
class Platform:
    """Gateway and ingest (and, when a test asks, transcription or pose) running
    in-process against the real stack, with this test's bus prefix and
    schemas; the API is served over real HTTP. A service named in the
    ``external`` parameter runs elsewhere (a process the test starts, at the
    target given) and is not started here."""

    api: httpx.AsyncClient
    gateway: RunningService[GatewaySettings]
    ingest: RunningService[IngestSettings] | None
    transcription: RunningService[TranscriptionSettings] | None = None
    pose: RunningService[PoseSettings] | None = None
    render: RunningService[RenderSettings] | None = None
    notify: RunningService[NotifySettings] | None = None
    aigen: RunningService[AigenSettings] | None = None
    tenants: list[str] = field(default_factory=list)

    async def tenant(self, name: str) -> tuple[str, dict[str, str]]:
        """A new tenant; returns its id and the Authorization header of its all-scopes key."""
        response = await self.api.post(
            "/v1/admin/tenants", json={"name": name}, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        self.tenants.append(body["tenant"]["id"])
        return body["tenant"]["id"], {"Authorization": f"Bearer {body['api_key']['token']}"}


OPERATOR_TOKEN = "operator-token-for-tests-0123456789abcdef"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the transcription service assembles its model, once per test session."""
    return tmp_path_factory.mktemp("models")


# A test that needs the transcription or pose service asks for it:
# @pytest.mark.parametrize("platform", [WITH_TRANSCRIPTION], indirect=True)
WITH_TRANSCRIPTION: dict[str, dict[str, object]] = {"transcription": {}}
WITH_POSE: dict[str, dict[str, object]] = {"pose": {}}
# The clip pipeline: render and the analyses it asks for.
WITH_CLIPS: dict[str, dict[str, object]] = {"transcription": {}, "pose": {}, "render": {}}
# Webhooks and email; webhook receivers in tests listen on 127.0.0.2.
WITH_NOTIFY: dict[str, dict[str, object]] = {"notify": {}}
# AI generation (the local provider; tests add fake providers' URLs and keys).
WITH_AIGEN: dict[str, dict[str, object]] = {"aigen": {}}
# Every service: the whole API answers.
WITH_EVERYTHING: dict[str, dict[str, object]] = {**WITH_CLIPS, **WITH_NOTIFY, **WITH_AIGEN}


@pytest.fixture
async def platform(
    settings: ServiceSettings,
    uid: str,
    bus: Bus,
    db: Database,
    tmp_path: Path,
    model_cache: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Platform]:
    base = {**settings.model_dump(), "shutdown_grace_s": 5.0}
    overrides = getattr(request, "param", {})
    transcription = None
    if "transcription" in overrides:
        transcription = RunningService(
            TRANSCRIPTION,
            TranscriptionSettings.model_validate(
                {
                    **base,
                    "database_schema": f"{uid}_transcription",
                    "work_dir": tmp_path / "transcription-work",
                    "model_cache": model_cache,
                    **overrides["transcription"],
                }
            ),
        )
    pose = None
    if "pose" in overrides:
        pose = RunningService(
            POSE,
            PoseSettings.model_validate(
                {
                    **base,
                    "database_schema": f"{uid}_pose",
                    "work_dir": tmp_path / "pose-work",
                    **overrides["pose"],
                }
            ),
        )
    render = None
    if "render" in overrides:
        render = RunningService(
            RENDER,
            RenderSettings.model_validate(
                {
                    **base,
                    "database_schema": f"{uid}_render",
                    "work_dir": tmp_path / "render-work",
                    **overrides["render"],
                }
            ),
        )
    notify = None
    if "notify" in overrides:
        notify = RunningService(
            NOTIFY,
            NotifySettings.model_validate(
                {
                    **base,
                    "database_schema": f"{uid}_notify",
                    "webhook_allow_networks": ["127.0.0.2/32"],
                    **overrides["notify"],
                }
            ),
        )
    aigen = None
    if "aigen" in overrides:
        aigen = RunningService(
            AIGEN,
            AigenSettings.model_validate(
                {
                    **base,
                    "database_schema": f"{uid}_aigen",
                    "work_dir": tmp_path / "aigen-work",
                    # Fake providers serve their result files on 127.0.0.2.
                    "download_allow_networks": ["127.0.0.2/32"],
                    "poll_interval_s": 0.05,
                    **overrides["aigen"],
                }
            ),
        )
    external: dict[str, str] = overrides.get("external", {})
    ingest = (
        None
        if "ingest" in external
        else RunningService(
            INGEST,
            IngestSettings.model_validate(
                {
                    **base,
                    "database_schema": f"{uid}_ingest",
                    "work_dir": tmp_path / "ingest-work",
                    # Test media servers listen on 127.0.0.2; canaries on 127.0.0.1 stay forbidden.
                    "import_allow_networks": ["127.0.0.2/32"],
                    **overrides.get("ingest", {}),
                }
            ),
        )
    )
    gateway = RunningService(
        GATEWAY,
        GatewaySettings.model_validate(
            {
                **base,
                "database_schema": f"{uid}_gateway",
                "operator_token": OPERATOR_TOKEN,
                **overrides.get("gateway", {}),
            }
        ),
    )
    tenants: list[str] = []
    try:
        targets = {f"{name}_target": target for name, target in external.items()}
        if ingest is not None:
            await ingest.start()
            targets["ingest_target"] = f"127.0.0.1:{ingest.grpc_port}"
        if transcription is not None:
            (tmp_path / "transcription-work").mkdir()
            await transcription.start()
            targets["transcription_target"] = f"127.0.0.1:{transcription.grpc_port}"
        if pose is not None:
            await pose.start()  # it makes its work_dir itself, as a service under `make up` must
            targets["pose_target"] = f"127.0.0.1:{pose.grpc_port}"
        if aigen is not None:
            aigen.settings = aigen.settings.model_copy(update={"ingest_target": targets["ingest_target"]})
            await aigen.start()
            targets["aigen_target"] = f"127.0.0.1:{aigen.grpc_port}"
        if render is not None:
            known = {name: target for name, target in targets.items() if name in RenderSettings.model_fields}
            render.settings = render.settings.model_copy(update=known)
            await render.start()
            targets["render_target"] = f"127.0.0.1:{render.grpc_port}"
        if notify is not None:
            await notify.start()
            targets["notify_target"] = f"127.0.0.1:{notify.grpc_port}"
        gateway.settings = gateway.settings.model_copy(update=targets)
        await gateway.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway.public_port}", timeout=300) as api:
            yield Platform(
                api=api,
                gateway=gateway,
                ingest=ingest,
                transcription=transcription,
                pose=pose,
                render=render,
                notify=notify,
                aigen=aigen,
                tenants=tenants,
            )
    finally:
        await gateway.stop()
        for service_running in (render, transcription, pose, notify, aigen):
            if service_running is not None:
                await service_running.stop()
        if ingest is not None:
            await ingest.stop()
        for service in ("ingest", "transcription", "pose", "render", "aigen"):
            store = ObjectStore.from_settings(settings, service)
            for tenant in tenants:
                await store.delete_prefix(store.tenant_prefix(tenant))
        for schema in (
            f"{uid}_ingest",
            f"{uid}_gateway",
            f"{uid}_transcription",
            f"{uid}_pose",
            f"{uid}_render",
            f"{uid}_notify",
            f"{uid}_aigen",
        ):
            await db.pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
