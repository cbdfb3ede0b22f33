"""Masking policies (GB/T 37964 techniques): one table, ``POLICIES``, with stable codes; and the
default rule of each column, from the default policies of the kinds of personal information the
scanner found in it (``datasets.openness.pii.kinds``).

A policy is its code, its title (shown to operators), its technique and the one function that
applies it to a value. Every function fails closed: a value a masking policy cannot handle becomes
``***``, never itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from datasets.errors import ValidationError
from datasets.openness.masking.identifiers import STAR, mask_identifiers
from datasets.openness.masking.regions import generalise_address
from datasets.openness.masking.values import UNKNOWN, birth_year, mask_name, pseudonym, to_text
from datasets.openness.pii.kinds import KINDS, Kind, kind_table

Transform = Callable[[object], str]
MIN_KEY_BYTES = 16


# Headers of free-text columns, in which identifiers are masked inline and other words kept.
FREE_TEXT_HEADERS = (
    "备注", "说明", "描述", "内容", "摘要", "意见", "情况", "事由", "详情", "留言", "附言",
    "反馈", "回复", "原因", "事项", "remark", "note", "comment", "description", "memo",
)  # fmt: skip


def default_rules(
    findings: Iterable[tuple[str, str]], kinds: tuple[Kind, ...] = KINDS
) -> dict[str, str]:
    """The default policy of each column from the scanner's ``(column, kind code)`` findings.

    - a kind found only under a header (name, address, birth date) owns its column: its default
      policy, even when values also hold phones (``张三 13912345678`` under mask-name keeps no
      digit); two such kinds in one column, or a kind not in ``kinds``: ``suppress``;
    - otherwise a free-text column (备注, 说明…): ``mask-text``, which keeps its other words;
    - otherwise the default of its kind that comes first in ``kinds`` (ID, card, mobile, landline,
      e-mail). These policies mask every identifier in the value and turn values without one
      into ``***``.
    """
    found: dict[str, list[str]] = {}
    for column, code in findings:
        found.setdefault(column, [])
        if code not in found[column]:
            found[column].append(code)
    return {column: _default_policy(column, codes, kinds) for column, codes in found.items()}


def _default_policy(column: str, codes: list[str], kinds: tuple[Kind, ...]) -> str:
    table = kind_table(kinds)
    if any(code not in table.by_code for code in codes):
        return "suppress"
    owners = [table.by_code[code] for code in codes if table.by_code[code].find is None]
    if owners:
        return owners[0].policy if len(owners) == 1 else "suppress"
    header = column.strip().lower()
    if any(word in header for word in FREE_TEXT_HEADERS):
        return "mask-text"
    return table.by_code[min(codes, key=table.order.__getitem__)].policy


def column_name(name: object) -> str:
    """A header cell as the name rules refer to: text, trimmed, without a byte-order mark."""
    return to_text(name).replace("\ufeff", "").strip()


def check_rules(rules: Mapping[str, str], columns: Sequence[str]) -> None:
    """Raise ``ValidationError`` naming unknown policy codes and columns not in the table."""
    known = {column_name(c) for c in columns}
    errors: dict[str, list[str]] = {}
    for column, code in rules.items():
        problems = []
        if column_name(column) not in known:
            problems.append(f"数据表中没有“{column}”这一列")
        if not isinstance(code, str) or code not in POLICIES_BY_CODE:
            problems.append(f"未知的脱敏策略“{code}”")
        if problems:
            errors[str(column)] = problems
    if errors:
        details = "；".join(f"{c}：{'，'.join(p)}" for c, p in errors.items())
        raise ValidationError(f"脱敏规则有误（{details}）", errors)


def check_key(rules: Mapping[str, str], key: bytes) -> None:
    """A pseudonym rule needs a key of at least 16 bytes."""
    if "pseudonym" in rules.values() and len(key) < MIN_KEY_BYTES:
        raise ValidationError(
            f"假名化需要至少 {MIN_KEY_BYTES} 字节的密钥",
            {"key": [f"shorter than {MIN_KEY_BYTES} bytes"]},
        )


def transform(code: str, key: bytes) -> Transform:
    """The function applying policy ``code`` to one cell; it never raises."""
    apply = POLICIES_BY_CODE[code].apply

    def safe(value: object) -> str:
        try:
            return apply(value, key)
        except Exception:  # fail closed: an odd value is hidden, never shown
            return "" if code == "suppress" else UNKNOWN

    return safe


def _on_text(technique: Callable[[str], str]) -> Callable[[object, bytes], str]:
    """Apply ``technique`` to the cell's text; blank cells stay as they are."""

    def apply(value: object, key: bytes) -> str:
        text = to_text(value)
        return technique(text) if text.strip() else text

    return apply


