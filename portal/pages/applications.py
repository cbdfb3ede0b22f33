"""The HTML side of the public services: the application form, the pages of an application, an
objection and a grant with the steps their viewer may take, the requester's own cases, the
department's 工作台 and the bureau's 复核与督办.

Every form calls the same service as the JSON API (``datasets.workflows``); which forms a page
shows comes from ``datasets.workflows.pages``, and the services check again. A successful step
redirects back to its page with a notice (POST/redirect/GET); refused input (400) or a step the
case's state forbids (409) re-renders the page with the message and what was entered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request

from datasets.errors import Conflict, NotFound, ValidationError
from datasets.openness import confirmations
from datasets.workflows import applications, grants, objections, pages
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import form_status, no_store
from portal.extensions import limiter

bp = Blueprint("applications", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

APPLICATION_TEXTS = ("purpose", "scope", "scenario", "security_measures")


bp.after_request(no_store)  # one person's matters and contact details


def _rt_actor():  # type: ignore[no-untyped-def]
    return get_runtime(), current_actor()


def _form_values() -> dict[str, Any]:
    """What was entered, to fill the form again: single values, and lists for checkboxes."""
    values: dict[str, Any] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        items = request.form.getlist(key)
        values[key] = items if key == "fields" else items[0]
    return values


def _number(value: str | None) -> Any:
    """A form's whole number as int; anything else as typed, for the service to refuse."""
    text = (value or "").strip()
    return int(text) if text.isdigit() else text


def _due_text(case: dict[str, Any]) -> str:
    if not case.get("due_on"):
        return "计时暂停"
    return case["due_on"] + ("（暂定）" if case.get("due_provisional") else "")


# -- the application form --------------------------------------------------------------------


@bp.route("/services/apply/<dataset_name>", methods=["GET", "POST"])
def apply(dataset_name: str):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    form = pages.application_form(rt, actor, dataset_name)
    values: dict[str, Any] = {
        "period_months": str(min(12, form["max_months"])),
        "access_mode": "download",
        "fields": [],
    }
    error: ValidationError | Conflict | None = None
    if request.method == "POST":
        values = _form_values()
        values.setdefault("fields", [])
        payload = {key: request.form.get(key, "") for key in APPLICATION_TEXTS}
        payload.update(
            dataset=dataset_name,
            fields=request.form.getlist("fields"),
            period_months=_number(request.form.get("period_months")),
            access_mode=request.form.get("access_mode") or None,
        )
        try:
            created = applications.submit(rt, actor, payload)
        except (ValidationError, Conflict) as exc:
            error = exc
        else:
            flash(
                f"申请已提交。受理编号 {created['reference']}，受理日期 {created['received_on']}，"
                f"答复期限 {_due_text(created)}。",
                "notice",
            )
            return redirect(f"/services/application/{created['id']}", 303)
    html = render_template(
        "services/application_form.html",
        form=form,
        values=values,
        error=error,
        errors=error.errors if isinstance(error, ValidationError) else {},
    )
    return html, form_status(error) if error else 200


# -- one application -------------------------------------------------------------------------


def _application_response(
    application_id: str,
    *,
    error: ValidationError | Conflict | None = None,
    step: str | None = None,
):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    page = pages.application_page(rt, actor, application_id)
    agreement = applications.current_agreement() if "sign" in page["actions"] else None
    html = render_template(
        "services/application.html",
        app=page,
        agreement=agreement,
        rule_titles={rule["code"]: rule["title"] for rule in page["rules"]},
        error=error,
        errors=error.errors if isinstance(error, ValidationError) else {},
        step=step,
        values=_form_values() if error else {},
    )
    return html, form_status(error) if error else 200


@bp.get("/services/application/<application_id>")
def application(application_id: str):  # type: ignore[no-untyped-def]
    return _application_response(application_id)


