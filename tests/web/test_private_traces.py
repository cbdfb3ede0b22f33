"""No trace of a private original (hash, size, storage key, file name, source URL) in any public
answer, and no link the portal renders from harvested input with a scheme other than http,
https or mailto."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import Dataset, HarvestSource, Resource
from portal.app import create_app
from portal.filters import filesize
from tests.factories import BUS_ROWS, PHYSICIAN_ROWS, make_runtime, write_csv
from tests.leaks import index_text

HEALTH = ProviderRecord("江州市卫生健康委员会", "11361000MB0000002N")
INTERNAL_URL = "http://10.12.0.7/internal/export?file=physicians-2024"
DEPARTMENT_FILE = "内部导出-张伟等人员身份证明细.csv"


@pytest.fixture
def env(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    with rt.session() as session:
        source = HarvestSource(name="test", kind="datapackage", location="/nowhere")
        session.add(source)
        session.flush()
        source_id = source.id
    physicians = write_csv(tmp_path / "exports" / "physicians.csv", PHYSICIAN_ROWS)
    broken = tmp_path / "exports" / DEPARTMENT_FILE
    broken.write_bytes(b"a,b\n\xff\xfe\xff\n")  # no encoding: the report would name the file
    record = HarvestRecord(
        identifier="physicians",
        name="physicians",
        title="执业医师注册信息",
        notes="数据的内容、范围、来源和更新方式说明。",
        provider=HEALTH,
        openness="有条件开放",
        conditions="仅向医疗卫生科研机构开放",
        source_url="https://data.jiangzhou.gov.cn/dataset/physicians",
        files=(
            FileRecord(path=physicians, name="注册信息", format="csv", source_url=INTERNAL_URL),
            FileRecord(path=broken, name="明细", format="csv", source_url=INTERNAL_URL + "x"),
        ),
    )
    import_record(rt, record=record, source_id=source_id)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield rt, app.test_client(), source_id
    rt.close()


def _public_answers(rt, client) -> dict[str, str]:
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "physicians"))
        resource_ids = [r.id for r in dataset.resources]
        dataset_id = dataset.id
    urls = [
        "/dataset/physicians",
        f"/api/3/action/package_show?id={dataset_id}",
        "/api/3/action/package_search?q=" + quote("执业医师"),
        "/search?q=" + quote("执业医师"),
        "/api/3/action/package_search?rows=100",
    ]
    urls += [f"/api/3/action/resource_show?id={r}" for r in resource_ids]
    urls += [f"/dataset/physicians/resource/{r}/download/file" for r in resource_ids]
    answers = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 403), url
        answers[url] = response.get_data(as_text=True) + json.dumps(dict(response.headers))
    answers["search index"] = index_text(rt)
    return answers


def test_no_public_answer_carries_a_trace_of_a_conditional_original(env):
    rt, client, _ = env
    with rt.reader() as session:
        resources = session.scalars(select(Resource).order_by(Resource.position)).all()
    assert [r.storage_root for r in resources] == ["private", "private"]
    traces = {DEPARTMENT_FILE, DEPARTMENT_FILE.rsplit(".", 1)[0], "10.12.0.7", "files/private"}
    for res in resources:
        path = rt.store.path(res.storage_root, res.storage_key)
        assert path.is_file()
        traces |= {res.sha256, res.storage_key, str(path), filesize(path.stat().st_size)}
    for where, text in _public_answers(rt, client).items():
        found = [t for t in traces if t in text]
        assert not found, (where, found)


def test_restricted_resources_have_no_size_and_no_hash(env):
    rt, client, _ = env
    pkg = client.get("/api/3/action/package_show?id=physicians").get_json()["result"]
    assert len(pkg["resources"]) == 2
    for resource in pkg["resources"]:
        assert resource["access"] == "restricted"
        assert resource["size"] is None and resource["hash"] is None
        assert "source_url" not in resource
        shown = client.get(f"/api/3/action/resource_show?id={resource['id']}").get_json()
        assert shown["result"]["size"] is None and shown["result"]["hash"] is None
    # the unreadable file's report says what went wrong, without the department's file name
    report = pkg["resources"][1]["validation_report"]
    assert report["status"] == "error" and report["redacted"]
    assert "文件无法读取" in report["errors"][0]["description"]
    # the dataset's landing page is public metadata of a conditional entry
    assert pkg["url"] == "https://data.jiangzhou.gov.cn/dataset/physicians"


def test_an_open_resource_still_shows_the_hash_and_size_of_its_public_file(env, tmp_path):
    rt, client, source_id = env
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    import_record(
        rt,
        record=HarvestRecord(
            identifier="bus",
            name="bus-lines",
            title="公交线路信息",
            notes="数据的内容、范围、来源和更新方式说明。",
            provider=HEALTH,
            files=(FileRecord(path=data, name="lines", format="csv"),),
        ),
        source_id=source_id,
    )
    [resource] = client.get("/api/3/action/package_show?id=bus-lines").get_json()["result"][
        "resources"
    ]
    assert resource["size"] == data.stat().st_size
    assert resource["hash"] == "sha256:" + hashlib.sha256(data.read_bytes()).hexdigest()


class _Links(HTMLParser):
    """Every URL-bearing attribute of a page."""

    URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "srcset"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.anchors: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        for name, value in attrs:
            if name in self.URL_ATTRS and value is not None:
                self.urls.append(value)
        if tag == "a":
            self._open = dict(attrs).get("href")

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._open is not None and data.strip():
            self.anchors.append((self._open, data.strip()))
            self._open = None


def _links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _scheme(url: str) -> str:
    cleaned = "".join(ch for ch in url if ord(ch) > 0x20).lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned else ""


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
    ],
)
@pytest.mark.parametrize("with_title", [True, False], ids=["titled", "untitled"])
def test_harvested_urls_with_unsafe_schemes_are_never_links(env, tmp_path, bad, with_title):
    rt, client, source_id = env
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    import_record(
        rt,
        record=HarvestRecord(
            identifier="bus",
            name="bus-lines",
            title="公交线路信息",
            notes="数据的内容、范围、来源和更新方式说明。",
            provider=HEALTH,
            license_title="自定义许可" if with_title else None,
            license_url=bad,
            source_url=bad,
            related=({"title": "相关资源", "url": bad},),
            files=(FileRecord(path=data, name="lines", format="csv", source_url=bad),),
        ),
        source_id=source_id,
    )
    page = client.get("/dataset/bus-lines")
    assert page.status_code == 200
    links = _links(page.get_data(as_text=True))
    assert links.urls
    unsafe = [u for u in links.urls if _scheme(u) in ("javascript", "data", "vbscript")]
    assert unsafe == []
    pkg = client.get("/api/3/action/package_show?id=bus-lines").get_json()["result"]
    assert pkg["license_url"] == "" and pkg["url"] == ""
    assert bad.strip() not in json.dumps(pkg, ensure_ascii=False)
    if with_title:  # the licence is still named, as plain text
        assert "自定义许可" in page.get_data(as_text=True)


def test_a_safe_licence_url_is_still_a_link(env, tmp_path):
    rt, client, source_id = env
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    licence = "https://creativecommons.org/licenses/by/4.0/"
    import_record(
        rt,
        record=HarvestRecord(
            identifier="bus",
            name="bus-lines",
            title="公交线路信息",
            notes="数据的内容、范围、来源和更新方式说明。",
            provider=HEALTH,
            license_title="CC-BY 4.0",
            license_url=licence,
            files=(FileRecord(path=data, name="lines", format="csv"),),
        ),
        source_id=source_id,
    )
    links = _links(client.get("/dataset/bus-lines").get_data(as_text=True))
    assert (licence, "CC-BY 4.0") in links.anchors


def test_templates_link_data_urls_only_through_the_safe_url_filter():
    """Every href/src in a template whose value comes from a harvested field goes through
    ``safe_url``; the others are paths the portal builds itself."""
    templates = Path(__file__).resolve().parents[2] / "portal" / "templates"
    harvested = ("license_url", "source_url", "related", "pkg.url", "homepage", "landing")
    for path in templates.rglob("*.html"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for field in harvested:
                if field in line and ("href=" in line or "src=" in line):
                    assert "|safe_url" in line, (path.name, line)
