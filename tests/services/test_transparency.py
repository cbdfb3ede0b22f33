"""Transparency (SPEC §8): the public log of decisions without personal data, statistics per
department against known counts, the 开放清单 CSV, overdue flagging and the audit export.

The cases are made through the real services (applications, objections, opening requests) by
users made with ``create_user``; ``build_world`` is shared with the web and CLI tests."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import authenticate, create_user
from datasets.catalog.quality import refresh_quality
from datasets.errors import LoginRequired, NotAuthorized, ValidationError
from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import AuditEntry, Case, HarvestSource, Notification, Organization, User
from datasets.runtime import Runtime
from datasets.workdays import shanghai_date
from datasets.workflows import application_decisions, applications, objections, opening, redaction
from datasets.workflows import step_requests as req
from datasets.workflows.cases import now_utc
from datasets.workflows.inputs.lookup import Lookup
from datasets.workflows.inputs.opening import OpeningReplyInput, OpeningRequestInput
from datasets.workflows.overdue import flag_overdue
from datasets.workflows.transparency import csv_export, open_list, public_log
from datasets.workflows.transparency.audit_log import AUDIT_HEADER, audit_csv, audit_entries
from datasets.workflows.transparency.statistics import statistics
from datasets.workflows.transparency.trends import Period
from tests.factories import CREDIT_CODE, make_runtime, own_rows, pdf_bytes, write_csv

PASSWORD = "correct horse battery"
COMPANY_CODE = "91360100MA35ABCD0N"
TRANSPORT = ProviderRecord("江州市交通运输局", CREDIT_CODE)
HEALTH = ProviderRecord("江州市医疗保障局", None)
# what requesters are and wrote: none of it may appear on public pages
PERSONAL = (
    "江州某某科技有限公司",
    "13912345678",
    "boss@example.com",
    "王五",
    "李四",
    "13700002222",
    "lisi@example.com",
    "赵六",
    "13800001111",
    "私人研究",
    "想研究道路",
    "我们完全符合条件",
    "company1",
    "citizen1",
)


@dataclass
class World:
    rt: Runtime
    actors: dict[str, Actor]
    departments: dict[str, str] = field(default_factory=dict)  # key → organization.name
    refs: dict[str, str] = field(default_factory=dict)  # key → case reference
    ids: dict[str, str] = field(default_factory=dict)  # key → case id
    open_by: str = ""


def _catalog(rt: Runtime, folder: Path) -> None:
    with rt.session() as session:
        source = HarvestSource(name="test", kind="datapackage", location=str(folder))
        session.add(source)
        session.flush()
        source_id = source.id
    pdf = folder / "map.pdf"
    pdf.write_bytes(pdf_bytes("Jiangzhou bus line map"))

    def files(path: Path, fmt: str = "csv") -> tuple[FileRecord, ...]:
        return (FileRecord(path=path, name="data", format=fmt),)

    def table(name: str) -> Path:  # each dataset its own table (the same file twice is held)
        return write_csv(folder / f"{name}.csv", own_rows(name))

    closed = {"openness": "不予开放", "exclusion_basis": "《中华人民共和国税收征收管理法》第八条"}
    records = [
        (
            "bus-lines",
            "公交线路",
            TRANSPORT,
            files(table("bus-lines")),
            {"modified": date(2020, 1, 1)},
        ),
        # held by the publish gates (a PDF only): neither counted nor listed
        ("bus-map", "公交线路图", TRANSPORT, files(pdf, "pdf"), {}),
        # listed without its file yet: open, but not machine-readable
        ("bus-stops-plan", "公交站点规划", TRANSPORT, (), {}),
        (
            "taxi-permits",
            "出租车经营许可",
            TRANSPORT,
            files(table("taxi-permits")),
            {"openness": "有条件开放", "conditions": "=须为本市登记的企业"},
        ),
        (
            "tax",
            "企业纳税明细",
            TRANSPORT,
            files(table("tax")),
            {**closed, "exclusion_rule": "第三项"},
        ),
        (
            "road-plan",
            "道路规划",
            TRANSPORT,
            files(table("road-plan")),
            {**closed, "exclusion_rule": "第二项"},
        ),
        (
            "med-aid",
            "医疗救助",
            HEALTH,
            files(table("med-aid")),
            {"openness": "有条件开放", "conditions": "须为医疗机构"},
        ),
    ]
    for name, title, provider, found, extra in records:
        record = HarvestRecord(
            identifier=name,
            name=name,
            title=title,
            provider=provider,
            notes=f"{title}说明",
            topic="交通运输",
            update_cycle="每月",
            files=found,
            **extra,
        )
        import_record(rt, record=record, source_id=source_id)
    refresh_quality(rt)


def build_world(instance: Path, **settings: Any) -> World:
    """Two departments, six datasets and the cases of the statistics tests:

    交通运输局: application 1 (approved on time), application 2 (overdue), an opening request
    for road-plan answered "will open"; 医疗保障局: application 3 refused, objected to and
    overturned by the bureau."""
    rt = make_runtime(instance, **settings)
    _catalog(rt, instance.parent)
    with rt.reader() as session:
        orgs = dict(session.execute(select(Organization.title, Organization.name)).all())
    transport, health = orgs[TRANSPORT.title], orgs[HEALTH.title]
    create_user(
        rt, name="reviewer-a", role="reviewer", password=PASSWORD, department=transport,
        email="reviewer-a@jt.example.gov.cn",
    )  # fmt: skip
    create_user(rt, name="reviewer-b", role="reviewer", password=PASSWORD, department=health)
    create_user(rt, name="bureau1", role="bureau", password=PASSWORD, email="bureau@example.gov.cn")
    create_user(rt, name="operator1", role="operator", password=PASSWORD)
    create_user(
        rt, name="company1", role="company", password=PASSWORD, company_name="江州某某科技有限公司",
        credit_code=COMPANY_CODE, legal_representative="王五", phone="13912345678",
        email="boss@example.com",
    )  # fmt: skip
    create_user(
        rt, name="citizen1", role="citizen", password=PASSWORD, display_name="李四",
        phone="13700002222", email="lisi@example.com",
    )  # fmt: skip
    names = ("reviewer-a", "reviewer-b", "bureau1", "operator1", "company1", "citizen1")
    actors = {n: authenticate(rt, name=n, password=PASSWORD) for n in names}
    world = World(rt, actors, {"transport": transport, "health": health})

    def apply(who: str, dataset: str, purpose: str) -> dict[str, Any]:
        return applications.submit(
            rt,
            actors[who],
            req.Application.parse(
                {
                    "dataset": dataset,
                    "purpose": purpose,
                    "scope": "本单位内部",
                    "scenario": "统计分析",
                    "security_measures": "专人专机",
                    "period_months": 6,
                    "fields": "all",
                    "access_mode": "download",
                },
                rt.settings,
            ),
        )

    app1 = apply("company1", "taxi-permits", "江州某某科技有限公司的私人研究")
    application_decisions.decide(
        rt,
        actors["reviewer-a"],
        app1["id"],
        req.Decision.parse({"decision": "approve", "reason": "同意提供。"}),
    )
    app2 = apply("citizen1", "taxi-permits", "李四的私人研究，电话 13700002222")
    past = shanghai_date(now_utc()) - timedelta(days=30)
    with rt.session() as session:
        # the department let application 2 run past its deadline; application 1 was decided
        # in time and now waits for the applicant's signature, so its passed deadline is not
        # the department's delay
        late = update(Case).where(Case.id.in_([app1["id"], app2["id"]]))
        session.execute(late.values(due_on=past))
    app3 = apply("company1", "med-aid", "私人研究")
    refusal = {
        "decision": "refuse",
        "rule_code": "unmet-condition",
        "reason": "江州某某科技有限公司（联系电话 13912345678，法定代表人王五）不是医疗机构。",
    }
    application_decisions.decide(rt, actors["reviewer-b"], app3["id"], req.Decision.parse(refusal))
    objection = objections.file_objection(
        rt,
        actors["company1"],
        app3["id"],
        req.Objection.parse({"reason": "我们完全符合条件，王五"}),
    )
    objections.decide_objection(
        rt,
        actors["bureau1"],
        objection["id"],
        req.Ruling.parse(
            {"decision": "overturn", "reason": "申请人已提交医疗机构执业许可证，符合开放条件。"}
        ),
    )
    request = opening.submit_request(
        rt,
        ANONYMOUS,
        OpeningRequestInput.parse(
            {
                "dataset": "road-plan",
                "description": "我是赵六，想研究道路",
                "contact": {"name": "赵六", "phone": "13800001111"},
            },
            Lookup(rt, ANONYMOUS),
        ),
    )
    world.open_by = str(shanghai_date(now_utc()) + timedelta(days=90))
    opening.reply_request(
        rt,
        actors["reviewer-a"],
        request["id"],
        OpeningReplyInput.parse(
            {"category": "will_open", "open_by": world.open_by, "reply": "已列入年度开放计划。"},
            Lookup(rt, actors["reviewer-a"]),
        ),
    )
    for key, case in (("app1", app1), ("app2", app2), ("app3", app3)):
        world.refs[key], world.ids[key] = case["reference"], case["id"]
    world.refs["objection"], world.ids["objection"] = objection["reference"], objection["id"]
    world.refs["request"], world.ids["request"] = request["reference"], request["id"]
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("transparency") / "instance")
    yield built
    built.rt.close()


def _by_reference(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["reference"]: item for item in items}


# -- the public log ----------------------------------------------------------------------------


def test_the_log_shows_decisions_and_replies_but_no_personal_data(world):
    result = public_log.decisions(world.rt, per_page=100)
    items = _by_reference(result["decisions"])
    refs = world.refs
    assert set(items) == {refs["app1"], refs["app3"], refs["objection"], refs["request"]}
    assert refs["app2"] not in items  # still pending

    app1 = items[refs["app1"]]
    assert app1["kind_label"] == "有条件开放申请" and app1["outcome_label"] == "同意"
    assert app1["department"]["name"] == world.departments["transport"]
    assert app1["dataset"] == {"name": "taxi-permits", "title": "出租车经营许可"}
    assert app1["on_time"] is True and app1["reply"] == "同意提供。"
    assert app1["decided_on"] and app1["received_on"]

    app3 = items[refs["app3"]]
    assert app3["rule_code"] == "unmet-condition" and app3["rule_title"] == "未满足已公布的开放条件"
    assert app3["outcome_label"].startswith("原决定已被复核撤销")
    assert "不是医疗机构" in app3["reply"] and redaction.REDACTED in app3["reply"]

    objection = items[refs["objection"]]
    assert objection["outcome"] == "overturned" and objection["outcome_label"] == "撤销原决定"
    assert objection["handler"] == "bureau" and objection["related_reference"] == refs["app3"]
    assert objection["reply"] == "申请人已提交医疗机构执业许可证，符合开放条件。"

    request = items[refs["request"]]
    assert request["outcome"] == "will_open" and request["open_by"] == world.open_by
    assert world.open_by in request["outcome_label"]
    assert request["reply"] == "已列入年度开放计划。"

    text = json.dumps(result, ensure_ascii=False)
    for personal in PERSONAL:
        assert personal not in text, personal
    for key in ("contact", "requester", "body", "purpose", "description", "reason", "history"):
        assert all(key not in item for item in result["decisions"])


def test_the_log_filters_by_kind_and_department(world):
    only = public_log.decisions(world.rt, kind="objection")
    assert [d["reference"] for d in only["decisions"]] == [world.refs["objection"]]
    health = public_log.decisions(world.rt, department=world.departments["health"])
    assert {d["reference"] for d in health["decisions"]} == {
        world.refs["app3"],
        world.refs["objection"],
    }
    paged = public_log.decisions(world.rt, per_page=1, page=2)
    assert paged["count"] == 4 and paged["pages"] == 4 and len(paged["decisions"]) == 1
    with pytest.raises(ValidationError):
        public_log.decisions(world.rt, kind="nonsense")
    with pytest.raises(ValidationError):
        public_log.decisions(world.rt, department="no-such-department")
    with pytest.raises(ValidationError):
        public_log.decisions(world.rt, per_page=1000)


def test_redaction_blanks_identifiers_and_known_names():
    text = "请张三拨打 13912345678 或发邮件至 zhang@example.com，身份证 110101199003074514。"
    out = redaction.redact(text, ["张三"])
    for gone in ("张三", "13912345678", "zhang@example.com", "110101199003074514"):
        assert gone not in out
    assert out.startswith("请" + redaction.REDACTED + "拨打")


# -- statistics --------------------------------------------------------------------------------


def test_statistics_per_department_match_the_known_counts(world):
    stats = statistics(world.rt)
    rows = {r["department"]["name"]: r for r in stats["departments"]}
    transport, health = rows[world.departments["transport"]], rows[world.departments["health"]]

    assert transport["datasets"] == {
        "unconditional": 2,
        "conditional": 1,
        "closed": 2,
        "total": 5,
    }
    assert transport["machine_readable"] == {"open": 3, "datasets": 2, "share": 66.7}
    assert transport["overdue_updates"] == 1  # bus-lines: monthly, last updated in 2020
    assert transport["applications"] == {
        "received": 2,
        "decided": 1,
        "on_time": 1,
        "pending": 1,
        "overdue": 1,
    }
    assert transport["requests"] == {
        "received": 1,
        "decided": 1,
        "on_time": 1,
        "pending": 0,
        "overdue": 0,
    }
    assert transport["objections"]["received"] == 0

    assert health["datasets"]["conditional"] == 1 and health["datasets"]["total"] == 1
    # refused, then overturned: the department must now provide (pending, not yet late)
    assert health["applications"]["received"] == 1 and health["applications"]["pending"] == 1
    assert health["applications"]["decided"] == 0 and health["applications"]["overdue"] == 0
    assert health["objections"] == {"received": 1, "pending": 0, "upheld": 0, "overturned": 1}

    total = stats["total"]
    assert total["datasets"]["total"] == 6
    assert total["applications"]["received"] == 3 and total["applications"]["overdue"] == 1
    assert total["objections"]["overturned"] == 1
    assert total["by_kind"]["opening_request"]["decided"] == 1
    # first published: all of them, by the class they were published with; none in a past year
    assert transport["published"] == transport["datasets"]
    assert total["published"]["total"] == 6
    past = Period(date(2020, 1, 1), date(2020, 12, 31), "2020年")
    earlier = statistics(world.rt, period=past)
    assert earlier["total"]["published"]["total"] == 0
    assert earlier["total"]["datasets"]["total"] == 6
    today = shanghai_date(now_utc())  # the portal's day, not the machine's
    now = statistics(world.rt, period=Period(today - timedelta(days=1), today, "近两日"))
    assert now["total"]["published"] == total["published"]


# -- 开放清单 ----------------------------------------------------------------------------------


def _open_list(world) -> tuple[bytes, list[dict[str, str]]]:
    raw = b"".join(open_list.open_list_csv(world.rt, base_url="https://data.example.gov.cn/"))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    return raw, rows


def test_the_open_list_has_open_and_planned_datasets_but_no_other_closed_ones(world):
    raw, rows = _open_list(world)
    assert raw.startswith(b"\xef\xbb\xbf")
    by_name = {r["数据集标识"]: r for r in rows}
    assert set(by_name) == {"bus-lines", "bus-stops-plan", "taxi-permits", "med-aid", "road-plan"}
    assert "tax" not in by_name
    bus = by_name["bus-lines"]
    assert bus["开放属性"] == "无条件开放" and bus["开放状态"] == "已开放"
    assert bus["数据格式"] == "CSV" and bus["更新周期"] == "每月"
    assert bus["访问地址"] == "https://data.example.gov.cn/dataset/bus-lines"
    assert by_name["bus-stops-plan"]["数据格式"] == ""  # its file is still to come
    assert "bus-map" not in by_name  # a PDF only: held by the publish gates
    taxi = by_name["taxi-permits"]
    assert taxi["开放属性"] == "有条件开放" and taxi["提供部门"] == TRANSPORT.title
    # a cell starting with "=" is quoted, so a spreadsheet shows it instead of running it
    assert taxi["开放条件"] == "'=须为本市登记的企业"
    plan = by_name["road-plan"]
    assert plan["开放属性"] == "不予开放" and plan["开放状态"] == "计划开放"
    assert plan["计划开放日期"] == world.open_by and plan["数据格式"] == ""
    kinds = [r["开放属性"] for r in rows]
    assert kinds == sorted(kinds, key=["无条件开放", "有条件开放", "不予开放"].index)


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("公交", "公交"),
        (None, ""),
        (3, "3"),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_export.csv_cell(value) == cell


# -- overdue flagging --------------------------------------------------------------------------


def test_overdue_cases_are_flagged_once_to_the_department_and_the_bureau(world):
    rt = world.rt
    with rt.reader() as session:
        reviewer = session.scalar(select(User.id).where(User.name == "reviewer-a"))
        bureau = session.scalar(select(User.id).where(User.name == "bureau1"))
        before = session.scalar(select(func.count(Notification.id)))

    first = flag_overdue(rt)

    assert first == {"flagged": 1, "notices": 2, "overdue": 1}
    with rt.reader() as session:
        flags = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.overdue")).all()
        assert [(f.object_type, f.object_id, f.actor) for f in flags] == [
            ("case", world.ids["app2"], "system")
        ]
        notices = session.scalars(select(Notification).order_by(Notification.id.desc()).limit(2))
        told = {n.user_id: n for n in notices}
        assert set(told) == {reviewer, bureau}
        assert all(world.refs["app2"] in n.subject and "逾期" in n.subject for n in told.values())
        assert told[reviewer].link == f"/services/application/{world.ids['app2']}"
        assert told[reviewer].case_id == world.ids["app2"]
        assert told[reviewer].email_status == "pending"  # the reviewer has an address

    second = flag_overdue(rt)

    assert second == {"flagged": 0, "notices": 0, "overdue": 1}
    with rt.reader() as session:
        assert session.scalar(select(func.count(Notification.id))) == before + 2
        count = select(func.count(AuditEntry.id)).where(AuditEntry.action == "case.overdue")
        assert session.scalar(count) == 1


# -- the audit log -----------------------------------------------------------------------------


def test_only_the_bureau_and_operators_read_the_audit_log(world):
    with pytest.raises(LoginRequired):
        audit_entries(world.rt, ANONYMOUS)
    for who in ("citizen1", "company1", "reviewer-a"):
        with pytest.raises(NotAuthorized):
            audit_entries(world.rt, world.actors[who])
        with pytest.raises(NotAuthorized):
            audit_csv(world.rt, world.actors[who])
    assert audit_entries(world.rt, world.actors["operator1"])["count"] > 0


def test_audit_entries_filter_by_action_and_period(world):
    bureau = world.actors["bureau1"]
    decided = audit_entries(world.rt, bureau, action="application.decide")
    assert decided["count"] == 2
    assert {e["detail"]["reference"] for e in decided["entries"]} == {
        world.refs["app1"],
        world.refs["app3"],
    }
    every = audit_entries(world.rt, bureau, action="objection.*")
    assert {e["action"] for e in every["entries"]} == {"objection.submit", "objection.decide"}
    today = str(shanghai_date(now_utc()))
    assert audit_entries(world.rt, bureau, since=today, until=today)["count"] > 0
    assert audit_entries(world.rt, bureau, since="2999-01-01")["count"] == 0
    assert audit_entries(world.rt, bureau, until="2000-01-01T00:00:00+08:00")["count"] == 0
    page = audit_entries(world.rt, bureau, per_page=2, page=1)
    assert len(page["entries"]) == 2 and page["pages"] == -(-page["count"] // 2)
    assert page["entries"][0]["at"].endswith("+00:00")
    with pytest.raises(ValidationError):
        audit_entries(world.rt, bureau, since="yesterday")


def test_the_audit_csv_export_streams_every_row_and_is_itself_recorded(world):
    bureau = world.actors["bureau1"]
    raw = b"".join(audit_csv(world.rt, bureau))
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == AUDIT_HEADER
    with world.rt.reader() as session:
        assert len(rows) - 1 == session.scalar(select(func.count(AuditEntry.id)))
        exports = session.scalars(select(AuditEntry).where(AuditEntry.action == "audit.export"))
        assert any(e.actor == "bureau1" for e in exports)
    decide = next(r for r in rows[1:] if r[3] == "objection.decide")
    assert decide[2] == "bureau1" and decide[4] == "case" and decide[1].endswith("+00:00")
    assert json.loads(decide[6])["to"] == "overturned"
