"""CKAN's other read actions (groups, tags, licences, autocompletes, the newest-first list),
called by ckanapi against a live server, and how public answers travel: JSONP, CORS, gzip."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datasets.catalog.vocabulary import TOPICS, topic_group_id


@pytest.fixture(scope="module")
def portal(live: str) -> Any:
    from ckanapi import RemoteCKAN

    return RemoteCKAN(live, user_agent="kaifang-tests")


def _result(client, name: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/3/action/{name}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["result"]


def test_topics_are_groups_with_stable_ids(portal):
    names = portal.action.group_list()
    assert set(TOPICS) <= set(names)
    full = portal.action.group_list(all_fields=True, sort="package_count desc", limit=3)
    assert len(full) == 3
    assert full[0]["package_count"] >= full[1]["package_count"] >= full[2]["package_count"] > 0
    for group in full:
        assert group["id"] == topic_group_id(group["name"])
        assert group["display_name"] == group["title"] == group["name"]
    shown = portal.action.group_show(id=full[0]["id"], include_datasets=True)
    assert shown["name"] == full[0]["name"]
    assert len(shown["packages"]) == full[0]["package_count"]
    assert all(p["groups"][0]["id"] == shown["id"] for p in shown["packages"])
    assert portal.action.group_list(offset=1, limit=1) == names[1:2]


def test_package_groups_carry_ids(portal):
    pkg = portal.action.package_search(q="公交", rows=1, include_private=True)["results"][0]
    group = pkg["groups"][0]
    assert group["id"] == topic_group_id(group["name"])
    shown = portal.action.package_show(id=pkg["name"])
    assert shown["groups"] == pkg["groups"]


def test_tags_licences_and_site(portal):
    from ckanapi import NotFound

    tags = portal.action.tag_list()
    assert tags and tags == sorted(tags)
    bus = portal.action.tag_list(query="公交", all_fields=True)
    assert bus and all("公交" in t["name"] and t["id"] for t in bus)
    tag = portal.action.tag_show(id=bus[0]["name"], include_datasets=True)
    assert tag["id"] == bus[0]["id"] and tag["packages"]
    assert all(bus[0]["name"] in [t["name"] for t in p["tags"]] for p in tag["packages"])
    with pytest.raises(NotFound):
        portal.action.tag_show(id="没有这个标签")
    licences = portal.action.license_list()
    assert licences and all(lic["id"] and lic["title"] for lic in licences)
    assert portal.action.site_read() is True


def test_autocompletes(portal):
    found = portal.action.package_autocomplete(q="公交", limit=5)
    assert 0 < len(found) <= 5 and all("公交" in f["title"] for f in found)
    assert found[0]["match_field"] == "title"
    assert "CSV" in portal.action.format_autocomplete(q="cs")
    orgs = portal.action.organization_autocomplete(q="交通")
    assert orgs and all("交通" in o["title"] for o in orgs)
    assert portal.action.package_autocomplete(q="") == []


def test_current_packages_come_newest_first_with_resources(portal):
    first = portal.action.current_package_list_with_resources(limit=5)
    times = [p["metadata_modified"] for p in first]
    assert times == sorted(times, reverse=True)
    assert any(p["resources"] for p in first)
    second = portal.action.current_package_list_with_resources(limit=5, offset=5)
    assert not {p["id"] for p in first} & {p["id"] for p in second}


def test_ckanapi_dumps_groups_and_datasets(live, tmp_path: Path):
    ckanapi = Path(sys.executable).parent / "ckanapi"
    for kind in ("groups", "datasets"):
        out = tmp_path / f"{kind}.jsonl"
        run = subprocess.run(
            [str(ckanapi), "dump", kind, "--all", "-r", live, "-O", str(out), "-p", "1", "-q"],
            capture_output=True,
            text=True,
            timeout=300,
            # its worker processes are started as "ckanapi" from the PATH
            env={**os.environ, "PATH": f"{ckanapi.parent}{os.pathsep}{os.environ['PATH']}"},
        )
        assert run.returncode == 0, run.stderr
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert lines, kind
        if kind == "groups":
            assert {g["name"] for g in lines} >= set(TOPICS)
        else:
            assert all(g["id"] for p in lines for g in p["groups"])


def test_jsonp_wraps_get_calls_and_checks_the_name(client):
    response = client.get("/api/3/action/site_read?callback=cb.done&_=123")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    text = response.get_data(as_text=True)
    assert text.startswith("/**/cb.done(") and text.endswith(");")
    assert json.loads(text[len("/**/cb.done(") : -2])["result"] is True
    for bad in ("alert(1)", "1abc", "a-b", "x" * 65, ""):
        assert (
            client.get("/api/3/action/site_read", query_string={"callback": bad}).status_code == 400
        )


def test_public_reads_allow_any_origin(client, demo_app):
    read = client.get("/api/3/action/package_list")
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    pkg = _result(client, "package_search", q="公交", rows=1)["results"][0]
    url = pkg["resources"][0]["url"].replace("http://localhost", "")
    download = client.get(url)
    assert download.status_code == 200 and download.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/").headers
    rows = client.get(f"/api/v1/resources/{pkg['resources'][0]['id']}/rows?_size=1")
    assert rows.status_code == 200 and rows.headers["Access-Control-Allow-Origin"] == "*"
    for document in (  # the open metadata too
        "/catalog.ttl",
        f"/dataset/{pkg['name']}.jsonld",
        "/data.json",
        "/sitemap.xml",
        "/feeds/dataset.atom",
    ):
        answer = client.get(document)
        assert answer.status_code == 200, document
        assert answer.headers["Access-Control-Allow-Origin"] == "*", document
    assert "Access-Control-Allow-Origin" not in client.get(f"/dataset/{pkg['name']}").headers
    from portal.app import create_app

    settings = demo_app.extensions["kaifang"].settings
    off = create_app({"instance": settings.instance, "cors_public_reads": False})
    answer = off.test_client().get("/api/3/action/package_list")
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers


def test_json_answers_are_gzipped_for_clients_that_accept_it(client):
    plain = client.get("/api/3/action/package_search?rows=5")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    zipped = client.get("/api/3/action/package_search?rows=5", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.get_data())) == plain.get_json()
    small = client.get("/api/3/action/site_read", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_files_are_not_compressed_and_keep_ranges(client):
    pkg = _result(client, "package_search", q="公交", rows=1)["results"][0]
    url = pkg["resources"][0]["url"].replace("http://localhost", "")
    headers = {"Accept-Encoding": "gzip", "Range": "bytes=0-9"}
    part = client.get(url, headers=headers)
    assert part.status_code == 206 and len(part.get_data()) == 10
    assert "Content-Encoding" not in part.headers
    whole = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in whole.headers and whole.headers.get("ETag")


def test_ckanapi_with_an_invalid_key_reads_as_anonymous(live):
    from ckanapi import RemoteCKAN

    stale = RemoteCKAN(live, apikey="kf_" + "A" * 43, user_agent="kaifang-tests")
    assert stale.action.package_list(limit=3)
    assert stale.action.group_list()
