"""Who may do what. Small functions named after the actions they guard (as CKAN's auth layer).

Services call these; views never decide access themselves.
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


def can_see_dataset(actor: Actor, *, state: str) -> bool:
    """Active datasets are public; other states only to operators."""
    return state == "active" or "operator" in actor.roles


def can_download(
    actor: Actor, *, state: str, has_public_file: bool, suspended: bool = False
) -> bool:
    """Public files (open data and masked copies of de-identified data): anyone, unless a
    rights-holder objection suspended the dataset (权益异议). Originals of conditional data:
    only through a grant (``datasets.workflows.grants``)."""
    return state == "active" and has_public_file and not suspended


ROLES = ("citizen", "company", "reviewer", "bureau", "operator")


def require_operator(actor: Actor) -> None:
    """Operators configure sources and curate the openness engine's decisions."""
    from datasets.errors import NotAuthorized

    if "operator" not in actor.roles:
        raise NotAuthorized("仅平台运维人员可执行此操作")


def command_line_actor() -> Actor:
    """Whoever runs the ``kaifang`` command on the server acts as an operator."""
    import getpass

    return Actor(name=f"cli:{getpass.getuser()}", roles=frozenset({"operator"}))
