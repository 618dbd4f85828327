"""Kept Idempotency-Key responses: unreadable without the key, the same answer with it."""

from __future__ import annotations

from reelforge_gateway.sealing import record_key, seal, unseal

TOKEN = b'{"token": "rf_0123456789abcdef_' + b"9" * 64 + b'"}'


def test_a_sealed_body_hides_its_secret_and_opens_with_the_key() -> None:
    sealed = seal(TOKEN, owner="t_1", key="retry-1")
    assert b"rf_" not in sealed
    assert unseal(sealed, owner="t_1", key="retry-1") == TOKEN
    assert unseal(sealed, owner="t_1", key="retry-2") != TOKEN
    assert unseal(sealed, owner="t_2", key="retry-1") != TOKEN


def test_the_same_body_seals_differently_each_time_and_empty_stays_empty() -> None:
    assert seal(TOKEN, owner="t_1", key="k") != seal(TOKEN, owner="t_1", key="k")
    assert unseal(seal(b"", owner="t_1", key="k"), owner="t_1", key="k") == b""


def test_the_record_key_does_not_reveal_the_key() -> None:
    assert "retry-1" not in record_key("retry-1")
    assert record_key("retry-1") == record_key("retry-1") != record_key("retry-2")
