"""The service runner: one way for every service to start and stop.

Start order: logging and tracing, Postgres (pool, migrations), NATS (streams),
object store, the service's own components, gRPC (health, reflection), the
ops HTTP endpoint, the outbox relay, consumers. Stop reverses it: health
turns NOT_SERVING, consumers drain, the relay stops, gRPC finishes its calls.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Any, Generic, TypeVar

import uvicorn
import uvloop
from pydantic import ValidationError
from starlette.types import ASGIApp

from reelforge_common.bus import Bus, ConsumerRunner, Subscription
from reelforge_common.db import Database, OutboxRelay
from reelforge_common.db.inbox import prune_inbox
from reelforge_common.grpc_server import GrpcServer, Registrar
from reelforge_common.logs import configure_logging
from reelforge_common.ops_http import EmbeddedServer, ops_app
from reelforge_common.settings import ServiceSettings
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import HttpMetricsMiddleware, Metrics, configure_tracing

log = logging.getLogger(__name__)
S = TypeVar("S", bound=ServiceSettings)
_INBOX_PRUNE_EVERY_S = 3600.0
_READINESS_EVERY_S = 5.0


@dataclass
class Resources(Generic[S]):
    """Infrastructure handed to a service's ``build`` function."""

    settings: S
    metrics: Metrics
    db: Database
    bus: Bus
    store: ObjectStore | None


@dataclass
class Components:
    """What a service adds to the runner."""

    subscriptions: Sequence[Subscription] = ()
    grpc_registrars: Sequence[Registrar] = ()
    grpc_service_names: Sequence[str] = ()
    # A public HTTP API (the gateway's), served on ``public_port``.
    public_app: ASGIApp | None = None
    public_port: int = 0
    # Loops that run as long as the service does (e.g. a queue worker),
    # started after the consumers and cancelled once they have drained; one
    # that ends makes the service not ready.
    workers: Sequence[Callable[[], Coroutine[Any, Any, None]]] = ()
    # Called last on stop, after the servers finished their requests (e.g.
    # closing the service's own client channels).
    on_stop: Sequence[Callable[[], Awaitable[None]]] = ()


@dataclass(frozen=True)
class ServiceDefinition(Generic[S]):
    name: str
    build: Callable[[Resources[S]], Awaitable[Components]]
    migrations: Traversable | None = None
    uses_object_store: bool = False


