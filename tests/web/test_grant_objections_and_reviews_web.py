"""复核 of a grant's suspension or revocation, and the periodic review (定期评估审查,
岳阳 第二十八条第一款) of the entries outside the open scope: through the JSON API and the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from datasets.models import Activity, Case, ClassificationEvent, Dataset, Notification, User
from datasets.workdays import calendar_for
from datasets.workflows import application_decisions, applications, cases, grant_steps, reviews
from datasets.workflows import step_requests as req
from datasets.workflows.cases import now_utc
from datasets.workflows.inputs.opening import ReviewInput
from tests.factories import sign_in
from tests.web.test_answer_objections_web import PASSWORD, build_world, call, token
from tests.web.test_api_v1_applications import BASE

LATER = date.today() + timedelta(days=400)  # past the 12-month cycle of every entry


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("grant-objections"))
    yield built
    built["rt"].close()


def _grant(world, reason: str) -> str:  # type: ignore[no-untyped-def]
    """A grant of acme on the conditional dataset, suspended by its department for ``reason``."""
    rt, a = world["rt"], world["actors"]
    body = req.Application.parse({**BASE, "dataset": world["conditional"]}, rt.settings)
    key = applications.submit(rt, a["acme"], body)["id"]
    approval = req.Decision.parse({"decision": "approve", "reason": "同意"})
    application_decisions.decide(rt, a["health"], key, approval)
    version = applications.current_agreement().version
    signature = req.Signature.parse({"accept": True, "agreement_version": version})
    grant = applications.sign(rt, a["acme"], key, signature)["grant"]["id"]
    change = req.StatusChange.parse({"action": "suspend", "reason": reason})
    grant_steps.change_status(rt, a["health"], grant, change)
    return grant


def test_a_suspended_grant_is_appealed_and_the_bureau_restores_it(world):
    grant = _grant(world, "out_of_scope")
    url = f"/api/v1/grants/{grant}/objection"
    call(world, "beta", "POST", url, {"reason": "不是我的"}, 404)
    assert (
        "申请人本人" in call(world, "health", "POST", url, {"reason": "x"}, 403)["error"]["message"]
    )
    call(world, "acme", "POST", url, {}, 400)
    objection = call(world, "acme", "POST", url, {"reason": "未超范围使用，有访问记录为证"}, 201)
    assert objection["subject"] == "grant" and objection["grant_id"] == grant
    assert objection["handler"] == "bureau" and objection["status"] == "submitted"
    cal = calendar_for(world["rt"])
    assert objection["due_on"] == str(cal.add(cal.received_on(now_utc()).on, 10).on)
    again = call(world, "acme", "POST", url, {"reason": "再提"}, 409)
    assert objection["reference"] in again["error"]["message"]
    shown = call(world, "acme", "GET", f"/api/v1/objections/{objection['id']}")
    assert shown["subject_reference"].startswith("SQQ-")
    ruling = {"decision": "overturn", "reason": "访问记录显示未超范围使用"}
    call(world, "bureau", "POST", f"/api/v1/objections/{objection['id']}/decision", ruling)
    restored = call(world, "acme", "GET", f"/api/v1/grants/{grant}")
    assert restored["status"] == "active" and objection["reference"] in restored["status_note"]
    # the page of the objection names what it was against and what overturning did
    page = sign_in(world["app"], "acme", PASSWORD).get(f"/services/objection/{objection['id']}")
    html = page.get_data(as_text=True)
    assert "原授权" in html and "撤销暂停或终止决定，恢复授权" in html


def test_a_suspension_for_a_missing_report_is_not_appealed(world):
    grant = _grant(world, "missing_report")
    refused = call(world, "acme", "POST", f"/api/v1/grants/{grant}/objection", {"reason": "x"}, 409)
    assert "报送报告后即恢复" in refused["error"]["message"]


def test_the_holder_appeals_a_revocation_on_the_grant_page(world):
    grant = _grant(world, "transfer")
    change = req.StatusChange.parse({"action": "revoke", "reason": "transfer"})
    grant_steps.change_status(world["rt"], world["actors"]["health"], grant, change)
    holder = sign_in(world["app"], "acme", PASSWORD)
    page = holder.get(f"/services/grants/{grant}").get_data(as_text=True)
    assert f'action="/services/grants/{grant}/objection"' in page
    reviewer_page = sign_in(world["app"], "health", PASSWORD).get(f"/services/grants/{grant}")
    assert "/objection" not in reviewer_page.get_data(as_text=True)
    done = holder.post(
        f"/services/grants/{grant}/objection",
        data={"reason": "未转让数据", "csrf_token": token(page)},
    )
    assert done.status_code == 303 and "/services/objection/" in done.location
    with world["rt"].reader() as session:
        objection = session.scalar(
            select(Case).where(Case.reference.like("FH-%")).order_by(Case.received_at.desc())
        )
        assert objection.body["grant_id"] == grant and objection.body["grant_status"] == "revoked"
    page = holder.get(f"/services/grants/{grant}").get_data(as_text=True)
    assert objection.reference in page and "未转让数据" not in page


def _reviews(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with world["rt"].reader() as session:
        rows = session.execute(
            select(Dataset.name, Case.id)
            .join(Dataset, Dataset.id == Case.dataset_id)
            .where(Case.kind == "review")
        ).all()
    return dict(rows)


def test_the_sweep_opens_reviews_outside_the_open_scope_once_per_cycle(world):
    rt = world["rt"]
    assert reviews.open_due_reviews(rt)["opened"] == 0  # every entry is new
    first = reviews.open_due_reviews(rt, today=LATER)
    assert first["opened"] == 3 and set(_reviews(world)) == {"physicians", "assistance", "tax"}
    assert reviews.open_due_reviews(rt, today=LATER) == {"opened": 0, "open": 3}
    cal = calendar_for(rt)
    shown = call(world, "transport", "GET", f"/api/v1/reviews/{_reviews(world)['tax']}")
    assert shown["status"] == "open" and shown["openness"] == "closed"
    assert shown["due_on"] == str(cal.add(cal.received_on(now_utc()).on, 20).on)
    assert [s["name"] for s in shown["steps"]] == ["complete"]
    # hidden from the public and from other departments; seen by the bureau
    call(world, None, "GET", f"/api/v1/reviews/{_reviews(world)['tax']}", status=404)
    call(world, "health", "GET", f"/api/v1/reviews/{_reviews(world)['tax']}", status=404)
    board = sign_in(world["app"], "bureau", PASSWORD).get("/bureau").get_data(as_text=True)
    assert "进行中的定期评估审查" in board and "企业纳税明细" in board
    desk = sign_in(world["app"], "transport", PASSWORD).get("/workspace").get_data(as_text=True)
    assert "定期评估审查" in desk and "企业纳税明细" in desk


def test_a_review_and_its_reclassification_land_together_or_not_at_all(world, monkeypatch):
    """A failure after the class changed (here: telling the bureau) leaves neither the new
    class nor a completed review: both are one transaction."""
    rt = world["rt"]
    if not _reviews(world):
        reviews.open_due_reviews(rt, today=LATER)
    review = _reviews(world)["tax"]

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the bureau's mailbox is unreachable")

    monkeypatch.setattr(reviews, "notify_bureau", refuse)
    form = ReviewInput.parse({"conclusion": "conditional", "reply": "可有条件开放"})
    with pytest.raises(RuntimeError):
        reviews.complete_review(rt, world["actors"]["transport"], review, form)
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "tax"))
        assert dataset.openness == "closed" and not dataset.override
        assert session.get(Case, review).status == "open"


def test_a_review_that_changes_the_class_is_a_reclassification(world):
    rt = world["rt"]
    if not _reviews(world):
        reviews.open_due_reviews(rt, today=LATER)
    ids = _reviews(world)
    url = f"/api/v1/reviews/{ids['tax']}/complete"
    call(world, "health", "POST", url, {"conclusion": "open", "reply": "x"}, 404)
    call(world, "transport", "POST", url, {"conclusion": "keep"}, 400)
    same = call(
        world,
        "health",
        "POST",
        f"/api/v1/reviews/{ids['assistance']}/complete",
        {"conclusion": "conditional", "reply": "维持"},
        400,
    )
    assert "已是“有条件开放”" in same["error"]["message"]
    done = call(
        world,
        "transport",
        "POST",
        url,
        {"conclusion": "conditional", "reply": "脱敏后可有条件开放"},
    )
    assert done["status"] == "completed" and done["conclusion_label"] == "调整为有条件开放"
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "tax"))
        assert dataset.openness == "conditional"
        reference = done["reference"]
        assert (
            reference in dataset.override["reason"]
            and dataset.override["declared"] == "conditional"
        )
        kinds = session.scalars(select(Activity.kind).where(Activity.dataset_id == dataset.id))
        assert "reclassified" in set(kinds)
    log = world["app"].test_client().get("/transparency?kind=review").get_data(as_text=True)
    assert reference in log and "调整为有条件开放" in log and "脱敏后可有条件开放" in log
    # a conclusion that keeps the class, on the page (with its CSRF token)
    reviewer = sign_in(world["app"], "health", PASSWORD)
    page = reviewer.get(f"/services/review/{ids['physicians']}").get_data(as_text=True)
    assert "作出审查结论" in page
    step = f"/services/review/{ids['physicians']}/complete"
    kept = reviewer.post(
        step,
        data={
            "conclusion": "keep",
            "reply": "涉及个人信息，维持有条件开放",
            "csrf_token": token(page),
        },
    )
    assert kept.status_code == 303
    page = reviewer.get(kept.location).get_data(as_text=True)
    assert "审查结论：维持现有开放类型" in page and f'action="{step}"' not in page
    with rt.reader() as session:
        assert (
            session.scalar(select(Dataset.openness).where(Dataset.name == "physicians"))
            == "conditional"
        )


def test_the_sweep_command_reports_the_reviews(world):
    from portal.cli import main

    environment = {"KAIFANG_INSTANCE": str(world["rt"].paths.root)}
    result = CliRunner().invoke(main, ["services", "sweep"], env=environment)
    assert result.exit_code == 0, result.output
    assert "定期评估审查：新启动 0 件" in result.output


@pytest.fixture
def fresh(tmp_path):
    """A world of its own, for tests that conclude reviews or move the clock."""
    built = build_world(tmp_path)
    yield built
    built["rt"].close()


def _public_entry(world, name: str) -> dict:  # type: ignore[no-untyped-def]
    return call(world, None, "GET", f"/api/3/action/package_show?id={name}")["result"]


def test_a_review_that_opens_a_closed_entry_makes_it_unconditionally_open(fresh):
    rt = fresh["rt"]
    reviews.open_due_reviews(rt, today=LATER)
    review = _reviews(fresh)["tax"]
    before = _public_entry(fresh, "tax")
    assert (before["openness"], before["openness_title"]) == ("closed", "不予开放")
    assert before["exclusion_basis"] == "涉及商业秘密"

    reply = "经评估，相关企业已同意公开纳税明细，纳入无条件开放"
    url = f"/api/v1/reviews/{review}/complete"
    done = call(fresh, "transport", "POST", url, {"conclusion": "open", "reply": reply})
    assert done["status"] == "completed" and done["conclusion_label"] == "纳入无条件开放"
    assert done["result_openness_label"] == "无条件开放"
    reference = done["reference"]

    # open to everyone: the public entry, its page and the search say 无条件开放
    after = _public_entry(fresh, "tax")
    assert (after["openness"], after["openness_title"]) == ("unconditional", "无条件开放")
    assert after["exclusion_rule"] is None and after["exclusion_basis"] is None
    page = fresh["app"].test_client().get("/dataset/tax").get_data(as_text=True)
    assert "无条件开放" in page and "（不予开放 → 无条件开放）" in page
    assert "涉及商业秘密" not in page
    found = call(fresh, None, "GET", "/api/3/action/package_search?q=企业纳税明细")["result"]
    assert [(p["name"], p["openness"]) for p in found["results"]] == [("tax", "unconditional")]

    # recorded as a reclassification on the review's behalf, in the public activity stream too
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "tax"))
        assert dataset.override["declared"] == "unconditional"
        assert dataset.override["reason"] == f"定期评估审查 {reference}：纳入无条件开放。{reply}"
        assert dataset.override["by"] == f"transport（定期评估审查 {reference}）"
        event = session.scalars(
            select(ClassificationEvent)
            .where(ClassificationEvent.dataset_id == dataset.id)
            .order_by(ClassificationEvent.id.desc())
        ).first()
        assert (event.old_openness, event.new_openness) == ("closed", "unconditional")
        assert reference in event.actor and reference in event.reason
        bureau = session.scalar(select(User.id).where(User.name == "bureau"))
        subjects = session.scalars(
            select(Notification.subject).where(Notification.user_id == bureau)
        ).all()
        assert f"定期评估审查 {reference} 已完成：纳入无条件开放" in subjects
    activity = call(fresh, None, "GET", "/api/3/action/package_activity_list?id=tax")["result"]
    assert activity[0]["data"]["kind"] == "reclassified"
    assert activity[0]["data"]["openness"] == {"old": "closed", "new": "unconditional"}

    # the outcome is public, with the department's reply
    log = fresh["app"].test_client().get("/transparency?kind=review").get_data(as_text=True)
    assert reference in log and "纳入无条件开放" in log and reply in log


def test_the_review_cycle_setting_decides_when_a_completed_review_opens_again(fresh, monkeypatch):
    """With KAIFANG_REVIEW_CYCLE_MONTHS=6 the sweep opens the reviews six months after the
    entries came in, and again six months after a review kept the class; an entry the review
    opened is outside the reviews from then on."""
    rt = fresh["rt"]
    with rt.session() as session:  # the entries came into the catalog on 6 January 2025
        session.execute(update(Dataset).values(created_at=datetime(2025, 1, 6, 2, tzinfo=UTC)))
    clock = {"now": datetime(2025, 1, 6, 2, tzinfo=UTC)}
    monkeypatch.setattr(cases, "now_utc", lambda: clock["now"])
    instance = {"KAIFANG_INSTANCE": str(rt.paths.root)}
    six_months = {**instance, "KAIFANG_REVIEW_CYCLE_MONTHS": "6"}

    def sweep_on(day: date, env: dict[str, str]) -> str:
        clock["now"] = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
        from portal.cli import main

        result = CliRunner().invoke(main, ["services", "sweep"], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "定期评估审查：新启动 0 件（进行中共 0 件）" in sweep_on(date(2025, 7, 5), six_months)
    # six months on: due under the setting, not under the default cycle of 12 months
    assert "定期评估审查：新启动 0 件（进行中共 0 件）" in sweep_on(date(2025, 7, 6), instance)
    assert "定期评估审查：新启动 3 件（进行中共 3 件）" in sweep_on(date(2025, 7, 6), six_months)
    ids = _reviews(fresh)
    shown = call(fresh, "health", "GET", f"/api/v1/reviews/{ids['physicians']}")
    assert shown["body"]["cycle_months"] == 6 and shown["body"]["since"] == "2025-01-06"
    with rt.reader() as session:
        health = session.scalar(select(User.id).where(User.name == "health"))
        bodies = session.scalars(
            select(Notification.body).where(Notification.user_id == health)
        ).all()
    assert any("自 2025-01-06 起已满 6 个月未经评估审查" in body for body in bodies)

    clock["now"] = datetime(2025, 7, 10, 2, tzinfo=UTC)  # Thursday: both concluded
    kept = {"conclusion": "keep", "reply": "涉及个人信息，维持有条件开放"}
    call(fresh, "health", "POST", f"/api/v1/reviews/{ids['physicians']}/complete", kept)
    opened = {"conclusion": "open", "reply": "经评估可以开放"}
    call(fresh, "transport", "POST", f"/api/v1/reviews/{ids['tax']}/complete", opened)

    # the kept entry is due six months after its review, the opened one never again
    assert "定期评估审查：新启动 0 件（进行中共 1 件）" in sweep_on(date(2026, 1, 9), six_months)
    assert "定期评估审查：新启动 1 件（进行中共 2 件）" in sweep_on(date(2026, 1, 10), six_months)
    with rt.reader() as session:
        again = session.scalars(
            select(Case)
            .join(Dataset, Dataset.id == Case.dataset_id)
            .where(Case.kind == "review", Case.closed_at.is_(None), Dataset.name == "physicians")
        ).one()
        assert again.body["since"] == "2025-07-10" and again.body["reviewed_before"] is True
        assert again.received_on == date(2026, 1, 12)  # Saturday: received on Monday
