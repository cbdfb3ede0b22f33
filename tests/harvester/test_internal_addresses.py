"""The harvester never reads an internal address a harvested catalog names (issue 9).

An "internal service" listens on 127.0.0.2 and answers every request with a secret token; the
sources are served from 127.0.0.1, their own origin, which they may read. Catalogs of every
remote kind (data.json, DCAT, CKAN) list the service in every spelling — its address, names that
resolve to it, ``2130706434``, ``0x7f.0.0.2``, ``[::ffff:127.0.0.2]``, a redirect from the
source's own server — and other internal addresses. The service must see no request, the token
must be in no public channel and nowhere in the instance, and each object's outcome names the
reason. Everything runs over real loopback HTTP; no outside host is ever looked up.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from datasets.models import Dataset
from datasets.runtime import Runtime
from harvester.addresses import AddressGuard, Origin
from harvester.http import FetchError, HttpClient
from harvester.jobs import JobResult, job_objects, run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime
from tests.harvester.ckan_server import CkanServer, ckan_time
from tests.harvester.fileserver import FileServer, quick_folder
from tests.leaks import all_channels

TOKEN = "kf-internal-token-5f2c9e81d04b"
INTERNAL = "127.0.0.2"
REFUSED = "拒绝访问内部地址"
PUBLISHER = "江州市交通运输局"
OWN_CSV = "线路,票价\n1路,1\n2路,2\n"


class TokenServer:
    """An HTTP service on ``host`` answering every GET with ``body`` (a CSV holding the token,
    unless told otherwise); ``requests`` lists the paths it was asked for."""

    def __init__(
        self,
        host: str,
        port: int = 0,
        body: str = f"名称,令牌\n内部服务,{TOKEN}\n",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.requests: list[str] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 — http.server's naming
                state.requests.append(self.path)
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def internal() -> Iterator[TokenServer]:
    server = TokenServer(INTERNAL)
    yield server
    server.close()


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """Name lookups: a name in the returned dict resolves to its addresses in turn (the last
    one repeats); numeric hosts and ``localhost`` resolve as the system resolves them; any other
    name fails and is recorded under ``"?tried"``, which must stay empty."""
    real = socket.getaddrinfo
    table: dict[str, list[str]] = {"?tried": []}
    lookups: dict[str, int] = {}

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in table and name != "?tried":
            answers = table[name]
            n = lookups[name] = lookups.get(name, 0) + 1
            return real(answers[min(n, len(answers)) - 1], port, *args, **kwargs)
        if name != "localhost":
            try:
                return real(name, port, *args, **{**kwargs, "flags": socket.AI_NUMERICHOST})
            except socket.gaierror:
                table["?tried"].append(name)
                raise
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    table["intranet.test"] = [INTERNAL]  # an internal name of the department network
    yield table
    assert table["?tried"] == [], f"looked up outside names: {table['?tried']}"


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with quick_folder(tmp_path) as folder:
        runtime = make_runtime(
            folder / "instance", harvest_retries=0, harvest_timeout=2, harvest_workers=1
        )
        yield runtime
        runtime.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FileServer]:
    with FileServer(tmp_path / "www") as srv:
        yield srv


def internal_urls(internal: TokenServer, origin: FileServer | CkanServer) -> dict[str, str]:
    """Case → a URL reaching the internal service (or another internal address)."""
    port = internal.port
    inside = f"http://{INTERNAL}:{port}/token.csv"
    if isinstance(origin, FileServer):
        origin.redirects["/go-inside.csv"] = inside
        redirect = origin.url("go-inside.csv")
    else:
        origin.redirects["/files/go-inside.csv"] = inside
        redirect = f"{origin.url}/files/go-inside.csv"
    return {
        "address": inside,
        "localhost": f"http://localhost:{port}/token.csv",
        "name": f"http://intranet.test:{port}/token.csv",
        "decimal": f"http://2130706434:{port}/token.csv",
        "hex": f"http://0x7f.0.0.2:{port}/token.csv",
        "mapped": f"http://[::ffff:{INTERNAL}]:{port}/token.csv",
        "redirect": redirect,
        "metadata": "http://169.254.169.254/latest/meta-data/token.csv",
        "private": "http://10.20.30.40/token.csv",
    }


# what each case's outcome must say besides 拒绝访问内部地址
REASONS = {
    "address": "回环地址",
    "localhost": "回环地址",
    "name": f"intranet.test（{INTERNAL}），回环地址",
    "decimal": f"2130706434（{INTERNAL}），回环地址",
    "hex": f"0x7f.0.0.2（{INTERNAL}），回环地址",
    "mapped": "回环地址",
    "redirect": f"{INTERNAL}，回环地址",
    "metadata": "169.254.169.254，链路本地地址",
    "private": "10.20.30.40，私有地址",
}


def harvest(
    rt: Runtime, kind: str, location: str, config: dict[str, str] | None = None, name: str = ""
) -> JobResult:
    name = name or kind
    add_source(rt, name=name, kind=kind, location=location, config=config or {}, exist_ok=True)
    return run_source(rt, get_sources(rt, [name])[0])


def outcomes(rt: Runtime, result: JobResult) -> dict[str, dict[str, Any]]:
    return {o["identifier"]: o for o in job_objects(rt, result.job_id)}


def token_leaks(rt: Runtime, token: str = TOKEN) -> list[str]:
    """Where the token stands: public pages, API answers, resource downloads, the index,
    public files (tests.leaks crawls them all), and (for the token itself) any file of the
    instance."""
    from portal.app import create_app

    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    found = [where for where, text in all_channels(app.test_client(), rt).items() if token in text]
    if token != TOKEN:
        return found
    for path in sorted(rt.paths.root.rglob("*")):
        if path.is_file() and TOKEN.encode() in path.read_bytes():
            found.append(str(path.relative_to(rt.paths.root)))
    return found


def assert_refused_and_nothing_leaked(
    rt: Runtime, result: JobResult, internal: TokenServer, ids: dict[str, str], own: str
) -> None:
    """Every case of ``ids`` (case → identifier) was published with its metadata only, its
    file not mirrored (未镜像) and the history naming the reason; the entry ``own`` whose file
    is on the source's own server was published with its file; the token is nowhere, and no
    public channel names the internal service's address."""
    assert result.status == "finished", result.message
    objects = outcomes(rt, result)
    for case, identifier in ids.items():
        outcome = objects[identifier]
        assert outcome["outcome"] == "unmirrored", (case, outcome)
        assert REFUSED in outcome["message"] and REASONS[case] in outcome["message"], (
            case,
            outcome["message"],
        )
        assert "\n" not in outcome["message"] and TOKEN not in outcome["message"]
    assert objects[own]["outcome"] == "added", objects[own]  # the source's own server
    with rt.reader() as session:
        state = session.scalar(select(Dataset.state).where(Dataset.source_identifier == own))
    assert state == "active", state
    assert internal.requests == []
    assert token_leaks(rt) == []
    assert token_leaks(rt, f":{internal.port}/") == []  # no link to the internal service


