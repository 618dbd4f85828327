"""Job emails: queued with the event that causes them, sent over SMTP (aiosmtplib).

Each template's first line is the subject, the rest the body, with
``${name}`` placeholders. An email is queued in the same transaction as the
event's inbox record, once per cause, and sent by a queue worker with the
same retry schedule as webhooks.
"""

from __future__ import annotations

import functools
import logging
from email.message import EmailMessage
from importlib.resources import files
from string import Template

import aiosmtplib

from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.telemetry import Metrics
from reelforge_notify.config import NotifySettings
from reelforge_notify.messages import Message
from reelforge_notify.schedule import RetrySchedule
from reelforge_notify.store import emails
from reelforge_notify.store.emails import EmailClaim
from reelforge_notify.store.endpoints import EndpointRow

log = logging.getLogger(__name__)


@functools.cache
def _template(name: str) -> Template:
    return Template((files("reelforge_notify") / "templates" / f"{name}.txt").read_text())


def render(template: str, **values: object) -> tuple[str, str]:
    """The subject and body of template ``<template>.txt`` filled with ``values``."""
    subject, _, body = _template(template).safe_substitute({k: str(v) for k, v in values.items()}).partition("\n")
    return subject.strip(), body


class Postman:
    """Queues the emails a tenant asked for (and the ones they must get)."""

    def __init__(self, settings: NotifySettings) -> None:
        self.enabled = bool(settings.smtp_host)
        self._api_url = settings.public_api_url.rstrip("/")

    def _job_url(self, job_id: str) -> str:
        return f"{self._api_url}/v1/jobs/{job_id}"

    async def job_ended(self, conn: Connection, tenant_id: str, message: Message) -> bool:
        """Queue the email about a finished job if the tenant wants it; whether it did."""
        if not self.enabled or not message.terminal:
            return False
        wanted = await emails.get_settings(conn, tenant_id)
        if wanted is None or not wanted.wants(message.event_type, message.job_kind):
            return False
        data = message.data
        error = data.get("error") or {}
        template = "job_succeeded" if message.event_type == "job.succeeded" else "job_failed"
        subject, body = render(
            template,
            kind=data["kind"],
            job_id=data["job_id"],
            stage=data.get("stage", ""),
            error_code=error.get("code", ""),
            error_message=error.get("message", ""),
            job_url=self._job_url(data["job_id"]),
        )
        await emails.queue(conn, tenant_id, email_id=message.id, to_address=wanted.address, subject=subject, body=body)
        return True

    async def endpoint_disabled(self, conn: Connection, endpoint: EndpointRow, *, why: str) -> bool:
        """Tell the tenant (at its email address, even without the job emails on)."""
        wanted = await emails.get_settings(conn, endpoint.tenant_id)
        if not self.enabled or wanted is None or not wanted.address:
            return False
        subject, body = render("endpoint_disabled", url=endpoint.url, endpoint_id=endpoint.id, why=why)
        email_id = f"disabled:{endpoint.id}:{endpoint.updated_at.isoformat()}"
        await emails.queue(
            conn, endpoint.tenant_id, email_id=email_id, to_address=wanted.address, subject=subject, body=body
        )
        return True


class Mailer:
    """Sends queued emails over SMTP."""

    def __init__(self, settings: NotifySettings, db: Database, schedule: RetrySchedule, metrics: Metrics) -> None:
        self._settings = settings
        self._db = db
        self._schedule = schedule
        self.lease_s = settings.smtp_timeout_s * 2
        self._sent = metrics.counter("emails_total", "Emails by outcome", ["outcome"])

    async def claim(self, limit: int) -> list[EmailClaim]:
        return await emails.claim(self._db.pool, limit=limit, lease_s=self.lease_s)

    async def next_due_in(self) -> float | None:
        return await emails.next_due_in(self._db.pool)

    async def send(self, claimed: EmailClaim) -> None:
        settings = self._settings
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = claimed.to_address
        message["Subject"] = claimed.subject
        message["Message-ID"] = f"<{claimed.id.replace(':', '.')}@reelforge>"
        message.set_content(claimed.body)
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=settings.smtp_password.get_secret_value() or None,
                use_tls=settings.smtp_security == "tls",
                start_tls=settings.smtp_security == "starttls",
                timeout=settings.smtp_timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            retry_in = self._schedule.delay_after(claimed.attempts)
            status = "failed" if retry_in is None else "pending"
            async with self._db.transaction() as conn:
                await emails.settle(conn, claimed, status=status, error=repr(exc), retry_in_s=retry_in)
            self._sent.labels("retrying" if retry_in is not None else "failed").inc()
            log.warning("email not sent: %r", exc, extra={"email_id": claimed.id})
            return
        async with self._db.transaction() as conn:
            await emails.settle(conn, claimed, status="sent")
        self._sent.labels("sent").inc()
