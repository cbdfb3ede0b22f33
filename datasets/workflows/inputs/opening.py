"""Requests to open data (开放需求), the department's answer, and the conclusion of a mandatory
opening assessment (开放评估)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from datasets.errors import raise_problems
from datasets.openness.rules import CONDITIONAL, RULES_BY_CODE, STATE_SECRET, UNCONDITIONAL
from datasets.workdays import shanghai_date
from datasets.workflows.cases import Problems, now_utc, problem
from datasets.workflows.inputs.contact import Contact, parse_contact
from datasets.workflows.inputs.fields import (
    MAX_TITLE,
    as_object,
    given,
    read,
    spec,
    verification_spec,
)
from datasets.workflows.inputs.lookup import (
    DatasetRef,
    DepartmentRef,
    Lookup,
    dataset_ref,
    department_ref,
)

# the department's answer to a request (SPEC §7)
CATEGORIES = {
    "already_open": "数据已开放",
    "will_open": "将于限期内开放",
    "apply": "属有条件开放数据，可申请获取",
    "refused": "不予开放",
    "not_ours": "非本部门数据",
}
# what an opening assessment concludes
CONCLUSIONS = {
    "open": "予以无条件开放",
    "conditional": "有条件开放",
    "keep_closed": "维持不予开放",
}
# exclusion rules a refusal may cite: state secrets are never in the portal at all
REFUSAL_RULES = {code: rule for code, rule in RULES_BY_CODE.items() if code != STATE_SECRET}


@dataclass(frozen=True)
class OpeningRequestInput:
    """A request to open a dataset of the catalog (``dataset``) or data that is not in it
    (``department`` and ``title``)."""

    api_summary: ClassVar[str] = (
        "提出开放需求：希望开放目录中的数据集（dataset），或目录中没有的数据（department 和 title）"
    )

    description: str = field(
        default="", metadata=spec("数据用途", "数据用途（与开放理由至少填写一项）")
    )
    reason: str = field(default="", metadata=spec("开放理由", "希望开放的理由"))
    contact: Contact = field(
        default=Contact(),
        metadata=spec(
            "联系方式",
            "提出人的联系方式，不公开；必填（已登录的调用者可不填，使用账户中的联系方式）",
            kind="contact",
            required=True,
        ),
    )
    dataset: DatasetRef | None = field(
        default=None,
        metadata=spec("数据集", "不予开放或有条件开放数据集的名称或 id", kind="ref", limit=200),
    )
    department: DepartmentRef | None = field(
        default=None,
        metadata=spec(
            "数据提供部门",
            "数据提供部门的 organization.name（所需数据不在目录中时填写）",
            kind="ref",
            limit=100,
        ),
    )
    title: str = field(
        default="",
        metadata=spec("所需数据名称", "所需数据的名称（不在目录中时填写）", limit=MAX_TITLE),
    )
    verification_code: str = field(default="", metadata=verification_spec())

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup) -> OpeningRequestInput:
        data = as_object(payload)
        problems: Problems = {}
        description = read(cls, "description", data, problems)
        reason = read(cls, "reason", data, problems)
        if not description and not reason and not problems.keys() & {"description", "reason"}:
            problem(problems, "description", "请说明数据用途和希望开放的理由")
        contact = parse_contact(data.get("contact"), problems, lookup, required=True)
        dataset, department, title = None, None, ""
        if given(data, "dataset"):
            dataset = dataset_ref(lookup, data["dataset"], "dataset", problems)
            if dataset is not None and dataset.openness == UNCONDITIONAL:
                problem(problems, "dataset", "该数据集已无条件开放，可直接下载，无需提出开放需求")
        elif not given(data, "department") and not given(data, "title"):
            problem(problems, "dataset", "请指定数据集，或填写数据提供部门和所需数据")
        else:
            department = department_ref(lookup, data.get("department"), "department", problems)
            title = read(cls, "title", data, problems, required=True)
        code = read(cls, "verification_code", data, problems)
        raise_problems(problems)
        return cls(description, reason, contact, dataset, department, title, code)

    def organization_id(self) -> str:
        """The department that must answer: the dataset's, or the one named."""
        if self.dataset is not None:
            return self.dataset.organization_id
        if self.department is not None:
            return self.department.id
        raise ValueError("a parsed request names a dataset or a department")


