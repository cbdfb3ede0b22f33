"""/api/v1 routes of requests to open data, opening assessments, error reports, rights-holder
objections and suggestions (the services are in ``datasets.workflows.requests`` and
``datasets.workflows.feedback``).

Submissions are open to anyone, with or without an API key or a session: an API call that
carries no credentials at all is not subject to the CSRF check (``portal.auth.load_actor``), as
there is no account a forged request could borrow.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from datasets.workflows import feedback, requests

from .api_v1 import bp, created, payload, service
from .openapi import EXTRA_PATHS, KEY, OPTIONAL_KEY, answers, json_body, operation, path_id

# -- requests to open data (开放需求) and opening assessments (开放评估) -------------------------


@bp.post("/opening-requests")
def opening_request_submit():  # type: ignore[no-untyped-def]
    return created(service(requests.submit_request)(payload()))


@bp.get("/opening-requests/<request_id>")
def opening_request_show(request_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(requests.get_request)(request_id))


@bp.post("/opening-requests/<request_id>/reply")
def opening_request_reply(request_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(requests.reply_request)(request_id, payload()))


@bp.get("/assessments/<assessment_id>")
def assessment_show(assessment_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(requests.get_assessment)(assessment_id))


@bp.post("/assessments/<assessment_id>/complete")
def assessment_complete(assessment_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(requests.complete_assessment)(assessment_id, payload()))


# -- error reports (纠错) --------------------------------------------------------------------------


@bp.post("/error-reports")
def error_report_submit():  # type: ignore[no-untyped-def]
    return created(service(feedback.submit_error_report)(payload()))


@bp.get("/error-reports/<report_id>")
def error_report_show(report_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.get_error_report)(report_id))


@bp.post("/error-reports/<report_id>/reply")
def error_report_reply(report_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.reply_error_report)(report_id, payload()))


# -- rights-holder objections (权益异议) ----------------------------------------------------------


@bp.post("/rights-objections")
def rights_objection_submit():  # type: ignore[no-untyped-def]
    return created(service(feedback.submit_rights_objection)(payload()))


@bp.get("/rights-objections/<objection_id>")
def rights_objection_show(objection_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.get_rights_objection)(objection_id))


@bp.post("/rights-objections/<objection_id>/decision")
def rights_objection_decide(objection_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.decide_rights_objection)(objection_id, payload()))


# -- suggestions (意见建议) -----------------------------------------------------------------------


@bp.post("/suggestions")
def suggestion_submit():  # type: ignore[no-untyped-def]
    return created(service(feedback.submit_suggestion)(payload()))


@bp.get("/suggestions/<suggestion_id>")
def suggestion_show(suggestion_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.get_suggestion)(suggestion_id))


@bp.post("/suggestions/<suggestion_id>/reply")
def suggestion_reply(suggestion_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.reply_suggestion)(suggestion_id, payload()))


# -- the OpenAPI document (portal/openapi.py collects these paths) ---------------------------------


def _contact(required: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "How to reach the requester: never public. "
        + (
            "Required (a signed-in caller may leave it out: the account's details are used)."
            if required
            else "Optional."
        ),
        "properties": {
            "name": {"type": "string", "maxLength": 100},
            "phone": {"type": "string", "description": "手机号或带区号的固定电话"},
            "email": {"type": "string", "format": "email"},
        },
    }


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def text_field(description: str, limit: int = 4000) -> dict[str, Any]:
    return {"type": "string", "description": description, "maxLength": limit}


def _paths() -> dict[str, Any]:
    """The routes of this module, for /api/v1/openapi.json."""
    views = (
        "the requester and the department see everything, anyone else the public view "
        "(no contact details, no requester)"
    )
    submit = answers("Case", "Created: id, reference, status, received_on, due_on", 400)
    step = answers("Case", "The case after the step", 400, 401, 403, 404, 409)
    show = answers("Case", "The case", 404)

    def show_op(what: str, tag: str, param: list[dict[str, Any]]) -> dict[str, Any]:
        return operation(
            f"One {what} by id or reference number: {views}",
            tag=tag,
            params=param,
            answer=show,
            security=OPTIONAL_KEY,
        )

    req, ass = [path_id("request_id", "Request")], [path_id("assessment_id", "Assessment")]
    rep, obj = [path_id("report_id", "Error report")], [path_id("objection_id", "Rights objection")]
    sug = [path_id("suggestion_id", "Suggestion")]
    rules = list(requests.REFUSAL_RULES)
    return {
        "/api/v1/opening-requests": {
            "post": operation(
                "Ask a department to open a closed or conditional dataset (`dataset`) or data "
                "not in the catalog (`department` + `title`); login optional, contact required. "
                "The answer carries `assessment` when this request opened a mandatory "
                "opening assessment",
                tag="开放需求",
                body=json_body(
                    _object(
                        ["contact"],
                        dataset=text_field("Name or id of a closed or conditional dataset", 200),
                        department=text_field("organization.name of the department", 100),
                        title=text_field("The data wanted (when not in the catalog)", 200),
                        description=text_field("用途"),
                        reason=text_field("Why it should be opened"),
                        contact=_contact(True),
                    )
                ),
                answer=submit,
                security=OPTIONAL_KEY,
            )
        },
        "/api/v1/opening-requests/{request_id}": {"get": show_op("request", "开放需求", req)},
        "/api/v1/opening-requests/{request_id}/reply": {
            "post": operation(
                "The department answers (public reply): `already_open` needs `open_dataset`, "
                "`will_open` needs `open_by` (today or later), `apply` may name "
                "`apply_dataset`, `refused` needs `rule_code`, `not_ours` may name "
                "`responsible_department`",
                tag="开放需求",
                params=req,
                body=json_body(
                    _object(
                        ["category", "reply"],
                        category={"enum": list(requests.CATEGORIES)},
                        reply=text_field("The public reply"),
                        open_dataset={"type": "string"},
                        open_by={"type": "string", "format": "date"},
                        apply_dataset={"type": "string"},
                        rule_code={"enum": rules},
                        responsible_department={"type": "string"},
                    )
                ),
                answer=step,
                security=KEY,
            )
        },
        "/api/v1/assessments/{assessment_id}": {"get": show_op("assessment", "开放评估", ass)},
        "/api/v1/assessments/{assessment_id}/complete": {
            "post": operation(
                "The department completes a mandatory opening assessment",
                tag="开放评估",
                params=ass,
                body=json_body(
                    _object(
                        ["conclusion", "reply"],
                        conclusion={"enum": list(requests.CONCLUSIONS)},
                        reply=text_field("The public conclusion"),
                    )
                ),
                answer=step,
                security=KEY,
            )
        },
        "/api/v1/error-reports": {
            "post": operation(
                "Report an error in a dataset (anyone; contact optional)",
                tag="纠错",
                body=json_body(
                    _object(
                        ["dataset", "description"],
                        dataset=text_field("Name or id of the dataset", 200),
                        location=text_field("Where: file, row, field", 200),
                        description=text_field("What is wrong"),
                        contact=_contact(False),
                    )
                ),
                answer=submit,
                security=OPTIONAL_KEY,
            )
        },
        "/api/v1/error-reports/{report_id}": {"get": show_op("error report", "纠错", rep)},
        "/api/v1/error-reports/{report_id}/reply": {
            "post": operation(
                "The department answers, saying whether it corrected the data",
                tag="纠错",
                params=rep,
                body=json_body(
                    _object(
                        ["reply", "corrected"],
                        reply=text_field("The public reply"),
                        corrected={"type": "boolean"},
                    )
                ),
                answer=step,
                security=KEY,
            )
        },
        "/api/v1/rights-objections": {
            "post": operation(
                "A rights holder objects to a published dataset: public access (downloads, "
                "previews, grant downloads) is suspended at once",
                tag="权益异议",
                body=json_body(
                    _object(
                        ["dataset", "claim", "rights_basis", "contact"],
                        dataset=text_field("Name or id of an open or conditional dataset", 200),
                        claim=text_field("The right harmed and why"),
                        rights_basis=text_field("Why the objector holds the right"),
                        contact=_contact(True),
                    )
                ),
                answer=submit,
                security=OPTIONAL_KEY,
            )
        },
        "/api/v1/rights-objections/{objection_id}": {
            "get": show_op("rights objection", "权益异议", obj)
        },
        "/api/v1/rights-objections/{objection_id}/decision": {
            "post": operation(
                "The department decides: `withdraw` (the dataset becomes 不予开放 under "
                "privacy-trade-secret with the reply as basis), `restore`, or "
                "`restore_after_processing`; the suspension ends unless another objection to "
                "the dataset is open",
                tag="权益异议",
                params=obj,
                body=json_body(
                    _object(
                        ["decision", "reply"],
                        decision={"enum": list(feedback.RIGHTS_DECISIONS)},
                        reply=text_field("The public decision and what was done"),
                    )
                ),
                answer=step,
                security=KEY,
            )
        },
        "/api/v1/suggestions": {
            "post": operation(
                "Make a suggestion to a department (or a dataset's department); anyone",
                tag="意见建议",
                body=json_body(
                    _object(
                        ["content"],
                        department=text_field("organization.name", 100),
                        dataset=text_field("Name or id of a dataset", 200),
                        content=text_field("The suggestion"),
                        contact=_contact(False),
                    )
                ),
                answer=submit,
                security=OPTIONAL_KEY,
            )
        },
        "/api/v1/suggestions/{suggestion_id}": {"get": show_op("suggestion", "意见建议", sug)},
        "/api/v1/suggestions/{suggestion_id}/reply": {
            "post": operation(
                "The department replies (public)",
                tag="意见建议",
                params=sug,
                body=json_body(_object(["reply"], reply=text_field("The public reply"))),
                answer=step,
                security=KEY,
            )
        },
    }


EXTRA_PATHS.append(_paths)
