"""The HTML side of applications for conditional data, driven through the forms with real
sessions: apply → 补正 → refusal → 复核 overturns → approval → agreement → grant → download of
the full original, and who may see and do what on the way."""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import select

from datasets.accounts.users import create_user
from datasets.catalog import services as catalog
from datasets.models import Resource
from portal.app import create_app
from tests.conftest import harvest_demo
from tests.factories import csrf_token, make_runtime, sign_in

PASSWORD = "correct horse battery"
PHYSICIANS = "jiangzhou-licensed-physicians"
ASSISTANCE = "jiangzhou-medical-assistance"
UNCONDITIONAL = "jiangzhou-public-parking"
COMPANY_CODE = "91350100M000100Y43"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A writable demo catalog with an applicant company, two citizens, a reviewer of each
    conditional dataset's department and a bureau officer."""
    rt = make_runtime(tmp_path_factory.mktemp("application-pages") / "instance")
    harvest_demo(rt)

    def department(name: str) -> str:
        return catalog.package_show(rt, id_or_name=name, base_url="")["organization"]["name"]

    create_user(
        rt,
        name="acme",
        role="company",
        password=PASSWORD,
        company_name="江州数智科技有限公司",
        credit_code=COMPANY_CODE,
        legal_representative="王五",
        phone="0791-88886666",
    )
    create_user(rt, name="citizen1", role="citizen", password=PASSWORD)
    create_user(rt, name="citizen2", role="citizen", password=PASSWORD)
    create_user(
        rt, name="health", role="reviewer", password=PASSWORD, department=department(PHYSICIANS)
    )
    create_user(
        rt, name="insurer", role="reviewer", password=PASSWORD, department=department(ASSISTANCE)
    )
    create_user(rt, name="bureau1", role="bureau", password=PASSWORD)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield rt, app
    rt.close()


def _post(client, page: str, action: str, data: dict):
    """Open ``page`` (as a browser would), then submit a form of it to ``action``."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def _text(response) -> str:
    return response.get_data(as_text=True)


APPLICATION = {
    "purpose": "医疗资源布局研究",
    "scope": "本公司研究团队内部使用",
    "scenario": "分析各区执业医师分布",
    "security_measures": "等级保护三级，专人专机，用后销毁",
    "period_months": "12",
    "access_mode": "download",
    "field_scope": "all",
}


def _apply(client, dataset: str, **extra) -> str:
    """File an application through the form; the application page's path."""
    response = _post(
        client, f"/services/apply/{dataset}", f"/services/apply/{dataset}", {**APPLICATION, **extra}
    )
    assert response.status_code == 303, _text(response)
    assert re.fullmatch(r"/services/application/[0-9a-f-]{36}", response.location)
    return response.location


def _original_rows(rt, dataset: str) -> list[list[str]]:
    with rt.reader() as session:
        row = session.scalar(
            select(Resource).where(Resource.dataset.has(name=dataset)).order_by(Resource.position)
        )
        path = rt.store.path(row.storage_root, row.storage_key)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _resource_url(rt, dataset: str) -> str:
    pkg = catalog.package_show(rt, id_or_name=dataset, base_url="")
    return pkg["resources"][0]["url"]


