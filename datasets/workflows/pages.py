"""The pages of one application, objection or grant as their viewer sees them, with the steps
the viewer may take on it now, and the application form. (The lists — queue, dashboard, own
cases — are in ``queues``.)

Everything here only reads. Which steps a page offers is exactly what the machine's table allows
(``Machine.allowed`` over the same context the services check), never re-derived here: each
page model carries ``actions`` (transition names), ``steps`` (name → URL step) and
``action_labels`` (name → label) for the allowed transitions only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.catalog.packages import conversion_links, resource_path, resource_title
from datasets.errors import NotAuthorized, NotFound
from datasets.intake.prepare import scan_report
from datasets.models import Case, Dataset, Grant, Organization, Resource, User
from datasets.openness.rules import CONDITIONAL, RULES_BY_CODE, STATE_SECRET
from datasets.runtime import Runtime
from datasets.workdays import shanghai_date
from datasets.workflows import (
    appeals,
    applications,
    attachments,
    grant_steps,
    grants,
    objections,
    scopes,
)
from datasets.workflows import cases as c
from datasets.workflows.agreements import party_name
from datasets.workflows.machine import APPLICATION, GRANT, OBJECTION, Context, Machine
from datasets.workflows.step_requests import REASONS, UNMET_CONDITION


def offered(machine: Machine, ctx: Context) -> dict[str, Any]:
    """The steps ``machine`` allows the viewer of ``ctx`` now, as a page shows them."""
    allowed = machine.allowed(ctx)
    return {
        "actions": [t.name for t in allowed],
        "steps": {t.name: t.step for t in allowed},
        "action_labels": {t.name: t.label for t in allowed},
    }


def decision_rules() -> list[dict[str, str]]:
    """The grounds a refusal may cite: the exclusion rules (not state secrets, which are never
    stored here) and an unmet published condition."""
    rules = [
        {"code": rule.code, "title": f"第 {rule.number} 项：{rule.title}"}
        for code, rule in RULES_BY_CODE.items()
        if code != STATE_SECRET
    ]
    rules.append({"code": UNMET_CONDITION, "title": "未满足已公布的开放条件"})
    return rules


def personal_columns(dataset: Dataset) -> dict[str, str]:
    """The columns of a dataset's files holding personal information, with what the scanner
    found in each (e.g. ``身份证号`` → ``居民身份证号码``), for the forms that offer fields."""
    found: dict[str, list[str]] = {}
    for res in dataset.resources:
        for finding in scan_report(res.pii_report).findings:
            if finding.personal and finding.title not in found.setdefault(finding.column, []):
                found[finding.column].append(finding.title)
    return {column: "、".join(titles) for column, titles in found.items()}


def application_page(rt: Runtime, actor: Actor, application_id: str) -> dict[str, Any]:
    """The application for its applicant, its department and the bureau, with the steps open
    to the viewer, the requested and available fields, and the dataset's published
    conditions."""
    with rt.reader() as session:
        case = c.viewable(session, actor, application_id, APPLICATION.kind)
        out = applications.application_dict(session, case)
        filed = objections.filed_objection(session, case)
        ctx = c.context(rt, actor, case, objection=filed)
        out.update(offered(APPLICATION, ctx))
        # after a ruling in the applicant's favour the department may no longer refuse
        out["may_refuse"] = "refused" in APPLICATION.targets("decide", ctx)
        out["extension_days"] = APPLICATION.days("extend", rt.settings)
        out["overdue"] = c.is_overdue(case, ctx.today)
        out["awaiting_handler"] = c.awaits_handler(case)
        dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
        out["columns"] = [col.get("name") for col in (dataset.columns if dataset else []) or []]
        out["personal"] = personal_columns(dataset) if dataset else {}
        out["conditions"] = dataset.conditions if dataset else None
        out["objection_links"] = [
            {**o, "link": f"/services/objection/{o['id']}"} for o in out["objections"]
        ]
        out["viewer"] = {
            "requester": may.is_requester(actor, case.requester_id),
            "department": may.can_act_for_department(actor, case.organization_id),
            "bureau": may.can_supervise(actor),
        }
        out["applicant"] = applicant(session, case)
        out["attachments"] = attachments.listed(case) if attachments.may_read(actor, case) else []
    out["rules"] = decision_rules()
    return out


def applicant(session: Session, case: Case) -> dict[str, Any]:
    """Who applied, as the case's participants see them: a company's name, 统一社会信用代码 and
    法定代表人 (or a person's name), the kind of account and how to reach them."""
    user = session.get(User, case.requester_id) if case.requester_id else None
    kind = {"company": "企业", "citizen": "个人"}.get(user.role if user else "", "—")
    return {
        **party_name(user),
        "kind": kind,
        "phone": user.phone if user else None,
        "email": user.email if user else None,
    }


def objection_page(rt: Runtime, actor: Actor, objection_id: str) -> dict[str, Any]:
    """The objection with the bureau's steps (``decide``, ``escalate``) and the escalation
    stages still open, in order."""
    with rt.reader() as session:
        case = c.viewable(session, actor, objection_id, OBJECTION.kind)
        out = objections.objection_dict(session, case)
        ctx = c.context(rt, actor, case)
        out["overdue"] = c.is_overdue(case, ctx.today)
        out.update(offered(OBJECTION, ctx))
        stages = objections.open_stages(case) if "escalate" in out["actions"] else []
        out["stages"] = [{"code": s, "title": objections.STAGES[s]} for s in stages]
        out["application_link"] = appeals.subject_link(case)
        # the department's decision the bureau reviews (an application's; a request's answer
        # and a grant's change show on their own pages)
        is_application = appeals.subject_of(case) == APPLICATION.kind
        out["original"] = original_decision(session, case) if is_application else None
        return out


def original_decision(session: Session, objection: Case) -> dict[str, Any] | None:
    """The department's decision the objection is about, as the department gave it: outcome,
    reasons, the rule cited and the fields granted (what the bureau reviews)."""
    parent = session.get(Case, objection.parent_id) if objection.parent_id else None
    if parent is None or parent.outcome is None:
        return None
    titles = {rule["code"]: rule["title"] for rule in decision_rules()}
    body = parent.body or {}
    return {
        "outcome_label": {"approved": "同意", "partial": "部分同意", "refused": "不予同意"}.get(
            parent.outcome, parent.outcome
        ),
        "reason": parent.reply,
        "rule_code": parent.rule_code,
        "rule_title": titles.get(parent.rule_code or "", parent.rule_code),
        "requested_fields": body.get("fields") or [],
        "granted_fields": body.get("granted_fields") or [],
        "decided_on": str(parent.decided_on) if parent.decided_on else None,
        "purpose": body.get("purpose"),
    }


def _files(dataset: Dataset, files: list[Resource]) -> list[dict[str, Any]]:
    out = []
    for r in files:
        url = resource_path(dataset.name, r.id, r.filename)
        out.append(
            {
                "id": r.id,
                "name": r.name,
                "title": resource_title(dataset, r),
                "format": (r.format or "").upper(),
                "filename": r.filename,
                "url": url,
                "conversions": conversion_links(url, r.format or ""),
            }
        )
    return out


def grant_page(rt: Runtime, actor: Actor, grant_id: str) -> dict[str, Any]:
    """The grant for its holder (with the dataset's files to download and the use-report form)
    and for the department and the bureau (with suspend, restore and revoke, and the
    confirmation of a scope whose columns changed)."""
    out = grants.get_grant(rt, actor, grant_id)
    with rt.reader() as session:
        grant = session.get(Grant, out["id"])
        if grant is None:
            raise NotFound(f"未找到授权 {grant_id}")
        holder = may.is_requester(actor, grant.user_id)
        dataset = session.get(Dataset, grant.dataset_id)
        confirmed = out["scope_state"] != scopes.NEEDS_CONFIRMATION
        facts = appeals.grant_facts(rt, session, grant)
        ctx = grant_steps.context(rt, session, actor, grant, scope_confirmed=confirmed, **facts)
        out.update(offered(GRANT, ctx))
        if "confirm_scope" in out["actions"]:
            out["current_columns"] = scopes.names(dataset.columns if dataset else [])
        out["holder_view"] = holder
        files = list(
            session.scalars(
                select(Resource)
                .where(Resource.dataset_id == grant.dataset_id)
                .order_by(Resource.position)
            )
        )
        out["resource_names"] = {
            r.id: resource_title(dataset, r) if dataset else r.name for r in files
        }
        shown = holder and dataset is not None and dataset.openness == CONDITIONAL
        out["resources"] = _files(dataset, files) if shown and dataset else []
        out["application_link"] = f"/services/application/{grant.application_id}"
        out["objection_deadline"] = facts.get("objection_deadline")
        out["objections"] = [
            {
                "reference": o.reference,
                "status_label": OBJECTION.states.get(o.status, o.status),
                "decided_on": str(o.decided_on) if o.decided_on else None,
                "link": f"/services/objection/{o.id}",
            }
            for o in appeals.objections_of(session, grant.application_id)
            if (o.body or {}).get("grant_id") == grant.id
        ]
    out["reasons"] = [{"code": k, "title": v} for k, v in REASONS.items()]
    return out


def application_form(rt: Runtime, actor: Actor, dataset_name: str) -> dict[str, Any]:
    """What the application form shows: the conditional dataset, its columns and published
    conditions, the access modes and the longest period. Refuses as ``applications.submit``
    would: sign in first; only citizens and companies apply; only for conditional data."""
    c.require_signed_in(actor)
    if not may.can_apply_for_conditional_data(actor):
        raise NotAuthorized("有条件开放数据须以企业或个人账户申请")
    with rt.reader() as session:
        dataset = session.scalar(
            select(Dataset).where((Dataset.name == dataset_name) | (Dataset.id == dataset_name))
        )
        if dataset is None or dataset.state != "active":
            raise NotFound(f"未找到数据集 {dataset_name}")
        applications.require_conditional(dataset)
        org = session.get(Organization, dataset.organization_id)
        return {
            "dataset": {
                "name": dataset.name,
                "title": dataset.title,
                "conditions": dataset.conditions,
                "department": org.title if org else None,
            },
            "columns": [col.get("name") for col in dataset.columns or [] if col.get("name")],
            "personal": personal_columns(dataset),
            "access_modes": dict(applications.ACCESS_MODES),
            "max_months": rt.settings.grant_max_months,
        }


def dataset_access(rt: Runtime, actor: Actor, dataset_name: str) -> dict[str, Any] | None:
    """What a conditional dataset's page shows its applicant: their grant on it (newest usable
    first) with its fields, period and state and the files to download under it, or their
    application still open; None for anyone else (the public page is unchanged)."""
    if not may.can_apply_for_conditional_data(actor):
        return None
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == dataset_name))
        if dataset is None or dataset.openness != CONDITIONAL:
            return None
        held = session.scalars(
            select(Grant)
            .where(Grant.user_id == actor.user_id, Grant.dataset_id == dataset.id)
            .order_by(Grant.signed_at.desc())
        ).all()
        grant = next((g for g in held if g.status == "active"), held[0] if held else None)
        pending = session.scalar(
            select(Case).where(
                Case.kind == APPLICATION.kind,
                Case.requester_id == actor.user_id,
                Case.dataset_id == dataset.id,
                Case.closed_at.is_(None),
            )
        )
        out: dict[str, Any] = {"grant": None, "downloads": {}, "application": None, "usable": False}
        if pending is not None:
            out["application"] = {
                "reference": pending.reference,
                "status_label": APPLICATION.states.get(pending.status, pending.status),
                "link": f"/services/application/{pending.id}",
            }
        if grant is None:
            return out if pending is not None else None
        out["grant"] = {**grants.grant_dict(session, grant), "link": f"/services/grants/{grant.id}"}
        usable = (
            grant.status == "active"
            and grant.expires_on >= shanghai_date(c.now_utc())
            and out["grant"]["scope_state"] == scopes.CONFIRMED
            and dataset.suspended_by is None
        )
        files = session.scalars(
            select(Resource).where(Resource.dataset_id == dataset.id).order_by(Resource.position)
        )
        out["downloads"] = {f["id"]: f for f in _files(dataset, list(files))} if usable else {}
        out["usable"] = usable
        return out