def _decision_payload() -> dict[str, Any]:
    return {
        "decision": request.form.get("decision") or None,
        "reason": request.form.get("reason", ""),
        "rule_code": request.form.get("rule_code") or None,
        "fields": request.form.getlist("fields"),
    }


def _supplement_payload() -> dict[str, Any]:
    payload = {"note": request.form.get("note", "")}
    payload.update({k: request.form[k] for k in APPLICATION_TEXTS if request.form.get(k)})
    return payload


# step → (service, the payload from the form, the notice after it)
_APPLICATION_STEPS: dict[str, tuple[Callable[..., dict], Callable[[], dict], Callable]] = {
    "correction": (
        applications.request_correction,
        lambda: {"items": request.form.get("items", "")},
        lambda r: "已要求申请人补正材料，答复期限暂停计算。",
    ),
    "supplement": (
        applications.supplement,
        _supplement_payload,
        lambda r: f"已提交补正材料，答复期限重新计算至 {_due_text(r)}。",
    ),
    "extension": (
        applications.extend,
        lambda: {
            "reason": request.form.get("reason", ""),
            "days": _number(request.form.get("days")),
        },
        lambda r: f"答复期限已延长至 {_due_text(r)}。",
    ),
    "decision": (
        applications.decide,
        _decision_payload,
        lambda r: f"已作出决定：{r['status_label']}。申请人将收到通知。",
    ),
    "sign": (
        applications.sign,
        lambda: {
            "accept": request.form.get("accept") or False,
            "agreement_version": request.form.get("agreement_version"),
        },
        lambda r: f"已签署数据使用协议，授权 {r['grant']['reference']} 生效。",
    ),
}


@bp.post("/services/application/<application_id>/<step>")
def application_step(application_id: str, step: str):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    try:
        if step == "withdraw":
            result = applications.withdraw(rt, actor, application_id)
            flash("申请已撤回。", "notice")
        elif step == "objection":
            reason = {"reason": request.form.get("reason", "")}
            result = objections.file_objection(rt, actor, application_id, reason)
            flash(
                f"复核申请已提交。受理编号 {result['reference']}，"
                f"主管部门将于 {_due_text(result)} 前作出复核决定。",
                "notice",
            )
            return redirect(f"/services/objection/{result['id']}", 303)
        elif step in _APPLICATION_STEPS:
            service, payload, notice = _APPLICATION_STEPS[step]
            result = service(rt, actor, application_id, payload())
            flash(notice(result), "notice")
            if step == "sign" and result.get("grant"):
                return redirect(f"/services/grants/{result['grant']['id']}", 303)
        else:
            raise NotFound(f"未知的操作 {step}")
    except (ValidationError, Conflict) as exc:
        return _application_response(application_id, error=exc, step=step)
    return redirect(f"/services/application/{result['id']}", 303)


# -- objections (复核) -------------------------------------------------------------------------


def _objection_response(
    objection_id: str, *, error: ValidationError | Conflict | None = None, step: str | None = None
):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    html = render_template(
        "services/objection.html",
        obj=pages.objection_page(rt, actor, objection_id),
        error=error,
        errors=error.errors if isinstance(error, ValidationError) else {},
        step=step,
        values=_form_values() if error else {},
    )
    return html, form_status(error) if error else 200


@bp.get("/services/objection/<objection_id>")
def objection(objection_id: str):  # type: ignore[no-untyped-def]
    return _objection_response(objection_id)


@bp.post("/services/objection/<objection_id>/<step>")
def objection_step(objection_id: str, step: str):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    try:
        if step == "decision":
            payload = {
                "decision": request.form.get("decision") or None,
                "reason": request.form.get("reason", ""),
            }
            result = objections.decide_objection(rt, actor, objection_id, payload)
            flash(f"已作出复核决定：{result['status_label']}。", "notice")
        elif step == "escalation":
            payload = {
                "stage": request.form.get("stage") or None,
                "note": request.form.get("note", ""),
            }
            result = objections.escalate(rt, actor, objection_id, payload)
            stage = objections.STAGES.get(payload["stage"] or "", "")
            flash(f"已记录：{stage}。", "notice")
        else:
            raise NotFound(f"未知的操作 {step}")
    except (ValidationError, Conflict) as exc:
        return _objection_response(objection_id, error=exc, step=step)
    return redirect(f"/services/objection/{result['id']}", 303)


