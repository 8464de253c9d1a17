"""Where the storage client may connect: the rule against result URLs that point inwards.

Result and upload URLs come from the API's answers, so they are untrusted input: a URL naming
``127.0.0.1``, ``169.254.169.254`` (cloud metadata) or a host on the office network would make a
worker fetch from inside our own network and store what it got (SSRF). The rule:

* ``https`` to a public address: allowed;
* exactly the origins (scheme, host, port) of ``LTX_API_BASE_URL`` and of
  ``LTXDASH_EXTRA_RESULT_ORIGINS``: allowed, whatever they resolve to and over plain ``http``
  too (the built-in simulator and self-hosted stand-ins serve their results on 127.0.0.1);
* everything else: refused, before any byte is sent.

Two checks enforce it. :meth:`EgressPolicy.check_url` runs on every request the storage client
sends, redirects included (an httpx request hook), and refuses plain ``http`` outside the
allowed origins. :meth:`EgressPolicy.resolve` runs at connect time (``transport.py``): it
resolves the name once, refuses it if any address is not public, and returns the addresses
checked, which are the ones connected to. So a name that answers a public address to a first
lookup and a private one to a second (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"http": 80, "https": 443}
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (RFC 6052); the
# local-use prefix (RFC 8215) is not a public destination at all.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")

Resolver = Callable[[str, int], list[str]]


class RefusedTarget(Exception):
    """A URL or an address the storage client must not reach. The message names the host (as
    the URL gave it) and why; never a query string."""


@dataclass(frozen=True, order=True)
class Origin:
    scheme: str
    host: str  # lower case; an IPv6 literal without brackets
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def origin_of(url: str) -> Origin:
    """The origin of an http(s) URL; ValueError when it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError("not a valid URL") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError("not an http(s) URL with a host")
    return Origin(scheme, host.rstrip("."), port or _DEFAULT_PORTS[scheme])


def parse_origin(text: str) -> Origin:
    """One configured origin: ``scheme://host[:port]`` and nothing else (no path, query,
    fragment or user); ValueError otherwise."""
    value = text.strip()
    parts = urlsplit(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{value!r} is not an origin (scheme://host[:port], nothing after it)")
    try:
        return origin_of(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an http(s) origin (scheme://host[:port])") from None


def parse_origins(text: str) -> tuple[Origin, ...]:
    """Comma-separated origins (empty items ignored); ValueError naming the first bad one."""
    return tuple(parse_origin(item) for item in text.split(",") if item.strip())


def is_public(address: str | IPAddress) -> bool:
    """Whether an address is a public unicast destination: not loopback, private, link-local,
    shared (CGNAT), multicast, reserved, documentation or unspecified, IPv4 or IPv6, also
    when an IPv4 address hides inside an IPv6 one (``::ffff:127.0.0.1``, NAT64)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _NAT64_LOCAL:
            return False
    return ip.is_global and not ip.is_multicast


def _system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"could not resolve {host!r}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class EgressPolicy:
    """The storage client's rule (see the module docstring). Immutable, thread-safe."""

    def __init__(self, allowed: Iterable[Origin] = (), *, resolver: Resolver | None = None):
        self.allowed = frozenset(allowed)
        # At connect time only the host and port are known; an allowed origin is trusted by
        # configuration, whatever its name resolves to.
        self._allowed_endpoints = frozenset((o.host, o.port) for o in self.allowed)
        self._resolve = resolver or _system_resolver

    def __repr__(self) -> str:
        return f"<EgressPolicy allowing {sorted(str(o) for o in self.allowed)}>"

    def check_url(self, url: str) -> None:
        """Refuse a URL that is neither https nor on an allowed origin."""
        try:
            origin = origin_of(url)
        except ValueError:
            raise RefusedTarget("the URL is not a usable http(s) URL") from None
        if origin in self.allowed:
            return
        if origin.scheme != "https":
            raise RefusedTarget(f"{origin.host}: plain http is only used for allowed origins")
        if (origin.host, origin.port) in self._allowed_endpoints:
            # That host and port are trusted only with the scheme they were configured with.
            raise RefusedTarget(f"{origin}: not an allowed origin (its scheme differs)")

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host:port``, each one checked; RefusedTarget when
        any of them is not public (unless host and port are an allowed origin's). OSError when
        the name does not resolve."""
        name = host.lower().strip("[]").rstrip(".")
        addresses = self._resolve(name, port)
        if (name, port) in self._allowed_endpoints:
            return addresses
        if not addresses:
            raise OSError(f"could not resolve {name!r}")
        if not all(is_public(address) for address in addresses):
            raise RefusedTarget(f"{name}: not a public address, and not an allowed origin")
        return addresses


__all__ = [
    "EgressPolicy",
    "Origin",
    "RefusedTarget",
    "is_public",
    "origin_of",
    "parse_origin",
    "parse_origins",
]