def datajson(urls: dict[str, str]) -> str:
    return json.dumps(
        {
            "dataset": [
                {
                    "identifier": f"dj-{case}",
                    "title": f"内部地址 {case}",
                    "description": f"数据文件放在 {case} 地址上的数据集",
                    "publisher": {"name": PUBLISHER},
                    "accessLevel": "public",
                    "distribution": [
                        {"downloadURL": url, "mediaType": "text/csv", "title": f"{case}.csv"}
                    ],
                }
                for case, url in urls.items()
            ]
        },
        ensure_ascii=False,
    )


def test_a_data_json_naming_internal_addresses_gets_nothing_of_them(rt, server, internal, names):
    urls = internal_urls(internal, server)
    own = server.write("own.csv", OWN_CSV)
    location = server.write("data.json", datajson({**urls, "own": own}))
    result = harvest(rt, "datajson", location)
    ids = {case: f"dj-{case}" for case in urls}
    assert_refused_and_nothing_leaked(rt, result, internal, ids, "dj-own")
    assert server.count("go-inside.csv") == 1  # the redirect was read, its target was not


def test_a_dcat_catalog_naming_internal_addresses_gets_nothing_of_them(rt, server, internal, names):
    urls = internal_urls(internal, server)
    own = server.write("own.csv", OWN_CSV)
    body = "".join(
        f"""<https://example.org/ds/{case}> a dcat:Dataset ; dct:title "内部地址 {case}" ;
            dct:description "数据文件放在 {case} 地址上的数据集" ;
            dct:publisher [ foaf:name "{PUBLISHER}" ] ;
            dcat:distribution [ dct:title "{case}.csv" ; dcat:downloadURL <{url}> ] .
        """
        for case, url in {**urls, "own": own}.items()
    )
    prefixes = (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        "@prefix dct: <http://purl.org/dc/terms/> .\n"
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
    )
    location = server.write("catalog.ttl", prefixes + body)
    result = harvest(rt, "dcat", location)
    ids = {case: f"https://example.org/ds/{case}" for case in urls}
    assert_refused_and_nothing_leaked(rt, result, internal, ids, "https://example.org/ds/own")


