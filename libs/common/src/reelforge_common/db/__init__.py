"""Postgres access: one schema per service, migrations, outbox and inbox."""

from reelforge_common.db.database import Database
from reelforge_common.db.inbox import first_delivery
from reelforge_common.db.outbox import OutboxRelay, add_to_outbox

__all__ = ["Database", "OutboxRelay", "add_to_outbox", "first_delivery"]
