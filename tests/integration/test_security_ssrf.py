"""SSRF matrix: every spelling of an inside address is refused by URL import
(and a clip job's source URL) and by webhook targets, at submit time and
behind an allowed server's redirect, and a canary on loopback sees nothing."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import figures
import pytest
from conftest import WITH_NOTIFY, Platform
from media_corpus import canary
from support import wait_for
from test_assets import wait_until_done
from test_imports import MEDIA_HOST, media_server
from test_webhooks import create_webhook, deliveries

from reelforge_devstack.webhook_receiver import Reply, WebhookReceiver

pytestmark = [pytest.mark.security, pytest.mark.parametrize("platform", [WITH_NOTIFY], indirect=True)]


def hosts_file_loopback_names(path: Path = Path("/etc/hosts")) -> list[str]:
    """Names /etc/hosts maps to loopback: they resolve offline, as localhost does."""
    names: list[str] = []
    for line in path.read_text().splitlines():
        address, *aliases = line.split("#")[0].split() or [""]
        try:
            if ipaddress.ip_address(address).is_loopback:
                names += [name for name in aliases if name not in names]
        except ValueError:
            continue
    return names


# Hosts of the canary (127.0.0.1) and its neighbours, however they are written.
HOSTS = [
    "127.0.0.1",
    "127.1",
    "localhost",
    "LocalHost",
    "169.254.169.254",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[64:ff9b::7f00:1]",  # NAT64
    "[2002:7f00:1::]",  # 6to4
    "2130706433",  # decimal
    "0177.0.0.1",  # octal
    "017700000001",
    "0x7f.0.0.1",  # hex
    "0x7f000001",
    "0.0.0.0",  # noqa: S104 - a target to refuse, not an address to bind
    "[::]",
    "10.0.0.1",
    *[name for name in hosts_file_loopback_names() if name != "localhost"],
]
FAST_HOSTS = ["127.0.0.1", "localhost", "169.254.169.254", "[::ffff:127.0.0.1]", "0x7f000001", "[64:ff9b::7f00:1]"]
FAST_REDIRECTS = ["127.0.0.1", "0x7f000001"]


def hosts(redirects: bool = False) -> list[str]:
    if figures.full_suite():
        return HOSTS
    return FAST_REDIRECTS if redirects else FAST_HOSTS


def url(host: str, port: int) -> str:
    return f"http://{host}:{port}/x.mp4"


async def test_url_imports_towards_inside_addresses_are_refused_and_never_connect(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    refused: dict[str, tuple[int, str]] = {}
    async with canary() as bird:
        for host in hosts():
            for path, field in (("/v1/imports", "url"), ("/v1/clip-jobs", "source_url")):
                response = await platform.api.post(path, json={field: url(host, bird.port)}, headers=auth)
                refused[f"{path} {host}"] = (response.status_code, response.json()["code"])
        failed: dict[str, str] = {}
        for host in hosts(redirects=True):
            async with media_server(redirect_to=url(host, bird.port)) as port:
                body = {"url": f"http://{MEDIA_HOST}:{port}/start.mp4"}
                accepted = await platform.api.post("/v1/imports", json=body, headers=auth)
                assert accepted.status_code == 202, accepted.text
                asset = await wait_until_done(platform, auth, accepted.json()["id"])
            failed[host] = (asset.get("error") or {}).get("code", asset["status"])
        connections = bird.connections
    held = sum(v == (422, "url_forbidden") for v in refused.values()) + sum(
        v == "url_forbidden" for v in failed.values()
    )
    figures.record(
        "security", "SSRF: URL import and clip source URL", 1, int(held == len(refused) + len(failed)),
        f"{len(refused)} submits + {len(failed)} redirects, {held} refused, canary connections {connections}",
    )  # fmt: skip
    assert {k: v for k, v in refused.items() if v != (422, "url_forbidden")} == {}
    assert {k: v for k, v in failed.items() if v != "url_forbidden"} == {}
    assert connections == 0


async def test_webhook_targets_towards_inside_addresses_are_refused_and_never_connect(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    refused: dict[str, tuple[int, str]] = {}
    async with canary() as bird, WebhookReceiver(MEDIA_HOST) as receiver:
        allowed = await create_webhook(platform, auth, receiver.url)
        for host in hosts():
            created = await platform.api.post("/v1/webhooks", json={"url": url(host, bird.port)}, headers=auth)
            refused[f"POST {host}"] = (created.status_code, created.json()["code"])
            moved = await platform.api.patch(
                f"/v1/webhooks/{allowed['id']}", json={"url": url(host, bird.port)}, headers=auth
            )
            refused[f"PATCH {host}"] = (moved.status_code, moved.json()["code"])
        # Deliveries do not follow redirects: a 3xx is a failed attempt.
        redirected: dict[str, int] = {}
        for host in hosts(redirects=True):
            receiver.replies = [Reply(302, {"Location": url(host, bird.port)})]
            sent = await platform.api.post(f"/v1/webhooks/{allowed['id']}/test", headers=auth)
            assert sent.status_code == 202, sent.text
            await receiver.wait_for(len(redirected) + 1)
            redirected[host] = len(receiver.received)
        await wait_for(
            lambda: _attempted(platform, auth, allowed["id"], len(redirected)), what="the deliveries to be logged"
        )
        logged = await deliveries(platform, auth, allowed["id"])
        connections = bird.connections
    held = sum(v == (422, "url_forbidden") for v in refused.values())
    figures.record(
        "security", "SSRF: webhook targets (create, update, redirect)", 1, int(held == len(refused)),
        f"{len(refused)} targets refused {held}/{len(refused)}, {len(redirected)} redirects not followed, "
        f"canary connections {connections}",
    )  # fmt: skip
    assert {k: v for k, v in refused.items() if v != (422, "url_forbidden")} == {}
    assert connections == 0
    assert all(d["status"] != "succeeded" for d in logged), logged
    assert (
        (await platform.api.get(f"/v1/webhooks/{allowed['id']}", headers=auth)).json()["url"].startswith(receiver.url)
    )


async def _attempted(platform: Platform, auth: dict[str, str], webhook_id: str, count: int) -> bool:
    return len(await deliveries(platform, auth, webhook_id)) >= count
