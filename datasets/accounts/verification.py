"""Verified contacts: a code sent to an e-mail address (SMTP) or a mobile phone (the SMS gateway
of ``SMS_GATEWAY_URL``; without one, phones cannot be verified) proves that whoever files a
request can be reached there.

A code is six digits, valid for ``VERIFICATION_CODE_MINUTES``, usable once and for at most
``VERIFICATION_ATTEMPTS`` wrong entries; an address is sent at most
``VERIFICATION_CODES_PER_HOUR`` codes. Only keyed hashes are stored (``ContactCode``: the
code's HMAC with the portal's secret and the code's id, the address's as ``contact_key`` makes
it), and neither the code nor the address is ever logged. A signed-in account whose own e-mail
address or phone was proved keeps that fact as ``User.verified_contact`` (the address's keyed
hash, so it stops matching when the address changes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.accounts.users import email_problem
from datasets.errors import Conflict, LoginRequired, TooMany, ValidationError
from datasets.models import ContactCode, User
from datasets.notify.mail import send_now
from datasets.runtime import Runtime

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


CHANNELS = {"email": "电子邮箱", "phone": "手机"}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
NO_SMS = "本平台未配置短信网关，暂不能验证手机号码；请填写电子邮箱，用邮件接收验证码"
NO_MAIL = "本平台未配置邮件发送，暂不能发送验证码"


# -- keyed hashes of addresses -------------------------------------------------------------------


def phone_digits(phone: str) -> str:
    """A telephone number as digits, without the country code 86."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _keyed(rt: Runtime, value: str) -> str:
    secret = rt.secret_key().encode("utf-8")
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def address_key(rt: Runtime, channel: str, address: str) -> str | None:
    """The keyed hash telling one e-mail address or telephone from another (None: empty)."""
    if channel == "phone":
        digits = phone_digits(address)
        return _keyed(rt, f"tel:{digits}") if digits else None
    mail = (address or "").strip().lower()
    return _keyed(rt, f"mail:{mail}") if mail else None


def _code_hash(rt: Runtime, code_id: str, code: str) -> str:
    return _keyed(rt, f"code:{code_id}:{code}")


# -- sending a code ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRequest:
    """Where to send a code: ``channel`` email or phone, and the address."""

    channel: str
    address: str

    @classmethod
    def parse(cls, payload: Any) -> CodeRequest:
        data = payload if isinstance(payload, dict) else {}
        if not isinstance(payload, dict):
            raise ValidationError("请求内容须为 JSON 对象")
        channel = data.get("channel")
        address = data.get("address")
        problems: dict[str, list[str]] = {}
        if not isinstance(channel, str) or channel not in CHANNELS:
            problems["channel"] = ["验证方式须为 email（电子邮箱）或 phone（手机）"]
        if not isinstance(address, str) or not address.strip():
            problems["address"] = ["请填写接收验证码的电子邮箱或手机号码"]
        elif channel == "email" and (message := email_problem(address.strip())):
            problems["address"] = [message]
        elif channel == "phone" and not _MOBILE.fullmatch(phone_digits(address)):
            problems["address"] = ["验证码只能发送到 11 位手机号码"]
        if problems:
            raise ValidationError(next(iter(problems.values()))[0], problems)
        return cls(str(channel), str(address).strip())


def phone_available(rt: Runtime) -> bool:
    """Whether phones can be verified (an SMS gateway is configured)."""
    return bool(rt.settings.sms_gateway_url)


def _refuse_unavailable(rt: Runtime, channel: str) -> None:
    if channel == "phone" and not phone_available(rt):
        raise ValidationError(NO_SMS, {"address": [NO_SMS]})
    if channel == "email" and not rt.settings.smtp_host:
        raise ValidationError(NO_MAIL, {"address": [NO_MAIL]})


@dataclass(frozen=True)
class Issued:
    """A code just stored (as its hash): the code itself, to be delivered, its id and expiry."""

    code: str
    id: str
    expires_at: datetime


def issue_code(rt: Runtime, request: CodeRequest) -> Issued:
    """A new code for the address (its hash stored), within the hourly limit; the code itself is
    returned to be delivered and is kept nowhere."""
    key = address_key(rt, request.channel, request.address)
    assert key is not None  # a parsed request has an address
    now = _now()
    limit = rt.settings.verification_codes_per_hour
    with rt.session() as session:
        sent = session.scalar(
            select(func.count(ContactCode.id)).where(
                ContactCode.address_key == key,
                ContactCode.created_at >= now - timedelta(hours=1),
            )
        )
        if (sent or 0) >= limit:
            label = CHANNELS[request.channel]
            raise TooMany(f"该{label}一小时内已发送 {limit} 次验证码，请稍后再试")
        code = f"{secrets.randbelow(10**6):06d}"
        code_id = str(uuid.uuid4())
        expires_at = now + timedelta(minutes=rt.settings.verification_code_minutes)
        session.add(
            ContactCode(
                id=code_id,
                channel=request.channel,
                address_key=key,
                code_hash=_code_hash(rt, code_id, code),
                created_at=now,
                expires_at=expires_at,
            )
        )
    return Issued(code, code_id, expires_at)


