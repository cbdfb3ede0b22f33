"""Downloads: unconditional files with no login, byte for byte; everything else 403."""

from pathlib import Path

import pytest

from tests.conftest import DEMO_SOURCES


def _search(client, **query):
    response = client.get("/api/3/action/package_search", query_string={"rows": 100, **query})
    return response.get_json()["result"]["results"]


def _path(url: str) -> str:
    return url.replace("http://localhost", "")


def _source_file(pkg, resource) -> Path | None:
    """The file in the demo sources that this resource came from (same name and size)."""
    for path in DEMO_SOURCES.rglob(f"*.{resource['format'].lower()}"):
        if path.stat().st_size == resource["size"] and path.stem in (resource["name"], pkg["name"]):
            return path
    return None


def test_an_unconditional_csv_downloads_and_matches_its_source(client):
    pkg = next(p for p in _search(client, q="公交") if p["openness"] == "unconditional")
    resource = next(r for r in pkg["resources"] if r["format"] == "CSV")
    response = client.get(_path(resource["url"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    source = _source_file(pkg, resource)
    assert source is not None, "the demo source file of this resource"
    assert response.data == source.read_bytes()
    assert resource["hash"] == "sha256:" + response.headers["X-Content-SHA256"]


def test_conditional_files_answer_403(client):
    conditional = _search(client, fq="openness:conditional")
    assert len(conditional) >= 5
    for pkg in conditional:
        for resource in pkg["resources"]:
            assert resource["access"] == "restricted"
            response = client.get(_path(resource["url"]))
            assert response.status_code == 403
            assert "有条件开放" in response.get_data(as_text=True)


def test_unknown_resources_are_404_and_names_cannot_escape(client):
    pkg = _search(client, q="公交")[0]
    resource = pkg["resources"][0]
    assert client.get(f"/dataset/{pkg['name']}/resource/nope/download/x.csv").status_code == 404
    wrong = f"/dataset/other-name/resource/{resource['id']}/download/x.csv"
    assert client.get(wrong).status_code == 404
    traversal = f"/dataset/{pkg['name']}/resource/{resource['id']}/download/../../../etc/passwd"
    response = client.get(traversal)
    assert b"root:" not in response.data


@pytest.mark.parametrize("header", ["If-None-Match"])
def test_downloads_are_cacheable(client, header):
    pkg = next(p for p in _search(client, q="公交") if p["openness"] == "unconditional")
    url = _path(pkg["resources"][0]["url"])
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={header: etag}).status_code == 304
