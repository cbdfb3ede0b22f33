"""Openness classes (开放属性) and the five exclusion rules, as data (the articles they cite are
configuration: ``datasets.legal``).

The rules carry stable codes. ``classify`` is the one function deciding what the portal does with
a harvested dataset from its declared openness, rule and basis.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from datasets.errors import ValidationError

UNCONDITIONAL = "unconditional"
CONDITIONAL = "conditional"
CLOSED = "closed"
OPENNESS_CLASSES = (UNCONDITIONAL, CONDITIONAL, CLOSED)

OPENNESS_TITLES = {
    UNCONDITIONAL: "无条件开放",
    CONDITIONAL: "有条件开放",
    CLOSED: "不予开放",
}


@dataclass(frozen=True)
class ExclusionRule:
    code: str
    number: int
    title: str


EXCLUSION_RULES: tuple[ExclusionRule, ...] = (
    ExclusionRule("state-secret", 1, "依法确定为国家秘密的"),
    ExclusionRule("security", 2, "开放后可能危及国家安全、公共安全、经济安全和社会稳定的"),
    ExclusionRule(
        "privacy-trade-secret", 3, "涉及商业秘密、个人隐私等，开放会对第三方合法权益造成损害的"
    ),
    ExclusionRule("agreement-ip", 4, "因协议或者知识产权限制而无法开放的"),
    ExclusionRule("law-other-channel", 5, "法律、法规和规章规定不得开放或者应当通过其他途径获取的"),
)
RULES_BY_CODE = {rule.code: rule for rule in EXCLUSION_RULES}
STATE_SECRET = "state-secret"  # noqa: S105 — a rule code, not a password

# Declared class names met in real catalogs, mapped to our three classes.
_OPENNESS_ALIASES = {
    UNCONDITIONAL: UNCONDITIONAL,
    "open": UNCONDITIONAL,
    "public": UNCONDITIONAL,
    "无条件开放": UNCONDITIONAL,
    "无条件开发": UNCONDITIONAL,  # a typo seen in real catalogs
    "无条件": UNCONDITIONAL,
    "普遍开放": UNCONDITIONAL,
    "完全开放": UNCONDITIONAL,
    CONDITIONAL: CONDITIONAL,
    "restricted": CONDITIONAL,
    "有条件开放": CONDITIONAL,
    "有条件开发": CONDITIONAL,
    "有条件": CONDITIONAL,
    "依申请开放": CONDITIONAL,
    "申请开放": CONDITIONAL,
    "安全开放": CONDITIONAL,
    CLOSED: CLOSED,
    "not-open": CLOSED,
    "non-public": CLOSED,
    "不予开放": CLOSED,
    "不开放": CLOSED,
    "暂不开放": CLOSED,
}

_RULE_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def parse_openness(value: object | None) -> str | None:
    """Map a declared openness value to a class code; ``None`` when it is not recognised.

    A missing (empty) value means unconditional: open by default.
    """
    if value is None:
        return UNCONDITIONAL
    text = re.sub(r"\s+", "", str(value)).lower()
    if not text:
        return UNCONDITIONAL
    return _OPENNESS_ALIASES.get(text)


def parse_rule(value: object | None) -> str | None:
    """Map a rule given as a code, a number (3, 第三项, （三）) or its Chinese title to its code."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value))
    if not text:
        return None
    if text.lower() in RULES_BY_CODE:
        return text.lower()
    digits = re.fullmatch(r"(?:第)?[（(]?([1-5一二三四五])[）)]?(?:项|款|条)?", text)
    if digits:
        raw = digits.group(1)
        number = int(raw) if raw.isdigit() else _RULE_NUMBERS[raw]
        return EXCLUSION_RULES[number - 1].code
    stripped = text.rstrip("。；;")
    for rule in EXCLUSION_RULES:
        if stripped == rule.title or rule.title.startswith(stripped) and len(stripped) >= 4:
            return rule.code
    return None


@dataclass(frozen=True)
class Classification:
    """What the portal does with a dataset: its class and state, and the reasons for it."""

    openness: str
    exclusion_rule: str | None = None
    exclusion_basis: str | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)
    state: str = "active"  # active | quarantined
    deidentified: bool = False  # published as masked (de-identified) data
    uncovered: tuple[str, ...] = ()  # personal columns without a masking rule
    # the publish gates it failed (datasets.catalog.quality.gates): code, title, detail, fix
    gates: tuple[dict[str, str], ...] = ()

    @property
    def stores_files(self) -> bool:
        """Whether the dataset's files are kept at all (a listed 不予开放 entry keeps none)."""
        return self.openness != CLOSED


