"""Error reports (纠错), rights-holder objections (权益异议) and suggestions (意见建议), and the
department's answers to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from datasets.errors import raise_problems
from datasets.openness.rules import CLOSED
from datasets.workflows.cases import Problems, problem
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

RIGHTS_DECISIONS = {
    "withdraw": "撤回数据（不予开放）",
    "restore": "异议不成立，恢复开放",
    "restore_after_processing": "经处理后恢复开放",
}


def _contact(required: bool) -> dict[str, Any]:
    doc = "提出人的联系方式，不公开；" + (
        "必填（已登录的调用者可不填，使用账户中的联系方式）" if required else "可不填"
    )
    return spec("联系方式", doc, kind="contact", required=required)


def _dataset(doc: str, required: bool = True) -> dict[str, Any]:
    return spec("数据集", doc, kind="ref", required=required, limit=200)


@dataclass(frozen=True)
class ErrorReportInput:
    """An error in a dataset; contact details are optional."""

    api_summary: ClassVar[str] = "报告数据集中的错误；联系方式可不填"

    dataset: DatasetRef = field(metadata=_dataset("数据集的名称或 id"))
    description: str = field(
        default="", metadata=spec("错误情况说明", "哪些数据有误、错在哪里", required=True)
    )
    location: str = field(
        default="", metadata=spec("出错位置", "出错位置：文件、行、字段", limit=MAX_TITLE)
    )
    contact: Contact = field(default=Contact(), metadata=_contact(False))

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup) -> ErrorReportInput:
        data = as_object(payload)
        problems: Problems = {}
        description = read(cls, "description", data, problems)
        location = read(cls, "location", data, problems)
        contact = parse_contact(data.get("contact"), problems, lookup, required=False)
        dataset = dataset_ref(lookup, data.get("dataset"), "dataset", problems)
        raise_problems(problems)
        assert dataset is not None  # else a problem was raised
        return cls(dataset, description, location, contact)


@dataclass(frozen=True)
class ErrorReplyInput:
    """The department's public reply, saying whether it corrected the data."""

    api_summary: ClassVar[str] = "数据提供部门的公开答复，并说明是否已更正数据"

    reply: str = field(default="", metadata=spec("答复内容", "公开的答复内容", required=True))
    corrected: bool = field(
        default=False, metadata=spec("是否已更正", "是否已更正数据", kind="flag", required=True)
    )

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup | None = None) -> ErrorReplyInput:
        data = as_object(payload)
        problems: Problems = {}
        reply = read(cls, "reply", data, problems)
        corrected = read(cls, "corrected", data, problems)
        raise_problems(problems)
        return cls(reply, corrected)


@dataclass(frozen=True)
class RightsObjectionInput:
    """A rights holder's objection to a published (open or conditional) dataset."""

    api_summary: ClassVar[str] = "权利人对已发布（无条件开放或有条件开放）的数据集提出权益异议"

    dataset: DatasetRef = field(metadata=_dataset("无条件开放或有条件开放数据集的名称或 id"))
    claim: str = field(
        default="", metadata=spec("受损害的权益及理由", "受损害的权益及理由", required=True)
    )
    rights_basis: str = field(
        default="",
        metadata=spec("权利依据", "异议人享有该权益的依据", required=True),
    )
    contact: Contact = field(default=Contact(), metadata=_contact(True))
    verification_code: str = field(default="", metadata=verification_spec())

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup) -> RightsObjectionInput:
        data = as_object(payload)
        problems: Problems = {}
        claim = read(cls, "claim", data, problems)
        basis = read(cls, "rights_basis", data, problems)
        contact = parse_contact(data.get("contact"), problems, lookup, required=True)
        dataset = dataset_ref(lookup, data.get("dataset"), "dataset", problems)
        if dataset is not None and dataset.openness == CLOSED:
            problem(problems, "dataset", "该数据集不予开放，未向社会提供，无需提出权益异议")
        code = read(cls, "verification_code", data, problems)
        raise_problems(problems)
        assert dataset is not None  # else a problem was raised
        return cls(dataset, claim, basis, contact, code)


