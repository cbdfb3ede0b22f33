"""The client's own address behind a front server (nginx) that the portal trusts.

A request's direct peer is the front server, whose address every citizen would otherwise
share. nginx appends the address it saw to ``X-Forwarded-For`` (``proxy_set_header
X-Forwarded-For $proxy_add_x_forwarded_for``); whatever is left of that was written by the
client and proves nothing. So the header is read only when the direct peer is one of
``KAIFANG_TRUSTED_PROXIES``, from the right, skipping the trusted hops: the first address not
trusted is the client's. The resolved address replaces ``REMOTE_ADDR`` before the app sees the
request, so the rate limits, the logs and anything else reading ``request.remote_addr`` agree;
the direct peer stays in ``PEER``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import Any

from datasets.settings import parse_networks

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
PEER = "kaifang.peer_addr"  # the direct peer's address, kept in the WSGI environment
_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d+$")


def trusted_networks(text: str) -> tuple[Network, ...]:
    """``KAIFANG_TRUSTED_PROXIES`` (addresses or CIDR networks separated by commas or spaces)
    as networks; ``ConfigError`` naming an entry that is neither."""
    return parse_networks("TRUSTED_PROXIES", text)


def parse_address(text: str) -> Address | None:
    """An address as a header or the server gives it (``[::1]``, ``1.2.3.4:5678`` and
    IPv4-mapped IPv6 included); ``None`` for anything else."""
    value = text.strip().strip('"')
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif match := _PORT.match(value):
        value = match.group(1)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def _hops(headers: Iterable[str]) -> Iterator[str]:
    """The entries of every ``X-Forwarded-For`` line, right to left."""
    for line in reversed(list(headers)):
        yield from reversed(line.split(","))


def client_address(peer: str, forwarded: Iterable[str], networks: tuple[Network, ...]) -> str:
    """The client's address: ``peer`` itself unless it is a trusted proxy; then the rightmost
    hop of ``forwarded`` that is not trusted. A hop that is not an address ends the walk at the
    last trusted one (a proxy that wrote it is misconfigured; nothing left of it is believed)."""
    current = parse_address(peer)
    if current is None:
        return peer
    if not networks or not _trusted(current, networks):
        return str(current)
    for hop in _hops(forwarded):
        if not hop.strip():
            continue
        address = parse_address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


class TrustedProxies:
    """WSGI middleware putting the client's address (``client_address``) in ``REMOTE_ADDR``."""

    def __init__(self, app: Any, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR") or ""
        environ.setdefault(PEER, peer)
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        environ["REMOTE_ADDR"] = client_address(
            peer, [forwarded] if forwarded else [], self.networks
        )
        return self.app(environ, start_response)
