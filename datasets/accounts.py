"""Accounts: creating users, checking passwords, turning a signed-in user into an ``Actor``."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import select

from .access import ROLES, Actor
from .errors import NotAuthorized, NotFound, ValidationError
from .models import Organization, User
from .runtime import Runtime

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


def create_user(
    rt: Runtime,
    *,
    name: str,
    role: str,
    password: str,
    display_name: str = "",
    department: str | None = None,
) -> dict:
    """Create an account. ``department`` is the department's ``organization.name``."""
    problems: dict[str, list[str]] = {}
    if not _NAME.fullmatch(name or ""):
        problems["name"] = ["用户名须为 3–100 个字母、数字或 _.@-"]
    if role not in ROLES:
        problems["role"] = [f"角色须为 {', '.join(ROLES)} 之一"]
    if len(password or "") < MIN_PASSWORD:
        problems["password"] = [f"密码至少 {MIN_PASSWORD} 个字符"]
    if role == "reviewer" and not department:
        problems["department"] = ["部门审核人员须指定所属部门（--department）"]
    if problems:
        field, messages = next(iter(problems.items()))
        raise ValidationError(messages[0], problems)
    with rt.session() as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise ValidationError(f"用户 {name} 已存在", {"name": ["already exists"]})
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
            display_name=display_name or name,
            organization_id=org_id,
        )
        session.add(user)
        session.flush()
        return {"id": user.id, "name": user.name, "role": user.role}


def _actor(user: User) -> Actor:
    return Actor(
        name=user.name,
        user_id=user.id,
        roles=frozenset({user.role}),
        organization_id=user.organization_id,
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
