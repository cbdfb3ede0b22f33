"""Held files (人工确认) through the pages and the API: an unconditional dataset with an image and
a scanned PDF page is quarantined and not public; operators (隔离区) and the department's
reviewers (工作台) see each held file with the scanner's reason and confirm it through a form
(CSRF, optional note); the dataset is then published and its files download; a reviewer of
another department is offered nothing and refused; a changed file is held again; the API does
the same with keys, checking who asks before reading the body."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from datasets.models import Dataset, FileConfirmation, Organization
from portal.app import create_app
from portal.filters import shanghai_time
from tests.factories import csrf_token, make_runtime, sign_in
from tests.services.test_file_confirmations import (
    HEALTH,
    PNG,
    VOLUNTEERS,
    harvest,
    held_ids,
    write_held_package,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def world(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    source = tmp_path / "src"
    write_held_package(source)  # 江州市交通运输局
    write_held_package(source, "clinics", title="诊所平面图", provider=HEALTH)
    harvest(rt, source)
    with rt.reader() as session:
        orgs = {o.title: o.name for o in session.scalars(select(Organization))}
    create_user(rt, name="ops", role="operator", password=PASSWORD)
    transport = orgs["江州市交通运输局"]
    create_user(rt, name="rev", role="reviewer", password=PASSWORD, department=transport)
    create_user(
        rt, name="doctor", role="reviewer", password=PASSWORD, department=orgs[HEALTH["name"]]
    )
    create_user(rt, name="citizen1", role="citizen", password=PASSWORD)
    keys = {name: create_api_key(rt, user_name=name)["key"] for name in ("ops", "rev", "doctor")}
    keys["citizen1"] = create_api_key(rt, user_name="citizen1")["key"]
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield {"rt": rt, "app": app, "source": source, "keys": keys}
    rt.close()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _download_url(client, name: str, resource_name: str) -> str:
    pkg = client.get(f"/api/3/action/package_show?id={name}").get_json()["result"]
    url = next(r["url"] for r in pkg["resources"] if r["name"] == resource_name)
    return url.split("localhost", 1)[-1]


def _download_path(resource_id: str) -> str:
    return f"/dataset/stops/resource/{resource_id}/download/file.png"


def test_operators_see_each_held_file_with_its_reason_and_confirm_it(world):
    app, rt = world["app"], world["rt"]
    ids = held_ids(rt)
    public = app.test_client()
    assert public.get("/dataset/stops").status_code == 404
    assert public.get(_download_path(ids["线路图"])).status_code == 404

    ops = sign_in(app, "ops", PASSWORD)
    page = _text(ops.get("/admin/quarantine"))
    stops = page[page.index("/admin/dataset/stops") : page.index("/admin/dataset/clinics")]
    assert "待人工确认的文件" in stops and "PNG 图像无法扫描" in stops
    assert "PDF 第 1 页没有可提取的文字（可能是扫描图像），无法扫描" in stops
    assert "扫描发现的个人信息" not in stops  # no findings: no findings table
    action = f"/admin/dataset/stops/files/{ids['线路图']}/confirm"
    assert f'action="{action}"' in stops

    assert ops.post(action, data={"note": "x"}).status_code == 400  # no CSRF token
    first = ops.post(
        action,
        data={
            "csrf_token": csrf_token(page),
            "note": "线路示意图，无人员信息",
            "back": "quarantine",
        },
        follow_redirects=True,
    )
    shown = _text(first)
    assert first.request.path == "/admin/quarantine"
    assert "已确认文件 线路图 不含个人信息。数据集 公交线路信息 仍在隔离中" in shown
    assert "还有 1 个文件待人工确认（扫描件）" in shown
    assert f'action="{action}"' not in shown  # confirmed files leave the list

    detail = _text(ops.get("/admin/dataset/stops"))
    second = f"/admin/dataset/stops/files/{ids['扫描件']}/confirm"
    assert f'action="{second}"' in detail
    done = ops.post(
        second,
        data={"csrf_token": csrf_token(detail), "back": "dataset"},
        follow_redirects=True,
    )
    shown = _text(done)
    assert done.request.path == "/admin/dataset/stops"
    assert "已确认文件 扫描件 不含个人信息，数据集 公交线路信息 已发布。" in shown
    history = shown[shown.index("人工确认记录") : shown.index("分类记录")]
    with rt.reader() as session:
        at = session.scalar(
            select(FileConfirmation.confirmed_at).where(FileConfirmation.resource_name == "线路图")
        )
    assert shanghai_time(at.isoformat()) in history  # Asia/Shanghai, not UTC
    assert "ops" in history and "线路示意图，无人员信息" in history
    assert "PNG 图像无法扫描" in history and "PDF 第 1 页没有可提取的文字" in history

    assert public.get("/dataset/stops").status_code == 200
    downloaded = public.get(_download_url(public, "stops", "线路图"))
    assert downloaded.status_code == 200 and downloaded.data == PNG


def test_the_departments_reviewer_confirms_in_the_workspace(world):
    app, rt = world["app"], world["rt"]
    ids, clinic_ids = held_ids(rt), held_ids(rt, "clinics")
    rev = sign_in(app, "rev", PASSWORD)
    page = _text(rev.get("/workspace"))
    held = page[page.index('id="held"') : page.index('id="quarantine"')]
    assert "待人工确认的文件" in held and "公交线路信息" in held
    assert "PNG 图像无法扫描" in held and "PDF 第 1 页没有可提取的文字" in held
    assert "诊所平面图" not in page  # another department's
    for resource_id in ids.values():
        assert f'action="/workspace/held/stops/{resource_id}"' in held

    too_long = rev.post(
        f"/workspace/held/stops/{ids['线路图']}",
        data={"csrf_token": csrf_token(page), "note": "字" * 2001},
    )
    assert too_long.status_code == 400 and "说明不能超过 2000 字" in _text(too_long)
    for name in ("线路图", "扫描件"):
        response = rev.post(
            f"/workspace/held/stops/{ids[name]}",
            data={"csrf_token": csrf_token(page), "note": "已核对"},
        )
        assert response.status_code == 303 and response.location.endswith("/workspace#held")
    shown = _text(rev.get("/workspace"))
    assert "已确认文件 扫描件 不含个人信息，数据集 公交线路信息 已发布。" in shown
    assert "没有待人工确认的文件" in shown

    public = app.test_client()
    assert public.get("/dataset/stops").status_code == 200
    assert public.get(_download_url(public, "stops", "线路图")).data == PNG

    # the other department's reviewer sees only its own, and may not confirm ours
    doctor = sign_in(app, "doctor", PASSWORD)
    theirs = _text(doctor.get("/workspace"))
    assert "诊所平面图" in theirs and "公交线路信息" not in theirs
    assert "/workspace/held/stops/" not in theirs
    token = csrf_token(theirs)
    refused = doctor.post(f"/workspace/held/clinics/{ids['线路图']}", data={"csrf_token": token})
    assert refused.status_code == 404  # not a file of that dataset
    assert clinic_ids.keys() == held_ids(rt, "clinics").keys()


def test_another_departments_reviewer_cannot_confirm(world):
    app, rt = world["app"], world["rt"]
    ids = held_ids(rt)
    doctor = sign_in(app, "doctor", PASSWORD)
    token = csrf_token(_text(doctor.get("/workspace")))
    for path in (
        f"/workspace/held/stops/{ids['线路图']}",
        f"/admin/dataset/stops/files/{ids['线路图']}/confirm",
    ):
        response = doctor.post(path, data={"csrf_token": token})
        assert response.status_code == 404, path  # not visible to them, as if it did not exist
    assert held_ids(rt) == ids
    citizen = sign_in(app, "citizen1", PASSWORD)
    assert citizen.get("/workspace").status_code == 403
    anonymous = app.test_client().post(f"/workspace/held/stops/{ids['线路图']}")
    assert anonymous.status_code in (302, 400)  # sign in first (or no CSRF token)
    assert held_ids(rt) == ids


def test_the_workspace_shows_why_personal_data_is_held_with_masked_examples(world):
    app, rt = world["app"], world["rt"]
    write_held_package(world["source"], "volunteers", rows=VOLUNTEERS, title="志愿者服务队名单")
    harvest(rt, world["source"])
    page = _text(sign_in(app, "rev", PASSWORD).get("/workspace"))
    quarantine = page[page.index('id="quarantine"') :]
    assert "志愿者服务队名单" in quarantine and "联系电话" in quarantine
    assert "139****5678" in quarantine and "欧阳*" in quarantine
    assert "13912345678" not in page and "欧阳明" not in page
    assert "扫描发现个人信息：负责人、联系电话" in quarantine
    assert "未设置" in quarantine  # masking rules are the operators', shown, not editable
    assert 'name="policy"' not in page


def test_a_changed_file_is_held_again_after_a_reharvest(world):
    app, rt = world["app"], world["rt"]
    rev = sign_in(app, "rev", PASSWORD)
    token = csrf_token(_text(rev.get("/workspace")))
    for resource_id in held_ids(rt).values():
        rev.post(f"/workspace/held/stops/{resource_id}", data={"csrf_token": token})
    assert app.test_client().get("/dataset/stops").status_code == 200
    write_held_package(world["source"], png=PNG + b"new map")
    harvest(rt, world["source"])
    assert app.test_client().get("/dataset/stops").status_code == 404
    held = _text(rev.get("/workspace"))
    held = held[held.index('id="held"') : held.index('id="quarantine"')]
    assert "<td><code>线路图</code></td>" in held and "<code>扫描件</code>" not in held


class Api:
    def __init__(self, world):
        self.client = world["app"].test_client(use_cookies=False)
        self.keys = world["keys"]

    def __call__(self, who, method, url, body=None, status=200, data=None):
        headers = {"Authorization": self.keys[who]} if who else {}
        if data is not None:
            headers["Content-Type"] = "application/json"
        response = self.client.open(url, method=method, json=body, data=data, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.is_json
        return response.get_json()


def test_the_api_lists_what_each_caller_may_confirm(world):
    api = Api(world)
    everything = api("ops", "GET", "/api/v1/held")["datasets"]
    assert {d["name"] for d in everything} == {"stops", "clinics"}
    [mine] = api("rev", "GET", "/api/v1/held")["datasets"]
    assert mine["name"] == "stops" and mine["organization"]["title"] == "江州市交通运输局"
    reasons = {f["name"]: f["reasons"] for f in mine["held"]}
    assert reasons["线路图"] == ["PNG 图像无法扫描"]
    assert api(None, "GET", "/api/v1/held", status=401)["success"] is False
    assert api("citizen1", "GET", "/api/v1/held", status=403)["error"]["__type"]


def test_the_api_confirms_with_keys_and_refuses_in_order(world):
    api, rt = Api(world), world["rt"]
    ids = held_ids(rt)
    url = f"/api/v1/datasets/stops/resources/{ids['线路图']}/confirmation"
    # who asks is checked before the body is read
    assert api(None, "POST", url, data="{bad", status=401)["error"]["message"] == "请先登录"
    api("citizen1", "POST", url, data="{bad", status=403)
    api("doctor", "POST", url, data="{bad", status=404)
    api("doctor", "POST", url, {"note": "x"}, status=404)
    api("rev", "POST", url, data="{bad", status=400)
    api("rev", "POST", url, data="[1]", status=400)
    bad = api("rev", "POST", url, {"note": 5}, status=400)
    assert bad["error"]["note"] == ["note须为文本或null"]
    api("rev", "POST", url, {"note": "字" * 2001}, status=400)
    api("rev", "POST", "/api/v1/datasets/stops/resources/nope/confirmation", {}, status=404)
    api("rev", "POST", f"/api/v1/datasets/nope/resources/{ids['线路图']}/confirmation", status=404)
    assert held_ids(rt) == ids

    first = api("rev", "POST", url, {"note": "示意图"})
    assert first["published"] is False and [f["name"] for f in first["held"]] == ["扫描件"]
    assert "仍在隔离中" in first["message"]
    again = api("rev", "POST", url, {"note": "示意图"}, status=409)
    assert again["error"]["__type"] == "Conflict Error"
    done = api(
        "ops", "POST", f"/api/v1/datasets/stops/resources/{ids['扫描件']}/confirmation", None
    )
    assert done["published"] is True and done["state"] == "active"
    assert done["resource"] == {"id": ids["扫描件"], "name": "扫描件"}
    assert api("rev", "GET", "/api/v1/held")["datasets"] == []
    with rt.reader() as session:
        assert session.scalar(select(Dataset.state).where(Dataset.name == "stops")) == "active"
        notes = session.scalars(select(FileConfirmation.note).order_by(FileConfirmation.id))
        assert list(notes) == ["示意图", ""]
