"""What every command needs: where the API is, who is calling, and a client.

Precedence, first found wins: the ``--api-url`` / ``--api-key`` options; the
profile named by ``--profile``; ``REELFORGE_API_URL`` / ``REELFORGE_API_KEY``;
the profile named by ``REELFORGE_PROFILE`` (else ``default``); for the URL,
the local stack's address.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import typer

from reelforge_cli.errors import UsageError
from reelforge_cli.profiles import DEFAULT_PROFILE, Profile, config_path, load_profiles
from reelforge_sdk import DEFAULT_API_URL, Client, RetryPolicy


@dataclass(frozen=True)
class GlobalOptions:
    """The options given before the command name."""

    api_url: str | None = None
    api_key: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class Connection:
    api_url: str
    api_key: str | None


@dataclass
class AppState:
    """Stored on the typer context by the root callback."""

    options: GlobalOptions
    transport: httpx.BaseTransport | None = None
    retry: RetryPolicy | None = None
    sleep: Callable[[float], None] = time.sleep
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def config_path(self) -> Path:
        return config_path(self.env)

    @property
    def profile_name(self) -> str:
        return self.options.profile or self.env.get("REELFORGE_PROFILE") or DEFAULT_PROFILE

    def profile(self) -> Profile:
        """The selected profile; one named with ``--profile`` must exist."""
        profiles = load_profiles(self.config_path)
        name = self.profile_name
        if self.options.profile and name not in profiles:
            raise UsageError("unknown_profile", f"no profile {name!r} in {self.config_path}; run `reelforge login`")
        return profiles.get(name, Profile())

    def connection(self) -> Connection:
        """The API URL and key by the precedence above (the key may be missing)."""
        options, env = self.options, self.env
        stored = self.profile()
        explicit = stored if options.profile else Profile()
        api_url = options.api_url or explicit.api_url or env.get("REELFORGE_API_URL") or stored.api_url
        api_key = options.api_key or explicit.api_key or env.get("REELFORGE_API_KEY") or stored.api_key
        return Connection(api_url=api_url or DEFAULT_API_URL, api_key=api_key or None)

    def client(self, *, require_key: bool = True) -> Client:
        """A client for the resolved connection; without a key, a usage problem."""
        connection = self.connection()
        if require_key and not connection.api_key:
            raise UsageError(
                "missing_api_key",
                "no API key: pass --api-key, set REELFORGE_API_KEY or run `reelforge login`",
            )
        return self.client_for(connection.api_url, connection.api_key)

    def client_for(self, api_url: str, api_key: str | None) -> Client:
        """A client for exactly this URL and key (``login`` checks a key before saving it)."""
        return Client(api_url, api_key or "", transport=self.transport, retry=self.retry, sleep=self.sleep)


def app_state(ctx: typer.Context) -> AppState:
    """The state the root callback stored (found from any subcommand)."""
    state = ctx.find_object(AppState)
    if state is None:
        return AppState(GlobalOptions())
    return state
