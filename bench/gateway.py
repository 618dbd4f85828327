"""Gateway latency: `GET /v1/jobs/{id}` at a fixed request rate against a bare FastAPI + asyncpg app.

    python bench/gateway.py [--rate 1000] [--seconds 10] [--connections 64]

Ours is the running gateway (`make up`): API-key check, the tenant's rate
limit (one Postgres write), the job read scoped by tenant, problem+json and
tracing middleware. The baseline is the least a service can do for the same
answer: a one-route FastAPI app (one uvicorn worker, like the gateway) that
runs the same `SELECT` on the same table through an asyncpg pool.

Load is open-loop: request i is due at start + i/rate whatever happened to
the ones before, and its latency counts from when it was due, so a slow
server cannot hide its queue (no coordinated omission). The client is a
minimal HTTP/1.1 keep-alive client over asyncio streams, so the load
generator costs as little CPU as possible on the same machine. Prints p50,
p99 and the achieved rate of each, the p99 ratio, then ``ratio=<ours p50 /
bare p50>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI, HTTPException

from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT.parent / "shared" / "media" / "av" / "lecture_composite.mp4"


def bare_app(database_url: str, schema: str) -> FastAPI:
    """The baseline: one route, one query, no auth, no middleware."""
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(database_url, server_settings={"search_path": schema}, max_size=10))
        yield
        await pools[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/jobs/{tenant_id}/{job_id}")
    async def get_job(tenant_id: str, job_id: str) -> dict[str, object]:
        row = await pools[0].fetchrow("SELECT * FROM jobs WHERE tenant_id = $1 AND id = $2", tenant_id, job_id)
        if row is None:
            raise HTTPException(404)
        return dict(row)

    return app


@dataclass
class Result:
    latencies_s: list[float]
    errors: int
    elapsed_s: float

    def line(self, name: str) -> str:
        rate = len(self.latencies_s) / self.elapsed_s
        return (
            f"{name}: p50 {self.p50 * 1000:.1f} ms, p99 {self.p99 * 1000:.1f} ms, "
            f"{rate:.0f} req/s achieved, {self.errors} errors"
        )

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_s)

    @property
    def p99(self) -> float:
        return sorted(self.latencies_s)[int(len(self.latencies_s) * 0.99) - 1]


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def load(url: str, headers: dict[str, str], *, rate: float, seconds: float, connections: int) -> Result:
    """Open-loop load: ``rate`` requests a second for ``seconds`` over ``connections`` keep-alive connections."""
    parts = urlsplit(url)
    lines = [f"GET {parts.path} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    total = int(rate * seconds)
    due: asyncio.Queue[float] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while (when := await due.get()) >= 0:
                status = await _request(reader, writer, request)
                latencies.append(time.perf_counter() - when)
                errors += status != 200
        finally:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # connections open
    start = time.perf_counter()
    for i in range(total):
        when = start + i / rate
        delay = when - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait(when)
    for _ in workers:
        due.put_nowait(-1.0)
    await asyncio.gather(*workers)
    return Result(latencies, errors, time.perf_counter() - start)


async def prepare(api: httpx.AsyncClient, operator_token: str) -> tuple[str, str, dict[str, str]]:
    """A tenant allowed far more than the benchmark sends, and one job of it."""
    operator = {"Authorization": f"Bearer {operator_token}"}
    tenant = await api.post("/v1/admin/tenants", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}, headers=operator)
    tenant.raise_for_status()
    tenant_id = tenant.json()["tenant"]["id"]
    limits = {"rate_limit_per_s": 1_000_000, "rate_limit_burst": 1_000_000}
    (await api.patch(f"/v1/admin/tenants/{tenant_id}/quotas", json=limits, headers=operator)).raise_for_status()
    auth = {"Authorization": f"Bearer {tenant.json()['api_key']['token']}"}
    with LECTURE.open("rb") as file:
        asset = await api.post("/v1/assets", files={"file": (LECTURE.name, file, "video/mp4")}, headers=auth)
    asset.raise_for_status()
    job_id = asset.json()["job_id"]
    # Measure once ingest's FFmpeg is done, on a finished job with its outputs.
    for _ in range(600):
        job = (await api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
        if job["status"] in {"succeeded", "failed"}:
            break
        await asyncio.sleep(0.1)
    return tenant_id, job_id, auth


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--bare-port", type=int, default=17090)
    args = parser.parse_args()
    env = {**read_env_file(StackLayout.discover(ROOT).env_file), **os.environ}
    async with httpx.AsyncClient(base_url=env["REELFORGE_API_URL"], timeout=60) as api:
        tenant_id, job_id, auth = await prepare(api, env["REELFORGE_OPERATOR_TOKEN"])
    bare_env = {**env, "BENCH_DATABASE_URL": env["REELFORGE_DATABASE_URL"]}
    serve = [__file__, "--serve-bare", str(args.bare_port)]
    bare = await asyncio.create_subprocess_exec(sys.executable, *serve, env=bare_env)
    try:
        bare_url = f"http://127.0.0.1:{args.bare_port}/jobs/{tenant_id}/{job_id}"
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    if (await client.get(bare_url)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        shape = {"rate": args.rate, "seconds": args.seconds, "connections": args.connections}
        # Warm both up at the full rate (pools grown, caches filled), then measure steady state.
        ours_url = f"{env['REELFORGE_API_URL']}/v1/jobs/{job_id}"
        warm_up = {**shape, "seconds": 2}
        await load(ours_url, auth, **warm_up)
        await load(bare_url, {}, **warm_up)
        ours = await load(ours_url, auth, **shape)
        baseline = await load(bare_url, {}, **shape)
    finally:
        bare.terminate()
        await bare.wait()
    print(f"GET /v1/jobs/{{id}} at {args.rate:.0f} req/s for {args.seconds:.0f} s, {args.connections} connections")
    print(ours.line("gateway"))
    print(baseline.line("bare FastAPI + asyncpg"))
    print(f"p99 ratio {ours.p99 / baseline.p99:.2f} (target: gateway p99 <= 50 ms)")
    print(f"ratio={ours.p50 / baseline.p50:.2f}")


def serve_bare(port: int) -> None:
    app = bare_app(os.environ["BENCH_DATABASE_URL"], os.environ.get("REELFORGE_DATABASE_SCHEMA") or "gateway")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
    else:
        asyncio.run(main())