class RunningService(Generic[S]):
    """A started service; :meth:`stop` shuts it down gracefully."""

    def __init__(self, definition: ServiceDefinition[S], settings: S) -> None:
        self.definition = definition
        self.settings = settings
        self.metrics = Metrics(definition.name)
        self.grpc_port = 0
        self.http_port = 0
        self._resources: Resources[S] | None = None
        self._components = Components()
        self._grpc: GrpcServer | None = None
        self.public_port = 0
        self._http_servers: list[tuple[EmbeddedServer, asyncio.Task[None]]] = []
        self._relay: OutboxRelay | None = None
        self._consumers: list[ConsumerRunner] = []
        self._housekeeping: asyncio.Task[None] | None = None
        self._health_follower: asyncio.Task[None] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False
        self._started = False

    @property
    def resources(self) -> Resources[S]:
        assert self._resources is not None, "service not started"
        return self._resources

    async def start(self) -> None:
        name, settings = self.definition.name, self.settings
        configure_tracing(name, settings.otel_exporter, settings.otlp_endpoint)
        db = await Database.connect(
            settings.database_url.get_secret_value(),
            schema=settings.database_schema or name,
            max_size=settings.database_pool_max,
            application_name=f"reelforge-{name}",
            timeout_s=settings.database_timeout_s,
        )
        await db.migrate(name, self.definition.migrations)
        bus = await Bus.connect(
            settings.nats_url,
            prefix=settings.bus_prefix,
            name=f"reelforge-{name}",
            replicas=settings.stream_replicas,
            ping_interval_s=settings.nats_ping_interval_s,
        )
        await bus.ensure_streams()
        store = None
        if self.definition.uses_object_store:
            store = ObjectStore.from_settings(settings, name)
            await store.ensure_bucket()
        self._resources = Resources(settings=settings, metrics=self.metrics, db=db, bus=bus, store=store)
        self._components = await self.definition.build(self._resources)

        self._grpc = GrpcServer(
            host=settings.bind_host,
            port=settings.grpc_port,
            metrics=self.metrics,
            registrars=self._components.grpc_registrars,
            service_names=self._components.grpc_service_names,
        )
        self.grpc_port = self._grpc.port
        await self._grpc.start()
        ops = await self._serve_http(ops_app(self.metrics, self.ready), self.settings.http_port)
        self.http_port = ops.bound_port
        if self._components.public_app is not None:
            public = await self._serve_http(
                HttpMetricsMiddleware(self._components.public_app, self.metrics), self._components.public_port
            )
            self.public_port = public.bound_port

        self._relay = OutboxRelay(db, bus, self.metrics)
        await self._relay.start()
        for subscription in self._components.subscriptions:
            runner = ConsumerRunner(bus, subscription, self.metrics)
            await runner.start()
            self._consumers.append(runner)
        self._workers = [asyncio.create_task(work()) for work in self._components.workers]
        self._housekeeping = asyncio.create_task(self._prune_inbox_periodically())
        ports = {"grpc_port": self.grpc_port, "http_port": self.http_port, "public_port": self.public_port}
        self._started = True
        serving = await self.ready()
        await self._grpc.set_serving(serving)
        self._health_follower = asyncio.create_task(self._follow_readiness(serving))
        log.info("service started", extra=ports)

    async def _serve_http(self, app: ASGIApp, port: int) -> EmbeddedServer:
        config = uvicorn.Config(
            app,
            host=self.settings.bind_host,
            port=port,
            log_config=None,
            lifespan="off",
            http="httptools",
            ws="websockets-sansio",
        )
        server = EmbeddedServer(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"HTTP server on port {port} exited during start-up")
            await asyncio.sleep(0.01)
        self._http_servers.append((server, task))
        return server

    async def ready(self) -> bool:
        """Started, its background loops running, NATS connected and Postgres answering."""
        if self._resources is None or self._stopping or not self._started:
            return False
        loops_alive = all(c.alive for c in self._consumers) and not any(w.done() for w in self._workers)
        if self._relay is None or not self._relay.alive or not loops_alive:
            log.error("a background loop has ended: not ready")
            return False
        if not self._resources.bus.nc.is_connected:
            return False
        try:
            async with self._resources.db.pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1", timeout=2)
        except Exception:
            return False
        return True

    async def _follow_readiness(self, serving: bool) -> None:
        """Keep gRPC health (what Kubernetes' gRPC readiness probe asks) in
        step with :meth:`ready`, as ``/readyz`` is."""
        assert self._grpc is not None
        while True:
            await asyncio.sleep(_READINESS_EVERY_S)
            now = await self.ready()
            if now != serving:
                await self._grpc.set_serving(now)
                serving = now

    async def _prune_inbox_periodically(self) -> None:
        retention_s = max(spec.max_age_s for spec in self.resources.bus.streams())
        while True:
            await asyncio.sleep(_INBOX_PRUNE_EVERY_S)
            try:
                async with self.resources.db.transaction() as conn:
                    pruned = await prune_inbox(conn, older_than_s=retention_s)
                log.info("inbox pruned", extra={"rows": pruned})
            except Exception as exc:
                log.warning("inbox pruning failed: %r", exc)

    async def stop(self) -> None:
        self._stopping = True
        grace = self.settings.shutdown_grace_s
        if self._grpc is not None:
            await self._grpc.set_serving(False)
        background = [task for task in (self._housekeeping, self._health_follower) if task is not None]
        for task in background:
            task.cancel()
        # Neither may be holding a pooled connection when the pool closes.
        await asyncio.gather(*background, return_exceptions=True)
        await asyncio.gather(*(c.stop(grace) for c in self._consumers))
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._relay is not None:
            await self._relay.stop()
        if self._grpc is not None:
            await self._grpc.stop(grace)
        for server, task in self._http_servers:
            server.should_exit = True
            await task
        for close in self._components.on_stop:
            await close()
        if self._resources is not None:
            try:
                await self._resources.bus.close()
            finally:
                await self._resources.db.close()
        log.info("service stopped")


async def serve(definition: ServiceDefinition[S], settings: S) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = RunningService(definition, settings)
    starting = asyncio.create_task(service.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        # A signal during start-up (NATS or Postgres still unreachable) stops
        # the service too, instead of waiting for start-up to give up.
        await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            await stopping
        log.info("stopping on signal")
    finally:
        starting.cancel()
        stopping.cancel()
        await asyncio.gather(starting, stopping, return_exceptions=True)
        await service.stop()


async def migrate(definition: ServiceDefinition[S], settings: S) -> list[str]:
    """Apply the service's migrations to its schema and return what was applied.

    Services also migrate on start (under an advisory lock, so replicas
    agree); this lets a deployment run them first, as a Kubernetes Job.
    """
    db = await Database.connect(
        settings.database_url.get_secret_value(),
        schema=settings.database_schema or definition.name,
        max_size=2,
        application_name=f"reelforge-{definition.name}-migrate",
    )
    try:
        return await db.migrate(definition.name, definition.migrations)
    finally:
        await db.close()


def main(definition: ServiceDefinition[S], settings_type: type[S]) -> None:
    """Console entry point: ``reelforge-<service>`` serves, ``reelforge-<service>
    migrate`` applies its migrations and exits. Settings failing validation
    end the process with one clear line."""
    command = sys.argv[1:] or ["serve"]
    if command not in (["serve"], ["migrate"]):
        sys.exit(f"usage: reelforge-{definition.name} [serve|migrate]")
    try:
        settings = settings_type()
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        sys.exit(f"reelforge-{definition.name}: invalid configuration: {errors}")
    configure_logging(definition.name, settings.log_level)
    if command == ["migrate"]:
        applied = uvloop.run(migrate(definition, settings))
        log.info("migrations done", extra={"applied": applied})
        return
    # uvloop: the same asyncio, with its I/O and callbacks in C (libuv).
    uvloop.run(serve(definition, settings))
