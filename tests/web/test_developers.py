"""开发者中心 (/api): the page is built from the CKAN action table and the OpenAPI document (so
an endpoint added to either shows here), its examples carry the real base URL, its rate limit is
the setting's, and its try-it forms call the endpoints with their documented parameters."""

import html
import re
from html.parser import HTMLParser

import pytest

from portal.api.ckan import ACTIONS
from portal.api.openapi import document
from portal.pages.developers import KEY_HEADERS, parse_doc
from tests.factories import make_runtime


class _Forms(HTMLParser):
    """The try-it forms of a page: their attributes and the inputs inside them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        attributes = dict(attrs)
        if tag == "form" and "data-try-it" in attributes:
            self._open = {**attributes, "inputs": [], "path_inputs": []}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None:
            if "data-path-param" in attributes:
                self._open["path_inputs"].append(attributes["data-path-param"])
            else:
                self._open["inputs"].append(attributes["name"])

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "form":
            self._open = None


def _forms(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def _operations(app) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        doc = document("http://localhost")
    return [(m, p, op) for p, ops in doc["paths"].items() for m, op in ops.items()]


@pytest.fixture
def page(client) -> str:
    response = client.get("/api")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _app_with(tmp_path, **settings):  # type: ignore[no-untyped-def]
    from portal.app import create_app

    rt = make_runtime(tmp_path / "instance")
    app = create_app({"instance": str(rt.paths.root), **settings})
    app.config.update(TESTING=True)
    return app


def test_the_page_lists_every_action_and_every_openapi_operation(demo_app, page):
    for name in ACTIONS:
        assert f'id="action-{name}"' in page, name
        assert f"/api/3/action/help_show?name={name}" in page, name
    text = html.unescape(page)
    for method, path, op in _operations(demo_app):
        assert f"{method.upper()}</span> <code>{path}</code>" in text, (method, path)
        assert op["summary"] in text, (method, path)
    assert 'href="/api/v1/openapi.json"' in page


def test_examples_carry_the_base_url_and_the_action_names(tmp_path):
    base = "https://data.example.gov.cn"
    page = _app_with(tmp_path, base_url=base).test_client().get("/api").get_data(as_text=True)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert f"接口的基础地址：{base}" in text
    for name in ACTIONS:
        assert f"curl -G '{base}/api/3/action/{name}'" in text or (
            f"curl '{base}/api/3/action/{name}'" in text
        ), name
        assert f"portal.action.{name}(" in text, name
        assert f'"{base}/api/3/action/{name}"' in text, name  # requests
    assert f'RemoteCKAN("{base}")' in text
    assert f"'{base}/api/v1/transparency/stats'" in text


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("37 per hour", "每小时 37 次"),
        ("120 per minute", "每分钟 120 次"),
        ("5/second", "每秒 5 次"),
        ("100 per 2 hours", "每 2 小时 100 次"),
    ],
)
def test_the_rate_limit_shown_is_the_setting(tmp_path, setting, shown):
    page = _app_with(tmp_path, ratelimit_default=setting).test_client().get("/api")
    text = page.get_data(as_text=True)
    assert f'<strong class="rate-limit">{shown}</strong>' in text
    assert setting in html.unescape(text)


def test_without_rate_limits_the_page_says_so(page):
    # the demo app runs with ratelimit_enabled off
    assert "未启用访问频率限制" in page
    assert 'class="rate-limit"' not in page


def test_the_nav_links_the_developer_centre(client):
    for url in ("/", "/rules", "/api"):
        body = client.get(url).get_data(as_text=True)
        nav = body.split('aria-label="主导航"', 1)[1].split("</nav>", 1)[0]
        assert '<a href="/api"' in nav and "开发者中心" in nav, url
        assert "status_show" not in nav
    assert 'href="/api" aria-current="page"' in client.get("/api").get_data(as_text=True)


def test_a_try_it_form_has_the_openapi_parameters_of_its_endpoint(demo_app, page):
    forms = {f.get("data-path-template") or f["action"]: f for f in _forms(page)}
    gets = [(path, op) for method, path, op in _operations(demo_app) if method == "get"]
    v1_forms = [f for f in forms if f.startswith("/api/v1/")]
    assert len(v1_forms) == len([p for p, _ in gets if p.startswith("/api/v1/")])
    for path, op in gets:
        form = forms[path]
        params = op.get("parameters", [])
        assert form["inputs"] == [p["name"] for p in params if p["in"] == "query"], path
        assert form["path_inputs"] == [p["name"] for p in params if p["in"] == "path"], path
        assert form["method"] == "get"
        # without script, a form whose address has path parameters cannot work: hidden
        assert ("hidden" in form) == bool(form["path_inputs"]), path
    decisions = forms["/api/v1/transparency/decisions"]
    assert decisions["inputs"] == ["kind", "department", "page", "per_page"]


def test_every_action_has_a_try_it_form_with_its_documented_parameters(page):
    forms = {f["action"]: f for f in _forms(page)}
    assert forms["/api/3/action/help_show"]["inputs"] == ["name"]
    assert "fq" in forms["/api/3/action/package_search"]["inputs"]
    assert set(ACTIONS) <= {a.rsplit("/", 1)[-1] for a in forms}


def test_try_it_forms_sent_empty_never_fail(client, page):
    """Without script the browser sends every input, empty ones too."""
    for form in _forms(page):
        if "hidden" in form:
            continue
        response = client.get(form["action"], query_string={name: "" for name in form["inputs"]})
        assert response.status_code < 500, (form["action"], response.get_data(as_text=True))
        assert response.is_json, form["action"]


def test_the_key_headers_the_page_names_are_the_ones_read(client, page):
    text = html.unescape(page)
    assert 'href="/account"' in page  # where keys are made
    for name, value in KEY_HEADERS:
        assert f"{name}: {value.format(key='你的API密钥')}" in text
        # the portal reads a key from this header: an invalid one is refused, not ignored,
        # except by public reads, which answer it as anonymous (as CKAN does)
        headers = {name: value.format(key="not-a-key")}
        response = client.post("/api/v1/suggestions", json={}, headers=headers)
        assert response.status_code == 403, (name, value)
        assert client.get("/api/3/action/status_show", headers=headers).status_code == 200


def test_the_json_twin_lists_the_same_endpoints(demo_app, client, page):
    assert 'href="/api/index.json"' in page
    twin = client.get("/api/index.json").get_json()
    assert [a["name"] for a in twin["ckan_actions"]] == list(ACTIONS)
    listed = [(o["method"], o["path"]) for o in twin["operations"]]
    assert listed == [(m.upper(), p) for m, p, _ in _operations(demo_app)]
    assert twin["openapi"].endswith("/api/v1/openapi.json")


def test_parse_doc_reads_ckans_param_style():
    title, prose, params = parse_doc(
        """找数据。

        更多说明。

        :param q: 查询词（必填），例如 ``公交``；可与
            fq 同用
        :type q: string
        :param sort: 排序方式 metadata_modified
            desc
        :rtype: dictionary
        """
    )
    assert title == "找数据。" and prose == "找数据。\n\n更多说明。"
    q, sort = params
    assert (q.name, q.required, q.example, q.type) == ("q", True, "公交", "string")
    assert q.description == "查询词（必填），例如 公交；可与fq 同用"
    assert (sort.required, sort.example, sort.type) == (False, None, "string")
    assert sort.description.endswith("metadata_modified desc")
