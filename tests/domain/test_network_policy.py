"""The network policy's pure half: which addresses are refused, and IP literal spellings."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from hookline.domain.network_policy import (
    describe,
    first_refused,
    ip_literal,
    is_loopback_name,
    refusal,
)

REFUSED = [
    ("0.0.0.0", "this-network"),
    ("0.255.255.255", "this-network"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("100.64.0.1", "cgnat"),
    ("100.127.255.254", "cgnat"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.8", "ietf-protocol-assignments"),
    ("192.0.0.170", "ietf-protocol-assignments"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "6to4-relay"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.254", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("100::1", "discard"),
    ("2001:db8::1", "documentation"),
    ("2001:10::1", "orchid"),
    ("2001:20::1", "orchid"),
    ("fc00::1", "unique-local"),
    ("fd00:ec2::254", "unique-local"),
    ("fe80::1", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("::ffff:127.0.0.1", "ipv4-mapped"),
    ("::ffff:169.254.169.254", "ipv4-mapped"),
    ("::ffff:8.8.8.8", "ipv4-mapped"),
    ("::127.0.0.1", "ipv4-compatible"),
    ("::a00:1", "ipv4-compatible"),
    ("64:ff9b::7f00:1", "nat64"),
    ("64:ff9b::a9fe:a9fe", "nat64"),
    ("64:ff9b::808:808", "nat64"),
    ("64:ff9b:1::a00:1", "nat64"),
    ("2002:7f00:1::", "6to4"),
    ("2002:808:808::1", "6to4"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"),
    ("2001:2::1", "not-global"),  # benchmarking, caught by is_global
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.1",  # just above
    "172.15.255.255",
    "172.32.0.1",
    "198.17.255.255",
    "198.20.0.1",
    "223.255.255.1",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:830::200e",
]


@pytest.mark.parametrize(("address", "rule"), REFUSED)
def test_refused_addresses_name_their_rule(address: str, rule: str) -> None:
    assert refusal(ip_address(address)) == rule
    assert not describe(rule).startswith("refused (")


@pytest.mark.parametrize("address", ALLOWED)
def test_globally_routable_addresses_pass(address: str) -> None:
    assert refusal(ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0xa9.0376.43518", "169.254.169.254"),
        ("134744072", "8.8.8.8"),
        ("[::1]", "::1"),
        ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_every_spelling_of_an_ip_literal_is_read(host: str, address: str) -> None:
    assert ip_literal(host) == ip_address(address)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "hooks.acme.example",
        "deadbeef",  # hex digits alone are a name to getaddrinfo
        "abc.def",
        "1.2.3.4.5",
        "256.1.1.1",
        "1.2.3.256",
        "08.1.1.1",  # 8 is not an octal digit
        "0x1g.1",
        "4294967296",  # one above 255.255.255.255
        "",
        "[not-ipv6]",
    ],
)
def test_names_are_not_mistaken_for_literals(host: str) -> None:
    assert ip_literal(host) is None


def test_one_refused_answer_refuses_the_host() -> None:
    public, private = ip_address("93.184.216.34"), ip_address("10.0.0.1")
    assert first_refused([public]) is None
    assert first_refused([public, private]) == (private, "private")
    assert first_refused([]) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("api.localhost", True),
        ("localhost.example", False),
        ("notlocalhost", False),
    ],
)
def test_localhost_names(host: str, loopback: bool) -> None:
    assert is_loopback_name(host) is loopback
