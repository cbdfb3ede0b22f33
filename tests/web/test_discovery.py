"""What machines read to find the catalog: data.json valid against the Project Open Data v1.1
schema, schema.org JSON-LD in dataset pages, the sitemaps and robots.txt, the Atom feeds —
each listing the public catalog and nothing else, with URLs from the configured base URL."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from html import unescape
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from datasets.catalog import sitemaps
from datasets.catalog.jsonld import script_json
from portal.app import create_app
from tests.conftest import REALDATA

POD = REALDATA / "project-open-data" / "pod-schema-v1.1"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _api(client, action, **query):  # type: ignore[no-untyped-def]
    return client.get(f"/api/3/action/{action}", query_string=query).get_json()["result"]


def pod_validator(schema_file: str = "non-federal-catalog.json") -> jsonschema.Draft4Validator:
    """The POD v1.1 catalog schema with its dataset schema resolved from the folder."""
    catalog = json.loads((POD / schema_file).read_text(encoding="utf-8"))
    dataset = json.loads((POD / "non-federal-dataset.json").read_text(encoding="utf-8"))
    registry = Registry().with_resources(
        (schema["id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in (catalog, dataset)
    )
    return jsonschema.Draft4Validator(catalog, registry=registry)


@pytest.fixture(scope="module")
def datajson(demo_app):  # type: ignore[no-untyped-def]
    response = demo_app.test_client().get("/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_data_json_is_valid_project_open_data(datajson):
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in pod_validator().iter_errors(datajson)
    ]
    assert errors == []
    broken = {**datajson, "dataset": [{**datajson["dataset"][0], "accessLevel": "open"}]}
    assert list(pod_validator().iter_errors(broken))  # the dataset schema is really applied
    assert datajson["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert {d["language"][0] for d in datajson["dataset"]} == {"zh"}


def test_data_json_lists_every_public_dataset_with_its_access_level(client, datajson):
    names = _api(client, "package_list")
    listed = [urlsplit(d["identifier"]).path.rsplit("/", 1)[1] for d in datajson["dataset"]]
    assert sorted(listed) == sorted(names) and len(names) > 50
    closed = {
        p["name"] for p in _api(client, "package_search", fq="openness:closed", rows=100)["results"]
    }
    levels = {}
    for entry, name in zip(datajson["dataset"], listed, strict=True):
        levels.setdefault(entry["accessLevel"], set()).add(name)
        assert entry["publisher"]["name"] == entry["contactPoint"]["fn"]
    assert levels["non-public"] == closed
    assert set(levels) == {"public", "restricted public", "non-public"}
    bus = next(d for d in datajson["dataset"] if d["title"] == "公交线路信息")
    assert bus["theme"] == ["交通运输"] and bus["accrualPeriodicity"].startswith("R/P")
    assert "公交" in bus["keyword"] and re.fullmatch(
        r"\d{4}-\d\d-\d\d/\d{4}-\d\d-\d\d", bus["temporal"]
    )


def test_data_json_distributions_are_public_files_only(client, datajson):
    public, restricted = set(), set()
    for pkg in _api(client, "package_search", rows=1000)["results"]:
        for res in pkg["resources"]:
            (public if res["access"] == "public" else restricted).add(res["id"])
    urls = [
        d.get("downloadURL") or d["accessURL"]
        for entry in datajson["dataset"]
        for d in entry.get("distribution", [])
    ]
    text = json.dumps(datajson, ensure_ascii=False)
    assert restricted and not any(rid in text for rid in restricted)
    assert not re.search(r"sha256|\"size\"|\"hash\"", text)
    downloads = [u for u in urls if "/download/" in u]
    assert {u.split("/resource/")[1].split("/")[0] for u in downloads} == public
    for url in downloads[:10]:
        assert client.get(urlsplit(url).path).status_code == 200
    for entry in datajson["dataset"]:
        if entry["accessLevel"] != "public":
            assert "distribution" not in entry and entry["rights"]


def _jsonld(client, name):  # type: ignore[no-untyped-def]
    html = client.get(f"/dataset/{name}").get_data(as_text=True)
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in found]


def test_dataset_pages_carry_schema_org_json_ld(client, demo_app):
    bus = _api(client, "package_search", q="公交线路信息", rows=1)["results"][0]
    (data,) = _jsonld(client, bus["name"])
    assert data["@type"] == "Dataset" and data["inLanguage"] == "zh-CN"
    assert data["name"] == bus["title"] and data["url"].endswith(f"/dataset/{bus['name']}")
    assert data["publisher"]["@type"] == "Organization" and data["isAccessibleForFree"] is True
    assert data["distribution"][0]["@type"] == "DataDownload"
    assert datetime.fromisoformat(data["dateModified"])
    for pkg in _api(client, "package_search", fq="-openness:unconditional", rows=100)["results"]:
        (data,) = _jsonld(client, pkg["name"])
        assert "distribution" not in data and data["isAccessibleForFree"] is False
        assert not any(r["id"] in json.dumps(data) for r in pkg["resources"])
    csp = client.get(f"/dataset/{bus['name']}").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp  # data blocks need none


def test_json_ld_cannot_end_its_script_block():
    text = script_json({"description": "</script><script>alert(1)</script><!-- & "})
    assert "</" not in text and "<!--" not in text and "<" not in text
    assert json.loads(text)["description"].startswith("</script>")


def _xml(client, path):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, path
    return ET.fromstring(response.get_data())  # noqa: S314 — the portal's own answer


def _sitemap_urls(client) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{SITEMAP}sitemapindex"
    urls = []
    for part in index.findall(f"{SITEMAP}sitemap"):
        path = urlsplit(part.findtext(f"{SITEMAP}loc")).path
        assert re.fullmatch(r"/sitemap-\d+\.xml", path)
        found = _xml(client, path).findall(f"{SITEMAP}url")
        assert len(found) <= sitemaps.MAX_URLS
        urls += [(u.findtext(f"{SITEMAP}loc"), u.findtext(f"{SITEMAP}lastmod")) for u in found]
    return urls


def test_sitemap_lists_every_public_dataset_page_and_nothing_else(client):
    urls = _sitemap_urls(client)
    paths = [urlsplit(loc).path for loc, _ in urls]
    assert len(paths) == len(set(paths)) and not any("?" in loc for loc, _ in urls)
    datasets = sorted(p.removeprefix("/dataset/") for p in paths if p.startswith("/dataset/"))
    assert datasets == sorted(_api(client, "package_list"))
    orgs = {o["name"] for o in _api(client, "organization_list", all_fields="true")}
    assert {
        p.removeprefix("/organization/") for p in paths if p.startswith("/organization/")
    } == orgs | {""}
    assert {"/", "/search", "/rules", "/api"} <= set(paths)
    for loc, lastmod in urls:
        assert datetime.fromisoformat(lastmod).utcoffset() is not None, loc
        assert client.get(urlsplit(loc).path).status_code == 200, loc
    assert client.get("/sitemap-99.xml").status_code == 404


def test_sitemap_splits_into_parts_of_at_most_max_urls(client, monkeypatch):
    whole = _sitemap_urls(client)
    monkeypatch.setattr(sitemaps, "MAX_URLS", 7)
    parts = _xml(client, "/sitemap.xml").findall(f"{SITEMAP}sitemap")
    assert len(parts) == -(-len(whole) // 7)
    assert _sitemap_urls(client) == whole


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out_of_search_permutations(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    disallowed = re.findall(r"^Disallow: (\S+)$", text, re.M)
    for path in ("/search?", "/*?*organization=", "/login", "/api/3/", "/services/", "/admin/"):
        assert path in disallowed
    assert "/search" not in disallowed and "/api" not in disallowed


def _check_feed(client, path):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())  # noqa: S314 — the portal's own answer
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{tag}") or "").strip(), tag
    rels = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert unquote(urlsplit(rels["self"]).path) == path and "alternate" in rels
    datetime.fromisoformat(feed.findtext(f"{ATOM}updated"))
    has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:
        for tag in ("id", "title", "updated", "published", "summary"):
            assert (entry.findtext(f"{ATOM}{tag}") or "").strip(), tag
        stamp = datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 8 * 3600
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        assert has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
    return feed, entries


def test_atom_feeds_of_the_site_a_department_and_a_topic(client):
    feed, entries = _check_feed(client, "/feeds/dataset.atom")
    assert 20 <= len(entries) <= 50 and "最新数据集" in feed.findtext(f"{ATOM}title")
    newest = _api(client, "package_search", sort="metadata_modified desc", rows=1)["results"][0]
    assert entries[0].findtext(f"{ATOM}title") == newest["title"]
    org = newest["organization"]
    _, of_org = _check_feed(client, f"/feeds/organization/{org['name']}.atom")
    assert of_org and all(e.findtext(f"{ATOM}author/{ATOM}name") == org["title"] for e in of_org)
    _, of_topic = _check_feed(client, "/feeds/group/交通运输.atom")
    assert "公交线路信息" in {e.findtext(f"{ATOM}title") for e in of_topic}
    assert client.get("/feeds/organization/no-such-department.atom").status_code == 404
    assert client.get("/feeds/group/没有的主题.atom").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="/feeds/dataset.atom"', home
    )


def test_documents_use_the_configured_base_url(demo_rt):
    base = "https://data.jiangzhou.example.cn"
    app = create_app(
        {"instance": str(demo_rt.paths.root), "ratelimit_enabled": False, "base_url": base}
    )
    client = app.test_client()
    entry = client.get("/data.json").get_json()["dataset"][0]
    assert entry["identifier"].startswith(base + "/dataset/")
    assert all(d.get("downloadURL", base).startswith(base) for d in entry.get("distribution", []))
    assert f"Sitemap: {base}/sitemap.xml" in client.get("/robots.txt").get_data(as_text=True)
    locs = re.findall(r"<loc>([^<]+)</loc>", client.get("/sitemap-1.xml").get_data(as_text=True))
    assert locs and all(unescape(loc).startswith(base + "/") for loc in locs)
    feed = client.get("/feeds/dataset.atom").get_data(as_text=True)
    assert f'href="{base}/feeds/dataset.atom"' in feed and f"<id>{base}/dataset/" in feed


def test_data_json_and_sitemap_parts_answer_304_while_the_catalog_is_unchanged(client):
    for path in ("/data.json", "/sitemap-1.xml"):
        first = client.get(path)
        assert first.status_code == 200 and first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""
        other = client.get(path, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.get_data() == first.get_data()
