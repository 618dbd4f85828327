"""``datetime`` to ``google.protobuf.Timestamp`` and back, an unset time being None."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from google.protobuf.timestamp_pb2 import Timestamp


@overload
def timestamp(at: datetime) -> Timestamp: ...
@overload
def timestamp(at: None) -> None: ...
@overload
def timestamp(at: datetime | None) -> Timestamp | None: ...
def timestamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def datetime_of(stamp: Timestamp) -> datetime | None:
    """The time a Timestamp holds (timezone-aware, UTC), None when it is unset."""
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None
