"""Child process for the load test: one tenant sending GET requests at a fixed
rate for a while; prints what came back as one JSON line."""

import asyncio
import json
import sys
from collections import Counter

import httpx


async def main(url: str, token: str, rate: float, seconds: float) -> None:
    answers: Counter[str] = Counter()
    retry_after: list[int] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def one(client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/jobs", headers=headers)
        answers[str(response.status_code)] += 1
        if response.status_code == 429:
            retry_after.append(int(response.headers.get("Retry-After", "0")))

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()
        requests = []
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
            requests.append(asyncio.create_task(one(client)))
        await asyncio.gather(*requests)
    print(json.dumps({"answers": answers, "retry_after": retry_after, "seconds": loop.time() - start}), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
