"""Who may open a case of the public services: its participants, and whoever holds its code.

Requests to open data, error reports, rights-holder objections and suggestions can be filed
without an account, so each gets an access code (查询码) when it is submitted: 20 characters of
Crockford's base32 (100 random bits from ``secrets``), written in groups of four, given once to
the submitter and stored only as its SHA-256 (``Case.access_code_hash``). Reference numbers are
sequential and printed on the transparency log, so they open nothing by themselves.

A case opens to its participants (``cases.can_view``: the signed-in requester, the department's
reviewers, the bureau, the operators) and to whoever presents its code; to everyone else it does
not exist: ``admit`` raises one ``NotFound`` whose message does not depend on whether the
reference exists, and codes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import NotFound
from datasets.models import Case
from datasets.runtime import Runtime
from datasets.workflows.cases import can_view
from datasets.workflows.machine import MACHINES

# Crockford's base32: no I, L, O or U, so a code read aloud or from paper is typed back right
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # 5 bits a character: 100 bits
GROUP = 4
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None, "\u3000": None})

PARTICIPANT = "participant"
CODE = "code"


def new_code() -> str:
    """A fresh access code, e.g. ``7K2M-Q9XD-4HNP-B0TR-WZ35``."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(chars[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise_code(raw: Any) -> str | None:
    """The code as typed (any case, with or without dashes and spaces, I/L for 1 and O for 0)
    in its canonical form; None when it cannot be a code."""
    if not isinstance(raw, str) or len(raw) > 4 * CODE_LENGTH:
        return None
    text = raw.strip().upper().translate(_READ_AS)
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def code_hash(code: str) -> str:
    """What is stored of a code: the SHA-256 of its canonical form, in hex."""
    canonical = normalise_code(code) or ""
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def issue_code(case: Case) -> str:
    """Give ``case`` a new access code; returns the code, which is not kept anywhere."""
    code = new_code()
    case.access_code_hash = code_hash(code)
    return code


def code_opens(stored: str | None, presented: Any) -> bool:
    """Whether ``presented`` is the code whose hash is ``stored`` (compared in constant time;
    the hash is computed even when nothing is stored, so both take as long)."""
    canonical = normalise_code(presented)
    digest = hashlib.sha256((canonical or "").encode("ascii")).hexdigest()
    matches = hmac.compare_digest(digest, stored or "0" * 64)
    return matches and canonical is not None and stored is not None


def hidden(kind: str) -> NotFound:
    """The one answer for a case that does not exist or may not be seen by the caller."""
    return NotFound(f"未找到该{MACHINES[kind].label}。提出人请凭受理编号和查询码查询。")


def admit(
    session: Session, actor: Actor, case_id: str, kind: str, code: Any = None
) -> tuple[Case, str]:
    """The case (by id or reference number) and how the caller may see it — ``PARTICIPANT`` or
    ``CODE`` — or ``hidden(kind)``, the same whether the case exists or not."""
    if kind not in MACHINES or not isinstance(case_id, str):
        raise NotFound("未找到该事项。")
    case = session.scalar(
        select(Case).where((Case.id == case_id) | (Case.reference == case_id), Case.kind == kind)
    )
    opened = code_opens(case.access_code_hash if case is not None else None, code)
    if case is not None and can_view(actor, case):
        return case, PARTICIPANT
    if case is not None and opened:
        return case, CODE
    raise hidden(kind)


PREFIXES = {m.prefix: kind for kind, m in MACHINES.items()}


def kind_of_reference(reference: str) -> str | None:
    """The kind of case a reference number such as ``XQ-20261122-0001`` belongs to."""
    return PREFIXES.get((reference or "").strip().upper().split("-", 1)[0])


def locate(rt: Runtime, actor: Actor, reference: Any, code: Any) -> dict[str, str]:
    """A case by its reference number and code (a participant needs no code): its kind, id,
    reference, how it opened (``access``) and the code in canonical form — or NotFound, with
    one message for every failure."""
    text = reference.strip().upper() if isinstance(reference, str) else ""
    kind = kind_of_reference(text) if len(text) <= 40 else None
    not_found = NotFound("未找到该事项。请核对受理编号和查询码。")
    if kind is None:
        raise not_found
    with rt.reader() as session:
        try:
            case, access = admit(session, actor, text, kind, code)
        except NotFound:
            raise not_found from None
        return {
            "kind": case.kind,
            "id": case.id,
            "reference": case.reference,
            "access": access,
            "code": normalise_code(code) or "",
        }
