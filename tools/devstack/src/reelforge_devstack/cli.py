"""``reelforge-stack``: the local stack behind ``make up``, ``make down`` and ``make status``."""

from __future__ import annotations

import argparse
import shutil
import sys

from reelforge_devstack.components import MissingPrerequisiteError
from reelforge_devstack.layout import StackLayout
from reelforge_devstack.stack import Stack


def _prerequisites() -> None:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise MissingPrerequisiteError("ffmpeg not found: apt-get install ffmpeg (or run `make setup` as root)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reelforge-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start NATS, Postgres, S3 and the services (idempotent)")
    up.add_argument("--infra-only", action="store_true", help="start only NATS, Postgres and S3")
    commands.add_parser("down", help="stop everything `up` started")
    commands.add_parser("status", help="show each component and whether it is healthy")
    commands.add_parser("destroy", help="stop everything and delete .stack/ (all local data)")
    args = parser.parse_args(argv)

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
