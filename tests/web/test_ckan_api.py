"""The CKAN Action API: envelope, parameters by GET and POST, errors with real HTTP codes."""

import pytest


def _ok(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is True
    assert body["help"].endswith(
        "/api/3/action/help_show?name=" + response.request.path.rsplit("/", 1)[-1]
    )
    return body["result"]


def _error(response, status, type_):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is False
    assert body["error"]["__type"] == type_
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("prefix", ["/api/3/action", "/api/action"])
def test_package_search_finds_the_bus_datasets(client, prefix):
    result = _ok(client.get(f"{prefix}/package_search", query_string={"q": "公交"}))
    titles = [p["title"] for p in result["results"]]
    assert result["count"] >= 2 and all("公交" in t for t in titles)
    for key in ("count", "results", "facets", "search_facets", "sort"):
        assert key in result


def test_package_dicts_carry_ckan_keys_and_openness(client):
    result = _ok(client.get("/api/3/action/package_search", query_string={"q": "公交", "rows": 1}))
    pkg = result["results"][0]
    for key in (
        "id",
        "name",
        "title",
        "notes",
        "license_id",
        "metadata_created",
        "metadata_modified",
        "organization",
        "owner_org",
        "resources",
        "tags",
        "num_resources",
        "num_tags",
        "state",
        "type",
        "private",
        "extras",
        "groups",
        "openness",
        "exclusion_rule",
        "exclusion_basis",
    ):
        assert key in pkg, key
    assert pkg["openness"] in ("unconditional", "conditional", "closed")
    resource = pkg["resources"][0]
    for key in (
        "id",
        "package_id",
        "url",
        "format",
        "name",
        "size",
        "hash",
        "created",
        "last_modified",
        "position",
        "mimetype",
    ):
        assert key in resource, key
    assert resource["url"].startswith("http://localhost/dataset/")


def test_rows_and_start_page_through_all_results(client):
    total = _ok(client.get("/api/3/action/package_search", query_string={"rows": 0}))["count"]
    assert total >= 40
    seen = []
    for start in range(0, total, 7):
        page = _ok(
            client.get("/api/3/action/package_search", query_string={"rows": 7, "start": start})
        )
        assert page["count"] == total
        seen += [p["id"] for p in page["results"]]
    assert len(seen) == total == len(set(seen))


def test_post_json_body_as_ckan_clients_send_it(client):
    result = _ok(client.post("/api/3/action/package_search", json={"q": "公交", "rows": 1}))
    assert len(result["results"]) == 1
    name = result["results"][0]["name"]
    shown = _ok(client.post("/api/3/action/package_show", json={"id": name}))
    assert shown["name"] == name


def test_package_show_by_id_and_by_name(client):
    pkg = _ok(client.get("/api/3/action/package_search", query_string={"rows": 1}))["results"][0]
    by_id = _ok(client.get("/api/3/action/package_show", query_string={"id": pkg["id"]}))
    by_name = _ok(client.get("/api/3/action/package_show", query_string={"id": pkg["name"]}))
    assert by_id == by_name
    assert by_id["id"] == pkg["id"]


def test_filters_by_openness_and_department(client):
    closed = _ok(
        client.get(
            "/api/3/action/package_search", query_string={"fq": "openness:closed", "rows": 100}
        )
    )
    assert closed["count"] >= 3
    for pkg in closed["results"]:
        assert pkg["openness"] == "closed"
        assert pkg["exclusion_rule"] in (
            "security",
            "privacy-trade-secret",
            "agreement-ip",
            "law-other-channel",
        )
        assert pkg["exclusion_basis"] and pkg["resources"] == [] and pkg["notes"] == ""
    org = closed["results"][0]["organization"]["name"]
    by_org = _ok(
        client.get(
            "/api/3/action/package_search",
            query_string={"fq": f'organization:"{org}"', "rows": 100},
        )
    )
    assert by_org["count"] >= 1
    assert {p["organization"]["name"] for p in by_org["results"]} == {org}


def test_not_found_is_404_with_ckan_error_shape(client):
    error = _error(
        client.get("/api/3/action/package_show", query_string={"id": "no-such"}),
        404,
        "Not Found Error",
    )
    assert error["message"] == "未找到该数据集"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"rows": "many"}, "rows"),
        ({"start": "-1"}, "start"),
        ({"rows": "-3"}, "rows"),
        ({"fq": "organization:(a OR b"}, "fq"),
        ({"facet.field": '["secret"]'}, "facet.field"),
        ({"sort": "drop table"}, "sort"),
        ({"fq": "secret:1"}, "fq"),
    ],
)
def test_bad_parameters_are_409_validation_errors_naming_the_field(client, query, field):
    error = _error(
        client.get("/api/3/action/package_search", query_string=query), 409, "Validation Error"
    )
    assert field in error


