"""Failures that mean "a dependency is down", as opposed to "a bug".

Postgres refusing connections, restarting or dropping them, and S3 failing
past its retry limit are outages: edges answer them as unavailable (HTTP 503
with ``Retry-After``, gRPC ``UNAVAILABLE``) so callers retry, never as
internal errors. One classifier, so every edge agrees.
"""

from __future__ import annotations

import errno

import asyncpg

from reelforge_common.storage import StorageUnavailableError

_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.EHOSTUNREACH, errno.ENETUNREACH}
)
# Connection failures (SQLSTATE class 08), and Postgres shutting down,
# crashed or still starting (57P01-57P03).
_DATABASE_GONE = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
)


def unavailable_dependency(exc: BaseException) -> str | None:
    """What ``exc`` says is unavailable ("database", "object storage", "a
    dependency" for a bare network error), or None for any other failure.
    A group counts when every exception in it does."""
    if isinstance(exc, BaseExceptionGroup):
        names = [unavailable_dependency(inner) for inner in exc.exceptions]
        return names[0] if names and all(names) else None
    if isinstance(exc, StorageUnavailableError):
        return "object storage"
    if isinstance(exc, _DATABASE_GONE):
        return "database"
    if isinstance(exc, asyncpg.InterfaceError) and ("closed" in str(exc) or "closing" in str(exc)):
        return "database"  # a pooled connection the server dropped, or a pool being closed
    if isinstance(exc, asyncpg.InternalClientError):
        # "cannot switch to state ...": the protocol still consumes the FATAL
        # a terminated session received (the pool discards the connection).
        return "database"
    if isinstance(exc, ConnectionError | TimeoutError):
        return "a dependency"
    if isinstance(exc, OSError) and (exc.errno in _NETWORK_ERRNOS or "Connect call failed" in str(exc)):
        return "a dependency"  # asyncpg's "Multiple exceptions: ... Connect call failed"
    return None


def unavailable_detail(dependency: str) -> str:
    """The problem detail of an answer refused because ``dependency`` is down."""
    subject = dependency if dependency == "a dependency" else f"the {dependency}"
    return f"{subject} is unavailable; retry later"
