"""Notify settings (``REELFORGE_*`` plus the service's own)."""

from __future__ import annotations

import ipaddress

from pydantic import Field, SecretStr

from reelforge_common.settings import ServiceSettings

# Standard Webhooks' schedule (as Svix runs it): the first attempt at once,
# then these delays after each failure.
RETRY_DELAYS_S = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


class NotifySettings(ServiceSettings):
    # Job events turned into deliveries in parallel.
    intake_concurrency: int = Field(default=32, ge=1)
    # Webhook requests in flight at once per replica.
    delivery_concurrency: int = Field(default=64, ge=1)
    # A receiver has this long to answer.
    delivery_timeout_s: float = Field(default=15.0, gt=0)
    # A claimed delivery whose replica died is tried again after this long
    # (with the same webhook-id); keep it above the timeout.
    delivery_lease_s: float = Field(default=60.0, gt=0)
    # Delays before each retry, and the random share added or taken off each.
    retry_delays_s: list[float] = Field(default_factory=lambda: list(RETRY_DELAYS_S), min_length=0)
    retry_jitter: float = Field(default=0.1, ge=0, lt=1)
    # A Retry-After longer than this is not waited for (the schedule's delay is).
    max_retry_after_s: float = Field(default=36000.0, gt=0)
    # An endpoint that failed every delivery for this long is disabled, and the tenant told.
    disable_failing_after_s: float = Field(default=5 * 86400.0, gt=0)
    # The retry delays, Retry-After and disable_failing_after_s are multiplied
    # by this (leases and timeouts are not): tests run the schedule on a scaled clock.
    time_scale: float = Field(default=1.0, gt=0, le=1)
    # How long a rotated-out signing secret still signs.
    secret_grace_s: float = Field(default=86400.0, ge=0)
    # Networks deliveries may reach although they are not public (an
    # operator's allowlist; loopback, private and metadata ranges otherwise refused).
    webhook_allow_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    # The start of a receiver's answer kept in the delivery log.
    response_excerpt_bytes: int = Field(default=1024, ge=0, le=65536)
    # Where the public API is, for links in emails (e.g. https://api.example.com).
    public_api_url: str = ""

    # SMTP for job emails; an empty host turns email off.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS) or "none".
    smtp_security: str = Field(default="starttls", pattern=r"^(starttls|tls|none)$")
    smtp_from: str = "Reelforge <reelforge@localhost>"
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    # Emails sent at once per replica.
    email_concurrency: int = Field(default=4, ge=1)
