"""/api/v1 routes of requests to open data, opening assessments, error reports, rights-holder
objections and suggestions, made from the table of processes
(``datasets.workflows.participation``): ``POST /<plural>`` submits, ``GET /<plural>/<id>`` shows
and ``POST /<plural>/<id>/<step>`` takes one step of the case's machine.

Submissions are open to anyone, with or without an API key or a session: an API call that
carries no credentials at all is not subject to the CSRF check (``portal.auth.load_actor``), as
there is no account a forged request could borrow. The answer (201) carries the case's access
code (``access_code``), given this once. A case is read by its participants (with their key or
session) or with its code in the ``X-Access-Code`` header — a header, so that the code stays out
of URLs and access logs; anyone else gets 404, the same as for a case that does not exist. A step
is checked (401, 404, 403, 409) before its body is read (400). Answers about a case are never
cached.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from datasets.workflows.inputs.fields import schema
from datasets.workflows.inputs.lookup import Lookup
from datasets.workflows.participation import PROCESSES, REQUESTER_STEPS, Process
from datasets.workflows.public_cases import admit_step
from portal.api.openapi import (
    EXTRA_PATHS,
    KEY,
    OPTIONAL_KEY,
    answers,
    json_body,
    operation,
    path_param,
)
from portal.api.v1 import bp, payload
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import no_store

CODE_HEADER = "X-Access-Code"


def submit(kind: str) -> tuple[Response, int]:
    """201 with the new case and its access code, never cached."""
    rt, actor = get_runtime(), current_actor()
    form = PROCESSES[kind].submit
    assert form is not None  # only processes with a submission get this route
    parsed = form.input.parse(payload(schema(form.input)), Lookup(rt, actor))
    return no_store(jsonify(form.service(rt, actor, parsed))), 201


def show(kind: str, case_id: str) -> Response:
    """One case for a participant or the holder of the code in the ``X-Access-Code`` header."""
    code = request.headers.get(CODE_HEADER) or None
    view = PROCESSES[kind].view
    return no_store(jsonify(view(get_runtime(), current_actor(), case_id, code=code)))


def take_step(kind: str, case_id: str, step: str) -> Response | tuple[Response, int]:
    rt, actor = get_runtime(), current_actor()
    transition, form = PROCESSES[kind].step(step)
    by_requester = REQUESTER_STEPS.get((kind, transition.name))
    if by_requester is not None:  # the requester may hold only the code: 201 with the new case
        code = request.headers.get(CODE_HEADER) or None
        by_requester(rt, actor, case_id, code)  # before the body is read
        parsed = form.input.parse(payload(schema(form.input)), Lookup(rt, actor))
        return no_store(jsonify(form.service(rt, actor, case_id, parsed, code=code))), 201
    admit_step(rt, actor, case_id, kind, transition.name)  # before the body is read
    parsed = form.input.parse(payload(schema(form.input)), Lookup(rt, actor))
    return jsonify(form.service(rt, actor, case_id, parsed))


def _register() -> None:
    for kind, process in PROCESSES.items():
        base = f"/{process.plural}"
        if process.submit is not None:
            bp.add_url_rule(
                base, f"{kind}_submit", submit, methods=["POST"], defaults={"kind": kind}
            )
        bp.add_url_rule(f"{base}/<case_id>", f"{kind}_show", show, defaults={"kind": kind})
        for transition, _ in process.url_steps():
            bp.add_url_rule(
                f"{base}/<case_id>/{transition.step}",
                f"{kind}_{transition.name}",
                take_step,
                methods=["POST"],
                defaults={"kind": kind, "step": transition.step},
            )


_register()


# -- the OpenAPI document (portal/openapi.py collects these paths) ---------------------------------

CASE_ID = path_param("case_id", "事项的 id 或受理编号")
CODE = {
    "name": CODE_HEADER,
    "in": "header",
    "required": False,
    "description": "事项的查询码（提交时给出）",
    "schema": {"type": "string", "maxLength": 100, "examples": ["7K2M-Q9XD-4HNP-B0TR-WZ35"]},
}
SHOWN = (
    "按 id 或受理编号查看一个事项：事项参与人（已登录的提出人、数据提供部门的审核人员、"
    "主管部门、平台运维人员）可查看，或在 `X-Access-Code` 请求头中提供查询码；其他人调用时答复 "
    "404，与事项不存在时相同。已办结事项的公开记录见 GET /api/v1/transparency/decisions"
)
SUBMITTED = answers(
    "Case",
    "已受理：id、reference、status、received_on、due_on 和 `access_code`"
    "（查询码，不登录也可凭它查看事项；只在本答复中给出一次，请妥善保存）",
    400,
    429,
    created=True,
)


def _process_paths(process: Process) -> dict[str, Any]:
    tag, base = process.machine.label, f"/api/v1/{process.plural}"
    paths: dict[str, Any] = {}
    if process.submit is not None:
        body = json_body(schema(process.submit.input))
        paths[base] = {
            "post": operation(
                process.submit.input.api_summary,
                tag=tag,
                body=body,
                answer=SUBMITTED,
                security=OPTIONAL_KEY,
            )
        }
    shown = answers("Case", "事项详情", 404)
    paths[f"{base}/{{case_id}}"] = {
        "get": operation(
            SHOWN, tag=tag, params=[CASE_ID, CODE], answer=shown, security=OPTIONAL_KEY
        )
    }
    for transition, form in process.url_steps():
        by_requester = (process.kind, transition.name) in REQUESTER_STEPS
        paths[f"{base}/{{case_id}}/{transition.step}"] = {
            "post": operation(
                f"{transition.label}：{form.input.api_summary}",
                tag=tag,
                params=[CASE_ID, CODE] if by_requester else [CASE_ID],
                body=json_body(schema(form.input)),
                answer=answers(
                    "Objection", "已受理的复核申请", 400, 401, 403, 404, 409, created=True
                )
                if by_requester
                else answers("Case", "办理后的事项", 400, 401, 403, 404, 409),
                security=OPTIONAL_KEY if by_requester else KEY,
            )
        }
    return paths


def _paths() -> dict[str, Any]:
    """The routes of this module, for /api/v1/openapi.json."""
    return {path: ops for p in PROCESSES.values() for path, ops in _process_paths(p).items()}


EXTRA_PATHS.append(_paths)
