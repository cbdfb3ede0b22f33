"""The state machines of the public services, written out as data.

Each process (application, objection, request to open data, error report, rights-holder
objection, suggestion, opening assessment) has states, transitions between them and, for each
transition, who may take it. Services ask :func:`Machine.check` before changing a case, so a
transition that is not listed here cannot happen; the README and the OpenAPI document show the
same tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from datasets.errors import Conflict

# who may take a transition
REQUESTER = "requester"  # the applicant or requester of the case
DEPARTMENT = "department"  # a reviewer of the department that must answer
BUREAU = "bureau"  # an officer of the supervising bureau (主管部门)
SYSTEM = "system"  # the portal itself (deadlines, rulings, counts)
ANYONE = "anyone"  # anyone, signed in or not


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    who: str
    label: str


@dataclass(frozen=True)
class Machine:
    kind: str
    label: str
    prefix: str  # of reference numbers, e.g. SQ-20261122-0001
    states: dict[str, str]  # state → label
    final: frozenset[str]
    transitions: tuple[Transition, ...]

    @property
    def initial(self) -> Transition:
        """The transition that opens a case (the one with no source state)."""
        return next(t for t in self.transitions if not t.sources)

    def transition(self, name: str) -> Transition:
        for transition in self.transitions:
            if transition.name == name:
                return transition
        raise KeyError(name)

    def check(self, name: str, source: str, target: str | None = None) -> Transition:
        """The transition ``name`` from ``source`` (to ``target``), or Conflict if not allowed."""
        transition = self.transition(name)
        if source not in transition.sources:
            raise Conflict(
                f"{self.label}当前状态为“{self.states.get(source, source)}”，不能{transition.label}"
            )
        if target is not None and target not in transition.targets:
            raise KeyError(f"{name} does not lead to {target}")
        return transition

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "states": [
                {"state": s, "label": label, "final": s in self.final}
                for s, label in self.states.items()
            ],
            "transitions": [
                {
                    "name": t.name,
                    "from": list(t.sources),
                    "to": list(t.targets),
                    "who": t.who,
                    "label": t.label,
                }
                for t in self.transitions
            ],
        }


APPLICATION = Machine(
    kind="application",
    label="有条件开放申请",
    prefix="SQ",
    states={
        "submitted": "已受理，待审核",
        "correction": "待补正（计时暂停）",
        "approved": "已同意，待签署协议",
        "partial": "部分同意，待签署协议",
        "refused": "不予同意",
        "ruling": "复核改决，待部门提供",
        "granted": "已签署协议，已授权",
        "withdrawn": "已撤回",
    },
    final=frozenset({"refused", "granted", "withdrawn"}),
    transitions=(
        Transition("submit", (), ("submitted",), REQUESTER, "提交申请"),
        Transition("request_correction", ("submitted",), ("correction",), DEPARTMENT, "要求补正"),
        Transition("supplement", ("correction",), ("submitted",), REQUESTER, "补正材料"),
        Transition("extend", ("submitted",), ("submitted",), DEPARTMENT, "延长答复期限"),
        Transition(
            "decide",
            ("submitted", "ruling"),
            ("approved", "partial", "refused"),
            DEPARTMENT,
            "作出决定",
        ),
        Transition("sign", ("approved", "partial"), ("granted",), REQUESTER, "签署数据使用协议"),
        Transition(
            "withdraw",
            ("submitted", "correction", "approved", "partial"),
            ("withdrawn",),
            REQUESTER,
            "撤回申请",
        ),
        Transition("overturn", ("refused", "partial"), ("ruling",), SYSTEM, "依复核决定改决"),
    ),
)

OBJECTION = Machine(
    kind="objection",
    label="复核申请",
    prefix="FH",
    states={
        "submitted": "已受理，复核中",
        "upheld": "维持原决定",
        "overturned": "撤销原决定，责令提供",
    },
    final=frozenset({"upheld", "overturned"}),
    transitions=(
        Transition("submit", (), ("submitted",), REQUESTER, "提出异议"),
        Transition("escalate", ("submitted",), ("submitted",), BUREAU, "记录协调或会审"),
        Transition("decide", ("submitted",), ("upheld", "overturned"), BUREAU, "作出复核决定"),
    ),
)

OPENING_REQUEST = Machine(
    kind="opening_request",
    label="开放需求",
    prefix="XQ",
    states={"submitted": "已受理，待答复", "answered": "已答复"},
    final=frozenset({"answered"}),
    transitions=(
        Transition("submit", (), ("submitted",), ANYONE, "提出开放需求"),
        Transition("answer", ("submitted",), ("answered",), DEPARTMENT, "答复"),
    ),
)

ASSESSMENT = Machine(
    kind="assessment",
    label="开放评估",
    prefix="PG",
    states={"open": "待评估", "completed": "已完成评估"},
    final=frozenset({"completed"}),
    transitions=(
        Transition("open", (), ("open",), SYSTEM, "启动开放评估"),
        Transition("complete", ("open",), ("completed",), DEPARTMENT, "完成评估"),
    ),
)

ERROR_REPORT = Machine(
    kind="error_report",
    label="纠错",
    prefix="JC",
    states={"submitted": "已受理，待核实", "answered": "已答复"},
    final=frozenset({"answered"}),
    transitions=(
        Transition("submit", (), ("submitted",), ANYONE, "报告错误"),
        Transition("answer", ("submitted",), ("answered",), DEPARTMENT, "答复"),
    ),
)

RIGHTS_OBJECTION = Machine(
    kind="rights_objection",
    label="权益异议",
    prefix="QY",
    states={"suspended": "已暂停开放，待处理", "decided": "已处理"},
    final=frozenset({"decided"}),
    transitions=(
        Transition("submit", (), ("suspended",), ANYONE, "提出权益异议"),
        Transition("decide", ("suspended",), ("decided",), DEPARTMENT, "作出处理决定"),
    ),
)

SUGGESTION = Machine(
    kind="suggestion",
    label="意见建议",
    prefix="JY",
    states={"submitted": "已受理，待答复", "answered": "已答复"},
    final=frozenset({"answered"}),
    transitions=(
        Transition("submit", (), ("submitted",), ANYONE, "提出意见建议"),
        Transition("answer", ("submitted",), ("answered",), DEPARTMENT, "答复"),
    ),
)

MACHINES: dict[str, Machine] = {
    m.kind: m
    for m in (
        APPLICATION,
        OBJECTION,
        OPENING_REQUEST,
        ASSESSMENT,
        ERROR_REPORT,
        RIGHTS_OBJECTION,
        SUGGESTION,
    )
}
