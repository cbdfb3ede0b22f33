"""The hybrid: a real nginx with config/nginx-static.conf.template serves the static tree and
passes the rest to the app (served by a real HTTP server). Every static file equals the app's
answer, links resolve, search, forms and sign-in work through it, and private files stay
unreachable."""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import select

from datasets.accounts.users import create_user
from datasets.models import Dataset, Resource
from datasets.publish.tree import StaticOut
from portal.app import create_app
from portal.publish.build import build
from tests.conftest import harvest_demo
from tests.factories import csrf_token, make_runtime, serving
from tests.nginx import free_port, nginx

PASSWORD = "static-tree-pw-2026"
LINK = re.compile(r'(?:href|src)="(/[^"]*)"')


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("hybrid")
    # nginx's workers run as another user when the tests run as root: the tree and nginx's own
    # folder lie where anyone may pass (pytest's folders are the owner's only)
    served = Path(tempfile.mkdtemp(prefix="kaifang-static-"))
    served.chmod(0o755)
    out = served / "out"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rt = make_runtime(folder / "instance", static_dir=str(out))
    harvest_demo(rt)
    create_user(rt, name="zhangwei", role="citizen", password=PASSWORD, display_name="张卫东")
    app = create_app(
        {
            "instance": str(rt.paths.root),
            "ratelimit_enabled": False,
            "static_dir": str(out),
            "base_url": base,
        }
    )
    build(app, out, base_url=base)
    with (
        serving(app) as app_url,
        nginx(
            served / "nginx",
            port=port,
            static_root=out / "current",
            app_url=app_url,
            files_dir=rt.paths.root / "files",
        ) as url,
    ):
        yield rt, app_url, url, out
    rt.close()
    shutil.rmtree(served, ignore_errors=True)


def _get(url: str, **kw):  # type: ignore[no-untyped-def]
    return requests.get(url, allow_redirects=False, timeout=30, **kw)


def test_every_static_file_through_nginx_is_the_dynamic_answer(hybrid) -> None:  # type: ignore[no-untyped-def]
    _, app_url, url, out = hybrid
    manifest = StaticOut(out).manifest()
    assert manifest is not None and len(manifest.files) > 300
    tree = out / "current"
    for file, entry in manifest.files.items():
        static = _get(url + entry["url"])
        # the app as nginx asks it (the site's Host): pages show the address they were read at
        dynamic = _get(app_url + entry["url"], headers={"Host": url.removeprefix("http://")})
        assert static.status_code == dynamic.status_code == 200, entry["url"]
        assert static.content == dynamic.content == (tree / file).read_bytes(), entry["url"]
        assert static.headers["Content-Type"] == dynamic.headers["Content-Type"], entry["url"]
        assert "Last-Modified" in static.headers, f"{entry['url']} not from the tree"
        for header in ("Access-Control-Allow-Origin", "X-Frame-Options"):
            assert static.headers.get(header) == dynamic.headers.get(header), (entry["url"], header)


def test_links_of_static_pages_resolve_through_nginx(hybrid) -> None:  # type: ignore[no-untyped-def]
    _, _, url, out = hybrid
    manifest = StaticOut(out).manifest()
    assert manifest is not None
    links: set[str] = set()
    for file in manifest.files:
        if file.endswith(".html"):
            text = (out / "current" / file).read_text(encoding="utf-8")
            links.update(html.unescape(link) for link in LINK.findall(text))
    assert len(links) > 100
    broken = {}
    for link in sorted(links):
        status = _get(url + link).status_code
        if status >= 400:
            broken[link] = status
    assert broken == {}


def test_search_forms_and_sign_in_go_through_to_the_app(hybrid) -> None:  # type: ignore[no-untyped-def]
    _, app_url, url, _ = hybrid
    wanted = "/search?q=" + quote("公交")
    found = _get(url + wanted)
    direct = _get(app_url + wanted, headers={"Host": url.removeprefix("http://")})
    assert found.status_code == 200 and found.content == direct.content
    assert "Last-Modified" not in found.headers  # the app's answer
    browser = requests.Session()
    form = browser.get(f"{url}/login", timeout=30)
    signed = browser.post(
        f"{url}/login",
        data={"name": "zhangwei", "password": PASSWORD, "csrf_token": csrf_token(form.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert signed.status_code == 302
    home = browser.get(f"{url}/", timeout=30)
    assert "zhangwei" in home.text and "Last-Modified" not in home.headers
    assert "zhangwei" not in _get(f"{url}/").text
    refused = browser.post(f"{url}/logout", data={}, allow_redirects=False, timeout=30)
    assert refused.status_code == 400  # no CSRF token: the app's own check answers


def test_rdf_asked_for_by_accept_is_the_apps(hybrid) -> None:  # type: ignore[no-untyped-def]
    rt, _, url, _ = hybrid
    with rt.reader() as session:
        name = session.scalar(select(Dataset.name).where(Dataset.state == "active").limit(1))
    answer = _get(f"{url}/dataset/{name}", headers={"Accept": "text/turtle"})
    assert answer.headers["Content-Type"].startswith("text/turtle")
    assert _get(f"{url}/dataset/{name}").headers["Content-Type"].startswith("text/html")


def test_private_files_are_unreachable_through_nginx(hybrid) -> None:  # type: ignore[no-untyped-def]
    rt, _, url, out = hybrid
    with rt.reader() as session:
        originals = session.execute(
            select(Dataset.name, Resource.id, Resource.filename, Resource.storage_key)
            .join(Resource.dataset)
            .where(Resource.storage_root == "private", Resource.public_key.is_(None))
        ).all()
    assert originals
    for name, resource_id, filename, key in originals:
        path = f"/dataset/{quote(name)}/resource/{resource_id}/download/{quote(filename)}"
        assert _get(url + path).status_code in (403, 404), path
        assert _get(f"{url}/_kaifang_files/private/{key}").status_code == 404
        assert _get(f"{url}/files/private/{key}").status_code == 404
    assert _get(f"{url}/_q/api/3/action/organization_list.json").status_code == 404
    assert _get(f"{url}/dataset/../../instance/secret_key").status_code in (400, 404)
    evil = "/api/3/action/package_show?id=../../../etc/passwd"
    assert _get(url + evil).status_code == 404  # the app's answer: no such dataset
    assert not Path(out / "current" / "secret_key").exists()


def test_probes_go_to_the_app_with_nginx_s_request_id_and_metrics_stay_closed(hybrid) -> None:  # type: ignore[no-untyped-def]
    _, app_url, url, out = hybrid
    for probe in ("/healthz", "/readyz"):
        answer = _get(url + probe, headers={"X-Request-ID": "chosen-by-the-client"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ok"
        assert answer.headers["Cache-Control"] == "no-store" and "Expires" not in answer.headers
        # nginx's own id (32 hex digits) was passed on and answered with, not the client's
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
        assert not (out / "current" / probe.strip("/")).exists()
    assert _get(f"{app_url}/metrics").status_code == 200  # the app, from this host, directly
    assert _get(f"{url}/metrics").status_code == 404  # never through nginx
    assert _get(f"{url}/metrics", headers={"Cookie": "session=x"}).status_code == 404
