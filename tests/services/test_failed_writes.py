"""Writes that fail leave nothing behind: a supporting document whose commit fails (the
database went away) is removed again, and a copy into the file store that runs out of space
leaves no partial file in staging (``tests/faults`` shows both under real faults)."""

from __future__ import annotations

import errno
import shutil

import pytest
from sqlalchemy.exc import OperationalError

from datasets.accounts.permissions import Actor
from datasets.accounts.users import create_user
from datasets.intake.storage import PUBLIC, STORAGE_FULL, storage_full
from datasets.models import Case, User
from datasets.workflows import applications, attachments, cases
from datasets.workflows import step_requests as req
from harvester.history import failure_message
from tests.factories import credit_code, pdf_bytes, services_catalog
from tests.services.test_journey_dates_and_accounts import BODY, PASSWORD


def test_a_document_whose_commit_fails_leaves_no_file(rt, tmp_path, monkeypatch):
    names = services_catalog(rt, tmp_path)
    made = create_user(
        rt,
        name="acme",
        role="company",
        password=PASSWORD,
        company_name="江州智医科技有限公司",
        credit_code=credit_code(7),
        legal_representative="王五",
        phone="13800138000",
    )
    with rt.reader() as session:
        user = session.get(User, made["id"])
        actor = Actor("acme", user.id, frozenset({"company"}), user.organization_id)
    filed = applications.submit(
        rt, actor, req.Application.parse({**BODY, "dataset": names["conditional"]}, rt.settings)
    )

    def gone(*_args, **_kwargs):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(cases, "audit", gone)
    with pytest.raises(OperationalError):
        attachments.attach(rt, actor, filed["id"], attachments.Upload("证明.pdf", pdf_bytes()))
    folder = attachments.folder(rt, filed["id"])
    assert not folder.exists() or not list(folder.iterdir())
    with rt.reader() as session:
        assert not session.get(Case, filed["id"]).body.get("attachments")


def test_a_copy_into_a_full_store_leaves_no_partial_file(rt, tmp_path, monkeypatch):
    source = tmp_path / "data.csv"
    source.write_bytes(b"a,b\n" * 1000)

    def full(_src, out, _size):
        out.write(b"a,b\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(OSError) as raised:
        rt.store.put(source, root=PUBLIC, extension="csv")
    assert storage_full(raised.value) and failure_message(raised.value) == STORAGE_FULL
    assert not list(rt.store.staging.iterdir())
    assert not list(rt.store.root_path(PUBLIC).rglob("*.csv"))