def test_a_ckan_portal_naming_internal_addresses_gets_nothing_of_them(rt, internal, names):
    portal = CkanServer().start()
    try:
        urls = internal_urls(internal, portal)
        portal.files["own.csv"] = OWN_CSV.encode("utf-8")
        for case, url in {**urls, "own": f"{portal.url}/files/own.csv"}.items():
            portal.packages[f"pkg-{case}"] = {
                "id": f"pkg-{case}",
                "name": f"pkg-{case}",
                "title": f"内部地址 {case}",
                "notes": f"数据文件放在 {case} 地址上的数据集",
                "state": "active",
                "private": False,
                "metadata_modified": ckan_time(),
                "organization": {"name": "jtj", "title": PUBLISHER},
                "resources": [
                    {"id": f"res-{case}", "name": f"{case}.csv", "format": "CSV", "url": url}
                ],
            }
        result = harvest(rt, "ckan", portal.url)
        ids = {case: f"pkg-{case}" for case in urls}
        assert_refused_and_nothing_leaked(rt, result, internal, ids, "pkg-own")
        assert portal.hits["/files/go-inside.csv"] == 1
    finally:
        portal.stop()


def test_json_ld_contexts_and_catalog_pages_obey_the_same_rule(rt, server, internal, names):
    inside = f"http://{INTERNAL}:{internal.port}/context.jsonld"
    server.redirects["/context.jsonld"] = inside
    for n, context in enumerate(
        (inside, f"http://2130706434:{internal.port}/c", server.url("context.jsonld"))
    ):
        location = server.write(f"ld{n}.jsonld", json.dumps({"@context": context, "@graph": []}))
        result = harvest(rt, "dcat", location, name=f"ld{n}")
        assert result.status == "failed" and REFUSED in result.message, result.message
    # a later hydra page on an internal address: the pages read are kept, the job says why
    next_page = f"http://[::ffff:{INTERNAL}]:{internal.port}/p2.ttl"
    page = (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        "@prefix dct: <http://purl.org/dc/terms/> .\n"
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
        f'<https://example.org/ds/p1> a dcat:Dataset ; dct:title "第一页" ;'
        f' dct:publisher [ foaf:name "{PUBLISHER}" ] .\n'
        f"<p1> a hydra:PartialCollectionView ; hydra:next <{next_page}> .\n"
    )
    result = harvest(rt, "dcat", server.write("p1.ttl", page))
    assert result.status == "finished" and result.counts["added"] == 1
    [problem] = [o["message"] for o in job_objects(rt, result.job_id) if o["outcome"] == "errored"]
    assert "第 2 页无法读取" in problem and REFUSED in problem
    assert internal.requests == []


def test_the_leak_check_finds_the_token_when_the_address_rule_is_gone(
    rt, server, internal, names, monkeypatch
):
    """Proves the checks above can fail: without the rule, the token is published."""
    monkeypatch.setattr(AddressGuard, "refusal", lambda self, ip: None)
    url = f"http://{INTERNAL}:{internal.port}/token.csv"
    location = server.write("data.json", datajson({"address": url}))
    result = harvest(rt, "datajson", location)
    assert outcomes(rt, result)["dj-address"]["outcome"] == "added"
    leaks = token_leaks(rt)
    assert any("package_show" in where for where in leaks), leaks
    assert any("/download/" in where for where in leaks), leaks


def test_redirects_are_checked_on_every_hop(rt, server, internal, names):
    own = server.write("own.csv", OWN_CSV)
    server.redirects["/moved.csv"] = own  # a redirect within download_hosts is followed
    server.redirects["/outside.csv"] = "http://files.example.org/token.csv"
    server.redirects["/inside.csv"] = f"http://{INTERNAL}:{internal.port}/token.csv"
    for n in range(7):
        server.redirects[f"/loop{n}.csv"] = server.url(f"loop{n + 1}.csv")
    server.redirects["/ftp.csv"] = "ftp://127.0.0.1/token.csv"
    cases = {
        "moved": server.url("moved.csv"),
        "outside": server.url("outside.csv"),
        "inside": server.url("inside.csv"),
        "loop": server.url("loop0.csv"),
        "ftp": server.url("ftp.csv"),
    }
    location = server.write("data.json", datajson(cases))
    result = harvest(rt, "datajson", location, {"download_hosts": f"127.0.0.1, {INTERNAL}"})
    objects = outcomes(rt, result)
    assert objects["dj-moved"]["outcome"] == "added"
    messages = {case: objects[f"dj-{case}"]["message"] for case in cases if case != "moved"}
    assert "主机不在 download_hosts 中：http://files.example.org/token.csv" in messages["outside"]
    assert REFUSED in messages["inside"]  # on download_hosts, still internal
    assert "重定向次数过多（超过 5 次）" in messages["loop"]
    assert "只支持 http/https 地址" in messages["ftp"]
    assert server.count("loop5.csv") == 1 and server.count("loop6.csv") == 0
    assert internal.requests == []


