"""Who may do what. Small functions named after the actions they guard (as CKAN's auth layer).

Services call these; views never decide access themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import openness as op


@dataclass(frozen=True)
class Actor:
    """The caller of a service: anonymous, or a signed-in user with roles."""

    name: str = "anonymous"
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    organization_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Actor()


def can_see_dataset(actor: Actor, *, state: str) -> bool:
    """Active datasets are public; other states only to operators."""
    return state == "active" or "operator" in actor.roles


def can_download(actor: Actor, *, openness: str, state: str, storage_root: str) -> bool:
    """Unconditional public files: anyone. Conditional and closed data: nobody yet
    (grants arrive with the public services)."""
    if state != "active":
        return False
    return openness == op.UNCONDITIONAL and storage_root == "public"
