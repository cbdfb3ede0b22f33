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
from werkzeug.wrappers import Response

from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, ValidationError
from datasets.openness import confirmations
from datasets.runtime import Runtime
from datasets.workflows import applications, objections, pages, queues, steps
from datasets.workflows.machine import APPLICATION, GRANT, OBJECTION
from datasets.workflows.step_requests import ALL_FIELDS, Application
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import form_status, no_store
from portal.extensions import limiter

bp = Blueprint("applications", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

bp.after_request(no_store)  # one person's matters and contact details


Page = tuple[str, int]


def _rt_actor() -> tuple[Runtime, Actor]:
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
    """A form's whole number as int; anything else as typed, for the parser to refuse."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() else text


# form fields that hold a whole number, and the one that is a list of checkboxes
NUMBERS = ("days", "period_months")
LISTS = ("fields",)
# selects, radio buttons and reasons: an empty one is none
CHOICES = ("decision", "rule_code", "stage", "access_mode", "reason", "action")


def _form_payload() -> dict[str, Any]:
    """The form as the JSON body of the same step: whole numbers as int, checkboxes as a list,
    empty choices as None; then parsed by the step's typed request like the API's."""
    body: dict[str, Any] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        value = request.form.get(key)
        if key in LISTS:
            body[key] = request.form.getlist(key)
        elif key in NUMBERS:
            body[key] = _number(value)
        else:
            body[key] = value if value != "" or key not in CHOICES else None
    return body


def _due_text(case: dict[str, Any]) -> str:
    if not case.get("due_on"):
        return "计时暂停"
    return case["due_on"] + ("（暂定）" if case.get("due_provisional") else "")


# -- the application form --------------------------------------------------------------------


@bp.route("/services/apply/<dataset_name>", methods=["GET", "POST"])
def apply(dataset_name: str) -> Page | Response:
    rt, actor = _rt_actor()
    form = pages.application_form(rt, actor, dataset_name)
    values: dict[str, Any] = {
        "period_months": str(min(12, form["max_months"])),
        "access_mode": "download",
        "fields": [],
        "field_scope": "",
    }
    error: ValidationError | Conflict | None = None
    if request.method == "POST":
        values = _form_values()
        values.setdefault("fields", [])
        try:
            application = _application(dataset_name, rt)
            created = applications.submit(rt, actor, application)
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


# the form's explicit choice between all fields and the ones ticked (the API's "all" or a list)
FIELD_SCOPES = ("all", "some")


def _application(dataset_name: str, rt: Runtime) -> Application:
    """The application form as the API's typed request. Asking for every field is a choice of
    its own: "some" needs a ticked field, "all" sends none; one of them must be chosen."""
    choice = request.form.get("field_scope", "")
    body = {**_form_payload(), "dataset": dataset_name}
    body.pop("field_scope", None)
    problems: dict[str, list[str]] = {}
    if not choice and body.get("fields"):
        choice = "some"  # ticking fields is the choice of those fields
    if choice not in FIELD_SCOPES:
        problems["field_scope"] = ["请选择申请全部字段，或勾选需要的字段"]
    elif choice == "all":
        body["fields"] = ALL_FIELDS
    elif not body.get("fields"):
        problems["fields"] = ["请勾选申请的字段（或选择申请全部字段）"]
    try:
        parsed = Application.parse(body, rt.settings)
    except ValidationError as exc:
        merged = {**exc.errors, **problems}  # the form's own words for its own choice
        raise ValidationError(next(iter(merged.values()))[0], merged) from None
    if problems:
        raise ValidationError(next(iter(problems.values()))[0], problems)
    return parsed


# -- one application -------------------------------------------------------------------------


def _application_response(
    application_id: str,
    *,
    error: ValidationError | Conflict | None = None,
    step: str | None = None,
) -> Page:
    rt, actor = _rt_actor()
    page = pages.application_page(rt, actor, application_id)
    agreement = applications.current_agreement() if "sign" in page["actions"] else None
    html = render_template(
        "services/application.html",
        app=page,
        agreement=agreement,
        max_attachment=rt.settings.attachment_max_bytes,
        rule_titles={rule["code"]: rule["title"] for rule in page["rules"]},
        error=error,
        errors=error.errors if isinstance(error, ValidationError) else {},
        step=step,
        values=_form_values() if error else {},
    )
    return html, form_status(error) if error else 200


@bp.get("/services/application/<application_id>")
def application(application_id: str) -> Page:
    return _application_response(application_id)


# transition → the notice after it (the steps themselves are the table's: ``steps.take``)
_APPLICATION_NOTICES: dict[str, Callable[[dict[str, Any]], str]] = {
    "request_correction": lambda r: "已要求申请人补正材料，答复期限暂停计算。",
    "supplement": lambda r: f"已提交补正材料，答复期限重新计算至 {_due_text(r)}。",
    "extend": lambda r: f"答复期限已延长至 {_due_text(r)}。",
    "decide": lambda r: f"已作出决定：{r['status_label']}。申请人将收到通知。",
    "sign": lambda r: f"已签署数据使用协议，授权 {r['grant']['reference']} 生效。",
    "withdraw": lambda r: "申请已撤回。",
    "object": lambda r: (
        f"复核申请已提交。受理编号 {r['reference']}，主管部门将于 {_due_text(r)} 前作出复核决定。"
    ),
}


def _application_next(name: str, result: dict[str, Any]) -> str:
    """Where a step leads: the objection it filed, the grant it created, or the application."""
    if name == "object":
        return f"/services/objection/{result['id']}"
    if name == "sign" and result.get("grant"):
        return f"/services/grants/{result['grant']['id']}"
    return f"/services/application/{result['id']}"


@bp.post("/services/application/<application_id>/<step>")
def application_step(application_id: str, step: str) -> Page | Response:
    rt, actor = _rt_actor()
    try:
        transition, result = steps.take(
            rt, actor, APPLICATION, step, application_id, _form_payload()
        )
    except (ValidationError, Conflict) as exc:
        return _application_response(application_id, error=exc, step=step)
    flash(_APPLICATION_NOTICES[transition.name](result), "notice")
    return redirect(_application_next(transition.name, result), 303)


# -- objections (复核) -------------------------------------------------------------------------


def _objection_response(
    objection_id: str, *, error: ValidationError | Conflict | None = None, step: str | None = None
) -> Page:
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
def objection(objection_id: str) -> Page:
    return _objection_response(objection_id)


def _escalated(result: dict[str, Any]) -> str:
    stage = result["escalations"][-1]["stage"] if result["escalations"] else ""
    return f"已记录：{objections.STAGES.get(stage, '')}。"


_OBJECTION_NOTICES: dict[str, Callable[[dict[str, Any]], str]] = {
    "decide": lambda r: f"已作出复核决定：{r['status_label']}。",
    "escalate": _escalated,
}


@bp.post("/services/objection/<objection_id>/<step>")
def objection_step(objection_id: str, step: str) -> Page | Response:
    rt, actor = _rt_actor()
    try:
        transition, result = steps.take(rt, actor, OBJECTION, step, objection_id, _form_payload())
    except (ValidationError, Conflict) as exc:
        return _objection_response(objection_id, error=exc, step=step)
    flash(_OBJECTION_NOTICES[transition.name](result), "notice")
    return redirect(f"/services/objection/{result['id']}", 303)


# -- grants ------------------------------------------------------------------------------------


def _grant_response(
    grant_id: str, *, error: ValidationError | Conflict | None = None, step: str | None = None
) -> Page:
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
def grant(grant_id: str) -> Page:
    return _grant_response(grant_id)


_GRANT_NOTICES: dict[str, Callable[[dict[str, Any]], str]] = {
    "report": lambda r: "使用情况报告已报送。",
    "final_report": lambda r: "期末使用情况报告已报送。",
    "suspend": lambda r: f"授权{r['status_label']}。",
    "restore": lambda r: f"授权{r['status_label']}。",
    "revoke": lambda r: f"授权{r['status_label']}。",
    "confirm_scope": lambda r: "授权范围已确认，授权恢复可用。",
    "object": lambda r: (
        f"复核申请已提交。受理编号 {r['reference']}，主管部门将于 {_due_text(r)} 前作出复核决定。"
    ),
}
# the form of suspend, restore and revoke: its buttons send the step as ``action``
STATUS_FORM = "status"


@bp.post("/services/grants/<grant_id>/<step>")
def grant_step(grant_id: str, step: str) -> Page | Response:
    rt, actor = _rt_actor()
    taken = request.form.get("action", "") if step == STATUS_FORM else step
    try:
        transition, result = steps.take(rt, actor, GRANT, taken, grant_id, _form_payload())
    except (ValidationError, Conflict) as exc:
        return _grant_response(grant_id, error=exc, step=step)
    flash(_GRANT_NOTICES[transition.name](result), "notice")
    if transition.name == "object":  # the objection it filed
        return redirect(f"/services/objection/{result['id']}", 303)
    return redirect(f"/services/grants/{result['id']}", 303)


# -- lists -------------------------------------------------------------------------------------


@bp.get("/services/mine")
def mine() -> str:
    rt, actor = _rt_actor()
    return render_template("services/applications_mine.html", mine=queues.my_cases(rt, actor))


def _workspace_response(*, error: ValidationError | Conflict | None = None) -> Page:
    rt, actor = _rt_actor()
    kind = request.args.get("kind") or None
    include_closed = request.args.get("closed") == "1"
    queue = queues.department_queue(rt, actor, include_closed=include_closed, kind=kind)
    html = render_template(
        "services/workspace.html",
        queue=queue,
        kind=kind,
        include_closed=include_closed,
        kinds=queues.QUEUE_KINDS,
        error=error,
    )
    return html, form_status(error) if error else 200


@bp.get("/workspace")
def workspace() -> Page:
    return _workspace_response()


@bp.post("/workspace/held/<name>/<resource_id>")
def confirm_file(name: str, resource_id: str) -> Page | Response:
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
def bureau() -> str:
    rt, actor = _rt_actor()
    return render_template("services/bureau.html", board=queues.bureau_dashboard(rt, actor))
