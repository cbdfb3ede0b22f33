"""Accounts: creating users, checking passwords, turning a signed-in user into an ``Actor``."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from datasets.accounts import creditcode
from datasets.accounts.permissions import ROLES, Actor
from datasets.errors import NotAuthorized, NotFound, ValidationError, raise_problems
from datasets.models import ApiKey, Organization, User
from datasets.runtime import Runtime

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,99}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


ROLE_TITLES = {
    "citizen": "个人用户",
    "company": "企业用户",
    "reviewer": "部门审核人员",
    "bureau": "主管部门",
    "operator": "平台运维人员",
}
# roles anyone may sign up for; the others are created by an operator (``kaifang user add``)
SELF_SERVICE_ROLES = ("citizen", "company")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
# a mobile number (optionally +86) or a fixed line with its area code and an optional extension
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}[1-9]\d{6,7}(?:(?:转|ext\.?|x)\d{1,6})?$", re.IGNORECASE)


def _clean(value: str | None) -> str | None:
    """Form fields arrive as ``""`` when left empty: those are ``None``."""
    value = (value or "").strip()
    return value or None


def email_problem(email: str) -> str | None:
    if len(email) > 200 or not _EMAIL.fullmatch(email):
        return "电子邮箱格式不正确（例如 name@example.com）"
    return None


def phone_problem(phone: str) -> str | None:
    compact = re.sub(r"[\s()（）-]", "", phone)
    if len(phone) > 40 or not (_MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact)):
        return "联系电话格式不正确（手机号 11 位；固定电话请带区号，例如 0791-86123456）"
    return None


def create_user(
    rt: Runtime,
    *,
    name: str,
    role: str,
    password: str,
    display_name: str = "",
    department: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    company_name: str | None = None,
    credit_code: str | None = None,
    legal_representative: str | None = None,
) -> dict:
    """Create an account. ``department`` is the department's ``organization.name``.

    Company accounts need the company's name, a valid 统一社会信用代码 (GB 32100, stored
    normalised and unique), its 法定代表人 and a telephone number or an e-mail address; other
    roles carry none of the company fields. Every problem is reported at once, field by field.
    """
    email, phone = _clean(email), _clean(phone)
    company = {
        "company_name": _clean(company_name),
        "credit_code": _clean(credit_code),
        "legal_representative": _clean(legal_representative),
    }
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if not _NAME.fullmatch(name or ""):
        problem("name", "用户名须为 3–100 个字母、数字或 _.@-")
    if role not in ROLES:
        problem("role", f"角色须为 {', '.join(ROLES)} 之一")
    if len(password or "") < MIN_PASSWORD:
        problem("password", f"密码至少 {MIN_PASSWORD} 个字符")
    if role == "reviewer" and not department:
        problem("department", "部门审核人员须指定所属部门（--department）")
    if len(display_name or "") > 200:
        problem("display_name", "显示名称不能超过 200 个字符")
    if email and (message := email_problem(email)):
        problem("email", message)
    if phone and (message := phone_problem(phone)):
        problem("phone", message)
    if role == "company":
        if not company["company_name"]:
            problem("company_name", "请填写企业名称")
        elif len(company["company_name"]) > 200:
            problem("company_name", "企业名称不能超过 200 个字符")
        if (message := creditcode.check(company["credit_code"])) is not None:
            problem("credit_code", message)
        else:
            company["credit_code"] = creditcode.normalise(company["credit_code"])
        if not company["legal_representative"]:
            problem("legal_representative", "请填写法定代表人")
        elif len(company["legal_representative"]) > 100:
            problem("legal_representative", "法定代表人不能超过 100 个字符")
        if not email and not phone:
            problem("phone", "企业账户须留联系电话或电子邮箱（至少一项）")
    else:
        for field, value in company.items():
            if value:
                problem(field, "只有企业账户填写企业名称、统一社会信用代码和法定代表人")
    raise_problems(problems)
    with rt.session() as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise ValidationError(f"用户名 {name} 已被使用", {"name": [f"用户名 {name} 已被使用"]})
        code = company["credit_code"]
        if code and session.scalar(select(User.id).where(User.credit_code == code)) is not None:
            message = f"统一社会信用代码 {code} 已注册过企业账户"
            raise ValidationError(message, {"credit_code": [message]})
        org_id = None
        if department:
            org = session.scalar(select(Organization).where(Organization.name == department))
            if org is None:
                raise NotFound(f"没有名为 {department} 的部门（请使用 API 中 organization.name）")
            org_id = org.id
        user = User(
            name=name,
            role=role,
            password_hash=hash_password(password),
            display_name=(display_name or "").strip() or company["company_name"] or name,
            organization_id=org_id,
            email=email,
            phone=phone,
            **company,
        )
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # the same name or code, created at the same moment
            raise ValidationError(
                "用户名或统一社会信用代码已被使用",
                {"name": ["已被使用"], "credit_code": ["已被使用"]},
            ) from None
        return {"id": user.id, "name": user.name, "role": user.role}


def register(
    rt: Runtime,
    *,
    name: str,
    password: str,
    role: str,
    display_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    company_name: str | None = None,
    credit_code: str | None = None,
    legal_representative: str | None = None,
) -> dict:
    """Self-service sign-up of a citizen or a company (the same checks as ``create_user``)."""
    if role not in SELF_SERVICE_ROLES:
        message = "只能注册个人用户或企业用户；其他账户由平台运维人员开设"
        raise ValidationError(message, {"role": [message]})
    return create_user(
        rt,
        name=(name or "").strip(),
        role=role,
        password=password,
        display_name=display_name,
        email=email,
        phone=phone,
        company_name=company_name,
        credit_code=credit_code,
        legal_representative=legal_representative,
    )


def list_users(rt: Runtime) -> list[dict]:
    """Every account by name: name, role, department (``organization.name``), active."""
    with rt.reader() as session:
        rows = session.execute(
            select(User, Organization.name)
            .outerjoin(Organization, Organization.id == User.organization_id)
            .order_by(User.name)
        ).all()
        return [
            {
                "name": user.name,
                "display_name": user.display_name,
                "role": user.role,
                "department": org_name,
                "company_name": user.company_name,
                "active": user.active,
            }
            for user, org_name in rows
        ]


def user_profile(rt: Runtime, actor: Actor) -> dict:
    """The signed-in user's own account, for the account page."""
    if actor.is_anonymous:
        raise NotAuthorized("请先登录")
    with rt.reader() as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("账户不存在")
        org = session.get(Organization, user.organization_id) if user.organization_id else None
        return {
            "name": user.name,
            "display_name": user.display_name,
            "role": user.role,
            "role_title": ROLE_TITLES.get(user.role, user.role),
            "department": org.title if org else None,
            "company_name": user.company_name,
            "credit_code": user.credit_code,
            "legal_representative": user.legal_representative,
            "email": user.email,
            "phone": user.phone,
            "created_at": user.created_at.isoformat(),
        }


