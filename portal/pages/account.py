"""Self-service accounts: signing up as a citizen or a company, the account page with API keys."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from datasets.accounts import guard, verification
from datasets.accounts.keys import create_api_key, list_api_keys, revoke_api_key
from datasets.accounts.passwords import MIN_PASSWORD
from datasets.accounts.users import SELF_SERVICE_ROLES, register, user_profile
from datasets.errors import Conflict, NotAuthorized, ValidationError
from portal.app import get_runtime
from portal.auth import client_address, current_actor, start_session
from portal.errors import no_store
from portal.extensions import limiter

bp = Blueprint("account", __name__)

PASSWORD_HINT = f"至少 {MIN_PASSWORD} 个字符，不含用户名，不能是常见密码"

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
            start_session(created["id"], 0)  # a fresh session: no fixation
            flash("注册成功，已为您登录。", "notice")
            return redirect(url_for("account.account_page"))
    html = render_template(
        "register.html",
        role=role,
        values=values,
        errors=errors,
        message=message,
        password_hint=PASSWORD_HINT,
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
        contact=_contact_status(),
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


# -- proving the account's own e-mail address or phone -------------------------------------------


def _contact_status() -> dict[str, object]:
    """What the account page shows about proving the contact: proved (and how), and which of
    the account's addresses a code can go to."""
    rt, actor = get_runtime(), current_actor()
    profile = user_profile(rt, actor)
    with rt.reader() as db:
        proved = verification.account_verified(rt, db, actor.user_id)
    return {
        "verified": proved.channel if proved else None,
        "email": bool(profile.get("email")) and bool(rt.settings.smtp_host),
        "phone": bool(profile.get("phone")) and verification.phone_available(rt),
        "minutes": rt.settings.verification_code_minutes,
    }


@bp.route("/account/verification", methods=["POST"])
@limiter.limit(lambda: get_runtime().settings.ratelimit_verification)
def verify_contact() -> ResponseReturnValue:
    """Send a code to the account's own e-mail address or phone (``send_code``), or check the
    code typed (``verification_code``): a proved contact makes the account an identified
    requester (a rights holder whose objection suspends at once)."""
    if (response := _signed_in()) is not None:
        return response
    rt, actor = get_runtime(), current_actor()
    profile = user_profile(rt, actor)
    channel = request.form.get("send_code", "")
    try:
        if channel:
            address = str(profile.get("email" if channel == "email" else "phone") or "")
            code_request = verification.CodeRequest.parse({"channel": channel, "address": address})
            flash(verification.send_code(rt, code_request)["message"], "notice")
        else:
            proved = verification.check_code(
                rt,
                phone=str(profile.get("phone") or ""),
                email=str(profile.get("email") or ""),
                code=request.form.get("verification_code", "")[:20],
            )
            if not verification.remember_for_account(rt, actor, proved):
                raise ValidationError("验证码对应的联系方式已不是本账户的联系方式")
            flash("联系方式已验证。", "notice")
    except (ValidationError, Conflict) as exc:
        flash(exc.message, "error")
    return redirect(url_for("account.account_page") + "#contact-title")


@bp.route("/account/password", methods=["GET", "POST"])
def password_page() -> ResponseReturnValue:
    """Change one's password: the current one is asked for; the account's other sessions end,
    this one goes on."""
    if (response := _signed_in()) is not None:
        return response
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        actor, new = current_actor(), request.form.get("password", "")
        try:
            if new != request.form.get("password_confirm", ""):
                message = "两次输入的新密码不一致"
                raise ValidationError(message, {"password_confirm": [message]})
            generation = guard.change_password(
                get_runtime(),
                actor,
                current=request.form.get("current_password", ""),
                new=new,
                address=client_address(),
            )
        except guard.Locked as exc:
            html = render_template(
                "password.html", errors={}, message=exc.message, min_hint=PASSWORD_HINT
            )
            response = no_store(make_response(html, 429))
            response.headers["Retry-After"] = str(exc.retry_after())
            return response
        except ValidationError as exc:
            message, errors = exc.message, exc.errors
        else:
            start_session(actor.user_id or "", generation)
            flash("密码已修改；此前在其他浏览器或设备上的登录已失效。", "notice")
            return redirect(url_for("account.account_page"))
    html = render_template("password.html", errors=errors, message=message, min_hint=PASSWORD_HINT)
    return no_store(make_response(html, 400 if message else 200))
