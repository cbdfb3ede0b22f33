"""The typed input of each step of the application, objection and grant processes.

A request body (the JSON API's object, or the HTML form read into the same shape) is parsed once,
at the edge, by ``parse``: a frozen dataclass comes out, or the ``ValidationError`` naming each
field's problem. The services take these objects and check only what needs the database (the
dataset, its columns, the case's state). ``REQUESTS`` maps each transition of
``machine.APPLICATION``, ``machine.OBJECTION`` and ``machine.GRANT`` to its request type; the
OpenAPI document describes the bodies from the same classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datasets.errors import ValidationError, raise_problems
from datasets.openness.rules import RULES_BY_CODE, STATE_SECRET
from datasets.workflows.fields import (
    MAX_TEXT,
    Problems,
    as_object,
    loose_text,
    name_list,
    text_field,
)
from datasets.workflows.machine import APPLICATION, STAGES

if TYPE_CHECKING:
    from datasets.settings import Settings

ACCESS_MODES = {"download": "文件下载", "api": "接口调用"}
TEXT_FIELDS = {
    "purpose": "使用用途",
    "scope": "使用范围",
    "scenario": "应用场景",
    "security_measures": "安全保障措施",
}
DECISIONS = {"approve": "approved", "partial": "partial", "refuse": "refused"}
# a refusal may cite an exclusion rule or a published condition the applicant does not meet
UNMET_CONDITION = "unmet-condition"
OBJECTION_DECISIONS = {"uphold": "upheld", "overturn": "overturned"}
# why a grant was suspended or revoked (SPEC §7)
REASONS = {
    "transfer": "转让数据",
    "purpose_change": "改变使用用途",
    "out_of_scope": "超范围使用",
    "security_incident": "发生安全事件",
    "missing_report": "未按期报送使用情况报告",
    "expiry": "授权期限届满",
}
STATUS_ACTIONS = ("suspend", "restore", "revoke")
MAX_REPORT = 8000
_YES = ("true", "1", "on", "yes")


def _code_in(value: Any, codes: Any) -> bool:
    """Whether ``value`` is one of ``codes`` (a list or an object sent instead is not)."""
    return isinstance(value, str) and value in codes


def _whole_number(value: Any) -> int | None:
    """A whole number as sent, or as the digits of a form field; None for anything else."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


# the explicit choice of every field in an application (a list names the fields chosen)
ALL_FIELDS = "all"


def _requested_fields(value: Any, problems: Problems) -> tuple[str, ...]:
    """The fields an application asks for: ``"all"`` (every field, as an empty tuple) or a
    non-empty list of names. Asking for everything is a choice made, never a default."""
    if value == ALL_FIELDS:
        return ()
    names = name_list(value)
    if names is None:
        problems["fields"] = ['fields 须为字段名列表，或为 "all"（申请全部字段）']
    elif not names:
        problems["fields"] = ['请列出申请的字段，或填写 "all" 申请全部字段']
    return tuple(names or ())


@dataclass(frozen=True)
class Application:
    """An application for conditional data (``applications.submit``)."""

    dataset: str
    purpose: str
    scope: str
    scenario: str
    security_measures: str
    fields: tuple[str, ...]
    period_months: int
    access_mode: str

    @classmethod
    def parse(cls, payload: Any, settings: Settings) -> Application:
        body = as_object(payload)
        problems: Problems = {}
        dataset = body.get("dataset")
        if not isinstance(dataset, str) or not dataset.strip():
            problems["dataset"] = ["请填写数据集名称或 id"]
        texts = {key: text_field(body, key, label, problems) for key, label in TEXT_FIELDS.items()}
        fields = _requested_fields(body.get("fields"), problems)
        period = _whole_number(body.get("period_months"))
        if period is None:
            problems["period_months"] = ["请填写使用期限（月）"]
        elif not 1 <= period <= settings.grant_max_months:
            problems["period_months"] = [f"使用期限须为 1–{settings.grant_max_months} 个月"]
        mode = body.get("access_mode")
        if not _code_in(mode, ACCESS_MODES):
            problems["access_mode"] = ["获取方式须为 download（文件下载）或 api（接口调用）"]
        raise_problems(problems)
        return cls(
            dataset=str(dataset).strip(),
            fields=fields,
            period_months=period or 0,
            access_mode=str(mode),
            **texts,
        )