def _actor(user: User, api_key_id: str | None = None) -> Actor:
    return Actor(
        name=user.name,
        user_id=user.id,
        roles=frozenset({user.role}),
        organization_id=user.organization_id,
        api_key_id=api_key_id,
    )


def authenticate(rt: Runtime, *, name: str, password: str) -> Actor:
    """The actor of a user name and password; one message for every kind of failure."""
    with rt.session() as session:
        user = session.scalar(select(User).where(User.name == (name or "").strip()))
        if user is None:
            check_password(hash_password("timing-equaliser"), password or "")
            raise NotAuthorized("用户名或密码不正确")
        if not user.active or not check_password(user.password_hash, password or ""):
            raise NotAuthorized("用户名或密码不正确")
        user.last_login_at = datetime.now(UTC)
        return _actor(user)


def actor_for(rt: Runtime, user_id: str | None) -> Actor | None:
    """The actor of a signed-in user id (``None`` if the account is gone or disabled)."""
    if not user_id:
        return None
    with rt.reader() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        return _actor(user)


# ── API keys ────────────────────────────────────────────────────────────────────────────────
#
# A key is ``kf_`` and 32 random bytes (URL-safe base64). Only its SHA-256 is stored: a slow
# password hash (scrypt) protects guessable secrets, but 256 random bits cannot be guessed, so a
# fast hash loses nothing, and it lets a request find its key with one indexed lookup instead of
# trying a slow hash against every key.

