"""Attempting deliveries: sign, POST, log the attempt, then succeed, retry on
the schedule, or give up.

An answer of 2xx succeeds. 410 Gone disables the endpoint at once. Anything
else (another status, a timeout, a refused connection) is a failure retried
on the schedule, waiting at least what ``Retry-After`` asks for; an endpoint
whose deliveries have all failed for ``disable_failing_after_s`` is disabled
and the tenant told by email.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.telemetry import Metrics
from reelforge_notify.emailing import Postman
from reelforge_notify.schedule import RetrySchedule, parse_retry_after
from reelforge_notify.signing import webhook_headers
from reelforge_notify.store import deliveries, endpoints
from reelforge_notify.store.deliveries import AttemptRow, Claim
from reelforge_notify.webhook_http import Answer, WebhookClient

log = logging.getLogger(__name__)
_GONE = 410


class Deliverer:
    def __init__(
        self,
        db: Database,
        client: WebhookClient,
        schedule: RetrySchedule,
        postman: Postman,
        metrics: Metrics,
        *,
        lease_s: float,
        disable_failing_after_s: float,
    ) -> None:
        self._db = db
        self._client = client
        self._schedule = schedule
        self._postman = postman
        self.lease_s = lease_s
        self._disable_after_s = disable_failing_after_s
        self._outcomes = metrics.counter(
            "webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"]
        )
        self._latency = metrics.histogram("webhook_latency_seconds", "Time for a receiver to answer a delivery")

    async def claim(self, limit: int) -> list[Claim]:
        return await deliveries.claim(self._db.pool, limit=limit, lease_s=self.lease_s)

    async def next_due_in(self) -> float | None:
        return await deliveries.next_due_in(self._db.pool)

    async def deliver(self, claimed: Claim) -> None:
        at = datetime.now(UTC)
        headers = webhook_headers(claimed.secrets, message_id=claimed.message_id, at=at, body=claimed.payload)
        answer = await self._client.post(claimed.url, headers, claimed.payload.encode())
        self._latency.observe(answer.latency_ms / 1000)
        attempt = AttemptRow(claimed.attempts, at, answer.status_code, answer.latency_ms, answer.error, answer.excerpt)
        async with self._db.transaction() as conn:
            await deliveries.record_attempt(conn, claimed, attempt)
            outcome = await self._settle(conn, claimed, answer)
        self._outcomes.labels(outcome).inc()
        log.info(
            "webhook attempt",
            extra={
                "delivery_id": claimed.id,
                "message_id": claimed.message_id,
                "attempt": claimed.attempts,
                "status_code": answer.status_code,
                "outcome": outcome,
            },
        )

    async def _settle(self, conn: Connection, claimed: Claim, answer: Answer) -> str:
        code, error = answer.status_code, answer.error
        if answer.ok:
            if await deliveries.settle(conn, claimed, status="succeeded", status_code=code, error=""):
                await endpoints.mark_healthy(conn, claimed.tenant_id, claimed.endpoint_id)
            return "succeeded"
        if code == _GONE:
            await deliveries.settle(conn, claimed, status="failed", status_code=code, error=error)
            await self._disable(conn, claimed, reason="gone", why="it answered 410 Gone")
            return "gone"
        retry_in = self._schedule.delay_after(claimed.scheduled, parse_retry_after(answer.retry_after))
        if retry_in is None:
            settled = await deliveries.settle(conn, claimed, status="failed", status_code=code, error=error)
        else:
            settled = await deliveries.settle(
                conn, claimed, status="pending", status_code=code, error=error, retry_in_s=retry_in
            )
        if settled:
            since = await endpoints.mark_failing(conn, claimed.tenant_id, claimed.endpoint_id)
            failing_s = (datetime.now(UTC) - since).total_seconds() if since else 0.0
            if failing_s >= self._schedule.scaled(self._disable_after_s):
                await self._disable(conn, claimed, reason="failing", why=f"every delivery failed for {failing_s:.0f} s")
        return "retrying" if retry_in is not None else "failed"

    async def _disable(self, conn: Connection, claimed: Claim, *, reason: str, why: str) -> None:
        if await endpoints.disable(conn, claimed.tenant_id, claimed.endpoint_id, reason=reason):
            endpoint = await endpoints.get(conn, claimed.tenant_id, claimed.endpoint_id)
            log.warning("webhook endpoint disabled", extra={"endpoint_id": claimed.endpoint_id, "reason": reason})
            if endpoint is not None:
                await self._postman.endpoint_disabled(conn, endpoint, why=why)
