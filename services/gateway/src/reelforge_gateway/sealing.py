"""What the database keeps of an ``Idempotency-Key`` and of the response it replays.

A kept response may hold a secret shown once: a new API key's token, a
webhook's signing secret. So the table holds only a hash of the key, and the
response body sealed with a keystream derived from the key itself (SHAKE-256
of the key, the owner and a random nonce): a dump of the table reveals
neither, while the client that retries with its key gets the same answer.
A response is as secret as its key: the SDK's are random UUIDs.
"""

from __future__ import annotations

import hashlib
import secrets

_NONCE_BYTES = 16


def record_key(key: str) -> str:
    """The name a key's record is kept under."""
    return hashlib.sha256(b"reelforge idempotency record\0" + key.encode()).hexdigest()


def _keystream(owner: str, key: str, nonce: bytes, size: int) -> bytes:
    material = b"reelforge idempotency body\0%s\0%s\0%s" % (owner.encode(), key.encode(), nonce)
    return hashlib.shake_256(material).digest(size)


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def seal(body: bytes, *, owner: str, key: str) -> bytes:
    """``body`` unreadable without ``key``."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + _xor(body, _keystream(owner, key, nonce, len(body)))


def unseal(sealed: bytes, *, owner: str, key: str) -> bytes:
    """The body :func:`seal` sealed with the same owner and key."""
    nonce, data = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return _xor(data, _keystream(owner, key, nonce, len(data)))
