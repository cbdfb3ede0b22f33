"""/api/v1 routes of requests to open data, opening assessments, error reports, rights-holder
objections and suggestions (the services are in ``datasets.workflows.opening`` and
``datasets.workflows.feedback``).

Submissions are open to anyone, with or without an API key or a session: an API call that
carries no credentials at all is not subject to the CSRF check (``portal.auth.load_actor``), as
there is no account a forged request could borrow. The answer (201) carries the case's access
code (``access_code``), given this once. A case is read by its participants (with their key or
session) or with its code in the ``X-Access-Code`` header — a header, so that the code stays out
of URLs and access logs; anyone else gets 404, the same as for a case that does not exist.
Answers about a case are never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

from datasets.workflows import feedback, opening
from portal.api.openapi import (
    EXTRA_PATHS,
    KEY,
    OPTIONAL_KEY,
    answers,
    json_body,
    operation,
    path_id,
)
from portal.api.v1 import bp, payload, service
from portal.errors import no_store

CODE_HEADER = "X-Access-Code"


def _submitted(func: Callable[..., dict[str, Any]]) -> tuple[Response, int]:
    """201 with the new case and its access code, never cached."""
    return no_store(jsonify(service(func)(payload()))), 201


def _shown(func: Callable[..., dict[str, Any]], case_id: str) -> Response:
    """One case for a participant or the holder of the code in the ``X-Access-Code`` header."""
    code = request.headers.get(CODE_HEADER) or None
    return no_store(jsonify(service(func)(case_id, code=code)))


# -- requests to open data (开放需求) and opening assessments (开放评估) -------------------------


@bp.post("/opening-requests")
def opening_request_submit():  # type: ignore[no-untyped-def]
    return _submitted(opening.submit_request)


@bp.get("/opening-requests/<request_id>")
def opening_request_show(request_id: str):  # type: ignore[no-untyped-def]
    return _shown(opening.get_request, request_id)


@bp.post("/opening-requests/<request_id>/reply")
def opening_request_reply(request_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(opening.reply_request)(request_id, payload()))


@bp.get("/assessments/<assessment_id>")
def assessment_show(assessment_id: str):  # type: ignore[no-untyped-def]
    return _shown(opening.get_assessment, assessment_id)


@bp.post("/assessments/<assessment_id>/complete")
def assessment_complete(assessment_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(opening.complete_assessment)(assessment_id, payload()))


# -- error reports (纠错) --------------------------------------------------------------------------


@bp.post("/error-reports")
def error_report_submit():  # type: ignore[no-untyped-def]
    return _submitted(feedback.submit_error_report)


@bp.get("/error-reports/<report_id>")
def error_report_show(report_id: str):  # type: ignore[no-untyped-def]
    return _shown(feedback.get_error_report, report_id)


@bp.post("/error-reports/<report_id>/reply")
def error_report_reply(report_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.reply_error_report)(report_id, payload()))


# -- rights-holder objections (权益异议) ----------------------------------------------------------


@bp.post("/rights-objections")
def rights_objection_submit():  # type: ignore[no-untyped-def]
    return _submitted(feedback.submit_rights_objection)


@bp.get("/rights-objections/<objection_id>")
def rights_objection_show(objection_id: str):  # type: ignore[no-untyped-def]
    return _shown(feedback.get_rights_objection, objection_id)


@bp.post("/rights-objections/<objection_id>/decision")
def rights_objection_decide(objection_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(feedback.decide_rights_objection)(objection_id, payload()))


# -- suggestions (意见建议) -----------------------------------------------------------------------


@bp.post("/suggestions")
def suggestion_submit():  # type: ignore[no-untyped-def]
    return _submitted(feedback.submit_suggestion)


@bp.get("/suggestions/<suggestion_id>")
def suggestion_show(suggestion_id: str):  # type: ignore[no-untyped-def]
    return _shown(feedback.get_suggestion, suggestion_id)


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
        "for its participants (the signed-in requester, the department's reviewers, the "
        "bureau, the operators) or with its access code in the `X-Access-Code` header; 404 "
        "for anyone else, the same as for an unknown id. The public record of a decided case "
        "is in GET /api/v1/transparency/decisions"
    )
    submit = answers(
        "Case",
        "Created: id, reference, status, received_on, due_on and `access_code`, the code that "
        "opens the case without an account (given only in this answer; keep it)",
        400,
    )
    step = answers("Case", "The case after the step", 400, 401, 403, 404, 409)
    show = answers("Case", "The case", 404)
    code = {
        "name": CODE_HEADER,
        "in": "header",
        "required": False,
        "description": "The case's access code (查询码), as given when it was submitted",
        "schema": {"type": "string", "examples": ["7K2M-Q9XD-4HNP-B0TR-WZ35"]},
    }

    def show_op(what: str, tag: str, param: list[dict[str, Any]]) -> dict[str, Any]:
        return operation(
            f"One {what} by id or reference number, {views}",
            tag=tag,
            params=[*param, code],
            answer=show,
            security=OPTIONAL_KEY,
        )

    req, ass = [path_id("request_id", "Request")], [path_id("assessment_id", "Assessment")]
    rep, obj = [path_id("report_id", "Error report")], [path_id("objection_id", "Rights objection")]
    sug = [path_id("suggestion_id", "Suggestion")]
    rules = list(opening.REFUSAL_RULES)
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
                        category={"enum": list(opening.CATEGORIES)},
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
        "/api/v1/assessments/{assessment_id}": {
            "get": show_op(
                "assessment (opened by the portal: it has no access code)", "开放评估", ass
            )
        },
        "/api/v1/assessments/{assessment_id}/complete": {
            "post": operation(
                "The department completes a mandatory opening assessment",
                tag="开放评估",
                params=ass,
                body=json_body(
                    _object(
                        ["conclusion", "reply"],
                        conclusion={"enum": list(opening.CONCLUSIONS)},
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
