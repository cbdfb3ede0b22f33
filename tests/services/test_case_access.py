"""A case of the public services opens only to its participants and to whoever holds its access
code; what the public sees of it is its record on the transparency log, with identifiers in the
reply blanked (services called directly, on the small catalog of test_requests_feedback)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import authenticate, create_user
from datasets.errors import NotFound
from datasets.models import AuditEntry, Case, Notification
from datasets.workflows import assessments, case_access, feedback, opening, public_cases, rights
from datasets.workflows.inputs.feedback import (
    ErrorReportInput,
    RightsObjectionInput,
    SuggestionInput,
)
from datasets.workflows.inputs.lookup import Lookup
from datasets.workflows.inputs.opening import (
    AssessmentInput,
    OpeningReplyInput,
    OpeningRequestInput,
)
from datasets.workflows.redaction import REDACTED
from datasets.workflows.transparency import public_log
from tests.factories import id_number
from tests.services.test_requests_feedback import CONTACT, PASSWORD, PHONE, build_env

ID_NUMBER = id_number()
MOBILE = "13698765432"
REPLY = f"经核实，申请人（身份证号 {ID_NUMBER}，手机 {MOBILE}）所需数据已列入计划。"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    built = build_env(tmp_path_factory.mktemp("case-access"))
    create_user(built["rt"], name="operator1", role="operator", password=PASSWORD)
    yield built
    built["rt"].close()


def _actor(env, name: str) -> Actor:  # type: ignore[no-untyped-def]
    return authenticate(env["rt"], name=name, password=PASSWORD)


def _submit_each_kind(env) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    rt = env["rt"]
    return {
        "opening_request": opening.submit_request(
            rt,
            ANONYMOUS,
            OpeningRequestInput.parse(
                {"dataset": "taxi-permits", "description": "研究出租车运力", "contact": CONTACT},
                Lookup(rt, ANONYMOUS),
            ),
        ),
        "error_report": feedback.submit_error_report(
            rt,
            ANONYMOUS,
            ErrorReportInput.parse(
                {"dataset": "bus-lines", "description": "第三季度数值有误"}, Lookup(rt, ANONYMOUS)
            ),
        ),
        "rights_objection": rights.submit_rights_objection(
            rt,
            ANONYMOUS,
            RightsObjectionInput.parse(
                {
                    "dataset": "bus-routes",
                    "claim": "含我公司产值",
                    "rights_basis": "我公司为统计对象",
                    "contact": CONTACT,
                },
                Lookup(rt, ANONYMOUS),
            ),
        ),
        "suggestion": feedback.submit_suggestion(
            rt,
            ANONYMOUS,
            SuggestionInput.parse(
                {"department": env["department"], "content": "增加实时数据"}, Lookup(rt, ANONYMOUS)
            ),
        ),
    }


def test_every_submission_answers_with_its_code_once_and_stores_only_its_hash(env):
    made = _submit_each_kind(env)
    codes = {case["access_code"] for case in made.values()}
    assert len(codes) == len(made)  # a fresh code each time
    with env["rt"].reader() as session:
        for kind, case in made.items():
            code = case["access_code"]
            canonical = case_access.normalise_code(code)
            assert canonical and len(canonical) * 5 >= 96  # base32: 5 bits a character
            assert set(canonical) <= set(case_access.ALPHABET)
            stored = session.get(Case, case["id"])
            assert stored.kind == kind and stored.access_code_hash
            assert stored.access_code_hash == hashlib.sha256(canonical.encode()).hexdigest()
            assert canonical not in stored.access_code_hash and code != stored.access_code_hash
            audit = session.scalars(
                select(AuditEntry.detail).where(AuditEntry.object_id == case["id"])
            ).all()
            kept = json.dumps([stored.body, stored.contact, audit], ensure_ascii=False)
            assert code not in kept and canonical not in kept
        # the code is given once: a later view never carries it
        for kind, case in made.items():
            again = public_cases.view_case(
                env["rt"], ANONYMOUS, case["reference"], kind, code=case["access_code"]
            )
            assert "access_code" not in again and again["access"] == "code"


def test_codes_are_read_as_typed_and_refused_when_malformed():
    code = case_access.new_code()
    canonical = code.replace("-", "")
    assert case_access.normalise_code(code.lower()) == canonical
    assert case_access.normalise_code(" ".join(code.split("-"))) == canonical
    typed = canonical.replace("0", "O").replace("1", "l")
    assert case_access.normalise_code(typed) == canonical
    for bad in (None, 42, "", "ABC", canonical + "0", canonical[:-1] + "U", "码" * 20, "x" * 10**5):
        assert case_access.normalise_code(bad) is None
    assert not case_access.code_opens(None, code)
    assert not case_access.code_opens(case_access.code_hash(code), None)
    assert case_access.code_opens(case_access.code_hash(code), code.lower())


def test_a_case_opens_to_its_participants_and_to_its_code_and_to_no_one_else(env):
    rt = env["rt"]
    made = _submit_each_kind(env)
    mine = opening.submit_request(
        rt,
        _actor(env, "citizen3"),
        OpeningRequestInput.parse(
            {"dataset": "taxi-drivers", "description": "本人提出"},
            Lookup(rt, _actor(env, "citizen3")),
        ),
    )
    participants = {
        "reviewer1": "participant",
        "bureau1": "participant",
        "operator1": "participant",
    }
    outsiders = [ANONYMOUS, _actor(env, "reviewer2"), _actor(env, "citizen1")]
    for kind, case in made.items():
        code = case["access_code"]
        other_code = mine["access_code"]
        unknown = f"{case['reference'][:-4]}9999"
        one_off = code[:-1] + ("0" if code[-1] != "0" else "1")
        with pytest.raises(NotFound) as missing:
            public_cases.view_case(rt, ANONYMOUS, unknown, kind, code=code)
        for key in (case["reference"], case["id"]):
            for who in outsiders:
                for wrong in (None, "", other_code, one_off, "not a code"):
                    with pytest.raises(NotFound) as refused:
                        public_cases.view_case(rt, who, key, kind, code=wrong)
                    assert refused.value.message == missing.value.message  # no existence oracle
                seen = public_cases.view_case(rt, who, key, kind, code=code)
                assert seen["id"] == case["id"] and seen["access"] == "code"
                assert seen["can_act"] is False and seen["contact"] == case["contact"]
            for name, access in participants.items():
                seen = public_cases.view_case(rt, _actor(env, name), key, kind)
                assert seen["access"] == access
        # a code opens only its own case, and only under its own kind
        other_kind = "suggestion" if kind != "suggestion" else "error_report"
        with pytest.raises(NotFound):
            public_cases.view_case(rt, ANONYMOUS, case["reference"], other_kind, code=code)
    # the signed-in requester is a participant; the code opens the case to them signed out too
    own = opening.get_request(rt, _actor(env, "citizen3"), mine["reference"])
    assert own["access"] == "participant" and own["body"]["description"] == "本人提出"
    assert opening.get_request(rt, ANONYMOUS, mine["id"], code=mine["access_code"])["id"]


def test_lookup_takes_reference_and_code_and_says_the_same_for_every_failure(env):
    rt = env["rt"]
    case = feedback.submit_suggestion(
        rt,
        ANONYMOUS,
        SuggestionInput.parse(
            {"department": env["department"], "content": "开放公交到站数据"}, Lookup(rt, ANONYMOUS)
        ),
    )
    found = case_access.locate(rt, ANONYMOUS, case["reference"].lower(), case["access_code"])
    assert found["id"] == case["id"] and found["kind"] == "suggestion"
    assert found["access"] == "code"
    messages = set()
    for reference, code in (
        (case["reference"], None),
        (case["reference"], "0000-0000-0000-0000-0000"),
        (case["reference"][:-4] + "9999", case["access_code"]),
        ("ZZ-1", case["access_code"]),
        ("", ""),
        ("JY-" + "9" * 500, case["access_code"]),
    ):
        with pytest.raises(NotFound) as refused:
            case_access.locate(rt, ANONYMOUS, reference, code)
        messages.add(refused.value.message)
    assert len(messages) == 1
    handler = case_access.locate(rt, _actor(env, "reviewer1"), case["reference"], "")
    assert handler["access"] == "participant"


def test_assessments_open_to_their_participants_only_and_their_reply_reaches_the_requesters_blanked(
    env,
):
    rt = env["rt"]
    asked = [
        opening.submit_request(
            rt,
            _actor(env, f"holder{n}"),
            OpeningRequestInput.parse(
                {"dataset": "bus-drivers", "description": "研究"},
                Lookup(rt, _actor(env, f"holder{n}")),
            ),
        )
        for n in (1, 2, 3)
    ]
    assessment = asked[-1]["assessment"]
    for request in asked:  # a requester behind it, even with their own request's code
        for who, code in ((_actor(env, "holder1"), None), (ANONYMOUS, request["access_code"])):
            with pytest.raises(NotFound):
                assessments.get_assessment(rt, who, assessment["reference"], code=code)
    seen = assessments.get_assessment(rt, _actor(env, "bureau1"), assessment["id"])
    assert seen["access"] == "participant" and len(seen["body"]["requests"]) == 3
    assessments.complete_assessment(
        rt,
        _actor(env, "reviewer1"),
        assessment["id"],
        AssessmentInput.parse({"conclusion": "open", "reply": REPLY}),
    )
    with rt.reader() as session:
        told = session.scalars(
            select(Notification).where(
                Notification.case_id.in_([r["id"] for r in asked]),
                Notification.subject.contains(assessment["reference"]),
            )
        ).all()
    assert len(told) == 3
    for notice in told:
        assert ID_NUMBER not in notice.body and MOBILE not in notice.body
        assert REDACTED in notice.body and "已列入计划" in notice.body
        assert notice.link == f"/services/opening-request/{notice.case_id}"  # their own case


def test_identifiers_in_a_reply_are_blanked_on_the_public_log_with_the_requesters_names(env):
    rt = env["rt"]
    made = opening.submit_request(
        rt,
        ANONYMOUS,
        OpeningRequestInput.parse(
            {
                "dataset": "taxi-permits",
                "description": "我是张伟，做研究",
                "contact": {"name": "欧阳明日", "phone": PHONE},
            },
            Lookup(rt, ANONYMOUS),
        ),
    )
    opening.reply_request(
        rt,
        _actor(env, "reviewer1"),
        made["id"],
        OpeningReplyInput.parse(
            {"category": "refused", "rule_code": "agreement-ip", "reply": f"欧阳明日：{REPLY}"},
            Lookup(rt, _actor(env, "reviewer1")),
        ),
    )
    record = next(
        d
        for d in public_log.decisions(rt, per_page=100)["decisions"]
        if d["reference"] == made["reference"]
    )
    text = json.dumps(record, ensure_ascii=False)
    for gone in (ID_NUMBER, MOBILE, "欧阳明日", PHONE, "做研究"):
        assert gone not in text, gone
    assert record["reply"].count(REDACTED) == 3 and "已列入计划" in record["reply"]
