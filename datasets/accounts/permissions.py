"""Who may do what. Small functions named after what they allow (as CKAN's auth layer): the
services call them to refuse, and the page models call the same ones to choose what to show.
Which party may take each step of a public service is in ``datasets.workflows.machine``, whose
parties are these predicates (``statemachine.acts_as``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The caller of a service: anonymous, or a signed-in user with roles."""

    name: str = "anonymous"
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    organization_id: str | None = None
    # the API key the request was made with (None for browser sessions and the CLI)
    api_key_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Actor()


def can_operate(actor: Actor) -> bool:
    """Operators configure sources and curate the openness engine's decisions."""
    return "operator" in actor.roles


def can_see_dataset(actor: Actor, *, state: str) -> bool:
    """Active datasets are public; other states only to operators."""
    return state == "active" or can_operate(actor)


def can_download(
    actor: Actor, *, state: str, has_public_file: bool, suspended: bool = False
) -> bool:
    """Public files (open data and masked copies of de-identified data): anyone, unless a
    rights-holder objection suspended the dataset (权益异议). Originals of conditional data:
    only through a grant (``datasets.workflows.grants``)."""
    return state == "active" and has_public_file and not suspended


ROLES = ("citizen", "company", "reviewer", "bureau", "operator")


# -- the public services ----------------------------------------------------------------------


def can_apply_for_conditional_data(actor: Actor) -> bool:
    """Applications for conditional data come from company and personal accounts."""
    return bool(actor.roles & {"company", "citizen"})


def is_requester(actor: Actor, requester_id: str | None) -> bool:
    """The signed-in requester of a case (the holder of a grant) acts on it as such."""
    return not actor.is_anonymous and requester_id is not None and actor.user_id == requester_id


def can_act_for_department(actor: Actor, organization_id: str | None) -> bool:
    """A reviewer of the department acts for it: answers its cases, manages its grants."""
    return (
        "reviewer" in actor.roles
        and organization_id is not None
        and actor.organization_id == organization_id
    )


def can_use_workspace(actor: Actor) -> bool:
    """The department's queue (工作台) is for reviewers of a department."""
    return "reviewer" in actor.roles and actor.organization_id is not None


def can_supervise(actor: Actor) -> bool:
    """The supervising bureau decides objections and watches every case (复核与督办)."""
    return "bureau" in actor.roles


def can_handle_case(actor: Actor, *, organization_id: str | None, handler: str) -> bool:
    """The one who must answer a case: its department's reviewer, or the bureau for the
    bureau's own cases (``handler == "bureau"``)."""
    if handler == "bureau":
        return can_supervise(actor)
    return can_act_for_department(actor, organization_id)


def can_view_case(
    actor: Actor, *, requester_id: str | None, organization_id: str | None, handler: str
) -> bool:
    """A case's participants: its signed-in requester, its handler, a reviewer of its
    department, the bureau and the operators. Anyone else needs its access code."""
    if actor.is_anonymous:
        return False
    return (
        is_requester(actor, requester_id)
        or can_handle_case(actor, organization_id=organization_id, handler=handler)
        or can_act_for_department(actor, organization_id)
        or can_supervise(actor)
        or can_operate(actor)
    )


def can_manage_grant(actor: Actor, organization_id: str | None) -> bool:
    """Suspend, restore or revoke a grant: the dataset's department or the bureau."""
    return can_supervise(actor) or can_act_for_department(actor, organization_id)


def can_confirm_grant_scope(actor: Actor, organization_id: str | None) -> bool:
    """Confirm a grant's scope after its columns changed: the dataset's department or an
    operator."""
    return can_operate(actor) or can_act_for_department(actor, organization_id)


def can_view_grant(actor: Actor, *, holder_id: str | None, organization_id: str | None) -> bool:
    """A grant shows to its holder, to those who manage it and to the operators."""
    return (
        is_requester(actor, holder_id)
        or can_manage_grant(actor, organization_id)
        or can_operate(actor)
    )


def require_operator(actor: Actor) -> None:
    """Operators configure sources and curate the openness engine's decisions."""
    from datasets.errors import NotAuthorized

    if not can_operate(actor):
        raise NotAuthorized("仅平台运维人员可执行此操作")


def command_line_actor() -> Actor:
    """Whoever runs the ``kaifang`` command on the server acts as an operator."""
    import getpass

    return Actor(name=f"cli:{getpass.getuser()}", roles=frozenset({"operator"}))


# -- participation, held files and the audit log ------------------------------------------------

# why the files of a dataset suspended by a rights-holder objection (权益异议) are refused
SUSPENSION_NOTICE = "该数据集因权益异议暂停开放，正在依法处理"


def can_confirm_held_files(actor: Actor) -> bool:
    """Whether the account may confirm held files (人工确认) of some dataset at all: operators
    (also the command line) and department reviewers."""
    return bool(actor.roles & {"operator", "reviewer"})


def can_confirm_files(actor: Actor, *, organization_id: str) -> bool:
    """Confirm the held files of a dataset of this department: operators, and the
    department's own reviewers."""
    if can_confirm_files_of_every_department(actor):
        return True
    return "reviewer" in actor.roles and actor.organization_id == organization_id


def can_confirm_files_of_every_department(actor: Actor) -> bool:
    """Operators confirm held files of any department; a reviewer only their own."""
    return "operator" in actor.roles


def can_read_audit_log(actor: Actor) -> bool:
    """Read and export the audit log: the supervising bureau and the operators (also the
    command line, an operator without an account)."""
    return bool(actor.roles & {"bureau", "operator"})


# -- sharing between departments (共享) ------------------------------------------------------


def is_government_staff(actor: Actor) -> bool:
    """Staff of a department or of the bureau: they obtain conditional data through the
    government sharing platform, not through the portal's applications."""
    return bool(actor.roles & {"reviewer", "bureau"})


def can_read_sharing_catalog(actor: Actor) -> bool:
    """Export the sharing catalog (共享目录) for the sharing platform: departments' reviewers,
    the bureau and the operators (also the command line)."""
    return bool(actor.roles & {"reviewer", "bureau", "operator"})
