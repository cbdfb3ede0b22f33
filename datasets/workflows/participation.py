"""The participation processes (requests to open data, opening assessments, error reports,
rights-holder objections, suggestions) as the JSON API and the HTML pages reach them: for each
process its submission, its view and, for each transition of its machine that has a URL step,
the request object the step takes and the service that takes it.

The step names are the machine's (``Transition.step``): the API routes
``POST /api/v1/<plural>/<id>/<step>`` and the pages' forms ``/services/<slug>/<id>/<step>`` are
made from this table, and so is the OpenAPI document of these routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from datasets.errors import NotFound
from datasets.workflows import assessments, feedback, objections, opening, reviews, rights
from datasets.workflows.inputs import feedback as fi
from datasets.workflows.inputs import opening as oi
from datasets.workflows.inputs.lookup import Lookup
from datasets.workflows.machine import (
    ASSESSMENT,
    ERROR_REPORT,
    OPENING_REQUEST,
    REVIEW,
    RIGHTS_OBJECTION,
    SUGGESTION,
    Machine,
    Transition,
)

Service = Callable[..., dict[str, Any]]


class RequestObject(Protocol):
    """A frozen dataclass of ``datasets.workflows.inputs``; ``api_summary`` is the Chinese line
    the OpenAPI document and the 开发者中心 show for the submission or step it carries."""

    api_summary: ClassVar[str]

    @classmethod
    def parse(cls, payload: Any, lookup: Lookup) -> RequestObject: ...


@dataclass(frozen=True)
class Form:
    """A request object and the service that takes it."""

    input: type[RequestObject]
    service: Service


@dataclass(frozen=True)
class Process:
    machine: Machine
    view: Service  # (rt, actor, case_id, *, code) → the case
    submit: Form | None  # None: the portal opens the case itself
    steps: dict[str, Form] = field(default_factory=dict)  # transition name → its form

    @property
    def kind(self) -> str:
        return self.machine.kind

    @property
    def slug(self) -> str:
        """In page paths: /services/opening-request/<id>."""
        return self.kind.replace("_", "-")

    @property
    def plural(self) -> str:
        """In API paths: /api/v1/opening-requests/<id>."""
        return self.slug + "s"

    def step(self, name: str) -> tuple[Transition, Form]:
        """The transition a URL step takes and its form; NotFound for an unknown step."""
        transition = self.machine.by_step(name)
        if transition is None or transition.name not in self.steps:
            raise NotFound(f"未知的操作 {name}")
        return transition, self.steps[transition.name]

    def url_steps(self) -> list[tuple[Transition, Form]]:
        """Every step taken by a request, in the machine's order."""
        return [(t, self.steps[t.name]) for t in self.machine.transitions if t.name in self.steps]


PROCESSES: dict[str, Process] = {
    p.kind: p
    for p in (
        Process(
            OPENING_REQUEST,
            view=opening.get_request,
            submit=Form(oi.OpeningRequestInput, opening.submit_request),
            steps={
                "answer": Form(oi.OpeningReplyInput, opening.reply_request),
                # the requester (signed in, or holding the code) objects: ``REQUESTER_STEPS``
                "object": Form(oi.AnswerObjectionInput, objections.file_answer_objection),
            },
        ),
        Process(
            ASSESSMENT,
            view=assessments.get_assessment,
            submit=None,
            steps={"complete": Form(oi.AssessmentInput, assessments.complete_assessment)},
        ),
        Process(
            ERROR_REPORT,
            view=feedback.get_error_report,
            submit=Form(fi.ErrorReportInput, feedback.submit_error_report),
            steps={"answer": Form(fi.ErrorReplyInput, feedback.reply_error_report)},
        ),
        Process(
            RIGHTS_OBJECTION,
            view=rights.get_rights_objection,
            submit=Form(fi.RightsObjectionInput, rights.submit_rights_objection),
            steps={
                "decide": Form(fi.RightsDecisionInput, rights.decide_rights_objection),
                "weigh": Form(fi.RightsSuspensionInput, rights.weigh_suspension),
            },
        ),
        Process(
            SUGGESTION,
            view=feedback.get_suggestion,
            submit=Form(fi.SuggestionInput, feedback.submit_suggestion),
            steps={"answer": Form(fi.SuggestionReplyInput, feedback.reply_suggestion)},
        ),
        Process(
            REVIEW,
            view=reviews.get_review,
            submit=None,
            steps={"complete": Form(oi.ReviewInput, reviews.complete_review)},
        ),
    )
}

# steps a requester takes who may hold only the case's access code (no account): checked by
# their own admission (before the body is read) and given the code the caller presented
REQUESTER_STEPS: dict[tuple[str, str], Callable[..., None]] = {
    (OPENING_REQUEST.kind, "object"): objections.admit_answer_objection,
}