@dataclass(frozen=True)
class RightsSuspensionInput:
    """The department's decision on suspending a dataset while it examines an objection that
    did not suspend it at once."""

    api_summary: ClassVar[str] = (
        "数据提供部门决定是否在处理期间暂停开放该数据集"
        "（suspend 为 true：暂停；false：继续开放），并说明理由"
    )

    suspend: bool = field(
        default=False,
        metadata=spec("是否暂停开放", "true：暂停开放；false：处理期间继续开放", kind="flag"),
    )
    note: str = field(
        default="", metadata=spec("理由", "决定暂停或不暂停的理由（不公开）", required=True)
    )

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup | None = None) -> RightsSuspensionInput:
        data = as_object(payload)
        problems: Problems = {}
        suspend = read(cls, "suspend", data, problems)
        note = read(cls, "note", data, problems)
        raise_problems(problems)
        return cls(suspend, note)


@dataclass(frozen=True)
class RightsDecisionInput:
    """Withdraw the data, restore it, or restore it after processing, with the reasons."""

    api_summary: ClassVar[str] = "撤回数据、恢复开放或经处理后恢复开放，并说明理由"

    decision: str = field(
        default="",
        metadata=spec("决定", "", kind="choice", required=True, choices=RIGHTS_DECISIONS),
    )
    reply: str = field(
        default="",
        metadata=spec("处理决定及理由", "公开的处理决定及采取的措施", required=True),
    )

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup | None = None) -> RightsDecisionInput:
        data = as_object(payload)
        problems: Problems = {}
        decision = read(cls, "decision", data, problems)
        reply = read(cls, "reply", data, problems)
        raise_problems(problems)
        return cls(decision, reply)


@dataclass(frozen=True)
class SuggestionInput:
    """A suggestion to a department, named directly or through one of its datasets."""

    api_summary: ClassVar[str] = "向数据提供部门提出意见建议：直接指定部门，或指定该部门的数据集"

    content: str = field(default="", metadata=spec("意见建议内容", "意见建议内容", required=True))
    contact: Contact = field(default=Contact(), metadata=_contact(False))
    dataset: DatasetRef | None = field(
        default=None, metadata=_dataset("数据集的名称或 id", required=False)
    )
    department: DepartmentRef | None = field(
        default=None,
        metadata=spec(
            "部门", "部门的 organization.name（未指定数据集时填写）", kind="ref", limit=100
        ),
    )

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup) -> SuggestionInput:
        data = as_object(payload)
        problems: Problems = {}
        content = read(cls, "content", data, problems)
        contact = parse_contact(data.get("contact"), problems, lookup, required=False)
        dataset, department = None, None
        if given(data, "dataset"):
            dataset = dataset_ref(lookup, data["dataset"], "dataset", problems)
        else:
            department = department_ref(lookup, data.get("department"), "department", problems)
        raise_problems(problems)
        return cls(content, contact, dataset, department)

    def organization_id(self) -> str:
        """The department it goes to: the dataset's, or the one named."""
        if self.dataset is not None:
            return self.dataset.organization_id
        if self.department is not None:
            return self.department.id
        raise ValueError("a parsed suggestion names a dataset or a department")


@dataclass(frozen=True)
class SuggestionReplyInput:
    """The department's public reply to a suggestion."""

    api_summary: ClassVar[str] = "数据提供部门对意见建议的公开答复"

    reply: str = field(default="", metadata=spec("答复内容", "公开的答复内容", required=True))

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup | None = None) -> SuggestionReplyInput:
        data = as_object(payload)
        problems: Problems = {}
        reply = read(cls, "reply", data, problems)
        raise_problems(problems)
        return cls(reply)
