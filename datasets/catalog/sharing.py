"""共享属性: how an entry is shared between government departments (国发〔2016〕51号 第九条,
岳阳 第十七条): 无条件共享, 有条件共享 or 不予共享, nothing else.

An entry 不予共享 must name its basis in law, an administrative regulation or a policy of the
Party Central Committee or the State Council (国发〔2016〕51号 第十条第一项); 共享条件 (for
有条件共享) and 共享方式 (系统对接, 数据下发接口, 电子表单 …; 岳阳 第十九条、第二十条) are recorded
as declared. Every harvester hands the raw values to ``check``, which refuses anything else as
a per-object harvest error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from datasets.errors import NotAuthorized, SharedElsewhere, ValidationError

UNCONDITIONAL, CONDITIONAL, NOT_SHARED = "无条件共享", "有条件共享", "不予共享"
SHARE_TYPES = (UNCONDITIONAL, CONDITIONAL, NOT_SHARED)
# what sources also write for the three (the class suffix 类, the codes of English exports)
_ALIASES = {
    **{label + "类": label for label in SHARE_TYPES},
    "unconditional": UNCONDITIONAL,
    "conditional": CONDITIONAL,
    "not_shared": NOT_SHARED,
    "none": NOT_SHARED,
}
BASIS_ARTICLE = "国发〔2016〕51号 第十条"
MAX_LINE = 200  # 共享方式 is one line
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Sharing:
    """An entry's 共享属性 as stored: the type (None: not declared), its conditions, the ways
    it is shared and, for 不予共享, its basis."""

    share_type: str | None
    conditions: str | None = None
    method: str | None = None
    basis: str | None = None


def parse_share_type(value: str | None) -> str | None:
    """The canonical 共享属性 of a declared value; None for an empty one. Raises
    ValidationError naming the value when it is none of the three."""
    text = _SPACES.sub("", value or "")
    if not text:
        return None
    if text in SHARE_TYPES:
        return text
    found = _ALIASES.get(text) or _ALIASES.get(text.lower())
    if found is None:
        message = f"共享属性“{value}”无效：只能是{'、'.join(SHARE_TYPES)}之一"
        raise ValidationError(message, {"share_type": [message]})
    return found


def check(
    share_type: str | None,
    conditions: str | None = None,
    method: str | None = None,
    basis: str | None = None,
) -> Sharing:
    """The stored form of a declared 共享属性 with its conditions, ways and basis. Raises
    ValidationError (every problem at once) for an unknown type, a 不予共享 without basis, or
    a 共享方式 longer than one line allows."""
    problems: dict[str, list[str]] = {}
    try:
        kind = parse_share_type(share_type)
    except ValidationError as exc:
        problems.update(exc.errors)
        kind = None
    conditions, method, basis = _clean(conditions), _clean(method), _clean(basis)
    if kind == NOT_SHARED and not basis:
        problems["share_basis"] = [
            f"不予共享须注明法律、行政法规或党中央、国务院政策依据（{BASIS_ARTICLE}）"
        ]
    if method and len(method) > MAX_LINE:
        problems["share_method"] = [f"共享方式不得超过 {MAX_LINE} 个字符"]
    if problems:
        raise ValidationError("；".join(m for ms in problems.values() for m in ms), problems)
    return Sharing(
        kind,
        conditions if kind == CONDITIONAL else None,
        method if kind in (UNCONDITIONAL, CONDITIONAL) else None,
        basis if kind == NOT_SHARED else None,
    )


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


STAFF_NOTICE = (
    "政务部门因履行职责需要使用有条件开放数据的，请通过政务数据共享平台向提供部门申请共享"
    "（国发〔2016〕51号 第十二条），开放平台的数据使用申请仅面向企业和个人"
)


def staff_refusal() -> NotAuthorized:
    """The refusal of a conditional file to government staff: it points them to the sharing
    platform (the page showing it names the platform's address)."""
    return SharedElsewhere(STAFF_NOTICE)