@dataclass(frozen=True)
class OpeningReplyInput:
    """The department's answer: a category, a public reply and what the category needs —
    ``already_open`` the open dataset, ``will_open`` the date, ``apply`` the conditional
    dataset (None: the one the request is about), ``refused`` the rule, ``not_ours`` the
    responsible department (optional)."""

    api_summary: ClassVar[str] = (
        "数据提供部门给出答复类别、公开的答复内容及该类别所需的内容：already_open "
        "填已开放的数据集，will_open 填计划开放日期，apply 填可申请的有条件开放数据集"
        "（默认为所需求的数据集），refused 填不予开放依据，not_ours 填负责提供的部门（可不填）"
    )

    reply: str = field(default="", metadata=spec("答复内容", "公开的答复内容", required=True))
    category: str = field(
        default="",
        metadata=spec("答复类别", "", kind="choice", required=True, choices=CATEGORIES),
    )
    open_dataset: DatasetRef | None = field(
        default=None,
        metadata=spec("已开放的数据集", "already_open 时填写：已开放的数据集", kind="ref"),
    )
    open_by: date | None = field(
        default=None,
        metadata=spec("计划开放日期", "will_open 时填写：计划开放日期（不早于今天）", kind="day"),
    )
    apply_dataset: DatasetRef | None = field(
        default=None,
        metadata=spec(
            "可申请的数据集",
            "apply 时填写：可申请的有条件开放数据集（默认为所需求的数据集）",
            kind="ref",
        ),
    )
    rule_code: str | None = field(
        default=None,
        metadata=spec(
            "不予开放依据",
            "refused 时填写：不予开放依据",
            kind="choice",
            choices={code: rule.title for code, rule in REFUSAL_RULES.items()},
        ),
    )
    responsible_department: str | None = field(
        default=None,
        metadata=spec(
            "负责提供的部门", "not_ours 时填写：负责提供该数据的部门（可不填）", limit=MAX_TITLE
        ),
    )

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup) -> OpeningReplyInput:
        data = as_object(payload)
        problems: Problems = {}
        reply = read(cls, "reply", data, problems)
        category = data.get("category")
        answer = _ANSWERS.get(category) if isinstance(category, str) else None
        extra = answer(data, lookup, problems) if answer else {}
        if answer is None:
            read(cls, "category", data, problems)
        raise_problems(problems)
        return cls(reply=reply, category=str(category), **extra)


def _already_open(data: dict[str, Any], lookup: Lookup, problems: Problems) -> dict[str, Any]:
    ref = data.get("open_dataset") or data.get("dataset")
    found = dataset_ref(lookup, ref, "open_dataset", problems)
    if found is not None and found.openness != UNCONDITIONAL:
        problem(problems, "open_dataset", "所指数据集不是无条件开放数据")
    return {"open_dataset": found}


def _will_open(data: dict[str, Any], lookup: Lookup, problems: Problems) -> dict[str, Any]:
    raw = data.get("open_by")
    try:
        open_by = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        open_by = None
    if open_by is None:
        problem(problems, "open_by", "请填写计划开放日期（YYYY-MM-DD）")
    elif open_by < shanghai_date(now_utc()):
        problem(problems, "open_by", "计划开放日期不能早于今天")
    return {"open_by": open_by}


