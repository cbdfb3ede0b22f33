"""What parsing a request needs to know of the catalog and of the caller: the datasets and
departments a request names, and the signed-in caller's own contact details. Each answer is read
in a short read-only session of its own; the service loads the rows again in its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from datasets.accounts.permissions import Actor
from datasets.models import Dataset, Organization, User
from datasets.runtime import Runtime
from datasets.workflows.cases import Problems, problem
from datasets.workflows.inputs.fields import DATASET_MISSING, DEPARTMENT_MISSING, reference


@dataclass(frozen=True)
class DatasetRef:
    """A public (active) dataset a request names."""

    id: str
    name: str
    title: str
    openness: str
    organization_id: str


@dataclass(frozen=True)
class DepartmentRef:
    id: str
    name: str
    title: str


class Lookup:
    """Resolves the references in a request for ``actor``."""

    def __init__(self, rt: Runtime, actor: Actor) -> None:
        self.rt = rt
        self.actor = actor

    def dataset(self, ref: str) -> DatasetRef | None:
        """An active dataset by name or id."""
        with self.rt.reader() as session:
            found = session.scalar(
                select(Dataset).where(or_(Dataset.name == ref, Dataset.id == ref))
            )
            if found is None or found.state != "active":
                return None
            return DatasetRef(
                found.id, found.name, found.title, found.openness, found.organization_id
            )

    def department(self, ref: str) -> DepartmentRef | None:
        """A department (organization) by name or id."""
        with self.rt.reader() as session:
            found = session.scalar(
                select(Organization).where(or_(Organization.name == ref, Organization.id == ref))
            )
            return DepartmentRef(found.id, found.name, found.title) if found else None

    def account_contact(self) -> dict[str, str | None]:
        """The signed-in caller's name, telephone and e-mail from the account; nothing for the
        anonymous."""
        if self.actor.is_anonymous:
            return {}
        with self.rt.reader() as session:
            user = session.get(User, self.actor.user_id)
            if user is None:
                return {}
            return {
                "name": user.display_name or user.name,
                "phone": user.phone,
                "email": user.email,
            }


def dataset_ref(
    lookup: Lookup, value: Any, name: str, problems: Problems, *, required: bool = True
) -> DatasetRef | None:
    """The public dataset ``value`` names, or None with a problem on ``name``."""
    ref = reference(value, name, problems, missing=DATASET_MISSING, required=required)
    if ref is None:
        return None
    found = lookup.dataset(ref)
    if found is None:
        problem(problems, name, f"数据集 {ref[:100]} 不存在")
    return found


def department_ref(
    lookup: Lookup, value: Any, name: str, problems: Problems
) -> DepartmentRef | None:
    """The department ``value`` names, or None with a problem on ``name``."""
    ref = reference(value, name, problems, missing=DEPARTMENT_MISSING)
    if ref is None:
        return None
    found = lookup.department(ref)
    if found is None:
        problem(problems, name, f"部门 {ref[:100]} 不存在")
    return found
