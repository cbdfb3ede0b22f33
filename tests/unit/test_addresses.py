"""The harvester's address rule (harvester/addresses.py): every notation of an internal address
is refused once the resolver has normalised it, public addresses pass, and the two exemptions
(the source's own origin, KAIFANG_HARVEST_ALLOWED_NETWORKS) allow exactly what they name.

Hosts here are numeric or ``localhost``: the system resolves them without asking any server.
"""

import ipaddress

import pytest

from datasets.errors import ConfigError
from datasets.settings import load_settings
from harvester.addresses import AddressGuard, Origin, RefusedAddress, internal_kind

# host as a URL would write it → what the refusal says it is
INTERNAL = {
    "127.0.0.1": "回环地址",
    "127.255.255.254": "回环地址",
    "localhost": "回环地址",
    "2130706433": "回环地址",  # decimal
    "0x7f000001": "回环地址",  # hexadecimal
    "0x7f.1": "回环地址",  # hexadecimal, short form
    "0177.0.0.1": "回环地址",  # octal
    "017700000001": "回环地址",  # octal, one number
    "127.1": "回环地址",  # short form
    "::1": "回环地址",
    "::ffff:127.0.0.1": "回环地址",  # IPv4-mapped
    "::ffff:7f00:1": "回环地址",  # IPv4-mapped, hexadecimal
    "::127.0.0.1": "回环地址",  # IPv4-compatible
    "64:ff9b::127.0.0.1": "回环地址",  # NAT64
    "2002:7f00:1::": "回环地址",  # 6to4
    "0.0.0.0": "未指定地址",  # noqa: S104 — an address to refuse, not one to bind
    "0": "未指定地址",
    "::": "未指定地址",
    "169.254.169.254": "链路本地地址",  # cloud metadata
    "2852039166": "链路本地地址",  # the same, decimal
    "::ffff:169.254.169.254": "链路本地地址",
    "fe80::1": "链路本地地址",
    "10.0.0.1": "私有地址",
    "10.255.255.255": "私有地址",
    "012.0.0.1": "私有地址",  # octal 10.0.0.1
    "172.16.0.1": "私有地址",
    "172.31.255.254": "私有地址",
    "192.168.1.1": "私有地址",
    "0xc0a80101": "私有地址",  # hexadecimal 192.168.1.1
    "::ffff:10.1.2.3": "私有地址",
    "::ffff:192.168.0.1": "私有地址",
    "fc00::1": "私有地址",
    "fd12:3456::1": "私有地址",
    "100.64.0.1": "共享地址空间",
    "100.127.255.254": "共享地址空间",
    "224.0.0.1": "组播地址",
    "239.255.255.250": "组播地址",
    "ff02::1": "组播地址",
    "240.0.0.1": "保留地址",
    "255.255.255.255": "保留地址",
    "::8.8.8.8": "保留地址",  # IPv4-compatible form of a public address: deprecated, reserved
    "0.1.2.3": "特殊用途地址",  # "this network"
    "192.0.2.1": "特殊用途地址",  # documentation
    "198.18.0.1": "特殊用途地址",  # benchmarking
    "2001:db8::1": "特殊用途地址",  # documentation
}
PUBLIC = (
    "8.8.8.8",
    "134744072",  # 8.8.8.8, decimal
    "1.1.1.1",
    "172.32.0.1",  # just outside 172.16/12
    "100.128.0.1",  # just outside 100.64/10
    "11.0.0.1",
    "::ffff:8.8.8.8",
    "2001:4860:4860::8888",
    "64:ff9b::8.8.8.8",
    "2002:808:808::",
)


@pytest.mark.parametrize(("host", "kind"), INTERNAL.items())
def test_every_notation_of_an_internal_address_is_refused(host, kind):
    with pytest.raises(RefusedAddress) as refused:
        AddressGuard().addresses("http", host, 80)
    assert refused.value.message.startswith("拒绝访问内部地址：")
    assert refused.value.message.endswith(f"，{kind}")


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_pass(host):
    [(*_, sockaddr)] = AddressGuard().addresses("http", host, 80)
    assert internal_kind(ipaddress.ip_address(sockaddr[0])) is None


def test_the_refusal_names_the_host_and_the_address_it_resolved_to():
    with pytest.raises(
        RefusedAddress, match="^拒绝访问内部地址：2130706433（127.0.0.1），回环地址$"
    ):
        AddressGuard().addresses("http", "2130706433", 80)
    with pytest.raises(RefusedAddress, match="^拒绝访问内部地址：10.0.0.1，私有地址$"):
        AddressGuard().addresses("http", "10.0.0.1", 80)


def test_the_source_origin_is_exempt_and_nothing_else_on_its_host():
    settings = load_settings(environ={})
    guard = AddressGuard.for_source("http://127.0.0.1:8080/catalog/data.json", settings)
    assert guard.origin == Origin("http", "127.0.0.1", 8080)
    assert guard.addresses("http", "127.0.0.1", 8080)
    for scheme, host, port in (
        ("http", "127.0.0.1", 8081),  # another port
        ("https", "127.0.0.1", 8080),  # another scheme
        ("http", "localhost", 8080),  # another name for it
        ("http", "127.0.0.2", 8080),
    ):
        with pytest.raises(RefusedAddress):
            guard.addresses(scheme, host, port)
    # default ports, IPv6 literals and upper case in the location
    assert AddressGuard.for_source("https://[::1]/x", settings).origin == Origin(
        "https", "::1", 443
    )
    assert AddressGuard.for_source("HTTP://Dept.Internal./x", settings).exempt(
        "http", "dept.internal", 80
    )
    # a local catalog file has no origin
    assert AddressGuard.for_source("/srv/exports/catalog.ttl", settings).origin is None
    assert AddressGuard.for_source("file:///etc/passwd", settings).origin is None


def test_the_allowed_networks_setting_lets_named_hosts_and_networks_through():
    settings = load_settings(
        environ={
            "KAIFANG_HARVEST_ALLOWED_NETWORKS": (
                "data.jtj.zw.internal, .zwy.internal ; 10.20.0.0/16 192.168.7.9 fd00:1::/32"
            )
        }
    )
    hosts, networks = settings.harvest_allowed
    assert hosts == ("data.jtj.zw.internal", ".zwy.internal")
    assert [str(n) for n in networks] == ["10.20.0.0/16", "192.168.7.9/32", "fd00:1::/32"]
    guard = AddressGuard.for_source(None, settings)
    for host in ("10.20.0.1", "10.20.255.254", "192.168.7.9", "::ffff:10.20.3.4", "fd00:1::5"):
        assert guard.addresses("http", host, 80), host
    for host in ("10.21.0.1", "192.168.7.10", "127.0.0.1", "fd00:2::5"):
        with pytest.raises(RefusedAddress):
            guard.addresses("http", host, 80)
    assert guard.exempt("https", "data.jtj.zw.internal", 443)
    assert guard.exempt("http", "a.b.zwy.internal", 8080)
    assert not guard.exempt("http", "zwy.internal.evil.example", 80)
    assert not guard.exempt("http", "other.zw.internal", 80)
    assert load_settings(environ={}).harvest_allowed == ((), ())


@pytest.mark.parametrize("value", ["10.0.0.0/33", "2130706433", "0x7f.1", "bad host!", "http://x"])
def test_unreadable_allowed_networks_stop_the_program_with_the_variable_named(value):
    with pytest.raises(ConfigError, match="KAIFANG_HARVEST_ALLOWED_NETWORKS"):
        load_settings(environ={"KAIFANG_HARVEST_ALLOWED_NETWORKS": value})
