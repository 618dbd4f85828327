"""Chat completions for other services (render's highlight ranking and
titles): the configured OpenAI-compatible model, under the same rate
limits, breaker, retries and budget as generations, charged to the tenant."""

from __future__ import annotations

from dataclasses import dataclass

from reelforge_aigen.admission import Admission
from reelforge_aigen.budgets import Budgets
from reelforge_aigen.calls import Attempts, ProviderCalls
from reelforge_aigen.config import AigenSettings
from reelforge_aigen.limits import RateLimiter
from reelforge_aigen.pricing import PriceList
from reelforge_aigen.providers.chat import ChatProvider, Reply
from reelforge_aigen.store import ledger
from reelforge_common.db import Database
from reelforge_common.grpc_server import RefusedError

# Characters per token, for the estimate before the call (the charge uses the reported usage).
_CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Completed:
    reply: Reply
    cost_micros: int


class Completions:
    def __init__(
        self,
        settings: AigenSettings,
        db: Database,
        chat: ChatProvider | None,
        calls: ProviderCalls,
        limiter: RateLimiter,
        prices: PriceList,
        budgets: Budgets,
        admission: Admission,
    ) -> None:
        self._settings = settings
        self._db = db
        self._chat = chat
        self._calls = calls
        self._limiter = limiter
        self._prices = prices
        self._budgets = budgets
        self._admission = admission

    async def complete(
        self,
        *,
        tenant_id: str,
        job_id: str,
        messages: list[dict[str, str]],
        json_mode: bool,
        max_tokens: int,
        temperature: float,
    ) -> Completed:
        chat = self._chat
        if chat is None:
            raise RefusedError("provider_not_configured", "no chat model is configured (REELFORGE_LLM_BASE_URL)")
        prompt_tokens = sum(len(m["content"]) for m in messages) // _CHARS_PER_TOKEN + 1
        estimate = self._prices.chat_micros(chat.model, prompt_tokens=prompt_tokens, completion_tokens=max_tokens)
        async with self._db.transaction() as conn:
            standing = await self._budgets.standing_locked(conn, tenant_id)
            if not standing.allows(estimate):
                self._admission.refused_over_budget("completion")
                raise RefusedError("budget_exceeded", standing.refusal(estimate))
        await self._limiter.acquire(chat.name, tenant_id, timeout_s=self._settings.provider_timeout_s)
        reply = await self._calls.call(
            chat.name,
            lambda: chat.complete(messages, json_mode=json_mode, max_tokens=max_tokens, temperature=temperature),
            Attempts(),
        )
        cost = self._prices.chat_micros(
            chat.model, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens
        )
        await ledger.charge(
            self._db.pool, tenant_id=tenant_id, kind="completion", provider=chat.name, model=reply.model,
            amount_micros=cost, job_id=job_id,
        )  # fmt: skip
        return Completed(reply, cost)