API_KEY_PREFIX = "kf_"
_API_KEY = re.compile(r"^kf_[A-Za-z0-9_-]{43}$")
PREFIX_LENGTH = 10  # "kf_" and 7 characters: enough for a user to tell keys apart
MAX_ACTIVE_KEYS = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _key_dict(row: ApiKey) -> dict:
    """A key as lists show it: never the key, never its hash."""
    return {
        "id": row.id,
        "label": row.label,
        "prefix": row.prefix,
        "created_at": _stamp(row.created_at),
        "last_used_at": _stamp(row.last_used_at),
        "revoked_at": _stamp(row.revoked_at),
        "active": row.revoked_at is None,
    }


def create_api_key(
    rt: Runtime, *, user_name: str | None = None, user_id: str | None = None, label: str = ""
) -> dict:
    """A new API key of a user (by name or id). The key is in the result and nowhere else: it
    cannot be shown again."""
    if (user_name is None) == (user_id is None):
        raise ValueError("pass exactly one of user_name and user_id")
    label = (label or "").strip()
    if len(label) > 100:
        raise ValidationError("密钥说明不能超过 100 个字符", {"label": ["不能超过 100 个字符"]})
    with rt.session() as session:
        if user_id is not None:
            user = session.get(User, user_id)
        else:
            user = session.scalar(select(User).where(User.name == user_name))
        if user is None:
            raise NotFound(f"没有用户 {user_name or user_id}")
        if not user.active:
            raise NotAuthorized(f"用户 {user.name} 已停用，不能创建 API 密钥")
        active = session.scalars(
            select(ApiKey.id).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
        ).all()
        if len(active) >= MAX_ACTIVE_KEYS:
            message = f"每个账户最多 {MAX_ACTIVE_KEYS} 个有效的 API 密钥，请先吊销不再使用的密钥"
            raise ValidationError(message, {"label": [message]})
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(
            user_id=user.id, label=label, prefix=key[:PREFIX_LENGTH], key_hash=_key_hash(key)
        )
        session.add(row)
        session.flush()
        return {
            "id": row.id,
            "key": key,
            "prefix": row.prefix,
            "label": row.label,
            "created_at": _stamp(row.created_at),
        }


def list_api_keys(rt: Runtime, actor: Actor) -> list[dict]:
    """The actor's own keys, newest first, revoked ones included (marked ``active: False``)."""
    if actor.is_anonymous:
        raise NotAuthorized("请先登录")
    with rt.reader() as session:
        rows = session.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == actor.user_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        ).all()
        return [_key_dict(row) for row in rows]


def revoke_api_key(rt: Runtime, actor: Actor, key_id: str) -> dict:
    """Revoke a key for good. Users revoke their own keys, operators anyone's; someone else's
    key is "not found", so that nobody learns which ids exist. Revoking twice is harmless."""
    if actor.is_anonymous:
        raise NotAuthorized("请先登录")
    with rt.session() as session:
        row = session.get(ApiKey, key_id) if key_id else None
        if row is None or (row.user_id != actor.user_id and "operator" not in actor.roles):
            raise NotFound("没有这个 API 密钥")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
        return _key_dict(row)


def actor_for_api_key(rt: Runtime, key: str) -> Actor | None:
    """The actor of an API key, or ``None`` for an unknown or revoked key or a disabled account.

    The key is looked up by its SHA-256: what a database index compares is the hash of what the
    caller sent, which tells a timing attacker nothing about stored keys. ``last_used_at`` is
    written at most once a minute per key, not on every request.
    """
    key = (key or "").strip()
    if not _API_KEY.fullmatch(key):
        return None
    digest = _key_hash(key)
    with rt.reader() as session:
        found = session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == digest)
        ).first()
        if found is None:
            return None
        row, user = found
        if not hmac.compare_digest(row.key_hash, digest):
            return None
        if row.revoked_at is not None or not user.active:
            return None
        actor = _actor(user, api_key_id=row.id)
        last_used = row.last_used_at
    now = datetime.now(UTC)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        with rt.session() as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == actor.api_key_id)
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
    return actor