@dataclass(frozen=True)
class Correction:
    """What the department asks the applicant to supply (补正)."""

    items: str

    @classmethod
    def parse(cls, payload: Any) -> Correction:
        body = as_object(payload)
        items = str(body.get("items") or body.get("note") or "").strip()
        if not items:
            raise ValidationError("请列明需要补正的材料", {"items": ["必填"]})
        return cls(items)


@dataclass(frozen=True)
class Supplement:
    """The applicant's reply to 补正: a note, and any of the application's texts rewritten."""

    note: str
    changes: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, payload: Any) -> Supplement:
        body = as_object(payload)
        note = loose_text(body, "note")
        texts = {k: body[k].strip() for k in TEXT_FIELDS if isinstance(body.get(k), str)}
        changes = tuple((k, v) for k, v in texts.items() if v)
        if not note and not changes:
            raise ValidationError("请填写补正内容", {"note": ["必填"]})
        if any(len(v) > MAX_TEXT for _, v in changes) or len(note) > MAX_TEXT:
            raise ValidationError(f"每项不超过 {MAX_TEXT} 字")
        return cls(note, changes)


@dataclass(frozen=True)
class Extension:
    """One extension of the deadline, with a reason, by at most ``days_extension`` working days
    (all of them when ``days`` is not given)."""

    reason: str
    days: int

    @classmethod
    def parse(cls, payload: Any, settings: Settings) -> Extension:
        body = as_object(payload)
        problems: Problems = {}
        most = APPLICATION.days("extend", settings)
        reason = loose_text(body, "reason")
        days = body.get("days", most)
        if not reason:
            problems["reason"] = ["请说明延期理由"]
        if not isinstance(days, int) or isinstance(days, bool) or not (1 <= days <= most):
            problems["days"] = [f"延长期限须为 1–{most} 个工作日"]
        raise_problems(problems)
        return cls(reason, int(days))


def _rule_code_problem(rule_code: str | None) -> list[str] | None:
    if rule_code == STATE_SECRET:
        return ["国家秘密数据不在平台存储，不能作为拒绝理由"]
    if rule_code != UNMET_CONDITION and not _code_in(rule_code, RULES_BY_CODE):
        codes = "、".join(code for code in RULES_BY_CODE if code != STATE_SECRET)
        return [f"须引用不予开放规则编码（{codes}）或 {UNMET_CONDITION}（未满足已公布的开放条件）"]
    return None


@dataclass(frozen=True)
class Decision:
    """Approve, approve in part (``fields``: those granted) or refuse, citing a rule code or an
    unmet published condition."""

    decision: str
    reason: str
    rule_code: str | None
    fields: tuple[str, ...]

    @property
    def target(self) -> str:
        return DECISIONS[self.decision]

    @classmethod
    def parse(cls, payload: Any) -> Decision:
        body = as_object(payload)
        problems: Problems = {}
        decision = body.get("decision")
        reason = loose_text(body, "reason")
        rule_code = body.get("rule_code") or None
        if not _code_in(decision, DECISIONS):
            problems["decision"] = ["decision 须为 approve、partial 或 refuse"]
        if decision in ("partial", "refuse"):
            if not reason:
                problems["reason"] = ["不予同意（含部分同意）须说明理由"]
            if found := _rule_code_problem(rule_code):
                problems["rule_code"] = found
        if len(reason) > MAX_TEXT:
            problems["reason"] = [f"理由不超过 {MAX_TEXT} 字"]
        raise_problems(problems)
        fields = name_list(body.get("fields")) if decision == "partial" else []
        if fields is None:
            raise ValidationError(
                "部分同意须列出同意提供的字段（申请字段的真子集）",
                {"fields": ["fields 须为字段名列表"]},
            )
        return cls(str(decision), reason, rule_code, tuple(fields))


@dataclass(frozen=True)
class Signature:
    """The applicant accepts the agreement of ``agreement_version``."""

    agreement_version: str | None

    @classmethod
    def parse(cls, payload: Any) -> Signature:
        body = as_object(payload)
        accept = body.get("accept")
        if accept is not True and str(accept).lower() not in _YES:
            raise ValidationError("须同意数据使用协议方可签署", {"accept": ["须为 true"]})
        version = body.get("agreement_version")
        return cls(str(version) if version else None)


