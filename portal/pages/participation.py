"""The HTML side of requests to open data, opening assessments, error reports, rights-holder
objections and suggestions, and the /services page listing the public services.

Each form calls the same service as the JSON API (``datasets.workflows.opening`` and
``feedback``). A case's page opens only to its participants (the signed-in requester, the
department's reviewers, who find their reply form there, the bureau, the operators) and to whoever
holds its access code (查询码); everyone else gets the same 404 as for a reference that does not
exist. What the public sees of a case is its record at /transparency.

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

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from datasets.errors import Conflict, NotFound, ValidationError
from datasets.workflows import case_access, feedback, opening
from datasets.workflows.machine import MACHINES
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import form_status, no_store
from portal.extensions import limiter

bp = Blueprint("participation", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


bp.after_request(no_store)  # one person's matters and contact details


def _rt_actor():  # type: ignore[no-untyped-def]
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
def index():  # type: ignore[no-untyped-def]
    return render_template(
        "services/request_services.html",
        services=opening.public_services(get_runtime()),
        reference=request.args.get("reference", "")[:40],
    )


@bp.route("/services/lookup", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def lookup():  # type: ignore[no-untyped-def]
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
def forget():  # type: ignore[no-untyped-def]
    """Leave the cases opened with their codes on this browser (a shared computer)."""
    session.pop(_CODES, None)
    session.pop(_RECEIPT, None)
    flash("已退出查看。再次查看时，请输入受理编号和查询码。", "notice")
    return redirect(url_for("participation.index"), 303)


# -- the submission forms --------------------------------------------------------------------------

# kind → (service, the payload from the form, the template, the notice after it)
_FORMS: dict[str, tuple[Callable[..., dict], Callable[[], dict], str, str]] = {
    "opening_request": (
        opening.submit_request,
        lambda: {
            "dataset": request.form.get("dataset") or None,
            "department": request.form.get("department") or None,
            "title": request.form.get("title", ""),
            "description": request.form.get("description", ""),
            "reason": request.form.get("reason", ""),
            "contact": _contact(),
        },
        "services/request_form.html",
        "开放需求已提交",
    ),
    "error_report": (
        feedback.submit_error_report,
        lambda: {
            "dataset": request.form.get("dataset") or None,
            "location": request.form.get("location", ""),
            "description": request.form.get("description", ""),
            "contact": _contact(),
        },
        "services/feedback_form.html",
        "纠错已提交",
    ),
    "rights_objection": (
        feedback.submit_rights_objection,
        lambda: {
            "dataset": request.form.get("dataset") or None,
            "claim": request.form.get("claim", ""),
            "rights_basis": request.form.get("rights_basis", ""),
            "contact": _contact(),
        },
        "services/feedback_form.html",
        "权益异议已提交，该数据集已暂停开放",
    ),
    "suggestion": (
        feedback.submit_suggestion,
        lambda: {
            "dataset": request.form.get("dataset") or None,
            "department": request.form.get("department") or None,
            "content": request.form.get("content", ""),
            "contact": _contact(),
        },
        "services/feedback_form.html",
        "意见建议已提交",
    ),
}


def _form(kind: str):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    service, payload, template, notice = _FORMS[kind]
    dataset = request.values.get("dataset") or None
    values: dict[str, str] = {"dataset": dataset or ""}
    error: ValidationError | Conflict | None = None
    if request.method == "POST":
        values = _form_values()
        try:
            result = service(rt, actor, payload())
        except (ValidationError, Conflict) as exc:
            error = exc
        else:
            flash(
                f"{notice}。受理编号 {result['reference']}，受理日期 {result['received_on']}，"
                f"答复期限 {_due_text(result)}。",
                "notice",
            )
            _remember(result["id"], result["reference"], result["access_code"])
            session[_RECEIPT] = result["id"]
            return redirect(_url(kind, result["id"]), 303)
    html = render_template(
        template,
        kind=kind,
        label=MACHINES[kind].label,
        form=opening.form_context(rt, actor, dataset=dataset),
        values=values,
        error=error,
        errors=_field_errors(error),
        settings=rt.settings,
    )
    return html, form_status(error) if error else 200


@bp.route("/services/opening-request/new", methods=["GET", "POST"])
def opening_request_form():  # type: ignore[no-untyped-def]
    return _form("opening_request")


@bp.route("/services/error-report/new", methods=["GET", "POST"])
def error_report_form():  # type: ignore[no-untyped-def]
    return _form("error_report")


@bp.route("/services/rights-objection/new", methods=["GET", "POST"])
def rights_objection_form():  # type: ignore[no-untyped-def]
    return _form("rights_objection")


@bp.route("/services/suggestion/new", methods=["GET", "POST"])
def suggestion_form():  # type: ignore[no-untyped-def]
    return _form("suggestion")


# -- a case's page and the department's step -------------------------------------------------------

# kind → (the department's step in the URL, its service, the payload from the form)
_STEPS: dict[str, tuple[str, Callable[..., dict], Callable[[], dict]]] = {
    "opening_request": (
        "reply",
        opening.reply_request,
        lambda: {
            "category": request.form.get("category") or None,
            "reply": request.form.get("reply", ""),
            "open_dataset": request.form.get("open_dataset") or None,
            "open_by": request.form.get("open_by") or None,
            "apply_dataset": request.form.get("apply_dataset") or None,
            "rule_code": request.form.get("rule_code") or None,
            "responsible_department": request.form.get("responsible_department") or None,
        },
    ),
    "assessment": (
        "complete",
        opening.complete_assessment,
        lambda: {
            "conclusion": request.form.get("conclusion") or None,
            "reply": request.form.get("reply", ""),
        },
    ),
    "error_report": (
        "reply",
        feedback.reply_error_report,
        lambda: {
            "corrected": request.form.get("corrected") or None,
            "reply": request.form.get("reply", ""),
        },
    ),
    "rights_objection": (
        "decision",
        feedback.decide_rights_objection,
        lambda: {
            "decision": request.form.get("decision") or None,
            "reply": request.form.get("reply", ""),
        },
    ),
    "suggestion": (
        "reply",
        feedback.reply_suggestion,
        lambda: {"reply": request.form.get("reply", "")},
    ),
}
_TEMPLATES = {
    "opening_request": "services/request_case.html",
    "assessment": "services/request_case.html",
    "error_report": "services/feedback_case.html",
    "rights_objection": "services/feedback_case.html",
    "suggestion": "services/feedback_case.html",
}


def _case_page(kind: str, case_id: str, *, error: ValidationError | Conflict | None = None):  # type: ignore[no-untyped-def]
    rt, actor = _rt_actor()
    held = _remembered(case_id)
    case = opening.view_case(rt, actor, case_id, kind, code=held["code"] if held else None)
    fresh = held is not None and session.get(_RECEIPT) == case["id"]
    if fresh:
        session.pop(_RECEIPT)
    html = render_template(
        _TEMPLATES[kind],
        case=case,
        code=held["code"] if fresh else None,
        step=_STEPS[kind][0],
        choices=feedback.reply_choices(),
        error=error,
        errors=_field_errors(error),
        values=_form_values() if error else {},
    )
    return html, form_status(error) if error else 200


def _step(kind: str, case_id: str, step: str):  # type: ignore[no-untyped-def]
    name, service, payload = _STEPS[kind]
    if step != name:
        raise NotFound(f"未知的操作 {step}")
    rt, actor = _rt_actor()
    try:
        result = service(rt, actor, case_id, payload())
    except (ValidationError, Conflict) as exc:
        return _case_page(kind, case_id, error=exc)
    flash(f"已办理：{result['status_label']}。", "notice")
    return redirect(_url(kind, result["id"]), 303)


# the kinds served here, by the slug of their pages (notices.case_link makes the same paths)
_SLUGS = ", ".join(
    f"'{slug}'"
    for slug in ("opening-request", "assessment", "error-report", "rights-objection", "suggestion")
)


@bp.get(f"/services/<any({_SLUGS}):slug>/<case_id>")
def case_page(slug: str, case_id: str):  # type: ignore[no-untyped-def]
    return _case_page(slug.replace("-", "_"), case_id)


@bp.post(f"/services/<any({_SLUGS}):slug>/<case_id>/<step>")
def case_step(slug: str, case_id: str, step: str):  # type: ignore[no-untyped-def]
    return _step(slug.replace("-", "_"), case_id, step)