def test_the_source_origin_and_the_allowed_networks_may_be_internal(tmp_path, internal, names):
    with quick_folder(tmp_path) as folder:
        for n, allowed in enumerate((INTERNAL, "127.0.0.0/30", "intranet.test")):
            rt = make_runtime(
                folder / f"instance{n}",
                harvest_retries=0,
                harvest_timeout=2,
                harvest_workers=1,
                harvest_allowed_networks=f"10.9.0.0/16, {allowed}",
            )
            with FileServer(tmp_path / f"www{n}") as server:
                host = "intranet.test" if allowed == "intranet.test" else INTERNAL
                url = f"http://{host}:{internal.port}/token.csv"
                location = server.write("data.json", datajson({"allowed": url}))
                result = harvest(rt, "datajson", location)
            assert outcomes(rt, result)["dj-allowed"]["outcome"] == "added", allowed
            rt.close()
    assert len(internal.requests) == 3

    # the internal service harvested as a source of its own: its origin is allowed, other
    # ports of the same host and the same port under another name are not
    with quick_folder(tmp_path) as folder:
        rt = make_runtime(folder / "own", harvest_retries=0, harvest_timeout=2)
        with FileServer(tmp_path / "www-own") as server:
            client = HttpClient.for_source(server.url("data.json"), rt.settings)
            server.write("a.csv", "a\n1\n")
            assert client.get_bytes(server.url("a.csv"))[0] == b"a\n1\n"
            other = f"http://localhost:{server.base.rsplit(':', 1)[1]}/a.csv"
            with pytest.raises(FetchError, match=f"{REFUSED}：localhost（127.0.0.1），回环地址"):
                client.get_bytes(other)
            with pytest.raises(FetchError, match=REFUSED):
                client.get_bytes(f"http://127.0.0.1:{internal.port}/token.csv")
        rt.close()
    assert len(internal.requests) == 3


def test_the_address_is_checked_where_the_connection_is_made(names):
    """A name that answers a permitted address to the check and an internal one afterwards
    (DNS rebinding) gains nothing: the client connects to the address it checked, and the
    next connection is checked again."""
    public = TokenServer("127.0.0.3", body="公开,数据\n1,2\n")  # stands in for a public host
    secret = TokenServer(INTERNAL, port=public.port)  # same port, internal address
    try:
        names["rebind.test"] = ["127.0.0.3", INTERNAL]
        guard = AddressGuard(allowed_networks=(ipaddress.ip_network("127.0.0.3/32"),))
        client = HttpClient(guard, timeout=2, retries=0)
        url = f"http://rebind.test:{public.port}/data.csv"
        body, _ = client.get_bytes(url)
        assert body.decode("utf-8") == "公开,数据\n1,2\n"
        with pytest.raises(FetchError, match=f"{REFUSED}：rebind.test（{INTERNAL}），回环地址"):
            client.get_bytes(url)  # a new connection, a new lookup, refused
        assert public.requests == ["/data.csv"] and secret.requests == []
    finally:
        public.close()
        secret.close()


def test_environment_proxies_are_not_used(monkeypatch, internal, names):
    """A proxy variable pointing at an internal host does not carry the request there."""
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(variable, f"http://{INTERNAL}:{internal.port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = HttpClient(AddressGuard(), timeout=2, retries=0)
    with pytest.raises(FetchError, match="10.20.30.40，私有地址"):
        client.get_bytes("http://10.20.30.40/token.csv")
    assert internal.requests == []


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An HTTPS server on 127.0.0.1 whose self-signed certificate names only dept.test."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=dept.test",
            "-addext",
            "subjectAltName=DNS:dept.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = TokenServer("127.0.0.1", body="部门,数据\n1,2\n", tls=context)
    yield server.port, cert
    server.close()


def test_https_verifies_the_certificate_of_the_name_in_the_url(tls_server, names, monkeypatch):
    port, cert = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    names["dept.test"] = ["127.0.0.1"]
    own = AddressGuard(origin=Origin("https", "dept.test", port))
    client = HttpClient(own, timeout=2, retries=0)
    assert client.get_bytes(f"https://dept.test:{port}/data.csv")[0] == "部门,数据\n1,2\n".encode()
    # the same server by its address: allowed as an address, but the certificate does not
    # name it, so TLS verification (still on) refuses it
    loopback = AddressGuard(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
    with pytest.raises(FetchError, match="无法连接：.*（SSLError）"):
        HttpClient(loopback, timeout=2, retries=0).get_bytes(f"https://127.0.0.1:{port}/data.csv")
