"""JetStream stream provisioning.

Streams are file-backed and replicated as configured. Durability against a
crash also needs the server-side ``jetstream { sync_interval: always }``
(Jepsen lost acknowledged writes with the lazy default): the local stack sets
it, and every deployment must.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from reelforge_common.bus.subjects import dead_letter_stream, events_stream

_STREAM_NAME_IN_USE = 10058


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    max_age_s: float
    duplicate_window_s: float = 600.0
    replicas: int = 1

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            max_age=self.max_age_s,
            duplicate_window=self.duplicate_window_s,
            num_replicas=self.replicas,
        )


def default_streams(prefix: str, *, replicas: int = 1) -> tuple[StreamSpec, StreamSpec]:
    """The events stream (7 days) and its dead-letter stream (30 days)."""
    day = 86_400.0
    return (
        StreamSpec(name=events_stream(prefix), subjects=(f"{prefix}.>",), max_age_s=7 * day, replicas=replicas),
        StreamSpec(
            name=dead_letter_stream(prefix), subjects=(f"dlq.{prefix}.>",), max_age_s=30 * day, replicas=replicas
        ),
    )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Create the stream, or bring an existing one to ``spec``."""
    try:
        await js.add_stream(spec.config())
    except BadRequestError as exc:
        if exc.err_code != _STREAM_NAME_IN_USE:
            raise
        await js.update_stream(spec.config())
