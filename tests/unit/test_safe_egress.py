"""The address policy of tenant-supplied URLs: only global addresses, whatever their spelling."""

from __future__ import annotations

import ipaddress

import pytest

from reelforge_common.safe_egress import AddressPolicy

ALLOWLISTED = AddressPolicy([ipaddress.ip_network("127.0.0.2/32")])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "169.254.169.254",
        "10.0.0.1",
        "100.64.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of the metadata address
        "fd00::1",
        "fe80::1",
        "ff02::1",
    ],
)
def test_addresses_that_reach_inside_are_refused(address: str) -> None:
    assert not AddressPolicy().allows(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::", "2606:4700::1"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().allows(ipaddress.ip_address(address))


def test_an_allowlisted_network_is_allowed_in_any_spelling_and_no_further() -> None:
    assert ALLOWLISTED.allows(ipaddress.ip_address("127.0.0.2"))
    assert ALLOWLISTED.allows(ipaddress.ip_address("::ffff:127.0.0.2"))
    assert ALLOWLISTED.allows(ipaddress.ip_address("64:ff9b::7f00:2"))
    assert not ALLOWLISTED.allows(ipaddress.ip_address("127.0.0.1"))
    assert not ALLOWLISTED.allows(ipaddress.ip_address("64:ff9b::7f00:1"))