def _deliver(rt: Runtime, request: CodeRequest, code: str) -> bool:
    minutes = rt.settings.verification_code_minutes
    text = f"您的验证码是 {code}，{minutes} 分钟内有效，只能使用一次。如非本人操作，请忽略。"
    if request.channel == "email":
        subject = f"{rt.settings.site_name}验证码"
        return send_now(rt, to=request.address, subject=subject, text=text)
    body = json.dumps({"phone": phone_digits(request.address), "text": text}).encode("utf-8")
    if not rt.settings.sms_gateway_url.startswith(("https://", "http://")):
        log.warning("SMS gateway URL is not http(s)")
        return False
    call = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        rt.settings.sms_gateway_url,
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        timeout = rt.settings.smtp_timeout
        with urllib.request.urlopen(call, timeout=timeout) as answer:  # noqa: S310
            return 200 <= answer.status < 300
    except OSError as exc:
        log.warning("SMS gateway unusable: %s", type(exc).__name__)
        return False


def masked(channel: str, address: str) -> str:
    """The address as the answer shows it: z***@example.com, 139****5678."""
    if channel == "phone":
        digits = phone_digits(address)
        return digits[:3] + "****" + digits[-4:]
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def send_code(rt: Runtime, request: CodeRequest) -> dict[str, Any]:
    """Send a code to the address; what the caller is told (never the code)."""
    _refuse_unavailable(rt, request.channel)
    issued = issue_code(rt, request)
    if not _deliver(rt, request, issued.code):
        with rt.session() as session:  # an undelivered code is void
            session.execute(
                update(ContactCode).where(ContactCode.id == issued.id).values(used_at=_now())
            )
        raise Conflict("验证码发送失败，请稍后再试")
    return {
        "channel": request.channel,
        "sent_to": masked(request.channel, request.address),
        "expires_at": issued.expires_at.isoformat(),
        "minutes": rt.settings.verification_code_minutes,
        "message": f"验证码已发送至 {masked(request.channel, request.address)}，"
        f"{rt.settings.verification_code_minutes} 分钟内有效",
    }


# -- checking a code -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """A proved address: its channel and keyed hash."""

    channel: str
    key: str


WRONG = "验证码不正确或已过期，请重新获取"


def check_code(rt: Runtime, *, phone: str, email: str, code: str) -> Verified:
    """The address (phone or e-mail) ``code`` was sent to, the code now used; a ValidationError
    on ``verification_code`` otherwise (each wrong entry counts against the live codes)."""
    keys = {
        key: channel
        for channel, address in (("phone", phone), ("email", email))
        if address and (key := address_key(rt, channel, address))
    }
    now = _now()
    found: Verified | None = None
    with rt.session() as session:
        live = session.scalars(
            select(ContactCode)
            .where(
                ContactCode.address_key.in_(list(keys)),
                ContactCode.used_at.is_(None),
                ContactCode.expires_at > now,
                ContactCode.attempts < rt.settings.verification_attempts,
            )
            .order_by(ContactCode.created_at.desc())
        ).all()
        given = re.sub(r"\s", "", code or "")
        for row in live:
            if hmac.compare_digest(row.code_hash, _code_hash(rt, row.id, given)):
                taken = session.execute(
                    update(ContactCode)
                    .where(ContactCode.id == row.id, ContactCode.used_at.is_(None))
                    .values(used_at=now)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    found = Verified(row.channel, row.address_key)
                break
        if found is None:
            for row in live:
                row.attempts += 1
    if found is None:
        raise ValidationError(WRONG, {"verification_code": [WRONG]})
    return found


# -- accounts ------------------------------------------------------------------------------------


def account_verified(rt: Runtime, session: Session, user_id: str | None) -> Verified | None:
    """The account's proved e-mail address or phone, if it still is the account's."""
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.verified_contact:
        return None
    for channel, address in (("email", user.email), ("phone", user.phone)):
        if address and address_key(rt, channel, address) == user.verified_contact:
            return Verified(channel, user.verified_contact)
    return None


def remember_for_account(rt: Runtime, actor: Actor, verified: Verified) -> bool:
    """Keep ``verified`` on the signed-in account when it is the account's own address."""
    if actor.is_anonymous:
        return False
    with rt.session() as session:
        user = session.get(User, actor.user_id)
        if user is None:
            return False
        own = {
            address_key(rt, "email", user.email or ""),
            address_key(rt, "phone", user.phone or ""),
        }
        if verified.key not in own:
            return False
        user.verified_contact = verified.key
        return True


def confirm_account(rt: Runtime, actor: Actor, code: str) -> dict[str, Any]:
    """A signed-in user proves the account's e-mail address or phone with a code sent to it."""
    if actor.is_anonymous:
        raise LoginRequired("请先登录")
    with rt.reader() as session:
        user = session.get(User, actor.user_id)
        email, phone = (user.email or "", user.phone or "") if user else ("", "")
    if not email and not phone:
        missing = "账户中没有电子邮箱或手机号码，请先在账户中填写"
        raise ValidationError(missing, {"code": [missing]})
    try:
        verified = check_code(rt, phone=phone, email=email, code=code)
    except ValidationError:
        raise ValidationError(WRONG, {"code": [WRONG]}) from None
    remember_for_account(rt, actor, verified)
    label = CHANNELS[verified.channel]
    return {"verified": True, "channel": verified.channel, "channel_label": label}


def account_status(rt: Runtime, actor: Actor) -> dict[str, Any]:
    """Whether the signed-in caller's account has a verified contact (for forms and the API)."""
    if actor.is_anonymous:
        return {"verified": False, "channel": None}
    with rt.reader() as session:
        found = account_verified(rt, session, actor.user_id)
    return {"verified": found is not None, "channel": found.channel if found else None}
