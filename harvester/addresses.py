"""Which addresses the harvester may connect to, decided on the address it really connects to.

A harvested catalog names URLs of its own choosing; without a check it could make the harvester
read an internal service (``127.0.0.1``, ``169.254.169.254``, a ``10.x`` server) and publish the
answer. ``AddressGuard.connect`` resolves a host once, refuses the connection when any of its
addresses is internal, and connects to exactly the addresses it checked, so no second lookup can
answer differently (DNS rebinding). Every notation of an address (``2130706434``, ``0x7f.1``,
``[::ffff:127.0.0.1]``) is normalised by the resolver first and then judged as an address.

Two exemptions: the source's own origin (the scheme, host and port of its location — a
department serving its files from its own server), and the hosts and networks of the setting
``KAIFANG_HARVEST_ALLOWED_NETWORKS``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from datasets.errors import SourceError
from datasets.settings import IPNetwork, Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052)


class RefusedAddress(SourceError):
    """A connection to an internal address was refused; the message names host and address."""


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``) or 6to4 (``2002:AABB:CCDD::``)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:  # not :: and not ::1
        return ipaddress.IPv4Address(packed[12:])
    if ip in _NAT64:
        return ipaddress.IPv4Address(packed[12:])
    return None


def internal_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is internal (a short Chinese phrase), or ``None`` for a public address."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        kind = internal_kind(inner)
        if kind is not None:
            return kind
        if isinstance(ip, ipaddress.IPv6Address) and (
            ip.ipv4_mapped or ip.sixtofour or ip in _NAT64
        ):
            return None  # reaches the public IPv4 address it carries
    if ip.is_unspecified:
        return "未指定地址"
    if ip.is_loopback:
        return "回环地址"
    if ip.is_link_local:
        return "链路本地地址"
    if ip.is_multicast:
        return "组播地址"
    if ip in _SHARED:
        return "共享地址空间"
    if any(ip in net for net in _PRIVATE if net.version == ip.version) or (
        isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    ):
        return "私有地址"
    if ip.is_reserved:
        return "保留地址"
    if ip.is_private or not ip.is_global:
        return "特殊用途地址"
    return None


def parse_address(text: str) -> IPAddress:
    """An address as the resolver writes it (an IPv6 scope such as ``%eth0`` dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def host_matches(host: str, names: Sequence[str]) -> bool:
    """``host`` is one of ``names``; an entry ``.example.org`` also matches its subdomains."""
    host = normal_host(host)
    return any(host == n or (n.startswith(".") and host.endswith(n)) for n in names)


def normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, location: str | None) -> Origin | None:
        """The origin of an http(s) location; ``None`` for local paths and other schemes."""
        if not location:
            return None
        try:
            parts = urlsplit(location.strip())
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        return cls(scheme, normal_host(parts.hostname), port or DEFAULT_PORTS[scheme])


@dataclass(frozen=True)
class AddressGuard:
    """What one source's harvester may connect to: public addresses, its own origin, and the
    hosts and networks the operator allowed."""

    origin: Origin | None = None
    allowed_hosts: tuple[str, ...] = ()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def for_source(cls, location: str | None, settings: Settings) -> AddressGuard:
        hosts, networks = settings.harvest_allowed
        return cls(Origin.of(location), hosts, networks)

    def exempt(self, scheme: str, host: str, port: int) -> bool:
        """Whether ``scheme://host:port`` may be reached whatever its addresses are."""
        if Origin(scheme, normal_host(host), port) == self.origin:
            return True
        return host_matches(host, self.allowed_hosts)

    def refusal(self, ip: IPAddress) -> str | None:
        """Why a connection to ``ip`` is refused, or ``None`` when it is allowed."""
        kind = internal_kind(ip)
        if kind is None:
            return None
        candidates = [ip] + [a for a in (embedded_ipv4(ip),) if a is not None]
        if any(a in net for a in candidates for net in self.allowed_networks):
            return None
        return kind

    def addresses(self, scheme: str, host: str, port: int) -> list[tuple[Any, ...]]:
        """The resolver's answers for ``host`` (``getaddrinfo`` tuples), looked up once;
        ``RefusedAddress`` if the host is not exempt and any answer is internal."""
        found = socket.getaddrinfo(normal_host(host), port, 0, socket.SOCK_STREAM)
        if not self.exempt(scheme, host, port):
            for *_, sockaddr in found:
                ip = parse_address(str(sockaddr[0]))
                kind = self.refusal(ip)
                if kind is not None:
                    shown = host if normal_host(host) == str(ip) else f"{host}（{ip}）"
                    raise RefusedAddress(f"拒绝访问内部地址：{shown}，{kind}")
        return found

    def connect(
        self,
        scheme: str,
        host: str,
        port: int,
        *,
        timeout: Any,
        source_address: tuple[str, int] | None = None,
        socket_options: Sequence[tuple[int, int, Any]] | None = None,
    ) -> socket.socket:
        """A socket connected to one of the checked addresses of ``host`` (tried in turn)."""
        last: OSError | None = None
        for family, kind, proto, _, sockaddr in self.addresses(scheme, host, port):
            sock = socket.socket(family, kind, proto)
            try:
                for level, option, value in socket_options or ():
                    sock.setsockopt(level, option, value)
                if timeout is None or isinstance(timeout, int | float):
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                last = exc
                sock.close()
        raise last or OSError(f"{host} 没有可连接的地址")
