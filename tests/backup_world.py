"""An instance worth backing up, and a crawl comparing two instances' answers.

The world: the demo sources harvested, the services catalog, accounts of each role with API
keys, an application granted and signed (the holder may download the private original), one
still open with a supporting document, and a reviewer signed in before the backup (so the
restored instance must honour the same session cookie and the same API keys).
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from click.testing import CliRunner

from datasets.accounts.users import actor_for
from datasets.runtime import Runtime
from datasets.workflows import attachments
from portal.app import create_app
from portal.cli import main
from tests.conftest import harvest_demo
from tests.factories import accounts, make_runtime, pdf_bytes, services_catalog, sign_in

PASSWORD = "correct horse battery"
APPLICATION = {
    "purpose": "医疗资源布局研究",
    "scope": "本单位科研团队内部使用",
    "scenario": "分析执业医师在各区的分布",
    "security_measures": "等保二级系统，专人专机，访问留痕",
    "period_months": 12,
    "fields": "all",
    "access_mode": "download",
}
COOKIE = "session"
# a form's CSRF token is signed with the time it is made: the one thing two answers may differ in
_CSRF = re.compile(rb'(name="csrf_token" value=")[^"]*(")')
_HREF = re.compile(r'href="([^"#]+)')
_LINK = re.compile(r'"(https?://localhost(?::\d+)?/[^"]*|/api/[^"\s]*)"')


def app_of(rt: Runtime) -> Any:
    # usage hits written at once: none left for the end of the process, when the database of
    # a test may be gone
    settings: dict[str, Any] = {
        "instance": str(rt.paths.root),
        "ratelimit_enabled": False,
        "usage_flush_seconds": 0,
    }
    if rt.settings.database_url:
        settings["database_url"] = rt.settings.database_url
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


def close(*apps: Any) -> None:
    """End the apps' database connections (before their database is dropped)."""
    for app in apps:
        app.extensions["kaifang"].close()


def build_world(folder: Path, **settings: Any) -> dict[str, Any]:
    rt = make_runtime(folder / "instance", **settings)
    harvest_demo(rt)
    names = services_catalog(rt, folder)
    users = {
        "acme": dict(role="company", company_name="江州智医科技有限公司"),
        "reviewer": dict(role="reviewer", department=names["health"]),
        "bureau": dict(role="bureau"),
        "citizen": dict(role="citizen"),
    }
    keys = accounts(rt, users, PASSWORD)
    app = app_of(rt)
    client = app.test_client(use_cookies=False)

    def api(who: str | None, method: str, url: str, body: Any = None) -> Any:
        headers = {"Authorization": keys[who]} if who else {}
        answer = client.open(url, method=method, json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)
        return answer.get_json()

    granted = api("acme", "POST", "/api/v1/applications", {**APPLICATION, "dataset": "physicians"})
    case = f"/api/v1/applications/{granted['id']}"
    api("reviewer", "POST", f"{case}/decision", {"decision": "approve", "reason": "同意"})
    version = api(None, "GET", "/api/v1/agreement")["version"]
    api("acme", "POST", f"{case}/sign", {"agreement_version": version, "accept": True})
    pending = api("acme", "POST", "/api/v1/applications", {**APPLICATION, "dataset": "assistance"})
    actor = actor_for(rt, _user_id(rt, "acme"))
    upload = attachments.Upload("营业执照.pdf", pdf_bytes("licence"))
    attachments.attach(rt, actor, pending["id"], upload)  # type: ignore[arg-type]
    shown = api(None, "GET", "/api/3/action/package_show?id=physicians")
    private = shown["result"]["resources"][0]["url"].split("localhost", 1)[-1]
    reviewer = sign_in(app, "reviewer", PASSWORD)  # before the backup: the login is kept
    cookie = reviewer.get_cookie(COOKIE)
    assert cookie is not None
    return {
        "rt": rt,
        "app": app,
        "keys": keys,
        "cookie": cookie.value,
        "private_url": private,
        "granted": granted["id"],
        "pending": pending["id"],
    }


def _user_id(rt: Runtime, name: str) -> str:
    from sqlalchemy import select

    from datasets.models import User

    with rt.reader() as session:
        found = session.scalar(select(User.id).where(User.name == name))
    assert found
    return found


def kaifang(env: dict[str, str], *args: str) -> Any:
    """Run ``kaifang`` with ``env`` as its settings."""
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def normalised(body: bytes) -> bytes:
    return _CSRF.sub(rb"\1(token)\2", body)


def _links(url: str, response: Any) -> list[str]:
    text = response.get_data().decode("utf-8", "replace")
    if response.mimetype == "text/html":
        found = _HREF.findall(text)
    elif response.mimetype == "application/json":
        found = _LINK.findall(text)
    else:
        return []
    out = []
    for link in found:
        parts = urlsplit(urljoin("http://localhost" + url, link.replace("&amp;", "&")))
        if parts.netloc.split(":")[0] != "localhost" or parts.path.startswith("/static/"):
            continue
        if parts.path in ("/logout",) or parts.path.endswith("/logout"):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def crawl(
    apps: tuple[Any, Any],
    start: list[str],
    *,
    headers: dict[str, str] | None = None,
    cookie: str | None = None,
    limit: int = 400,
) -> dict[str, bytes]:
    """GET ``start`` and every same-site link found (pages and API answers) on both apps, in
    step; each answer's status, type and body (CSRF tokens aside) must be the same. Returns
    the bodies of the first app by URL."""
    clients = [app.test_client() for app in apps]
    if cookie:
        for client in clients:
            client.set_cookie(COOKIE, cookie, domain="localhost")
    queue, seen, bodies = deque(start), set(), {}
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        first, second = (client.get(url, headers=headers or {}) for client in clients)
        assert first.status_code < 500, (url, first.status_code)
        assert first.status_code == second.status_code, (url, first.status_code, second.status_code)
        assert first.mimetype == second.mimetype, url
        body = normalised(first.get_data())
        assert body == normalised(second.get_data()), f"{url} answers differently"
        bodies[url] = body
        if first.status_code == 200:
            queue.extend(_links(url, first))
    return bodies
