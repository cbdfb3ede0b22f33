"""Self-service accounts: signing up as a citizen or a company, the account page with API keys."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from datasets.accounts.keys import create_api_key, list_api_keys, revoke_api_key
from datasets.accounts.users import SELF_SERVICE_ROLES, register, user_profile
from datasets.errors import NotAuthorized, ValidationError
from portal.app import get_runtime
from portal.auth import current_actor
from portal.extensions import limiter

bp = Blueprint("account", __name__)

_REGISTER_FIELDS = (
    "name",
    "display_name",
    "email",
    "phone",
    "company_name",
    "credit_code",
    "legal_representative",
)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: get_runtime().settings.ratelimit_register, methods=["POST"])
def register_page() -> ResponseReturnValue:
    role = request.values.get("role", "citizen")
    if role not in SELF_SERVICE_ROLES:
        role = "citizen"
    values = {field: request.form.get(field, "").strip() for field in _REGISTER_FIELDS}
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        password = request.form.get("password", "")
        try:
            if password != request.form.get("password_confirm", ""):
                raise ValidationError(
                    "两次输入的密码不一致", {"password_confirm": ["两次输入的密码不一致"]}
                )
            created = register(
                get_runtime(),
                name=values["name"],
                password=password,
                role=role,
                display_name=values["display_name"],
                email=values["email"],
                phone=values["phone"],
                company_name=values["company_name"] if role == "company" else None,
                credit_code=values["credit_code"] if role == "company" else None,
                legal_representative=(
                    values["legal_representative"] if role == "company" else None
                ),
            )
        except ValidationError as exc:
            message, errors = exc.message, exc.errors
        else:
            session.clear()  # a fresh session: no fixation
            session["user_id"] = created["id"]
            flash("注册成功，已为您登录。", "notice")
            return redirect(url_for("account.account_page"))
    html = render_template(
        "register.html", role=role, values=values, errors=errors, message=message
    )
    return html, 400 if message else 200


def _signed_in() -> ResponseReturnValue | None:
    """``None`` when a user signed in with the browser is calling, else the response to give.

    Keys are managed with a password-backed session only: an API key cannot make more keys,
    so a leaked key is gone for good once it is revoked."""
    actor = current_actor()
    if actor.is_anonymous:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if actor.api_key_id is not None:
        raise NotAuthorized("账户页面须在网页上登录后使用，不接受 API 密钥")
    return None


def _account_response(new_key: dict | None = None, status: int = 200) -> ResponseReturnValue:
    rt, actor = get_runtime(), current_actor()
    html = render_template(
        "account.html",
        profile=user_profile(rt, actor),
        keys=list_api_keys(rt, actor),
        new_key=new_key,
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"  # the page may show a new key
    return response


@bp.route("/account")
def account_page() -> ResponseReturnValue:
    return _signed_in() or _account_response()


@bp.route("/account/keys", methods=["POST"])
def create_key() -> ResponseReturnValue:
    if (response := _signed_in()) is not None:
        return response
    actor = current_actor()
    try:
        created = create_api_key(
            get_runtime(), user_id=actor.user_id, label=request.form.get("label", "")
        )
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("account.account_page"))
    # shown in this response only: never put in the session cookie, a flash or a redirect
    return _account_response(new_key=created)


@bp.route("/account/keys/<key_id>/revoke", methods=["POST"])
def revoke_key(key_id: str) -> ResponseReturnValue:
    if (response := _signed_in()) is not None:
        return response
    revoked = revoke_api_key(get_runtime(), current_actor(), key_id)
    flash(f"已吊销 API 密钥 {revoked['prefix']}…，使用它的程序将无法再访问。", "notice")
    return redirect(url_for("account.account_page"))