def test_rows_above_the_maximum_are_capped_as_ckan_does(client):
    result = _ok(client.get("/api/3/action/package_search", query_string={"rows": "100000"}))
    assert result["count"] == 61 and len(result["results"]) == 61


def test_missing_id_is_a_validation_error(client):
    error = _error(client.get("/api/3/action/package_show"), 409, "Validation Error")
    assert error["id"] == ["Missing value"]


def test_malformed_json_and_unknown_actions_are_400(client):
    _error(
        client.post("/api/3/action/package_search", data="{nope", content_type="application/json"),
        400,
        "Bad Request",
    )
    _error(
        client.post("/api/3/action/package_search", data="[1]", content_type="application/json"),
        400,
        "Bad Request",
    )
    error = _error(client.get("/api/3/action/drop_everything"), 400, "Bad Request")
    assert "drop_everything" in error["message"]


def test_organization_and_status_actions(client):
    names = _ok(client.get("/api/3/action/organization_list"))
    assert len(names) >= 8
    orgs = _ok(client.get("/api/3/action/organization_list", query_string={"all_fields": "true"}))
    assert all(o["package_count"] >= 0 for o in orgs)
    shown = _ok(client.get("/api/3/action/organization_show", query_string={"id": names[0]}))
    assert shown["name"] == names[0]
    assert set(shown["openness_counts"]) == {"unconditional", "conditional", "closed"}
    assert _ok(client.get("/api/3/action/status_show"))["api_version"] == 3
    listed = _ok(client.get("/api/3/action/package_list"))
    assert len(listed) >= 40 and listed == sorted(listed)


def test_package_show_carries_a_masked_preview_of_conditional_data(client):
    found = client.get("/api/3/action/package_search", query_string={"fq": "openness:conditional"})
    name = found.get_json()["result"]["results"][0]["name"]
    pkg = _ok(client.get("/api/3/action/package_show", query_string={"id": name}))
    preview = pkg["resources"][0]["preview"]
    assert preview["rows"] and preview["masked"]
    assert any("*" in cell for row in preview["rows"] for cell in row)
    searched = _ok(client.get("/api/3/action/package_search", query_string={"rows": 5}))
    assert all("preview" not in r for p in searched["results"] for r in p["resources"])


def test_ckan_harvester_queries_sort_by_id_filter_by_modification_and_select_fields(client):
    everything = _ok(client.get("/api/3/action/package_search", query_string={"rows": 1000}))
    ids = sorted(p["id"] for p in everything["results"])
    first = _ok(
        client.get(
            "/api/3/action/package_search",
            query_string={"sort": "id asc", "rows": 5, "fl": "id,name"},
        )
    )
    assert [p["id"] for p in first["results"]] == ids[:5]
    assert all(set(p) == {"id", "name"} for p in first["results"])
    newest = max(p["metadata_modified"] for p in everything["results"])
    since = _ok(
        client.get(
            "/api/3/action/package_search",
            query_string={"fq": f"metadata_modified:[{newest}Z TO *]", "rows": 1000},
        )
    )
    assert 1 <= since["count"] < everything["count"]
    assert all(p["metadata_modified"] >= newest for p in since["results"])
    future = _ok(
        client.get(
            "/api/3/action/package_search",
            query_string={"fq": "metadata_modified:[2999-01-01T00:00:00Z TO *]"},
        )
    )
    assert future["count"] == 0
    bad = client.get(
        "/api/3/action/package_search", query_string={"fq": "metadata_modified:[yesterday TO *]"}
    )
    assert bad.status_code == 409
