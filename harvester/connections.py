"""``requests`` sessions whose every connection is opened by an ``AddressGuard``.

urllib3 opens a connection in ``HTTPConnection._new_conn``; our connection classes open it with
``AddressGuard.connect`` instead, which resolves the host once, checks the addresses and connects
to a checked one. The host name itself is left as it is, so the ``Host`` header, TLS SNI and
certificate verification still use the name from the URL. The guard reaches the connections
through the pool manager (``_new_pool`` is urllib3's hook for that). Sessions ignore the
environment (``trust_env=False``): no proxy can stand between the check and the server.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from harvester.addresses import AddressGuard


class _GuardedConnection(HTTPConnection):
    scheme = "http"

    def __init__(self, *args: Any, guard: AddressGuard, **kwargs: Any) -> None:
        self.guard = guard
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        try:
            sock = self.guard.connect(
                self.scheme,
                self.host,
                self.port,
                timeout=self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    scheme = "https"


class _GuardedPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedPoolManager(PoolManager):
    def __init__(self, guard: AddressGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self.pool_classes_by_scheme = {"http": _GuardedPool, "https": _GuardedHTTPSPool}

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        context = dict(self.connection_pool_kw if request_context is None else request_context)
        context["guard"] = self.guard  # passed on to every connection of the pool
        return super()._new_pool(scheme, host, port, context)


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self.poolmanager = _GuardedPoolManager(
            self.guard, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise requests.exceptions.InvalidProxyURL("采集器不经代理访问来源")


def guarded_session(guard: AddressGuard) -> requests.Session:
    """A session that connects only where ``guard`` allows, follows no redirects on its own
    behalf (callers pass ``allow_redirects=False``) and reads no proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {}
    # trust_env=False also drops the CA bundle variables requests honours; keep those
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    adapter = _GuardedAdapter(guard)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
