"""Grant scopes through the web: the reported leak end to end over the JSON API (a grant for
区县, 类别; a re-harvest renames them; the download answers 403 with the reason and no byte of the
original; the department confirms the new names; the download serves exactly them), the answers
of ``POST /api/v1/grants/<id>/scope``, and the confirmation form on the grant page."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from datasets.models import Dataset, Grant, Notification, Organization, User
from portal.app import create_app
from tests.factories import credit_code, csrf_token, make_runtime, sign_in
from tests.services.test_grant_scopes import BODY, HEADER, NAME, PEOPLE, RENAMED, harvest

PASSWORD = "correct horse battery"


@pytest.fixture
def world(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    folder = tmp_path / "source"
    harvest(rt, folder)
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == NAME))
        department = session.get(Organization, dataset.organization_id).name
    keys = {}
    users = {
        "acme": dict(role="company", company_name="江州智数科技有限公司"),
        "beta": dict(role="company", company_name="江州贝塔数据有限公司"),
        "reviewer": dict(role="reviewer", department=department),
        "bureau": dict(role="bureau"),
    }
    for seed, (name, extra) in enumerate(users.items(), start=1):
        if extra["role"] == "company":
            extra |= dict(
                credit_code=credit_code(500 + seed),
                legal_representative="王五",
                phone="13800138000",
            )
        create_user(rt, name=name, password=PASSWORD, **extra)
        keys[name] = create_api_key(rt, user_name=name)["key"]
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield {"rt": rt, "app": app, "keys": keys, "folder": folder}
    rt.close()


def call(world, who, method, url, body=None, status=200, **kw):
    client = world["app"].test_client(use_cookies=False)
    headers = {"Authorization": world["keys"][who]} if who else {}
    response = client.open(url, method=method, json=body, headers=headers, **kw)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def granted(world, who="acme", fields=("区县", "类别")):
    """Apply for ``fields``, be approved, sign: the grant."""
    body = {**BODY, "dataset": NAME, "fields": list(fields)}
    case = call(world, who, "POST", "/api/v1/applications", body, status=201).get_json()
    url = f"/api/v1/applications/{case['id']}"
    call(world, "reviewer", "POST", f"{url}/decision", {"decision": "approve", "reason": "同意"})
    version = call(world, None, "GET", "/api/v1/agreement").get_json()["version"]
    signed = call(world, who, "POST", f"{url}/sign", {"agreement_version": version, "accept": True})
    return signed.get_json()["grant"]


def resource_url(world):
    shown = call(world, None, "GET", f"/api/3/action/package_show?id={NAME}").get_json()
    return shown["result"]["resources"][0]["url"].split("localhost", 1)[-1]


def rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def subjects(world, name):
    with world["rt"].reader() as session:
        user_id = session.scalar(select(User.id).where(User.name == name))
        return list(
            session.scalars(select(Notification.subject).where(Notification.user_id == user_id))
        )


def test_renamed_columns_never_hand_the_original_to_a_partial_grant(world):
    grant = granted(world)
    url = resource_url(world)
    before = call(world, "acme", "GET", url)
    assert rows(before) == [["区县", "类别"], ["江南区", "低保"], ["江北区", "特困"]]

    harvest(world["rt"], world["folder"], header=RENAMED)
    refused = call(world, "acme", "GET", url, status=403)
    text = refused.get_data(as_text=True)
    assert "授权范围待确认" in text and "区县" in text
    for person in PEOPLE:  # no byte of the original: names, ID numbers
        assert person[0] not in text and person[1] not in text
    assert refused.headers.get("Content-Disposition") is None
    assert call(world, "beta", "GET", url, status=403)  # an outsider, as ever

    shown = call(world, "acme", "GET", f"/api/v1/grants/{grant['id']}").get_json()
    assert shown["scope_state"] == "needs_confirmation" and "区县" in shown["scope_reason"]
    assert shown["scope"] == "partial" and shown["fields"] == ["区县", "类别"]
    pending = f"授权 {grant['reference']} 的授权范围待确认"
    assert [s for s in subjects(world, "acme") if s.startswith(pending)]
    assert [s for s in subjects(world, "reviewer") if s.startswith(pending)]

    confirmed = call(
        world,
        "reviewer",
        "POST",
        f"/api/v1/grants/{grant['id']}/scope",
        {"fields": ["所属区县", "救助类别"]},
    ).get_json()
    assert confirmed["scope_state"] == "confirmed"
    after = call(world, "acme", "GET", url)
    assert rows(after) == [["所属区县", "救助类别"], ["江南区", "低保"], ["江北区", "特困"]]
    assert call(world, "beta", "GET", url, status=403)


def test_the_scope_endpoint_answers(world):
    grant = granted(world)
    scope = f"/api/v1/grants/{grant['id']}/scope"
    good = {"fields": ["所属区县", "救助类别"]}
    conflict = call(world, "reviewer", "POST", scope, good, status=409).get_json()
    assert conflict["success"] is False and conflict["error"]["message"]
    harvest(world["rt"], world["folder"], header=RENAMED)

    call(world, None, "POST", scope, good, status=401)
    call(world, "reviewer", "POST", "/api/v1/grants/no-such-grant/scope", good, status=404)
    call(world, "beta", "POST", scope, good, status=404)  # not visible to a stranger
    for who in ("acme", "bureau"):  # may see the grant, may not confirm it, whatever they send
        call(world, who, "POST", scope, good, status=403)
        call(world, who, "POST", scope, {"fields": "x"}, status=403)
    for body in (
        {"fields": "所属区县"},
        {"fields": [1, 2]},
        {},
        {"fields": ["区县"]},
        {"fields": []},
    ):
        answer = call(world, "reviewer", "POST", scope, body, status=400).get_json()
        assert answer["success"] is False and answer["error"]["fields"]
    call(world, "reviewer", "POST", scope, {"fields": RENAMED}, status=400)  # not a proper subset
    call(world, "reviewer", "POST", scope, status=400, data="[1", content_type="application/json")
    call(world, "reviewer", "POST", scope, status=400, data="[]", content_type="application/json")
    with world["rt"].reader() as session:
        assert session.get(Grant, grant["id"]).scope_state == "needs_confirmation"

    call(world, "reviewer", "POST", scope, good)
    call(world, "reviewer", "POST", scope, good, status=409)  # confirmed already


def test_the_department_confirms_on_the_grant_page(world):
    grant = granted(world, fields=("区县", "类别", "救助金额"))
    page = f"/services/grants/{grant['id']}"
    action = f"{page}/scope"
    harvest(world["rt"], world["folder"], header=RENAMED)

    holder = sign_in(world["app"], "acme", PASSWORD)
    seen = holder.get(page).get_data(as_text=True)
    assert "授权范围待确认" in seen and action not in seen
    assert "/download/" not in seen  # no file offered while the scope waits
    assert "授权范围待确认" in sign_in(world["app"], "bureau", PASSWORD).get(page).get_data(
        as_text=True
    )
    assert action not in sign_in(world["app"], "bureau", PASSWORD).get(page).get_data(as_text=True)

    reviewer = sign_in(world["app"], "reviewer", PASSWORD)
    html = reviewer.get(page).get_data(as_text=True)
    assert f'action="{action}"' in html and "确认授权范围" in html
    for column in RENAMED:
        assert f'value="{column}"' in html
    assert reviewer.post(action, data={"fields": ["所属区县"]}).status_code == 400  # no CSRF token
    refused = reviewer.post(action, data={"csrf_token": csrf_token(html), "fields": ["区县"]})
    assert refused.status_code == 400 and "数据集现在没有这些字段" in refused.get_data(as_text=True)
    token = csrf_token(reviewer.get(page).get_data(as_text=True))
    done = reviewer.post(
        action, data={"csrf_token": token, "fields": ["所属区县", "救助类别", "救助金额"]}
    )
    assert done.status_code == 303
    assert "授权范围已确认" in reviewer.get(page).get_data(as_text=True)
    got = call(world, "acme", "GET", resource_url(world))
    assert rows(got)[0] == ["所属区县", "救助类别", "救助金额"]
    assert HEADER[1] not in got.get_data(as_text=True)