def _pseudonym(value: object, key: bytes) -> str:
    text = to_text(value)
    return pseudonym(text, key) if text.strip() else text


def _year(value: object, key: bytes) -> str:
    text = to_text(value)
    return birth_year(value) if text.strip() else text


def _identifiers(*, phones: bool = False, fail_closed: bool = True) -> Callable[[str], str]:
    def technique(text: str) -> str:
        masked, found = mask_identifiers(text, phones=phones)
        return masked if found or not fail_closed else UNKNOWN

    return technique


_slow_ids = _identifiers()
_slow_phones = _identifiers(phones=True)


def _mask_ids(text: str) -> str:
    """A plain 18-character ID number is masked directly, anything else by the finders."""
    if len(text) == 18 and text.isascii() and text[:17].isdigit() and text[17] in _ID_LAST:
        return text[:6] + "********" + text[14:]
    return _slow_ids(text)


def _mask_cards(text: str) -> str:
    if 15 <= len(text) <= 19 and text.isascii() and text.isdigit():
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return _slow_ids(text)


def _mask_phones(text: str) -> str:
    if len(text) == 11 and text[0] == "1" and text.isascii() and text.isdigit():
        return text[:3] + "****" + text[7:]
    return _slow_phones(text)


def _mask_code(text: str) -> str:
    """A certificate number: its first and last two characters, the others starred."""
    stripped = text.strip()
    if len(stripped) <= 4:
        return UNKNOWN
    return stripped[:2] + STAR * (len(stripped) - 4) + stripped[-2:]


_ID_LAST = frozenset("0123456789Xx")


@dataclass(frozen=True)
class Policy:
    code: str  # stable: stored in masking rules
    title: str  # shown to operators
    technique: str  # suppression | pseudonymisation | generalisation | masking | none
    apply: Callable[[object, bytes], str]  # a cell and the key → the published text


POLICIES: tuple[Policy, ...] = (
    Policy("suppress", "抑制（置空）", "suppression", lambda value, key: ""),
    Policy("pseudonym", "假名化（带密钥的哈希，同值同码）", "pseudonymisation", _pseudonym),
    Policy("year", "泛化（出生日期只留年份）", "generalisation", _year),
    Policy("district", "泛化（地址只留省市区县）", "generalisation", _on_text(generalise_address)),
    Policy("mask-id", "部分遮盖（身份证号）", "masking", _on_text(_mask_ids)),
    Policy("mask-mobile", "部分遮盖（手机号码）", "masking", _on_text(_mask_phones)),
    Policy("mask-landline", "部分遮盖（固定电话）", "masking", _on_text(_mask_phones)),
    Policy("mask-card", "部分遮盖（银行卡号）", "masking", _on_text(_mask_cards)),
    Policy("mask-email", "部分遮盖（电子邮箱）", "masking", _on_text(_identifiers())),
    Policy("mask-name", "部分遮盖（姓名）", "masking", _on_text(mask_name)),
    Policy("mask-plate", "部分遮盖（车牌号）", "masking", _on_text(_identifiers())),
    Policy("mask-code", "部分遮盖（证照编号，留首尾各两位）", "masking", _on_text(_mask_code)),
    Policy(
        "mask-text",
        "部分遮盖（文本中的证件号、电话、卡号、邮箱、车牌号）",
        "masking",
        _on_text(_identifiers(fail_closed=False)),
    ),
    Policy("keep", "不脱敏（保留原值）", "none", lambda value, key: to_text(value)),
)
POLICIES_BY_CODE: dict[str, Policy] = {p.code: p for p in POLICIES}
