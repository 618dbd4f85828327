"""The AI gateway (aigen): what it adds to a provider call, and how it holds
a provider's rate limit under 200 concurrent generations.

    python bench/aigen.py [--requests 500] [--generations 200] [--rate-per-minute 600]

1. Added latency. A zero-latency fake OpenAI-compatible chat API (in this
   process) answers the same chat completion two ways, alternating: bare (one
   httpx POST to the fake) and through aigen's ``Complete`` gRPC call (the
   tenant's budget checked under its row lock, rate-limit tokens taken in
   Postgres, the circuit breaker and retry policy, the call, the ledger
   entry). The limits are set out of reach: this measures overhead, not
   waiting. Prints both latency distributions and the difference.
2. 200 concurrent generations against a slow fake MiniMax (every request
   takes ``--delay`` s; each task needs 3 polls): all requested at once; the
   provider's limit (``--rate-per-minute``, burst 5) must hold in every
   one-second window, every generation must succeed, and the fake must see
   exactly one submission per generation (none lost, none doubled). Videos are
   registered with an in-process ingest, as in production.

aigen and ingest run in-process against the local stack (own bus prefix,
schemas and S3 prefixes). Needs `make up` (infrastructure). Last line:
``p99_ms=<added latency at the 99th percentile>`` (target at most 20).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from reelforge.aigen.v1 import aigen_pb2
from reelforge.aigen.v1.aigen_pb2_grpc import AigenStub
from reelforge.ingest.v1.ingest_pb2 import Quota
from reelforge_aigen.config import AigenSettings
from reelforge_aigen.main import DEFINITION as AIGEN
from reelforge_common.grpc_server import insecure_channel
from reelforge_common.runner import RunningService
from reelforge_common.storage import ObjectStore
from reelforge_devstack.components import read_env_file
from reelforge_devstack.fakes.minimax import FakeMiniMax
from reelforge_devstack.fakes.openai_chat import FakeChat
from reelforge_devstack.fakes.server import serve
from reelforge_devstack.layout import StackLayout
from reelforge_ingest.config import IngestSettings
from reelforge_ingest.main import DEFINITION as INGEST

ROOT = Path(__file__).resolve().parents[1]
TENANT = "bench"
MESSAGES = [
    {"role": "system", "content": "Rank the candidate clips. Answer in JSON."},
    {"role": "user", "content": "1: a question about pricing. 2: a joke. 3: a summary."},
]
_UNLIMITED = {"per_minute": 10**7, "burst": 10**6}


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def base_settings(env: dict[str, str], prefix: str, work: Path) -> dict[str, Any]:
    return {
        "nats_url": env["REELFORGE_NATS_URL"],
        "database_url": env["REELFORGE_DATABASE_URL"],
        "s3_endpoint": env["REELFORGE_S3_ENDPOINT"],
        "s3_access_key": env["REELFORGE_S3_ACCESS_KEY"],
        "s3_secret_key": env["REELFORGE_S3_SECRET_KEY"],
        "s3_bucket": env["REELFORGE_S3_BUCKET"],
        "bus_prefix": prefix,
        "log_level": "WARNING",
        "work_dir": work,
    }


async def added_latency(stub: AigenStub, chat_url: str, requests: int) -> tuple[list[float], list[float]]:
    """Milliseconds per request, bare and through aigen, alternating."""
    bare_ms: list[float] = []
    ours_ms: list[float] = []
    body = {"model": "gpt-4o-mini", "messages": MESSAGES, "response_format": {"type": "json_object"}}
    request = aigen_pb2.CompletionRequest(
        tenant_id=TENANT, messages=[aigen_pb2.ChatMessage(**m) for m in MESSAGES], json=True, max_tokens=64
    )
    async with httpx.AsyncClient(base_url=chat_url, headers={"Authorization": "Bearer fake-llm-key"}) as http:
        for _ in range(20):  # warm both paths: connections, caches, prepared statements
            await http.post("/v1/chat/completions", json=body)
            await stub.Complete(request)
        for _ in range(requests):
            started = time.perf_counter()
            (await http.post("/v1/chat/completions", json=body)).raise_for_status()
            bare_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await stub.Complete(request)
            ours_ms.append((time.perf_counter() - started) * 1000)
    return bare_ms, ours_ms


async def concurrent_generations(stub: AigenStub, fake: FakeMiniMax, count: int) -> float:
    """Request ``count`` generations at once; seconds until all succeeded."""
    started = time.perf_counter()
    accepted = await asyncio.gather(
        *(
            stub.RequestGeneration(
                aigen_pb2.GenerationRequest(
                    job_id=str(uuid.uuid4()),
                    spec=aigen_pb2.GenerationSpec(
                        tenant_id=TENANT, provider="minimax", prompt=f"shot {n}", duration_s=6, resolution="768p"
                    ),
                    quota=Quota(max_upload_bytes=10**9, max_duration_s=3600),
                )
            )
            for n in range(count)
        )
    )
    pending = {generation.id for generation in accepted}
    while pending:
        await asyncio.sleep(0.5)
        for generation_id in list(pending):
            found = await stub.GetGeneration(aigen_pb2.GenerationRef(tenant_id=TENANT, generation_id=generation_id))
            if found.status == "succeeded":
                pending.discard(generation_id)
            elif found.status in {"failed", "cancelled"}:
                raise RuntimeError(f"generation {generation_id} {found.status}: {found.error_message}")
    return time.perf_counter() - started


def busiest_second(times: list[float]) -> int:
    """The most calls in any one-second window."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--rate-per-minute", type=float, default=600.0)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the slow fake takes per request")
    args = parser.parse_args()
    env = read_env_file(StackLayout.discover(ROOT).env_file)
    prefix = "ba" + uuid.uuid4().hex[:8]
    chat, minimax = FakeChat(), FakeMiniMax(polls_until_done=3)
    burst = 5
    with tempfile.TemporaryDirectory() as work:
        async with serve(chat.app) as chat_url, serve(minimax.app) as minimax_url:
            common = base_settings(env, prefix, Path(work))
            ingest = RunningService(
                INGEST, IngestSettings.model_validate({**common, "database_schema": f"{prefix}_ingest"})
            )
            await ingest.start()
            aigen = RunningService(
                AIGEN,
                AigenSettings.model_validate(
                    {
                        **common,
                        "database_schema": f"{prefix}_aigen",
                        "ingest_target": f"127.0.0.1:{ingest.grpc_port}",
                        "llm_base_url": f"{chat_url}/v1",
                        "llm_api_key": chat.api_key,
                        "minimax_base_url": minimax_url,
                        "minimax_api_key": minimax.api_key,
                        "download_allow_networks": ["127.0.0.2/32"],
                        "poll_interval_s": 0.5,
                        "generation_concurrency": args.generations,
                        "provider_rate_limits": {
                            "llm": _UNLIMITED,
                            "minimax": {"per_minute": args.rate_per_minute, "burst": burst},
                        },
                        "tenant_rate_limit": _UNLIMITED,
                        "default_monthly_budget_usd": 0,
                    }
                ),
            )
            await aigen.start()
            channel = insecure_channel(f"127.0.0.1:{aigen.grpc_port}")
            stub = AigenStub(channel)
            try:
                bare_ms, ours_ms = await added_latency(stub, chat_url, args.requests)
                minimax.state.delay_s = args.delay
                took = await concurrent_generations(stub, minimax, args.generations)
            finally:
                await channel.close()
                await aigen.stop()
                await ingest.stop()
                for service in ("aigen", "ingest"):
                    await ObjectStore.from_settings(aigen.settings, service).delete_prefix(f"{service}/{TENANT}/")
                conn = await asyncpg.connect(env["REELFORGE_DATABASE_URL"])
                for schema in (f"{prefix}_aigen", f"{prefix}_ingest"):
                    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                await conn.close()
    print(f"added latency, {args.requests} chat completions against a zero-latency fake (ms):")
    for name, values in (("bare httpx", bare_ms), ("through aigen", ours_ms)):
        print(f"  {name:<14} p50 {statistics.median(values):6.2f}  p99 {quantile(values, 99):6.2f}")
    added_p50 = statistics.median(ours_ms) - statistics.median(bare_ms)
    added_p99 = quantile(ours_ms, 99) - quantile(bare_ms, 99)
    print(f"  {'added':<14} p50 {added_p50:6.2f}  p99 {added_p99:6.2f}")
    submits = minimax.state.times["submit"]
    allowed = args.rate_per_minute / 60 + burst
    print(f"{args.generations} concurrent generations, fake MiniMax at {args.delay:g} s a request:")
    once = len(submits) == args.generations
    print(f"  all succeeded in {took:.1f} s; {len(submits)} submissions (one per generation: {once})")
    limit = f"limit {args.rate_per_minute:g}/min, burst {burst}: at most {allowed:g}"
    print(f"  busiest second: {busiest_second(submits)} submissions ({limit})")
    if len(submits) != args.generations or busiest_second(submits) > allowed:
        raise SystemExit("the rate limit or the exactly-once submission did not hold")
    print(f"p99_ms={added_p99:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
