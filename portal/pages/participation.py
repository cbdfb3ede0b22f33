"""The HTML side of requests to open data, opening assessments, error reports, rights-holder
objections and suggestions, and the /services page listing the public services.

Each form parses its request object and calls the same service as the JSON API, through the
table of processes (``datasets.workflows.participation``), whose steps are the machines' own. A
case's page opens only to its participants (the signed-in requester, the department's reviewers,
who find there the forms of exactly the steps the machine allows them, the bureau, the
operators) and to whoever holds its access code (查询码); everyone else gets the same 404 as for
a reference that does not exist. What the public sees of a case is its record at /transparency.

The code never travels in a URL (where it would land in access logs and Referer headers): a
submission keeps the code in the session and redirects to the case's page (POST/redirect/GET),
which shows it once, prominently; later, ``/services/lookup`` takes the reference and the code in
a POSTed form (with its CSRF token), keeps the code in the session and redirects to the page.
The session remembers the codes of the last few cases opened this way, until the browser is
closed or the visitor leaves them (``/services/forget``).

Refused input re-renders the form with the message per field (400); a step the case's state
forbids re-renders the page (409).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from datasets.accounts import verification
from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, NotFound, ValidationError
from datasets.runtime import Runtime
from datasets.workflows import case_access
from datasets.workflows.inputs.lookup import Lookup
from datasets.workflows.participation import PROCESSES, REQUESTER_STEPS
from datasets.workflows.public_cases import admit_step, view_case
from datasets.workflows.public_services import form_context, public_services, reply_choices
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import form_status, no_store
from portal.extensions import limiter

bp = Blueprint("participation", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


bp.after_request(no_store)  # one person's matters and contact details


def _rt_actor() -> tuple[Runtime, Actor]:
    return get_runtime(), current_actor()


def _form_values() -> dict[str, str]:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _field_errors(exc: ValidationError | Conflict | None) -> dict[str, list[str]]:
    """The service's field names as the forms name them (``contact.phone`` → ``contact_phone``)."""
    if not isinstance(exc, ValidationError):
        return {}
    return {key.replace(".", "_"): value for key, value in exc.errors.items()}


def _contact() -> dict[str, str]:
    return {
        key: request.form.get(f"contact_{key}", "").strip() for key in ("name", "phone", "email")
    }


def _due_text(case: dict[str, Any]) -> str:
    if not case.get("due_on"):
        return "—"
    return case["due_on"] + ("（暂定）" if case.get("due_provisional") else "")


def _url(kind: str, case_id: str) -> str:
    return f"/services/{kind.replace('_', '-')}/{case_id}"


# -- the codes this browser holds --------------------------------------------------------------

_CODES = "case_codes"  # [{"id", "reference", "code"}], newest last
_RECEIPT = "case_receipt"  # the id of the case just submitted: its page shows the code once
REMEMBERED = 5


def _remember(case_id: str, reference: str, code: str) -> None:
    kept = [e for e in session.get(_CODES, []) if e.get("id") != case_id]
    session[_CODES] = [*kept, {"id": case_id, "reference": reference, "code": code}][-REMEMBERED:]


def _remembered(case_id: str) -> dict[str, str] | None:
    """The code this browser holds for a case named by id or reference number."""
    wanted = case_id.strip().upper()
    for entry in session.get(_CODES, []):
        if wanted in (str(entry.get("id")).upper(), entry.get("reference")):
            return entry
    return None


# -- the services page and looking up a case ---------------------------------------------------


@bp.get("/services")
def index() -> ResponseReturnValue:
    return render_template(
        "services/request_services.html",
        services=public_services(get_runtime()),
        reference=request.args.get("reference", "")[:40],
    )


