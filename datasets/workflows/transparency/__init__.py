"""Transparency and accountability (SPEC §8): the public log of decisions and replies
(``public_log``), statistics per department (``statistics``), the 开放清单 as CSV
(``open_list``) and the audit log for the bureau (``audit_log``).

What is public here is what the departments and the bureau decided and wrote, with its dates —
never who asked or what they wrote: no requester names, contacts or company names, and none of
the requesters' free text (purpose, claims, reasons), which may hold personal data. Replies are
the departments' own words, but they may quote the requester, so they are shown with the
requester's known identifiers and anything shaped like a phone number, ID number, bank card or
e-mail address blanked out (``redaction.public_reply``, the one blanking every public view uses).
"""