def test_the_whole_path_through_the_forms(world):
    rt, app = world
    company, reviewer, bureau = (
        sign_in(app, "acme", PASSWORD),
        sign_in(app, "health", PASSWORD),
        sign_in(app, "bureau1", PASSWORD),
    )

    # the dataset page offers the form, with the published conditions
    dataset_page = _text(company.get(f"/dataset/{PHYSICIANS}"))
    assert f'href="/services/apply/{PHYSICIANS}"' in dataset_page and "申请使用" in dataset_page
    form = _text(company.get(f"/services/apply/{PHYSICIANS}"))
    assert "医疗卫生科研机构" in form  # the conditions
    assert 'name="fields" value="身份证号"' in form and 'value="api"' in form

    # a missing field: the form again, with the message and what was entered
    incomplete = _post(
        company,
        f"/services/apply/{PHYSICIANS}",
        f"/services/apply/{PHYSICIANS}",
        {**APPLICATION, "purpose": "", "fields": ["姓名", "执业类别"]},
    )
    assert incomplete.status_code == 400
    page = _text(incomplete)
    assert "请填写使用用途" in page and "本公司研究团队内部使用" in page
    assert 'value="执业类别" checked' in page and 'value="身份证号" checked' not in page

    link = _apply(company, PHYSICIANS)
    page = _text(company.get(link))
    assert "申请已提交" in page and "已受理，待审核" in page and "医疗资源布局研究" in page
    reference = re.search(r"SQ-\d{8}-\d{4}", page).group(0)
    assert "撤回申请" in page and "作出决定" not in page  # the applicant's forms only

    # the reviewer finds it in 工作台 and asks for 补正 (once)
    workspace = _text(reviewer.get("/workspace"))
    assert reference in workspace and link in workspace and "执业医师注册信息" in workspace
    page = _text(reviewer.get(link))
    assert "要求补正" in page and "作出决定" in page and "延长期限" in page
    asked = _post(reviewer, link, link + "/correction", {"items": "请补充等级保护备案证明"})
    assert asked.status_code == 303 and asked.location == link
    page = _text(reviewer.get(link))
    assert "待补正（计时暂停）" in page and "计时暂停" in page
    again = _post(reviewer, link, link + "/correction", {"items": "再补一次"})
    assert again.status_code == 409 and "不能要求补正" in _text(again)

    # the company supplements; the clock runs again
    page = _text(company.get(link))
    assert "请补充等级保护备案证明" in page and "提交补正" in page
    done = _post(company, link, link + "/supplement", {"note": "已上传备案证明编号 36010012345"})
    assert done.status_code == 303
    assert "已受理，待审核" in _text(company.get(link))

    # a refusal must cite a rule: without one the form comes back with the message
    bare = _post(reviewer, link, link + "/decision", {"decision": "refuse", "reason": "不符合"})
    assert bare.status_code == 400
    assert "须引用不予开放规则编码" in _text(bare) and 'value="refuse" checked' in _text(bare)
    refused = _post(
        reviewer,
        link,
        link + "/decision",
        {"decision": "refuse", "rule_code": "privacy-trade-secret", "reason": "涉及个人隐私"},
    )
    assert refused.status_code == 303
    page = _text(company.get(link))
    assert "不予同意" in page and "涉及个人隐私" in page and "privacy-trade-secret" in page
    assert "申请复核期限" in page and "申请复核" in page

    # the company objects; the bureau records a step of the ladder and overturns
    objected = _post(
        company, link, link + "/objection", {"reason": "本公司为卫健委认可的信息化服务单位"}
    )
    assert objected.status_code == 303
    objection = objected.location
    assert re.fullmatch(r"/services/objection/[0-9a-f-]{36}", objection)
    assert "复核申请已提交" in _text(company.get(objection))
    board = _text(bureau.get("/bureau"))
    assert objection in board and "待复核的申请" in board
    page = _text(bureau.get(objection))
    assert "作出复核决定" in page and "记录升级" in page and "本公司为卫健委认可" in page
    step = _post(
        bureau, objection, objection + "/escalation", {"stage": "coordination", "note": "已约谈"}
    )
    assert step.status_code == 303 and "已记录：协调" in _text(bureau.get(objection))
    overturned = _post(
        bureau,
        objection,
        objection + "/decision",
        {"decision": "overturn", "reason": "申请人符合开放条件"},
    )
    assert overturned.status_code == 303
    assert "撤销原决定" in _text(company.get(objection))

    # the department must now provide: no refusal on offer any more; it approves
    page = _text(reviewer.get(link))
    assert "复核改决，待部门提供" in page and 'value="refuse"' not in page
    approved = _post(reviewer, link, link + "/decision", {"decision": "approve", "reason": ""})
    assert approved.status_code == 303

    # the company reads and signs the agreement; the grant page follows
    page = _text(company.get(link))
    assert "已同意，待签署协议" in page and "签署数据使用协议" in page
    version = re.search(r'name="agreement_version" value="([^"]+)"', page).group(1)
    unticked = _post(company, link, link + "/sign", {"agreement_version": version})
    assert unticked.status_code == 400 and "须同意数据使用协议" in _text(unticked)
    signed = _post(company, link, link + "/sign", {"agreement_version": version, "accept": "true"})
    assert signed.status_code == 303
    grant = signed.location
    assert re.fullmatch(r"/services/grants/[0-9a-f-]{36}", grant)
    page = _text(company.get(grant))
    assert "已签署数据使用协议" in page and "执业医师注册信息" in page and "有效" in page
    url = _resource_url(rt, PHYSICIANS)
    assert f'href="{url}"' in page

    # the holder downloads the full original: values the public preview masks are there
    original = _original_rows(rt, PHYSICIANS)
    header, first = original[0], original[1]
    id_number = first[header.index("身份证号")]
    public = catalog.package_show(rt, id_or_name=PHYSICIANS, base_url="")
    assert id_number not in str(public) and id_number not in _text(
        company.get(f"/dataset/{PHYSICIANS}")
    )
    download = company.get(url)
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    assert id_number in download.get_data(as_text=True)
    assert app.test_client().get(url).status_code == 403  # not for anyone else
    assert sign_in(app, "citizen1", PASSWORD).get(url).status_code == 403

    # a grant for one dataset opens no other conditional dataset
    assert company.get(_resource_url(rt, ASSISTANCE)).status_code == 403

    # the use is logged on the grant page; the holder files a use report
    page = _text(company.get(grant))
    assert "使用记录" in page and "下载" in page and "尚无使用记录" not in page
    filed = _post(company, grant, grant + "/report", {"text": "已完成第一季度分析"})
    assert filed.status_code == 303 and "已完成第一季度分析" in _text(company.get(grant))

    # the department suspends (with a reason) and restores; downloads follow
    page = _text(reviewer.get(grant))
    assert "暂停授权" in page and "终止授权" in page and "报送报告" not in page
    suspended = _post(
        reviewer, grant, grant + "/status", {"action": "suspend", "reason": "out_of_scope"}
    )
    assert suspended.status_code == 303
    refused_download = company.get(url)
    assert refused_download.status_code == 403 and "超范围使用" in _text(refused_download)
    assert _post(reviewer, grant, grant + "/status", {"action": "restore"}).status_code == 303
    assert company.get(url).status_code == 200

    # 我的申请 lists the application and the grant
    mine = _text(company.get("/services/mine"))
    assert reference in mine and "已签署协议，已授权" in mine and grant in mine