@bp.route("/services/lookup", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def lookup() -> ResponseReturnValue:
    """Open a case with its reference number (受理编号) and access code (查询码)."""
    reference = request.values.get("reference", "").strip()[:40]
    error = None
    if request.method == "POST":
        rt, actor = _rt_actor()
        code = request.form.get("code", "")
        try:
            found = case_access.locate(rt, actor, reference, code)
        except NotFound as exc:
            error = exc.message
        else:
            if found["access"] == case_access.CODE:
                _remember(found["id"], found["reference"], found["code"])
            return redirect(_url(found["kind"], found["id"]), 303)
    html = render_template("services/lookup.html", reference=reference, error=error)
    return html, 404 if error else 200


@bp.post("/services/forget")
def forget() -> ResponseReturnValue:
    """Leave the cases opened with their codes on this browser (a shared computer)."""
    session.pop(_CODES, None)
    session.pop(_RECEIPT, None)
    flash("已退出查看。再次查看时，请输入受理编号和查询码。", "notice")
    return redirect(url_for("participation.index"), 303)


# -- the submission forms --------------------------------------------------------------------------

# kind → the template and the notice after a submission
_FORMS = {
    "opening_request": ("services/request_form.html", "开放需求已提交"),
    "error_report": ("services/feedback_form.html", "纠错已提交"),
    "rights_objection": ("services/feedback_form.html", "权益异议已提交"),
    "suggestion": ("services/feedback_form.html", "意见建议已提交"),
}


def _payload() -> dict[str, Any]:
    """The form as the request objects read it (an empty field reads as a missing one), with
    the contact details as one object."""
    values = {k: v for k, v in _form_values().items() if not k.startswith("contact_")}
    return {**values, "contact": _contact()}


def _submitted(kind: str, result: dict[str, Any]) -> ResponseReturnValue:
    notice = _FORMS[kind][1]
    if kind == "rights_objection":
        notice += (
            "，该数据集已暂停开放"
            if result["status"] == "suspended"
            else "，提供部门将决定是否暂停开放该数据集"
        )
    flash(
        f"{notice}。受理编号 {result['reference']}，受理日期 {result['received_on']}，"
        f"答复期限 {_due_text(result)}。",
        "notice",
    )
    _remember(result["id"], result["reference"], result["access_code"])
    session[_RECEIPT] = result["id"]
    return redirect(_url(kind, result["id"]), 303)


def _address(rt: Runtime, actor: Actor, field: str) -> str:
    """The address typed in the form, else (signed in, fields left empty) the account's own."""
    typed = request.form.get(f"contact_{field}", "").strip()
    return typed or str(Lookup(rt, actor).account_contact().get(field) or "")


def _send_code(rt: Runtime, actor: Actor, channel: str) -> ValidationError | Conflict | None:
    """Send a verification code to the e-mail address or phone typed in the form; the refusal,
    with the problem on that contact field, or None (and a notice) when it is on its way."""
    field = "email" if channel == "email" else "phone"
    try:
        code_request = verification.CodeRequest.parse(
            {"channel": field, "address": _address(rt, actor, field)}
        )
        sent = verification.send_code(rt, code_request)
    except ValidationError as exc:
        problems = exc.errors.pop("address", None)
        if problems:
            exc.errors[f"contact.{field}"] = problems
        exc.errors.pop("channel", None)
        return exc
    except Conflict as exc:
        return exc
    flash(f"{sent['message']}。请在下方“验证码”中填写后提交。", "notice")
    return None


def submission_form(kind: str) -> ResponseReturnValue:
    rt, actor = _rt_actor()
    form = PROCESSES[kind].submit
    assert form is not None  # only processes with a submission have a form
    dataset = request.values.get("dataset") or None
    values: dict[str, str] = {"dataset": dataset or ""}
    error: ValidationError | Conflict | None = None
    channel = request.form.get("send_code", "")
    if request.method == "POST" and channel:  # 发送验证码: the form comes back with a notice
        values = {k: v for k, v in _form_values().items() if k != "send_code"}
        error = _send_code(rt, actor, channel)
    elif request.method == "POST":
        values = _form_values()
        try:
            result = form.service(rt, actor, form.input.parse(_payload(), Lookup(rt, actor)))
        except (ValidationError, Conflict) as exc:
            error = exc
        else:
            return _submitted(kind, result)
    html = render_template(
        _FORMS[kind][0],
        kind=kind,
        label=PROCESSES[kind].machine.label,
        form=form_context(rt, actor, kind, dataset=dataset),
        values=values,
        error=error,
        errors=_field_errors(error),
    )
    return html, form_status(error) if error else 200


for _kind, _process in PROCESSES.items():
    if _process.submit is not None:
        bp.add_url_rule(
            f"/services/{_process.slug}/new",
            f"{_kind}_form",
            submission_form,
            methods=["GET", "POST"],
            defaults={"kind": _kind},
        )


# -- a case's page and its steps -------------------------------------------------------------------

_TEMPLATES = {
    "opening_request": "services/request_case.html",
    "assessment": "services/request_case.html",
    "error_report": "services/feedback_case.html",
    "rights_objection": "services/feedback_case.html",
    "suggestion": "services/feedback_case.html",
    "review": "services/request_case.html",
}


def _case_page(
    kind: str, case_id: str, *, error: ValidationError | Conflict | None = None
) -> ResponseReturnValue:
    """The case for a participant (with the forms of the steps its machine allows them now) or
    for the holder of its code."""
    rt, actor = _rt_actor()
    held = _remembered(case_id)
    code = held["code"] if held else None
    case = view_case(rt, actor, case_id, kind, code=code)
    fresh = held is not None and session.get(_RECEIPT) == case["id"]
    if fresh:
        session.pop(_RECEIPT)
    html = render_template(
        _TEMPLATES[kind],
        case=case,
        code=code if fresh else None,
        choices=reply_choices(),
        error=error,
        errors=_field_errors(error),
        values=_form_values() if error else {},
    )
    return html, form_status(error) if error else 200


def _requester_step(kind: str, case_id: str, step: str) -> ResponseReturnValue:
    """A step the requester takes who may hold only the code this browser remembers (an
    objection to the answer): it files a new case, and the page of the request shows it."""
    rt, actor = _rt_actor()
    transition, form = PROCESSES[kind].step(step)
    held = _remembered(case_id)
    code = held["code"] if held else None
    try:
        REQUESTER_STEPS[(kind, transition.name)](rt, actor, case_id, code)  # before the form
        parsed = form.input.parse(_payload(), Lookup(rt, actor))
        result = form.service(rt, actor, case_id, parsed, code=code)
    except (ValidationError, Conflict) as exc:
        return _case_page(kind, case_id, error=exc)
    flash(
        f"复核申请已提交。受理编号 {result['reference']}，{rt.settings.supervisor_name}将于 "
        f"{_due_text(result)} 前作出复核决定，结果将在本页显示。",
        "notice",
    )
    return redirect(_url(kind, case_id), 303)


def _step(kind: str, case_id: str, step: str) -> ResponseReturnValue:
    rt, actor = _rt_actor()
    transition, form = PROCESSES[kind].step(step)
    if (kind, transition.name) in REQUESTER_STEPS:
        return _requester_step(kind, case_id, step)
    try:
        admit_step(rt, actor, case_id, kind, transition.name)  # before the form is read
        parsed = form.input.parse(_payload(), Lookup(rt, actor))
        result = form.service(rt, actor, case_id, parsed)
    except (ValidationError, Conflict) as exc:
        return _case_page(kind, case_id, error=exc)
    flash(f"已办理：{result['status_label']}。", "notice")
    return redirect(_url(kind, result["id"]), 303)


# the kinds served here, by the slug of their pages (notices.case_link makes the same paths)
_SLUGS = ", ".join(f"'{p.slug}'" for p in PROCESSES.values())


@bp.get(f"/services/<any({_SLUGS}):slug>/<case_id>")
def case_page(slug: str, case_id: str) -> ResponseReturnValue:
    return _case_page(slug.replace("-", "_"), case_id)


@bp.post(f"/services/<any({_SLUGS}):slug>/<case_id>/<step>")
def case_step(slug: str, case_id: str, step: str) -> ResponseReturnValue:
    return _step(slug.replace("-", "_"), case_id, step)
