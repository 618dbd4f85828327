"""Wiring of the notify service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_common.safe_egress import AddressPolicy
from reelforge_notify.config import NotifySettings
from reelforge_notify.delivering import Deliverer
from reelforge_notify.emailing import Mailer, Postman
from reelforge_notify.grpc_api import SERVICE_NAME, NotifyService
from reelforge_notify.intake import Intake
from reelforge_notify.queue_worker import QueueWorker
from reelforge_notify.schedule import RetrySchedule
from reelforge_notify.webhook_http import WebhookClient


def retry_schedule(settings: NotifySettings) -> RetrySchedule:
    return RetrySchedule(
        delays_s=tuple(settings.retry_delays_s),
        jitter=settings.retry_jitter,
        max_retry_after_s=settings.max_retry_after_s,
        time_scale=settings.time_scale,
    )


async def build(resources: Resources[NotifySettings]) -> Components:
    settings, db, metrics = resources.settings, resources.db, resources.metrics
    schedule = retry_schedule(settings)
    policy = AddressPolicy(settings.webhook_allow_networks)
    client = WebhookClient(
        policy,
        timeout_s=settings.delivery_timeout_s,
        excerpt_bytes=settings.response_excerpt_bytes,
        max_connections=settings.delivery_concurrency,
    )
    postman = Postman(settings)
    deliverer = Deliverer(
        db,
        client,
        schedule,
        postman,
        metrics,
        lease_s=settings.delivery_lease_s,
        disable_failing_after_s=settings.disable_failing_after_s,
    )
    mailer = Mailer(settings, db, schedule, metrics)
    delivery_worker = QueueWorker(
        "webhook deliveries",
        claim=deliverer.claim,
        next_due_in=deliverer.next_due_in,
        handle=deliverer.deliver,
        concurrency=settings.delivery_concurrency,
    )
    email_worker = QueueWorker(
        "emails",
        claim=mailer.claim,
        next_due_in=mailer.next_due_in,
        handle=mailer.send,
        concurrency=settings.email_concurrency,
    )
    intake = Intake(
        db,
        postman,
        concurrency=settings.intake_concurrency,
        wake_deliveries=delivery_worker.wake,
        wake_emails=email_worker.wake,
    )
    service = NotifyService(db, policy, intake, postman, secret_grace_s=settings.secret_grace_s)
    workers = [delivery_worker.run, *([email_worker.run] if postman.enabled else [])]
    return Components(
        subscriptions=intake.subscriptions(),
        grpc_registrars=[service.register],
        grpc_service_names=[SERVICE_NAME],
        workers=workers,
        on_stop=[client.close],
    )


DEFINITION: ServiceDefinition[NotifySettings] = ServiceDefinition(
    name="notify", build=build, migrations=files("reelforge_notify") / "migrations"
)


def run() -> None:
    main(DEFINITION, NotifySettings)
