"""How a field of a request object is declared (``spec`` in the dataclass field's metadata),
read from a payload with the forms' Chinese messages, and described for the API document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from datasets.errors import ValidationError
from datasets.workflows.cases import MAX_TEXT, Problems, problem, text_field

MAX_TITLE = 200  # names of data and departments
MAX_NAME = 100  # the requester's name

DATASET_MISSING = "请填写数据集名称或 id"
DEPARTMENT_MISSING = "请选择数据提供部门"


@dataclass(frozen=True)
class Spec:
    """One field: its label in messages, a line for the API document, what it holds (text, a
    reference to a dataset or department, a choice, a yes/no flag, a date, contact details),
    whether it must be given and its longest length."""

    label: str
    doc: str
    kind: str = "text"
    required: bool = False
    limit: int = MAX_TEXT
    choices: Mapping[str, str] | None = None


def spec(label: str, doc: str, **options: Any) -> dict[str, Spec]:
    """The metadata of a dataclass field: ``field(default=…, metadata=spec(…))``."""
    return {"spec": Spec(label, doc, **options)}


def specs(cls: type) -> dict[str, Spec]:
    """The declared fields of a request object, in order."""
    return {f.name: f.metadata["spec"] for f in fields(cls) if "spec" in f.metadata}


def as_object(payload: Any) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ValidationError("请求内容须为 JSON 对象")
    return payload


def given(payload: dict[str, Any], key: str) -> bool:
    return payload.get(key) not in (None, "")


def read(
    cls: type,
    name: str,
    payload: dict[str, Any],
    problems: Problems,
    *,
    required: bool | None = None,
) -> Any:
    """One text, choice or flag field of ``cls`` from ``payload`` (``required`` overrides the
    declaration where a field is needed only with some other answer)."""
    s = specs(cls)[name]
    value = payload.get(name)
    if s.kind == "choice":
        if not isinstance(value, str) or value not in (s.choices or {}):
            listed = "、".join(f"{k}（{v}）" for k, v in (s.choices or {}).items())
            problem(problems, name, f"{s.label}须为 {listed}")
            return ""
        return value
    if s.kind == "flag":
        return _flag(value, name, s.label, problems)
    must = s.required if required is None else required
    return text_field(payload, name, s.label, problems, required=must, limit=s.limit)


def _flag(value: Any, name: str, label: str, problems: Problems) -> bool:
    """A yes/no answer: JSON true/false (forms send "true"/"false")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    problem(problems, name, f"请说明{label}（true 或 false）")
    return False


def reference(
    value: Any, name: str, problems: Problems, *, missing: str, required: bool = True
) -> str | None:
    """A name or id as given (stripped), or None with ``missing`` as the problem."""
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problem(problems, name, missing)
        return None
    return value.strip()


# -- the API document --------------------------------------------------------------------------

MAX_CONTACT = 254  # a telephone number or an e-mail address
CONTACT_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": ["string", "null"], "maxLength": MAX_NAME},
        "phone": {
            "type": ["string", "null"],
            "maxLength": MAX_CONTACT,
            "description": "手机号或带区号的固定电话",
        },
        "email": {"type": ["string", "null"], "maxLength": MAX_CONTACT, "format": "email"},
    },
}


def _nullable(s: Spec, shape: dict[str, Any]) -> dict[str, Any]:
    """A field that need not be given may also be sent as null."""
    if s.required:
        return shape
    if "enum" in shape:
        return {**shape, "enum": [*shape["enum"], None]}
    return {**shape, "type": [shape["type"], "null"]}


def _field_schema(s: Spec) -> dict[str, Any]:
    if s.kind == "choice":
        listed = "、".join(f"{k}（{v}）" for k, v in (s.choices or {}).items())
        return {"enum": list(s.choices or {}), "description": s.doc or f"{s.label}：{listed}"}
    if s.kind == "flag":
        return {"type": "boolean", "description": s.doc or s.label}
    if s.kind == "day":
        return {"type": "string", "format": "date", "maxLength": 10, "description": s.doc}
    if s.kind == "contact":
        return {**CONTACT_SCHEMA, "description": s.doc}
    return {"type": "string", "maxLength": s.limit, "description": s.doc}


def schema(cls: type) -> dict[str, Any]:
    """The JSON schema of a request object's body, from its declared fields."""
    declared = specs(cls)
    return {
        "type": "object",
        "required": [name for name, s in declared.items() if s.required],
        "properties": {name: _nullable(s, _field_schema(s)) for name, s in declared.items()},
    }


def verification_spec() -> dict[str, Spec]:
    """The code proving the contact details of a request (``requesters.identify``)."""
    return spec(
        "验证码",
        "发送到联系方式中电子邮箱或手机的验证码（先调用 POST /api/v1/contact-verifications "
        "获取）；已验证联系方式的登录用户可不填。未验证的提出人不计入开放评估人数，"
        "其权益异议不立即暂停数据集",
        limit=12,
    )