@pytest.fixture(scope="module")
def citizen_application(world):
    """An application of citizen1 for the medical-assistance list, filed through the form."""
    _, app = world
    return _apply(sign_in(app, "citizen1", PASSWORD), ASSISTANCE)


def test_nobody_else_sees_an_application(world, citizen_application):
    _, app = world
    assert sign_in(app, "citizen2", PASSWORD).get(citizen_application).status_code == 404
    assert app.test_client().get(citizen_application).status_code == 302  # to sign in
    assert sign_in(app, "citizen1", PASSWORD).get(citizen_application).status_code == 200


def test_a_reviewer_of_another_department_can_neither_see_nor_decide(world, citizen_application):
    _, app = world
    other = sign_in(app, "health", PASSWORD)
    assert other.get(citizen_application).status_code == 404
    assert citizen_application not in _text(other.get("/workspace"))
    token = csrf_token(_text(other.get("/workspace")))
    decided = other.post(
        citizen_application + "/decision",
        data={"csrf_token": token, "decision": "approve"},
    )
    assert decided.status_code in (403, 404)
    own = sign_in(app, "insurer", PASSWORD)
    assert citizen_application in _text(own.get("/workspace"))
    assert "作出决定" in _text(own.get(citizen_application))


def test_forms_without_a_csrf_token_are_refused(world, citizen_application):
    _, app = world
    citizen = sign_in(app, "citizen1", PASSWORD)
    assert citizen.post(citizen_application + "/withdraw").status_code == 400
    assert citizen.post(f"/services/apply/{PHYSICIANS}", data=APPLICATION).status_code == 400
    assert "已受理，待审核" in _text(citizen.get(citizen_application))


def test_who_may_open_the_forms_and_lists(world):
    _, app = world
    anonymous = app.test_client().get(f"/services/apply/{PHYSICIANS}")
    assert anonymous.status_code == 302 and "/login?next=" in anonymous.location
    reviewer = sign_in(app, "health", PASSWORD)
    assert reviewer.get(f"/services/apply/{PHYSICIANS}").status_code == 403
    assert reviewer.get("/bureau").status_code == 403
    citizen = sign_in(app, "citizen2", PASSWORD)
    assert citizen.get("/workspace").status_code == 403
    assert citizen.get(f"/services/apply/{UNCONDITIONAL}").status_code == 400
    assert citizen.get("/services/apply/no-such-dataset").status_code == 404
    assert "我的申请" in _text(citizen.get("/services/mine"))
    header = _text(reviewer.get("/"))
    assert 'href="/workspace"' in header and 'href="/services/mine"' not in header
    assert 'href="/bureau"' in _text(sign_in(app, "bureau1", PASSWORD).get("/"))


def test_service_pages_are_not_cached(world, citizen_application):
    _, app = world
    response = sign_in(app, "citizen1", PASSWORD).get(citizen_application)
    assert response.headers["Cache-Control"] == "private, no-store"