# -- grants ------------------------------------------------------------------------------------


def _grant_response(
    grant_id: str, *, error: ValidationError | Conflict | None = None, step: str | None = None
):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    html = render_template(
        "services/grant.html",
        grant=pages.grant_page(rt, actor, grant_id),
        error=error,
        errors=error.errors if isinstance(error, ValidationError) else {},
        step=step,
        values=_form_values() if error else {},
    )
    return html, form_status(error) if error else 200


@bp.get("/services/grants/<grant_id>")
def grant(grant_id: str):  # type: ignore[no-untyped-def]
    return _grant_response(grant_id)


@bp.post("/services/grants/<grant_id>/report")
def grant_report(grant_id: str):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    try:
        result = grants.file_report(rt, actor, grant_id, request.form.get("text", ""))
    except (ValidationError, Conflict) as exc:
        return _grant_response(grant_id, error=exc, step="report")
    flash("使用情况报告已报送。", "notice")
    return redirect(f"/services/grants/{result['id']}", 303)


@bp.post("/services/grants/<grant_id>/status")
def grant_status(grant_id: str):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    try:
        result = grants.change_status(
            rt,
            actor,
            grant_id,
            action=request.form.get("action", ""),
            reason=request.form.get("reason") or None,
            note=request.form.get("note", ""),
        )
    except (ValidationError, Conflict) as exc:
        return _grant_response(grant_id, error=exc, step="status")
    flash(f"授权{result['status_label']}。", "notice")
    return redirect(f"/services/grants/{result['id']}", 303)


@bp.post("/services/grants/<grant_id>/scope")
def grant_scope(grant_id: str):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    try:
        result = grants.confirm_scope(rt, actor, grant_id, fields=request.form.getlist("fields"))
    except (ValidationError, Conflict) as exc:
        return _grant_response(grant_id, error=exc, step="scope")
    flash("授权范围已确认，授权恢复可用。", "notice")
    return redirect(f"/services/grants/{result['id']}", 303)


# -- lists -------------------------------------------------------------------------------------


@bp.get("/services/mine")
def mine():  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    return render_template("services/applications_mine.html", mine=pages.my_cases(rt, actor))


def _workspace_response(*, error: ValidationError | Conflict | None = None):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    kind = request.args.get("kind") or None
    include_closed = request.args.get("closed") == "1"
    queue = pages.department_queue(rt, actor, include_closed=include_closed, kind=kind)
    html = render_template(
        "services/workspace.html",
        queue=queue,
        kind=kind,
        include_closed=include_closed,
        kinds=pages.QUEUE_KINDS,
        error=error,
    )
    return html, form_status(error) if error else 200


@bp.get("/workspace")
def workspace():  # type: ignore[no-untyped-def]
    return _workspace_response()


@bp.post("/workspace/held/<name>/<resource_id>")
def confirm_file(name: str, resource_id: str):  # type: ignore[no-untyped-def]
    """人工确认 of a held file by its department's reviewer (the service checks who)."""
    rt, actor = _rt_actor()
    try:
        result = confirmations.confirm_file(
            rt, name=name, resource_id=resource_id, note=request.form.get("note", ""), actor=actor
        )
    except (ValidationError, Conflict) as exc:
        return _workspace_response(error=exc)
    flash(result["message"], "notice")
    return redirect("/workspace#held", 303)


@bp.get("/bureau")
def bureau():  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    return render_template("services/bureau.html", board=pages.bureau_dashboard(rt, actor))
