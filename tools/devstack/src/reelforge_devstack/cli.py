"""``reelforge-stack``: the local stack behind ``make up``, ``make down`` and ``make status``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sys

from standardwebhooks import Webhook, WebhookVerificationError

from reelforge_devstack.components import MissingPrerequisiteError
from reelforge_devstack.layout import StackLayout
from reelforge_devstack.stack import Stack
from reelforge_devstack.webhook_receiver import Received, WebhookReceiver


def _prerequisites() -> None:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise MissingPrerequisiteError("ffmpeg not found: apt-get install ffmpeg (or run `make setup` as root)")


def _print_delivery(request: Received, secret: str | None) -> None:
    try:
        body = json.loads(request.body)
    except ValueError:
        body = {}
    data = body.get("data", {}) if isinstance(body, dict) else {}
    verdict = "unsigned check"
    if secret:
        try:
            Webhook(secret).verify(request.body, request.headers)
            verdict = "signature ok"
        except WebhookVerificationError as exc:
            verdict = f"SIGNATURE BAD ({exc})"
    what = f"{body.get('type', '?')} {data.get('kind', '')} {data.get('job_id', '')} {data.get('stage', '')}"
    print(f"{request.headers.get('webhook-id', '-')}  {what.strip()}  [{verdict}]", flush=True)


def _print_arrival(request: Received) -> None:
    print(f"{request.at:.6f} {request.headers.get('webhook-id', '-')}", flush=True)


async def _receive(host: str, port: int, secret: str | None, timestamps: bool) -> None:
    async with WebhookReceiver(host, port) as receiver:
        if timestamps:
            receiver.on_request = _print_arrival
        else:
            receiver.on_request = lambda request: _print_delivery(request, secret)
        print(f"receiving webhooks on {receiver.url}/ (Ctrl-C to stop)", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reelforge-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start NATS, Postgres, S3 and the services (idempotent)")
    up.add_argument("--infra-only", action="store_true", help="start only NATS, Postgres and S3")
    commands.add_parser("down", help="stop everything `up` started")
    commands.add_parser("status", help="show each component and whether it is healthy")
    commands.add_parser("destroy", help="stop everything and delete .stack/ (all local data)")
    receive = commands.add_parser(
        "webhook-receiver", help="print the webhooks sent to a local URL, checking signatures"
    )
    receive.add_argument("--host", default="127.0.0.1")
    receive.add_argument("--port", type=int, default=17099)
    receive.add_argument("--secret", help="the endpoint's whsec_ secret: verify each signature")
    receive.add_argument(
        "--timestamps", action="store_true", help="print only '<arrival unix time> <webhook-id>' per request"
    )
    args = parser.parse_args(argv)
    if args.command == "webhook-receiver":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_receive(args.host, args.port, args.secret, args.timestamps))
        return 0

    try:
        stack = Stack(StackLayout.discover())
    except ValueError as exc:
        print(f"reelforge-stack: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "up":
            _prerequisites()
            print(f"reelforge stack in {stack.layout.dir}")
            stack.up(with_services=not args.infra_only)
            print(f"ready: . {stack.layout.env_file.relative_to(stack.layout.root)}  (logs in .stack/logs/)")
        elif args.command == "down":
            stopped = stack.down()
            print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        elif args.command == "status":
            states = stack.status()
            for state in states:
                print(f"  {state.name:<14} {'up' if state.healthy else 'DOWN':<5} {state.address}")
            return 0 if states and all(s.healthy for s in states) else 1
        elif args.command == "destroy":
            stack.down()
            postgres = stack.layout.dir / "postgres"
            if postgres.is_symlink():  # the cluster lives outside the checkout
                shutil.rmtree(postgres.resolve(), ignore_errors=True)
            shutil.rmtree(stack.layout.dir, ignore_errors=True)
            print(f"removed {stack.layout.dir}")
    except MissingPrerequisiteError as exc:
        print(f"reelforge-stack: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"reelforge-stack: {exc}", file=sys.stderr)
        return 1
    return 0
