"""The requester's contact details (name and telephone or e-mail), checked field by field
(``contact.phone`` …). A signed-in requester who leaves them out is reached through the
account's own details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datasets.accounts.users import email_problem, phone_problem
from datasets.workflows.cases import Problems, problem
from datasets.workflows.inputs.fields import MAX_NAME
from datasets.workflows.inputs.lookup import Lookup

KEYS = ("name", "phone", "email")
FIELDS = {f"contact.{key}" for key in KEYS}


@dataclass(frozen=True)
class Contact:
    name: str = ""
    phone: str = ""
    email: str = ""

    def as_dict(self) -> dict[str, str]:
        """The details given, as stored on the case (never public)."""
        return {key: value for key in KEYS if (value := getattr(self, key))}


def parse_contact(raw: Any, problems: Problems, lookup: Lookup, *, required: bool) -> Contact:
    if raw in (None, "", {}):
        raw = {}
    if not isinstance(raw, dict):
        problem(problems, "contact", "联系方式须为对象：{name, phone, email}")
        return Contact()
    values: dict[str, Any] = {
        key: v.strip() if isinstance(v := raw.get(key), str) else v for key in KEYS
    }
    if not any(values.values()):
        values = dict(lookup.account_contact())
    values = {k: v for k, v in values.items() if v not in (None, "")}
    if not values:
        if required:
            problem(problems, "contact.name", "请填写联系人姓名")
            problem(problems, "contact.phone", "请填写联系电话或电子邮箱（至少一项）")
        return Contact()
    texts = {key: value for key, value in values.items() if isinstance(value, str)}
    for key in values.keys() - texts.keys():
        problem(problems, f"contact.{key}", "须为文本")
    if problems.keys() & FIELDS:
        return Contact()
    _check(texts, problems)
    return Contact(**texts)


def _check(contact: dict[str, str], problems: Problems) -> None:
    name = contact.get("name", "")
    if not name:
        problem(problems, "contact.name", "请填写联系人姓名")
    elif len(name) > MAX_NAME:
        problem(problems, "contact.name", f"联系人姓名不超过 {MAX_NAME} 字")
    if not contact.get("phone") and not contact.get("email"):
        problem(problems, "contact.phone", "请填写联系电话或电子邮箱（至少一项）")
    if contact.get("phone") and (message := phone_problem(contact["phone"])):
        problem(problems, "contact.phone", message)
    if contact.get("email") and (message := email_problem(contact["email"])):
        problem(problems, "contact.email", message)
