"""The one blanking of a case's reply for everyone who is not a participant of the case.

Replies are the departments' own words, but they may quote the requester, so wherever a case is
shown to someone who is neither its requester nor its handler — the public log at
``/transparency`` and its API, a notice about an assessment to the requesters behind it — the
reply goes through ``public_reply``: the requester's known identifiers (contact details, account
names, company and credit code) and anything shaped like a phone number, ID number, bank card or
e-mail address are replaced by ``REDACTED``. Nothing the requester wrote is ever public.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.models import Case, User
from datasets.openness.pii import patterns

REDACTED = "【已隐去】"


def _personal_spans(text: str) -> list[tuple[int, int]]:
    finders = (
        patterns.find_id18,
        patterns.find_id15,
        patterns.find_mobile,
        patterns.find_landline,
        patterns.find_bank_card,
        patterns.find_email,
    )
    return [span for find in finders for span in find(text)]


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with the given identifiers (the requester's name, contacts …) and anything shaped
    like a personal identifier replaced by a marker."""
    if not text:
        return ""
    for value in sorted({k.strip() for k in known if k and len(k.strip()) >= 2}, key=len)[::-1]:
        text = text.replace(value, REDACTED)
    spans = sorted(_personal_spans(text), reverse=True)
    last = len(text) + 1
    for start, end in spans:  # from the end, so earlier offsets stay valid
        if end <= last:
            text = text[:start] + REDACTED + text[end:]
            last = start
    return text


def _identifiers_of(session: Session, case: Case) -> list[str]:
    known: list[str] = [str(v) for v in (case.contact or {}).values() if isinstance(v, str | int)]
    if case.requester_id:
        user = session.get(User, case.requester_id)
        if user is not None:
            known += [
                v
                for v in (
                    user.name,
                    user.display_name,
                    user.company_name,
                    user.legal_representative,
                    user.credit_code,
                    user.phone,
                    user.email,
                )
                if v
            ]
    return known


def requester_identifiers(session: Session, case: Case) -> list[str]:
    """What identifies the people behind a case: its requester, and for an opening assessment
    the requesters of the requests that started it."""
    known = _identifiers_of(session, case)
    behind = [i for i in (case.body or {}).get("request_ids") or [] if isinstance(i, str)]
    if case.kind == "assessment" and behind:
        for request in session.scalars(select(Case).where(Case.id.in_(behind))):
            known += _identifiers_of(session, request)
    return known


def public_reply(session: Session, case: Case) -> str:
    """The case's reply as anyone who is not a participant may read it."""
    return redact(case.reply or "", requester_identifiers(session, case))
