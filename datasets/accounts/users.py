"""Accounts: creating users, checking passwords, turning a signed-in user into an ``Actor``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datasets.accounts import creditcode
from datasets.accounts.passwords import (
    check_password,
    hash_password,
    password_problem,
    stand_in_hash,
)
from datasets.accounts.permissions import ROLES, Actor
from datasets.errors import NotAuthorized, NotFound, ValidationError, raise_problems
from datasets.models import Organization, User
from datasets.runtime import Runtime

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,99}$")


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


def _problem(problems: dict[str, list[str]], field: str, message: str) -> None:
    problems.setdefault(field, []).append(message)


def _account_problems(
    name: str,
    role: str,
    password: str,
    display_name: str,
    department: str | None,
    email: str | None,
    phone: str | None,
) -> dict[str, list[str]]:
    """What is wrong with the fields every account has, field by field."""
    problems: dict[str, list[str]] = {}
    if not _NAME.fullmatch(name or ""):
        _problem(problems, "name", "用户名须为 3–100 个字母、数字或 _.@-")
    if role not in ROLES:
        _problem(problems, "role", f"角色须为 {', '.join(ROLES)} 之一")
    if message := password_problem(password, name):
        _problem(problems, "password", message)
    if role == "reviewer" and not department:
        _problem(problems, "department", "部门审核人员须指定所属部门（--department）")
    if len(display_name or "") > 200:
        _problem(problems, "display_name", "显示名称不能超过 200 个字符")
    if email and (message := email_problem(email)):
        _problem(problems, "email", message)
    if phone and (message := phone_problem(phone)):
        _problem(problems, "phone", message)
    return problems


def _company_problems(
    company: dict[str, str | None],
    email: str | None,
    phone: str | None,
    problems: dict[str, list[str]],
) -> None:
    """What is wrong with a company account's fields; normalises its credit code in place."""
    title = company["company_name"]
    if not title:
        _problem(problems, "company_name", "请填写企业名称")
    elif len(title) > 200:
        _problem(problems, "company_name", "企业名称不能超过 200 个字符")
    if (message := creditcode.check(company["credit_code"])) is not None:
        _problem(problems, "credit_code", message)
    else:
        company["credit_code"] = creditcode.normalise(company["credit_code"])
    representative = company["legal_representative"]
    if not representative:
        _problem(problems, "legal_representative", "请填写法定代表人")
    elif len(representative) > 100:
        _problem(problems, "legal_representative", "法定代表人不能超过 100 个字符")
    if not email and not phone:
        _problem(problems, "phone", "企业账户须留联系电话或电子邮箱（至少一项）")


def _check_unused(
    session: Session, name: str, code: str | None, department: str | None
) -> str | None:
    """Refuse a name or credit code already taken; the id of ``department`` (None if none)."""
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise ValidationError(f"用户名 {name} 已被使用", {"name": [f"用户名 {name} 已被使用"]})
    if code and session.scalar(select(User.id).where(User.credit_code == code)) is not None:
        message = f"统一社会信用代码 {code} 已注册过企业账户"
        raise ValidationError(message, {"credit_code": [message]})
    if not department:
        return None
    return department_id(session, department)


def department_id(session: Session, department: str) -> str:
    """A department by its Chinese name (organizations.title), its code or its name."""
    wanted = department.strip()
    org = session.scalar(
        select(Organization).where(
            or_(
                Organization.title == wanted,
                Organization.code == wanted,
                Organization.name == wanted,
            )
        )
    )
    if org is None:
        raise NotFound(f"没有部门“{wanted}”（请填写部门的中文名称或部门代码）")
    return org.id


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
    """Create an account. ``department`` is the department's Chinese name, code or name.

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
    problems = _account_problems(name, role, password, display_name, department, email, phone)
    if role == "company":
        _company_problems(company, email, phone, problems)
    else:
        for field, value in company.items():
            if value:
                _problem(problems, field, "只有企业账户填写企业名称、统一社会信用代码和法定代表人")
    raise_problems(problems)
    with rt.session() as session:
        org_id = _check_unused(session, name, company["credit_code"], department)
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


def actor_of(user: User, api_key_id: str | None = None) -> Actor:
    return Actor(
        name=user.name,
        user_id=user.id,
        roles=frozenset({user.role}),
        organization_id=user.organization_id,
        api_key_id=api_key_id,
    )


def authenticate(rt: Runtime, *, name: str, password: str) -> Actor:
    """The actor of a user name and password; one message for every kind of failure."""
    return authenticate_session(rt, name=name, password=password)[0]


def authenticate_session(rt: Runtime, *, name: str, password: str) -> tuple[Actor, int]:
    """The actor of a user name and password and the account's session generation (kept in
    the session: ``actor_for`` accepts it until the account signs out or changes password).

    Takes as long whatever the failure: an unknown name is checked against a stand-in hash of
    the same cost, and a disabled account's password is checked before it is refused."""
    with rt.session() as session:
        user = session.scalar(select(User).where(User.name == (name or "").strip()))
        stored = user.password_hash if user is not None else stand_in_hash()
        matches = check_password(stored, password or "")
        if user is None or not matches or not user.active:
            raise NotAuthorized("用户名或密码不正确")
        user.last_login_at = datetime.now(UTC)
        return actor_of(user), user.session_generation


def actor_for(rt: Runtime, user_id: str | None, generation: int = 0) -> Actor | None:
    """The actor of a signed-in user id (``None`` if the account is gone or disabled, or
    signed out or changed its password since: another session ``generation``)."""
    if not user_id:
        return None
    with rt.reader() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_generation != generation:
            return None
        return actor_of(user)


def end_sessions(rt: Runtime, user_id: str) -> None:
    """Every session of the account stops working, copies of its cookie included."""
    with rt.session() as session:
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(session_generation=User.session_generation + 1)
            .execution_options(synchronize_session=False)
        )


def change_password(rt: Runtime, actor: Actor, *, current: str, new: str) -> int:
    """Change the actor's own password (the current one is asked for); every other session of
    the account ends. Returns the new session generation, for the session that asked."""
    if actor.is_anonymous or actor.user_id is None:
        raise NotAuthorized("请先登录")
    problems: dict[str, list[str]] = {}
    with rt.session() as session:
        user = session.get(User, actor.user_id)
        if user is None or not user.active:
            raise NotAuthorized("账户不存在或已停用")
        if not check_password(user.password_hash, current or ""):
            _problem(problems, "current_password", "当前密码不正确")
        elif message := password_problem(new, user.name):
            _problem(problems, "password", message)
        elif check_password(user.password_hash, new or ""):
            _problem(problems, "password", "新密码不能与当前密码相同")
        raise_problems(problems)
        user.password_hash = hash_password(new)
        user.session_generation += 1
        return user.session_generation


def set_password(rt: Runtime, name: str, password: str) -> None:
    """An operator sets an account's password (``kaifang user password``); its sessions end."""
    with rt.session() as session:
        user = session.scalar(select(User).where(User.name == (name or "").strip()))
        if user is None:
            raise NotFound(f"没有用户 {name}")
        if message := password_problem(password, user.name):
            raise ValidationError(message, {"password": [message]})
        user.password_hash = hash_password(password)
        user.session_generation += 1
