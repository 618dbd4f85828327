"""Integration fixtures over the real local stack (NATS, Postgres, S3).

The stack is started for the session when it is not already running, and
stopped afterwards only if this session started it. Every test gets its own
bus prefix (so its own streams), its own schema and its own S3 prefix.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from minio import Minio

from reelforge_common.bus import Bus
from reelforge_common.db import Database
from reelforge_common.settings import ServiceSettings
from reelforge_common.storage import ObjectStore
from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout
from reelforge_devstack.stack import Stack

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack_env() -> Iterator[dict[str, str]]:
    """Environment pointing at the running stack's infrastructure; what this
    session had to start, it stops afterwards."""
    stack = Stack(StackLayout.discover(ROOT))
    infrastructure = stack.infrastructure()
    started = [component for component in infrastructure if not component.healthy()]
    try:
        stack.up(with_services=False, report=False)  # idempotent; (re)writes .stack/env
    except Exception:
        for component in reversed(started):  # leave nothing half-started behind
            component.stop()
        raise
    env = stack.external_env() or read_env_file(stack.layout.env_file)
    yield env
    for component in reversed(started):  # what was running before stays running
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
