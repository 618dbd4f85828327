"""API keys: ``rf_<key id>_<secret>``.

The id is public (it names the key in listings and logs); the secret is 256
random bits, shown once. Only its SHA-256 is stored: a slow password hash
adds nothing for a secret that cannot be guessed, and a fast one keeps every
request's authentication cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "rf"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        return f"{PREFIX}_{self.key_id}_{self.secret}"

    @property
    def secret_sha256(self) -> bytes:
        return hash_secret(self.secret)


def generate_key() -> NewKey:
    # Hex keeps both parts free of the "_" separator.
    return NewKey(key_id=secrets.token_hex(8), secret=secrets.token_hex(32))


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def parse_token(token: str) -> tuple[str, str] | None:
    """``(key id, secret)`` of a well-formed token, else None."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret:
        return None
    return key_id, secret


def secret_matches(secret: str, stored_sha256: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_sha256)


def is_operator(operator_token: str, token: str | None) -> bool:
    """Whether ``token`` is the operator token (never when none is configured)."""
    return token is not None and bool(operator_token) and hmac.compare_digest(token.encode(), operator_token.encode())
