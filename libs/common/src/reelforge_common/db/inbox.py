"""Consumer-side deduplication.

Call :func:`first_delivery` inside the transaction that applies a consumer's
effect. If the transaction rolls back, so does the record; a concurrent
duplicate blocks on the primary key until the first commits, then sees it.
"""

from __future__ import annotations

from reelforge_common.db.connection import Connection


async def first_delivery(conn: Connection, *, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` processed ``event_id``; False if it already had."""
    inserted = await conn.fetchval(
        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        consumer,
        event_id,
    )
    return bool(inserted)


async def prune_inbox(conn: Connection, *, older_than_s: float) -> int:
    """Forget records older than the stream's retention: such events can no
    longer be redelivered."""
    status: str = await conn.execute(
        "DELETE FROM inbox WHERE processed_at < now() - make_interval(secs => $1)", older_than_s
    )
    return int(status.split()[-1])
