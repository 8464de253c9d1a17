"""The storage client's egress rule: which addresses are public, which origins are allowed."""

from __future__ import annotations

import pytest

from ltxdash.ltx.egress import (
    EgressPolicy,
    Origin,
    RefusedTarget,
    is_public,
    origin_of,
    parse_origin,
    parse_origins,
)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8",  # IPv4-mapped public
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    ],
)
def test_public_addresses(address):
    assert is_public(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata: link-local
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",  # noqa: S104 (an address to classify, nothing binds to it)
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.10",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",  # IPv6 multicast
        "ff0e::1",  # global-scope multicast: still not a destination for a download
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:db8::1",  # documentation
        "not an address",
    ],
)
def test_addresses_that_are_not_public(address):
    assert not is_public(address)


def test_origins_are_parsed_strictly_and_normalised():
    assert parse_origin("https://CDN.example.com") == Origin("https", "cdn.example.com", 443)
    assert parse_origin("http://127.0.0.1:9000/") == Origin("http", "127.0.0.1", 9000)
    assert str(parse_origin("http://[::1]:8001")) == "http://[::1]:8001"
    assert parse_origins(" https://a.test, ,http://b.test:81 ") == (
        Origin("https", "a.test", 443),
        Origin("http", "b.test", 81),
    )
    assert origin_of("https://a.test/x.mp4?sig=1") == Origin("https", "a.test", 443)


@pytest.mark.parametrize(
    "bad",
    [
        "cdn.example.com",
        "ftp://cdn.example.com",
        "https://",
        "https://cdn.example.com/path",
        "https://cdn.example.com?x=1",
        "https://cdn.example.com#f",
        "https://user:pw@cdn.example.com",
        "https://cdn.example.com:99999",
        "https://[::1",
    ],
)
def test_a_malformed_origin_is_refused(bad):
    with pytest.raises(ValueError):
        parse_origin(bad)


def resolver(table):
    return lambda host, port: table[host]


def test_the_policy_checks_what_a_name_resolves_to():
    policy = EgressPolicy(
        [parse_origin("http://127.0.0.1:8001"), parse_origin("http://sim.local:9000")],
        resolver=resolver(
            {
                "cdn.test": ["93.184.216.34", "2606:2800:220:1::1"],
                "rebound.test": ["93.184.216.34", "127.0.0.1"],
                "metadata.test": ["169.254.169.254"],
                "127.0.0.1": ["127.0.0.1"],
                "sim.local": ["10.0.0.5"],
                "nothing.test": [],
            }
        ),
    )

    assert policy.resolve("cdn.test", 443) == ["93.184.216.34", "2606:2800:220:1::1"]
    assert policy.resolve("127.0.0.1", 8001) == ["127.0.0.1"]  # the API's own origin
    assert policy.resolve("sim.local", 9000) == ["10.0.0.5"]  # an extra origin, by name
    for host, port in [
        ("rebound.test", 443),  # one private answer is enough to refuse
        ("metadata.test", 80),
        ("127.0.0.1", 8002),  # another port of an allowed host
        ("sim.local", 443),
    ]:
        with pytest.raises(RefusedTarget):
            policy.resolve(host, port)
    with pytest.raises(OSError):
        policy.resolve("nothing.test", 443)


def test_plain_http_only_to_allowed_origins():
    policy = EgressPolicy([parse_origin("http://127.0.0.1:8001")])

    policy.check_url("https://cdn.test/x.mp4")
    policy.check_url("http://127.0.0.1:8001/_sim/files/1/video.mp4")
    for url in ["http://cdn.test/x.mp4", "http://127.0.0.1:8002/x", "https:///x", "file:///x"]:
        with pytest.raises(RefusedTarget):
            policy.check_url(url)


def test_an_allowed_host_and_port_is_trusted_only_with_its_own_scheme():
    """The simulator's http://127.0.0.1:8001 does not make https://127.0.0.1:8001 allowed: an
    origin is scheme, host and port, all three."""
    policy = EgressPolicy(
        [parse_origin("http://127.0.0.1:8001"), parse_origin("https://store.internal:9443")]
    )
    policy.check_url("http://127.0.0.1:8001/x")
    policy.check_url("https://store.internal:9443/x")
    for url in ["https://127.0.0.1:8001/x", "http://store.internal:9443/x"]:
        with pytest.raises(RefusedTarget):
            policy.check_url(url)