class RefusedAtIntake(ValidationError):
    """The dataset may not be stored at all (a state secret)."""


PRIVACY_RULE = "privacy-trade-secret"


def classify(
    *,
    declared: object | None,
    rule: object | None = None,
    basis: object | None = None,
    personal_columns: Sequence[str] | None = None,
    masked_columns: Collection[str] = (),
) -> Classification:
    """Decide the openness class and state of a dataset.

    ``declared``, ``rule`` and ``basis`` are what its department (or an operator) declared;
    ``personal_columns`` are the columns in which the scanner found personal information
    (``None`` before the files were scanned) and ``masked_columns`` those with a masking rule.

    Raises ``RefusedAtIntake`` for state secrets and ``ValidationError`` for an invalid
    declaration (an unknown class, or 不予开放 without a rule code and a written basis).
    """
    return with_findings(
        _declared_class(declared, rule, basis), personal_columns or (), masked_columns
    )


def _declared_class(
    declared: object | None, rule: object | None, basis: object | None
) -> Classification:
    """The class a declaration alone gives (before any scan), refusing what is invalid."""
    openness = parse_openness(declared)
    rule_code = parse_rule(rule)
    basis_text = str(basis).strip() if basis is not None else ""
    if rule not in (None, "") and rule_code is None:
        raise ValidationError(
            f"不予开放情形无法识别：{rule}", {"exclusion_rule": [f"unknown rule {rule!r}"]}
        )
    if rule_code == STATE_SECRET:
        raise RefusedAtIntake(
            "拒绝接收：依法确定为国家秘密的数据不得汇聚到开放平台（state-secret）",
            {"exclusion_rule": [STATE_SECRET]},
        )
    if openness is None:
        raise ValidationError(
            f"开放属性无法识别：{declared}", {"openness": [f"unknown openness {declared!r}"]}
        )
    if openness == CLOSED:
        problems = {}
        if rule_code is None:
            problems["exclusion_rule"] = ["不予开放须注明不予开放情形（规则代码）"]
        if not basis_text:
            problems["exclusion_basis"] = ["不予开放须注明法律法规依据"]
        if rule_code is None or problems:
            raise ValidationError("不予开放目录缺少不予开放情形或依据，目录无效", problems)
        title = RULES_BY_CODE[rule_code].title
        return Classification(CLOSED, rule_code, basis_text, (f"部门声明不予开放：{title}",))
    if openness == CONDITIONAL:
        return Classification(CONDITIONAL, rule_code, basis_text or None, ("部门声明有条件开放",))
    return Classification(UNCONDITIONAL, None, None, ("部门声明无条件开放",))


def with_findings(
    declared: Classification, personal_columns: Sequence[str], masked_columns: Collection[str]
) -> Classification:
    """The class a declaration gives (``declared``, as ``classify`` decides it before any
    scan), completed with the columns in which the scanner found personal information and
    those with a masking rule: 不予开放 for privacy opens de-identified when every personal
    column is masked; 无条件开放 is quarantined while one is not, de-identified once all are."""
    personal = tuple(personal_columns)
    uncovered = tuple(c for c in personal if c not in masked_columns)
    if not personal or declared.openness == CONDITIONAL:
        return declared
    if declared.openness == CLOSED:
        rule_code = declared.exclusion_rule
        if rule_code != PRIVACY_RULE or uncovered:
            return declared
        return Classification(
            UNCONDITIONAL,
            rule_code,
            declared.exclusion_basis,
            (
                f"部门声明不予开放：{RULES_BY_CODE[rule_code].title}",
                "全部个人信息字段已按规则脱敏，脱敏后的数据予以开放",
            ),
            deidentified=True,
        )
    if uncovered:
        return Classification(
            UNCONDITIONAL,
            reasons=(
                "部门声明无条件开放，但扫描发现个人信息：" + "、".join(uncovered),
                "暂停发布，待运维人员设置脱敏规则或重新分类",
            ),
            state="quarantined",
            uncovered=uncovered,
        )
    return Classification(
        UNCONDITIONAL,
        reasons=("部门声明无条件开放", "个人信息字段已按规则脱敏后开放"),
        deidentified=True,
    )


def needs_files(declaration: Classification, *, has_masking_rules: bool) -> bool:
    """Whether a dataset's files must be fetched and scanned at all.

    A 不予开放 entry is only listed, unless it is closed for privacy (rule 3) and masking rules
    exist, in which case its de-identified data may have to be opened.
    """
    if declaration.openness != CLOSED:
        return True
    return declaration.exclusion_rule == PRIVACY_RULE and has_masking_rules
