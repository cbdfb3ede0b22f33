"""Rights that cannot be turned into weapons, on PostgreSQL: anonymous objections wait for the
department, an identified holder suspends at once up to the day's limit, codes work once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import ANONYMOUS
from datasets.errors import TooMany, ValidationError
from datasets.models import Dataset
from datasets.workflows import opening, rights
from datasets.workflows.inputs.feedback import RightsObjectionInput
from datasets.workflows.inputs.lookup import Lookup
from datasets.workflows.inputs.opening import OpeningRequestInput
from tests.factories import make_runtime, services_catalog, verified_citizen

pytestmark = pytest.mark.postgres

CLAIM = {"claim": "含我公司未公开的经营信息", "rights_basis": "我公司为数据所涉企业"}


def test_suspension_needs_an_identified_holder_and_limits_count_per_day(
    fresh_postgres_url, tmp_path
):
    from datasets.accounts import verification

    rt = make_runtime(tmp_path / "instance", database_url=fresh_postgres_url)
    try:
        names = services_catalog(rt, tmp_path)
        body = {
            "dataset": names["open"],
            **CLAIM,
            "contact": {"name": "某", "phone": "13800000001"},
        }
        for _ in range(3):
            made = rights.submit_rights_objection(
                rt, ANONYMOUS, RightsObjectionInput.parse(body, Lookup(rt, ANONYMOUS))
            )
            assert made["status"] == "pending"
        with pytest.raises(TooMany):
            rights.submit_rights_objection(
                rt, ANONYMOUS, RightsObjectionInput.parse(body, Lookup(rt, ANONYMOUS))
            )
        with rt.reader() as session:
            ds = session.scalar(select(Dataset).where(Dataset.name == names["open"]))
            assert ds is not None and ds.suspended_by is None
        holder = verified_citizen(rt)
        made = rights.submit_rights_objection(
            rt,
            holder,
            RightsObjectionInput.parse({"dataset": names["open"], **CLAIM}, Lookup(rt, holder)),
        )
        assert made["status"] == "suspended" and made["requester_verified"] == "account"
        code = verification.issue_code(rt, verification.CodeRequest("email", "pg@example.com")).code
        ask = {
            "dataset": names["closed"],
            "description": "研究",
            "contact": {"name": "某", "email": "pg@example.com"},
            "verification_code": code,
        }
        request = opening.submit_request(
            rt, ANONYMOUS, OpeningRequestInput.parse(ask, Lookup(rt, ANONYMOUS))
        )
        assert request["requester_verified"] == "email"
        with pytest.raises(ValidationError):
            opening.submit_request(
                rt, ANONYMOUS, OpeningRequestInput.parse(ask, Lookup(rt, ANONYMOUS))
            )
    finally:
        rt.close()