@dataclass(frozen=True)
class Withdrawal:
    """Withdrawing an application takes nothing."""

    @classmethod
    def parse(cls, payload: Any) -> Withdrawal:
        as_object(payload)
        return cls()


@dataclass(frozen=True)
class Objection:
    """The applicant's objection to a refusal (异议 → 复核)."""

    reason: str

    @classmethod
    def parse(cls, payload: Any) -> Objection:
        reason = loose_text(as_object(payload), "reason")
        if not reason:
            raise ValidationError("请说明异议理由", {"reason": ["必填"]})
        if len(reason) > MAX_TEXT:
            raise ValidationError(f"异议理由不超过 {MAX_TEXT} 字", {"reason": ["过长"]})
        return cls(reason)


@dataclass(frozen=True)
class Ruling:
    """The bureau upholds or overturns a refusal, with its reasons."""

    decision: str
    reason: str

    @property
    def target(self) -> str:
        return OBJECTION_DECISIONS[self.decision]

    @classmethod
    def parse(cls, payload: Any) -> Ruling:
        body = as_object(payload)
        problems: Problems = {}
        decision = body.get("decision")
        reason = loose_text(body, "reason")
        if not _code_in(decision, OBJECTION_DECISIONS):
            problems["decision"] = ["decision 须为 uphold（维持）或 overturn（撤销原决定）"]
        if not reason:
            problems["reason"] = ["请说明复核理由"]
        elif len(reason) > MAX_TEXT:
            problems["reason"] = [f"理由不超过 {MAX_TEXT} 字"]
        raise_problems(problems)
        return cls(str(decision), reason)


@dataclass(frozen=True)
class Escalation:
    """A step of the 广州 escalation ladder (协调 → 联合会审 → 市政府裁决)."""

    stage: str
    note: str

    @classmethod
    def parse(cls, payload: Any) -> Escalation:
        body = as_object(payload)
        stage = body.get("stage")
        if not _code_in(stage, STAGES):
            raise ValidationError(
                "stage 须为 " + "、".join(f"{k}（{v}）" for k, v in STAGES.items()),
                {"stage": ["未知的阶段"]},
            )
        return cls(str(stage), loose_text(body, "note"))


@dataclass(frozen=True)
class StatusChange:
    """Suspend, restore or revoke a grant; suspending and revoking give a reason code."""

    action: str
    reason: str | None
    note: str

    @classmethod
    def parse(cls, payload: Any) -> StatusChange:
        body = as_object(payload)
        action, reason = body.get("action"), body.get("reason") or None
        if not _code_in(action, STATUS_ACTIONS):
            raise ValidationError("action 须为 suspend、restore 或 revoke")
        if action != "restore" and not _code_in(reason, REASONS):
            raise ValidationError(
                "须给出原因编码：" + "、".join(f"{k}（{v}）" for k, v in REASONS.items()),
                {"reason": ["未知的原因编码"]},
            )
        return cls(str(action), str(reason) if reason else None, str(body.get("note") or ""))


@dataclass(frozen=True)
class UseReport:
    """The grant holder's report on the use of the data."""

    text: str

    @classmethod
    def parse(cls, payload: Any) -> UseReport:
        text = loose_text(as_object(payload), "text")
        if not text:
            raise ValidationError("请填写使用情况报告", {"text": ["必填"]})
        if len(text) > MAX_REPORT:
            raise ValidationError(f"报告不超过 {MAX_REPORT} 字", {"text": ["过长"]})
        return cls(text)


@dataclass(frozen=True)
class ScopeConfirmation:
    """The current columns a grant covers after its dataset's columns changed. ``fields`` is
    None when what was sent is not a list of names: the service refuses that only after it
    checked who asks (authorisation before the input)."""

    fields: tuple[str, ...] | None

    @classmethod
    def parse(cls, payload: Any) -> ScopeConfirmation:
        fields = as_object(payload).get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            return cls(None)
        return cls(tuple(dict.fromkeys(f.strip() for f in fields)))
