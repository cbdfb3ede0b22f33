"""How a state machine of the public services is written and asked (the tables are in
``machine.py``).

A :class:`Transition` names its sources and targets, the parties who may take it, the URL step
that takes it (``POST /api/v1/<plural>/<id>/<step>`` and the HTML form alike), the deadline
setting it starts and its guards: small functions over a :class:`Context` that return a refusal
in Chinese, or None. :meth:`Machine.allowed` lists what an actor may do on a case now (the pages
show exactly these forms); :meth:`Machine.check` refuses what they may not, before a service
changes anything: NotAuthorized for the wrong party, Conflict for the state or a guard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, LoginRequired, NotAuthorized
from datasets.workdays import Deadline, WorkCalendar, shanghai_date

if TYPE_CHECKING:
    from datasets.settings import Settings

# who may take a transition
REQUESTER = "requester"  # the applicant or requester of the case (the holder of a grant)
DEPARTMENT = "department"  # a reviewer of the department that must answer
BUREAU = "bureau"  # an officer of the supervising bureau (主管部门)
OPERATOR = "operator"  # an operator of the portal
SYSTEM = "system"  # the portal itself (deadlines, rulings, counts)
ANYONE = "anyone"  # anyone, signed in or not

PARTY_NAMES = {
    REQUESTER: "申请人本人",
    DEPARTMENT: "数据提供部门的审核人员",
    BUREAU: "主管部门",
    OPERATOR: "平台运维人员",
}


@dataclass(frozen=True)
class Context:
    """What a guard looks at: who asks, the case (or grant) as it stands, when, the working-day
    calendar, the settings, and ``facts`` its process looked up (e.g. an objection filed)."""

    actor: Actor
    status: str
    requester_id: str | None
    organization_id: str | None
    record: Any  # the Case (or Grant) whose columns the guards read
    now: datetime
    calendar: WorkCalendar
    settings: Settings
    facts: Mapping[str, Any] = field(default_factory=dict)
    target: str | None = None  # the state asked for, when the step names one

    @property
    def today(self) -> date:
        """The Asia/Shanghai date of ``now``."""
        return shanghai_date(self.now)

    @property
    def received(self) -> date:
        """The working day something handed in ``now`` counts as received."""
        return self.calendar.received_on(self.now).on


Guard = Callable[[Context], str | None]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    who: tuple[str, ...]
    label: str
    step: str | None = None  # the URL step (None: not taken by a request on a case)
    deadline: str | None = None  # the ``settings.days_*`` it starts
    guards: tuple[Guard, ...] = ()
    refusal: str = ""  # the Conflict when the state forbids it ({state}: the state's label)


def acts_as(
    actor: Actor, party: str, *, requester_id: str | None, organization_id: str | None
) -> bool:
    """Whether ``actor`` is ``party`` of a case with this requester and department (never
    SYSTEM: that is the portal itself)."""
    if party == ANYONE:
        return True
    if party == REQUESTER:
        return may.is_requester(actor, requester_id)
    if party == DEPARTMENT:
        return may.can_act_for_department(actor, organization_id)
    if party == BUREAU:
        return may.can_supervise(actor)
    if party == OPERATOR:
        return may.can_operate(actor)
    return False


def takes_part(ctx: Context, who: tuple[str, ...]) -> bool:
    """Whether the actor of ``ctx`` is one of the parties ``who``. Whoever presented the
    case's access code (``facts["code_holder"]``, set only once ``case_access`` checked it) is
    its requester: a request filed without an account has no other."""
    if REQUESTER in who and ctx.facts.get("code_holder"):
        return True
    return any(
        acts_as(ctx.actor, p, requester_id=ctx.requester_id, organization_id=ctx.organization_id)
        for p in who
    )


def forbidden(who: tuple[str, ...]) -> str:
    """The refusal for the wrong party, e.g. 只有主管部门可以办理此事项."""
    names = [PARTY_NAMES[p] for p in who if p in PARTY_NAMES]
    return f"只有{'或'.join(names)}可以办理此事项" if names else "无权办理此事项"


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

    def by_step(self, step: str) -> Transition | None:
        """The transition a URL step takes, or None."""
        return next((t for t in self.transitions if t.step and t.step == step), None)

    @property
    def steps(self) -> dict[str, str]:
        """URL step → transition name."""
        return {t.step: t.name for t in self.transitions if t.step}

    def state_conflict(self, transition: Transition, source: str) -> Conflict:
        state = self.states.get(source, source)
        if transition.refusal:
            return Conflict(transition.refusal.format(state=state))
        return Conflict(f"{self.label}当前状态为“{state}”，不能{transition.label}")

    def check_state(self, name: str, source: str, target: str | None = None) -> Transition:
        """The transition ``name`` from ``source`` (to ``target``), or Conflict if the state
        does not allow it (the state alone: see :meth:`check`)."""
        transition = self.transition(name)
        if source not in transition.sources:
            raise self.state_conflict(transition, source)
        if target is not None and target not in transition.targets:
            raise KeyError(f"{name} does not lead to {target}")
        return transition

    def check(self, name: str, ctx: Context | str, target: str | None = None) -> Transition:
        """Refuse unless the actor of ``ctx`` may take ``name`` now (to ``target``): LoginRequired
        or NotAuthorized for the wrong party, Conflict for the state or a guard's refusal.
        A bare state instead of a context checks the state only."""
        if isinstance(ctx, str):
            return self.check_state(name, ctx, target)
        transition = self.transition(name)
        if not takes_part(ctx, transition.who):
            if ctx.actor.is_anonymous:
                raise LoginRequired("请先登录")
            raise NotAuthorized(forbidden(transition.who))
        self.check_state(name, ctx.status, target)
        asked = replace(ctx, target=target)
        for guard in transition.guards:
            if (refusal := guard(asked)) is not None:
                raise Conflict(refusal)
        return transition

    def refused(self, transition: Transition, ctx: Context) -> str | None:
        """Why the actor of ``ctx`` may not take ``transition`` now, or None if they may."""
        if not takes_part(ctx, transition.who):
            return forbidden(transition.who)
        if ctx.status not in transition.sources:
            return self.state_conflict(transition, ctx.status).message
        for guard in transition.guards:
            if (refusal := guard(ctx)) is not None:
                return refusal
        return None

    def allowed(self, ctx: Context) -> tuple[Transition, ...]:
        """The transitions the actor of ``ctx`` may take on its case now."""
        return tuple(t for t in self.transitions if t.sources and self.refused(t, ctx) is None)

    def targets(self, name: str, ctx: Context) -> tuple[str, ...]:
        """The states ``name`` may lead to now (a guard may rule out some, e.g. a refusal after
        a ruling in the applicant's favour)."""
        transition = self.transition(name)
        if self.refused(transition, ctx) is not None:
            return ()
        return tuple(
            target
            for target in transition.targets
            if all(guard(replace(ctx, target=target)) is None for guard in transition.guards)
        )

    def days(self, name: str, settings: Settings) -> int:
        """The working days the deadline that ``name`` starts lasts (its ``days_*`` setting)."""
        setting = self.transition(name).deadline
        if setting is None:
            raise KeyError(f"{self.kind}.{name} starts no deadline")
        return int(getattr(settings, setting))

    def deadline(
        self, name: str, settings: Settings, calendar: WorkCalendar, start: date
    ) -> Deadline:
        """The deadline ``name`` starts on ``start``, in working days of ``calendar``."""
        return calendar.add(start, self.days(name, settings))

    def as_dict(self) -> dict[str, Any]:
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
                    "who": list(t.who),
                    "label": t.label,
                    "step": t.step,
                    "deadline": t.deadline,
                    "guards": [g.__name__ for g in t.guards],
                }
                for t in self.transitions
            ],
        }
