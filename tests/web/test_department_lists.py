"""Department lists that stay one page long however many departments a province has: the list
page by pages of 60 with a name filter, CKAN's caps on organization_list, and the home page's
departments with the most datasets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from datasets.models import Dataset, Organization
from datasets.runtime import Runtime
from portal.api import ckan
from portal.app import create_app

DEPARTMENTS = 130


@pytest.fixture
def client(rt: Runtime) -> Iterator[Any]:
    with rt.session() as session:
        for n in range(DEPARTMENTS):
            title = "交通运输局" if n % 10 == 0 else "市场监督管理局"
            session.add(Organization(id=f"org-{n:03d}", name=f"dept-{n:03d}", title=f"{title}{n}"))
        for n in range(5):  # dept-007 has 5 public datasets, dept-042 one, dept-099 one withdrawn
            session.add(_dataset(f"a{n}", "org-007"))
        session.add(_dataset("b", "org-042"))
        session.add(_dataset("c", "org-099", state="withdrawn"))
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    yield app.test_client()
    app.extensions["kaifang"].close()


def _dataset(name: str, org: str, state: str = "active") -> Dataset:
    return Dataset(
        name=f"ds-{name}",
        title=f"数据集{name}",
        organization_id=org,
        openness="unconditional",
        state=state,
        source_identifier=name,
    )


def _names(html: str) -> list[str]:
    return re.findall(r'href="/organization/(dept-\d+)"', html)


def test_the_list_is_paged_and_filtered(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/organization/").get_data(as_text=True)
    assert _names(first) == [f"dept-{n:03d}" for n in range(60)]
    assert f"共 {DEPARTMENTS} 个部门" in first and "其中 2 个部门已编制数据目录" in first
    assert 'href="/organization/?page=3"' in first
    third = client.get("/organization/?page=3").get_data(as_text=True)
    assert _names(third) == [f"dept-{n:03d}" for n in range(120, DEPARTMENTS)]
    assert client.get("/organization/?page=4").status_code == 404
    assert client.get("/organization/?page=x").status_code == 400
    found = client.get("/organization/?q=交通").get_data(as_text=True)
    assert _names(found) == [f"dept-{n:03d}" for n in range(0, DEPARTMENTS, 10)]
    assert "共 13 个部门的名称含“交通”" in found
    none = client.get("/organization/?q=%25_").get_data(as_text=True)  # LIKE's wildcards
    assert _names(none) == [] and "没有名称含“%_”的部门" in none


def test_organization_list_is_capped_as_ckan_caps_it(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    names = client.get("/api/3/action/organization_list").get_json()["result"]
    assert names == [f"dept-{n:03d}" for n in range(DEPARTMENTS)]
    full = client.get("/api/3/action/organization_list?all_fields=true").get_json()["result"]
    assert [o["name"] for o in full] == [f"dept-{n:03d}" for n in range(25)]
    assert {o["name"]: o["package_count"] for o in full}["dept-007"] == 5
    page = client.get("/api/3/action/organization_list?all_fields=true&limit=2&offset=42")
    assert [(o["name"], o["package_count"]) for o in page.get_json()["result"]] == [
        ("dept-042", 1),
        ("dept-043", 0),
    ]
    monkeypatch.setattr(ckan, "ORGANIZATION_LIST_MAX", 50)
    capped = client.get("/api/3/action/organization_list?limit=5000").get_json()["result"]
    assert len(capped) == 50
    for bad in ("-1", "x", "99999999999999999999"):  # CKAN's answer to a bad parameter: 409
        answer = client.get(f"/api/3/action/organization_list?offset={bad}")
        error = answer.get_json()["error"]
        assert answer.status_code == 409 and "offset" in error and "offset" in error["message"]


def test_home_shows_the_departments_with_most_datasets(client) -> None:  # type: ignore[no-untyped-def]
    home = client.get("/").get_data(as_text=True)
    section = home[home.index('id="departments-title"') :]
    assert _names(section)[:2] == ["dept-007", "dept-042"]
    assert "dept-099" not in section  # its only dataset is withdrawn
