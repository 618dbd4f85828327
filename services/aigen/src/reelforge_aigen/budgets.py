"""Per-tenant monthly budgets: what a request may still spend.

Spent is this calendar month's ledger; reserved is the estimates of the
tenant's queued and running generations. A request whose estimate does not
fit is refused before anything is submitted. The check runs with the
tenant's budget row locked, so concurrent requests take turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reelforge_aigen.pricing import MICROS
from reelforge_aigen.store import generations, ledger
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class Standing:
    # 0: unlimited.
    budget_micros: int
    spent_micros: int
    reserved_micros: int
    default_budget: bool
    period_start: datetime

    def allows(self, cost_micros: int) -> bool:
        used = self.spent_micros + self.reserved_micros + cost_micros
        return self.budget_micros == 0 or used <= self.budget_micros

    def refusal(self, cost_micros: int) -> str:
        return (
            f"the estimate of ${cost_micros / MICROS:.2f} exceeds what is left of the monthly budget "
            f"(${self.budget_micros / MICROS:.2f}: ${self.spent_micros / MICROS:.2f} spent, "
            f"${self.reserved_micros / MICROS:.2f} reserved by running generations)"
        )


class Budgets:
    def __init__(self, default_monthly_usd: float) -> None:
        self._default_micros = round(default_monthly_usd * MICROS)

    async def standing(self, conn: Db, tenant_id: str) -> Standing:
        """The tenant's budget and use, without locking (reads)."""
        return await self._standing(conn, tenant_id, await ledger.own_budget(conn, tenant_id))

    async def standing_locked(self, conn: Connection, tenant_id: str) -> Standing:
        """The same, with the tenant's budget row locked until the transaction ends."""
        return await self._standing(conn, tenant_id, await ledger.lock_budget(conn, tenant_id))

    async def _standing(self, conn: Db, tenant_id: str, own: int | None) -> Standing:
        return Standing(
            budget_micros=self._default_micros if own is None else own,
            spent_micros=await ledger.spent_micros(conn, tenant_id),
            reserved_micros=await generations.reserved_micros(conn, tenant_id),
            default_budget=own is None,
            period_start=await ledger.period_start(conn),
        )
