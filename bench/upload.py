"""Upload throughput: the gateway's streamed upload against a direct S3 multipart PUT.

    python bench/upload.py [--megabytes 500] [--rounds 2]

Both paths send the same file (a valid MP4 padded to the size with a `free`
box) to the same S3 server. Ours is what a client does: `POST /v1/assets`
(multipart/form-data) to the gateway, which streams it over gRPC to ingest,
which writes it to S3 and its local spool at once, then sniffs and probes it
before answering. Direct is the minio SDK's put_object with the part size
and parallelism ingest uses. Needs the running stack (`make up`). The last
line is ``ratio=<ours/direct>`` of the median throughputs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from minio import Minio

from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT.parent / "shared" / "media" / "av" / "lecture_composite.mp4"
_MIB = 1024 * 1024
_BOUNDARY = "reelforge-bench"


def make_file(path: Path, megabytes: int) -> None:
    with path.open("wb") as out:
        out.write(LECTURE.read_bytes())
        out.write((megabytes * _MIB + 8).to_bytes(4, "big") + b"free")
        for _ in range(megabytes):
            out.write(os.urandom(_MIB))


async def form_body(path: Path) -> AsyncIterator[bytes]:
    yield (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    with path.open("rb") as file:
        while chunk := file.read(_MIB):
            yield chunk
    yield f"\r\n--{_BOUNDARY}--\r\n".encode()


async def ours(api: httpx.AsyncClient, auth: dict[str, str], path: Path) -> float:
    started = time.perf_counter()
    response = await api.post(
        "/v1/assets",
        content=form_body(path),
        headers={**auth, "Content-Type": f"multipart/form-data; boundary={_BOUNDARY}"},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    await api.delete(f"/v1/assets/{response.json()['id']}", headers=auth)
    return elapsed


def direct(client: Minio, bucket: str, path: Path) -> float:
    key = f"bench/{uuid.uuid4()}"
    started = time.perf_counter()
    with path.open("rb") as file:
        client.put_object(bucket, key, file, -1, part_size=16 * _MIB, content_type="video/mp4")
    elapsed = time.perf_counter() - started
    client.remove_object(bucket, key)
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each path, alternating; medians compared")
    args = parser.parse_args()
    env = {**read_env_file(StackLayout.discover(ROOT).env_file), **os.environ}
    s3 = Minio(
        env["REELFORGE_S3_ENDPOINT"],
        access_key=env["REELFORGE_S3_ACCESS_KEY"],
        secret_key=env["REELFORGE_S3_SECRET_KEY"],
        secure=False,
    )
    bucket = env.get("REELFORGE_S3_BUCKET", "reelforge")
    async with httpx.AsyncClient(base_url=env["REELFORGE_API_URL"], timeout=600) as api:
        operator = {"Authorization": f"Bearer {env['REELFORGE_OPERATOR_TOKEN']}"}
        tenant = await api.post("/v1/admin/tenants", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}, headers=operator)
        tenant.raise_for_status()
        auth = {"Authorization": f"Bearer {tenant.json()['api_key']['token']}"}
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.mp4"
            make_file(path, args.megabytes)
            size_mb = path.stat().st_size / 1e6
            ours_s, direct_s = [], []
            for round_ in range(1, args.rounds + 1):
                ours_s.append(await ours(api, auth, path))
                direct_s.append(await asyncio.to_thread(direct, s3, bucket, path))
                rates = f"gateway {size_mb / ours_s[-1]:.0f} MB/s, direct S3 {size_mb / direct_s[-1]:.0f} MB/s"
                print(f"round {round_}: {rates}", flush=True)
    ours_rate, direct_rate = size_mb / statistics.median(ours_s), size_mb / statistics.median(direct_s)
    print(
        f"median throughput of {size_mb:.0f} MB: gateway upload {ours_rate:.0f} MB/s, direct S3 {direct_rate:.0f} MB/s"
    )
    print(f"ratio={ours_rate / direct_rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
