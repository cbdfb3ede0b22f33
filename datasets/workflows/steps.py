"""Which service takes each transition of the application, objection and grant processes, and
which typed request it takes. The JSON API (``POST /api/v1/<plural>/<id>/<step>``) and the HTML
forms (``POST /services/<kind>/<id>/<step>``) both resolve a URL step through the machine's table
(``Machine.by_step``) to here, so they take the same steps by the same names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.errors import NotFound
from datasets.models import Grant
from datasets.runtime import Runtime
from datasets.workflows import application_decisions, applications, grant_steps, objections
from datasets.workflows import step_requests as r
from datasets.workflows.cases import require_signed_in, viewable
from datasets.workflows.fields import as_object
from datasets.workflows.grants import may_see
from datasets.workflows.machine import APPLICATION, GRANT, OBJECTION, Machine, Transition

if TYPE_CHECKING:
    from datasets.settings import Settings

Service = Callable[[Runtime, Actor, str, Any], dict[str, Any]]
Parse = Callable[[Any, "Settings"], Any]


def _plain(parse: Callable[[Any], Any]) -> Parse:
    return lambda payload, settings: parse(payload)


def _status(action: str) -> Parse:
    """A grant's suspend, restore and revoke share one request; the URL step names the action."""
    return lambda payload, settings: r.StatusChange.parse({**as_object(payload), "action": action})


# machine kind → transition name → (service, parse, request type)
SERVICES: dict[str, dict[str, tuple[Service, Parse, type]]] = {
    APPLICATION.kind: {
        "request_correction": (
            applications.request_correction,
            _plain(r.Correction.parse),
            r.Correction,
        ),
        "supplement": (applications.supplement, _plain(r.Supplement.parse), r.Supplement),
        "extend": (applications.extend, r.Extension.parse, r.Extension),
        "decide": (application_decisions.decide, _plain(r.Decision.parse), r.Decision),
        "sign": (applications.sign, _plain(r.Signature.parse), r.Signature),
        "withdraw": (applications.withdraw, _plain(r.Withdrawal.parse), r.Withdrawal),
        "object": (objections.file_objection, _plain(r.Objection.parse), r.Objection),
    },
    OBJECTION.kind: {
        "decide": (objections.decide_objection, _plain(r.Ruling.parse), r.Ruling),
        "escalate": (objections.escalate, _plain(r.Escalation.parse), r.Escalation),
    },
    GRANT.kind: {
        "report": (grant_steps.file_report, _plain(r.UseReport.parse), r.UseReport),
        "final_report": (grant_steps.file_final_report, _plain(r.UseReport.parse), r.UseReport),
        "suspend": (grant_steps.change_status, _status("suspend"), r.StatusChange),
        "restore": (grant_steps.change_status, _status("restore"), r.StatusChange),
        "revoke": (grant_steps.change_status, _status("revoke"), r.StatusChange),
        "confirm_scope": (
            grant_steps.confirm_scope,
            _plain(r.ScopeConfirmation.parse),
            r.ScopeConfirmation,
        ),
        "object": (objections.file_grant_objection, _plain(r.Objection.parse), r.Objection),
    },
}


@dataclass(frozen=True)
class Step:
    transition: Transition
    service: Service
    parse: Parse
    request: type


def resolve(machine: Machine, step: str) -> Step:
    """The step a URL names on a case of ``machine``; NotFound for one its table does not list."""
    transition = machine.by_step(step)
    taken = SERVICES[machine.kind].get(transition.name) if transition else None
    if transition is None or taken is None:
        raise NotFound(f"未知的操作 {step}")
    return Step(transition, *taken)


def take(
    rt: Runtime, actor: Actor, machine: Machine, step: str, key: str, payload: Mapping[str, Any]
) -> tuple[Transition, dict[str, Any]]:
    """Take the URL step ``step`` on the case (or grant) ``key`` with the request in
    ``payload``: parsed once here, then the service. Returns the transition and the result."""
    found = resolve(machine, step)
    require_signed_in(actor)  # every step is a party's: who is asking before what is asked
    request = found.parse(payload, rt.settings)
    return found.transition, found.service(rt, actor, key, request)


def admit(rt: Runtime, actor: Actor, machine: Machine, step: str, key: str) -> Step:
    """Who is asking, before what is asked: the step ``step`` names (404 for one the table does
    not list), 401 for the anonymous, and 404 for a case or grant ``key`` the caller may not see,
    the answer an unknown one gets (no step tells whether a case exists). The party and state
    checks stay with the service, in its transaction."""
    found = resolve(machine, step)
    require_signed_in(actor)
    with rt.reader() as session:
        if machine is GRANT:
            grant = session.scalar(
                select(Grant).where((Grant.id == key) | (Grant.reference == key))
            )
            if grant is None or not may_see(session, actor, grant):
                raise NotFound(f"未找到授权 {key}")
        else:
            viewable(session, actor, key, machine.kind)
    return found
