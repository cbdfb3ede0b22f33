"""Who files a public request, as far as the portal can tell: the key that tells requesters
apart, and whether the contact behind it is proved.

A requester is *verified* by a code sent to the e-mail address or phone given with the request
(``verification_code``; ``datasets.accounts.verification``), or by signing in to an account whose
own address was proved before. The key of a verified requester is the keyed hash of the proved
address, the same whether they signed in or not, so one person counts once however they file.
An unverified requester keeps the account's id or the keyed hash of the contact they typed:
enough to limit their filings, never enough to count towards an opening assessment or to
suspend a dataset at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from datasets.accounts import verification
from datasets.accounts.permissions import Actor
from datasets.runtime import Runtime
from datasets.workflows.inputs.contact import Contact

# how a requester was verified → its label on the department's pages
VERIFIED_LABELS = {
    "account": "已验证的登录账户",
    "email": "已验证电子邮箱",
    "phone": "已验证手机号码",
}


@dataclass(frozen=True)
class Requester:
    """``key`` tells requesters apart; ``verified`` says how the contact was proved (None: not
    proved); ``signed_in`` whether an account filed it."""

    key: str | None
    verified: str | None
    signed_in: bool

    @property
    def identified(self) -> bool:
        """A signed-in account with a proved contact: a rights holder who may suspend at once."""
        return self.signed_in and self.verified is not None


def contact_key(rt: Runtime, contact: Contact) -> str | None:
    """The keyed hash of the telephone number (else the e-mail address) typed in a request."""
    if verification.phone_digits(contact.phone):
        return verification.address_key(rt, "phone", contact.phone)
    return verification.address_key(rt, "email", contact.email)


def identify(rt: Runtime, actor: Actor, contact: Contact, code: str = "") -> Requester:
    """Who files a request with ``contact`` (and a ``code`` sent to it, if given). A wrong or
    expired code is a ValidationError on ``verification_code``."""
    signed_in = not actor.is_anonymous
    if code:
        proved = verification.check_code(rt, phone=contact.phone, email=contact.email, code=code)
        own = verification.remember_for_account(rt, actor, proved)
        return Requester(proved.key, "account" if own else proved.channel, signed_in)
    if signed_in:
        with rt.reader() as session:
            account = verification.account_verified(rt, session, actor.user_id)
        if account is not None:
            return Requester(account.key, "account", True)
        return Requester(actor.user_id, None, True)
    return Requester(contact_key(rt, contact), None, False)
