"""/api/v1 routes of verified contacts: send a code to an e-mail address or phone
(``POST /contact-verifications``), and prove the signed-in account's own address with one
(``GET`` / ``POST /account/contact-verification``). A request to open data or a rights-holder
objection carries its code in ``verification_code`` (``datasets.accounts.verification``).

The answer never carries the code; the address is shown masked. Besides the per-address limit
of the service (``VERIFICATION_CODES_PER_HOUR``, 429), each client may ask for a few codes a
minute (``KAIFANG_RATELIMIT_VERIFICATION``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from datasets.accounts import verification
from datasets.errors import LoginRequired
from portal.api.openapi import EXTRA_PATHS, KEY, OPTIONAL_KEY, answers, json_body, operation
from portal.api.v1 import bp, payload
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter


def codes_limit() -> str:
    """Codes a client may ask for or try (``KAIFANG_RATELIMIT_VERIFICATION``)."""
    return get_runtime().settings.ratelimit_verification


@bp.post("/contact-verifications")
@limiter.limit(codes_limit)
def contact_verification_send() -> tuple[Response, int]:
    """202: the code is on its way (never in the answer)."""
    request_ = verification.CodeRequest.parse(payload(SEND_BODY))
    return no_store(jsonify(verification.send_code(get_runtime(), request_))), 202


@bp.get("/account/contact-verification")
def account_verification_show() -> Response:
    actor = current_actor()
    if actor.is_anonymous:
        raise LoginRequired("请先登录")
    return no_store(jsonify(verification.account_status(get_runtime(), actor)))


@bp.post("/account/contact-verification")
@limiter.limit(codes_limit)
def account_verification_confirm() -> Response:
    actor = current_actor()
    if actor.is_anonymous:  # who is asking before what is asked
        raise LoginRequired("请先登录")
    given = payload(CONFIRM_BODY).get("code") or ""
    return no_store(jsonify(verification.confirm_account(get_runtime(), actor, given)))


# -- the OpenAPI document -------------------------------------------------------------------------

TAG = "联系方式验证"
SEND_BODY = {
    "type": "object",
    "required": ["channel", "address"],
    "properties": {
        "channel": {"enum": list(verification.CHANNELS), "description": "email 或 phone"},
        "address": {
            "type": "string",
            "maxLength": 254,
            "description": "接收验证码的电子邮箱或 11 位手机号码",
        },
    },
}
CONFIRM_BODY = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string", "maxLength": 20, "description": "收到的验证码"}},
}
SENT = {
    "type": "object",
    "properties": {
        "channel": {"type": "string"},
        "sent_to": {"type": "string", "description": "打码后的地址，例如 z***@example.com"},
        "expires_at": {"type": "string", "format": "date-time"},
        "minutes": {"type": "integer"},
        "message": {"type": "string"},
    },
}
STATUS = {
    "type": "object",
    "properties": {
        "verified": {"type": "boolean"},
        "channel": {"type": ["string", "null"], "description": "email 或 phone"},
    },
}


def _ok(description: str, schema: dict[str, Any], status: str, *errors: int) -> dict[str, Any]:
    out = {k: v for k, v in answers(None, "", *errors).items() if k != "200"}
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}},
        **out,
    }


def _paths() -> dict[str, Any]:
    send = operation(
        "向电子邮箱（或已配置短信网关时向手机）发送验证码，用于开放需求和权益异议的"
        "verification_code；验证码有效期和发送次数有限，答复中不含验证码。未配置短信网关时，"
        "手机号码无法验证",
        tag=TAG,
        body=json_body(SEND_BODY),
        answer=_ok("验证码已发送", SENT, "202", 400, 409, 429),
        security=OPTIONAL_KEY,
    )
    show = operation(
        "登录用户查看账户的联系方式是否已经验证",
        tag=TAG,
        answer=_ok("验证状态", STATUS, "200", 401),
        security=KEY,
    )
    confirm = operation(
        "登录用户用发送到账户电子邮箱或手机的验证码验证账户的联系方式；"
        "已验证的账户提出的权益异议立即暂停数据集",
        tag=TAG,
        body=json_body(CONFIRM_BODY),
        answer=_ok("已验证", STATUS, "200", 400, 401, 403, 429),
        security=KEY,
    )
    return {
        "/api/v1/contact-verifications": {"post": send},
        "/api/v1/account/contact-verification": {"get": show, "post": confirm},
    }


EXTRA_PATHS.append(_paths)