def _apply(data: dict[str, Any], lookup: Lookup, problems: Problems) -> dict[str, Any]:
    ref = data.get("apply_dataset") or data.get("dataset")
    found = dataset_ref(lookup, ref, "apply_dataset", problems, required=False)
    if found is not None and found.openness != CONDITIONAL:
        problem(problems, "apply_dataset", "所指数据集不是有条件开放数据")
    return {"apply_dataset": found}


def _refused(data: dict[str, Any], lookup: Lookup, problems: Problems) -> dict[str, Any]:
    code = data.get("rule_code") or data.get("rule")
    if not isinstance(code, str) or code not in REFUSAL_RULES:
        problem(problems, "rule_code", "不予开放须注明所依据的规则：" + "、".join(REFUSAL_RULES))
        return {}
    return {"rule_code": code}


def _not_ours(data: dict[str, Any], lookup: Lookup, problems: Problems) -> dict[str, Any]:
    other = data.get("responsible_department")
    if other in (None, ""):
        return {}
    if not isinstance(other, str) or len(other.strip()) > MAX_TITLE:
        problem(problems, "responsible_department", f"责任部门名称不超过 {MAX_TITLE} 字")
        return {}
    return {"responsible_department": other.strip()}


_ANSWERS = {
    "already_open": _already_open,
    "will_open": _will_open,
    "apply": _apply,
    "refused": _refused,
    "not_ours": _not_ours,
}


@dataclass(frozen=True)
class AssessmentInput:
    """The conclusion of a mandatory opening assessment, with its public reasons."""

    api_summary: ClassVar[str] = "作出开放评估结论，并公开评估意见"

    conclusion: str = field(
        default="",
        metadata=spec("评估结论", "", kind="choice", required=True, choices=CONCLUSIONS),
    )
    reply: str = field(default="", metadata=spec("评估意见", "公开的评估意见", required=True))

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup | None = None) -> AssessmentInput:
        data = as_object(payload)
        problems: Problems = {}
        conclusion = read(cls, "conclusion", data, problems)
        reply = read(cls, "reply", data, problems)
        raise_problems(problems)
        return cls(conclusion, reply)


@dataclass(frozen=True)
class AnswerObjectionInput:
    """The requester's objection to the department's answer (异议 → 复核 by the bureau)."""

    api_summary: ClassVar[str] = (
        "提出人对数据提供部门的答复有异议时，向主管部门申请复核（已登录的提出人，或在 "
        "X-Access-Code 请求头中提供查询码；须在答复后的期限内提出，每项开放需求一次）"
    )

    reason: str = field(default="", metadata=spec("异议理由", "对答复有异议的理由", required=True))

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup | None = None) -> AnswerObjectionInput:
        data = as_object(payload)
        problems: Problems = {}
        reason = read(cls, "reason", data, problems)
        raise_problems(problems)
        return cls(reason)


# what a periodic review concludes (岳阳 第二十八条第一款)
REVIEW_CONCLUSIONS = {
    "keep": "维持现有开放类型",
    "open": "纳入无条件开放",
    "conditional": "调整为有条件开放",
}


@dataclass(frozen=True)
class ReviewInput:
    """The conclusion of a periodic review (定期评估审查) of an entry outside the open scope,
    with its public reasons."""

    api_summary: ClassVar[str] = (
        "作出定期评估审查结论（keep 维持并说明理由、open 纳入无条件开放、conditional "
        "调整为有条件开放），并公开审查意见；改变开放类型时按重新分类办理"
    )

    conclusion: str = field(
        default="",
        metadata=spec("审查结论", "", kind="choice", required=True, choices=REVIEW_CONCLUSIONS),
    )
    reply: str = field(
        default="", metadata=spec("审查意见", "公开的审查意见（维持时须说明理由）", required=True)
    )

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup | None = None) -> ReviewInput:
        data = as_object(payload)
        problems: Problems = {}
        conclusion = read(cls, "conclusion", data, problems)
        reply = read(cls, "reply", data, problems)
        raise_problems(problems)
        return cls(conclusion, reply)
