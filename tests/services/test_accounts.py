"""Accounts of the public services: companies with a checked 统一社会信用代码, self-service sign-up,
API keys stored only as hashes, several per user, revocable by their owner."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from datasets.accounts import keys
from datasets.accounts.keys import actor_for_api_key, create_api_key, list_api_keys, revoke_api_key
from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import authenticate, create_user, list_users, register, user_profile
from datasets.errors import NotAuthorized, NotFound, ValidationError
from datasets.models import ApiKey, Organization, User

PASSWORD = "correct horse battery"
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"


def _company(rt, name="acme", **fields):
    values = {
        "company_name": "江州示例科技有限公司",
        "credit_code": HUAWEI,
        "legal_representative": "王五",
        "phone": "0791-86123456",
        **fields,
    }
    return create_user(rt, name=name, role="company", password=PASSWORD, **values)


def _actor(rt, name):
    return authenticate(rt, name=name, password=PASSWORD)


# ── companies ────────────────────────────────────────────────────────────────────────────────


def test_a_company_is_stored_with_its_normalised_code(rt):
    created = _company(rt, credit_code=" 9144 0300 1922 0382 16 ", email="it@example.com")
    assert created["role"] == "company"
    with rt.reader() as session:
        user = session.scalar(select(User).where(User.name == "acme"))
        assert user.credit_code == HUAWEI
        assert user.company_name == "江州示例科技有限公司" and user.legal_representative == "王五"
        assert user.display_name == "江州示例科技有限公司"  # shown by its name by default
        assert (user.email, user.phone) == ("it@example.com", "0791-86123456")


def test_an_invalid_credit_code_is_refused_with_the_reason(rt):
    with pytest.raises(ValidationError) as caught:
        _company(rt, credit_code="914403001922038217")
    assert caught.value.errors["credit_code"] == ["校验位应为 6，现为 7：请核对代码是否抄错"]
    assert caught.value.message == "校验位应为 6，现为 7：请核对代码是否抄错"


def test_a_company_needs_name_code_representative_and_a_contact(rt):
    with pytest.raises(ValidationError) as caught:
        create_user(rt, name="acme", role="company", password=PASSWORD)
    assert set(caught.value.errors) == {
        "company_name",
        "credit_code",
        "legal_representative",
        "phone",
    }
    assert _company(rt, phone=None, email="it@example.com")["name"] == "acme"


def test_a_credit_code_belongs_to_one_account(rt):
    _company(rt)
    with pytest.raises(ValidationError) as caught:
        _company(rt, name="acme2", credit_code=HUAWEI.lower())
    assert "已注册" in caught.value.errors["credit_code"][0]


def test_other_roles_carry_no_company_fields(rt):
    with pytest.raises(ValidationError) as caught:
        create_user(rt, name="zhang", role="citizen", password=PASSWORD, credit_code=TENCENT)
    assert list(caught.value.errors) == ["credit_code"]
    citizen = create_user(rt, name="zhang", role="citizen", password=PASSWORD, credit_code="")
    assert citizen["role"] == "citizen"  # an empty form field is no code


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("email", "li.si@jiangzhou.gov.cn", True),
        ("email", "li.si@", False),
        ("email", "li si@example.com", False),
        ("email", "lisi@localhost", False),
        ("phone", "13912345678", True),
        ("phone", "+86 139 1234 5678", True),
        ("phone", "0791-86123456", True),
        ("phone", "(0791) 8612345", True),
        ("phone", "12345", False),
        ("phone", "1391234567", False),
        ("phone", "电话 13912345678", False),
    ],
)
def test_email_and_phone_formats(rt, field, value, ok):
    def create():
        return create_user(rt, name="zhang", role="citizen", password=PASSWORD, **{field: value})

    if ok:
        create()
    else:
        with pytest.raises(ValidationError) as caught:
            create()
        assert list(caught.value.errors) == [field] and "格式不正确" in caught.value.message


def test_only_citizens_and_companies_sign_up_themselves(rt):
    for role in ("operator", "reviewer", "bureau", "root"):
        with pytest.raises(ValidationError) as caught:
            register(rt, name="mallory", password=PASSWORD, role=role)
        assert "role" in caught.value.errors
    assert register(rt, name="zhang", password=PASSWORD, role="citizen")["role"] == "citizen"
    company = register(
        rt,
        name="acme",
        password=PASSWORD,
        role="company",
        company_name="江州示例科技有限公司",
        credit_code=TENCENT,
        legal_representative="王五",
        email="it@example.com",
    )
    assert company["role"] == "company"
    assert authenticate(rt, name="acme", password=PASSWORD).roles == {"company"}


def test_the_profile_and_the_user_list(rt):
    with rt.session() as session:
        session.add(Organization(name="jtj", title="江州市交通运输局"))
    create_user(rt, name="rev", role="reviewer", password=PASSWORD, department="jtj")
    _company(rt)
    profile = user_profile(rt, _actor(rt, "acme"))
    assert profile["credit_code"] == HUAWEI and profile["role_title"] == "企业用户"
    assert profile["department"] is None and profile["phone"] == "0791-86123456"
    assert user_profile(rt, _actor(rt, "rev"))["department"] == "江州市交通运输局"
    with pytest.raises(NotAuthorized):
        user_profile(rt, ANONYMOUS)
    assert [(u["name"], u["role"], u["department"]) for u in list_users(rt)] == [
        ("acme", "company", None),
        ("rev", "reviewer", "jtj"),
    ]


# ── API keys ─────────────────────────────────────────────────────────────────────────────────


def test_a_key_is_shown_once_and_stored_only_as_its_hash(rt):
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    created = create_api_key(rt, user_name="zhang", label="数据分析脚本")
    key = created["key"]
    assert key.startswith("kf_") and len(key) >= 40
    assert created["prefix"] == key[:10] and created["label"] == "数据分析脚本"
    with rt.reader() as session:
        row = session.get(ApiKey, created["id"])
        assert row.key_hash != key and len(row.key_hash) == 64
        # nothing in the table holds the key, nor its secret part
        dump = " ".join(
            str(v) for r in session.execute(text("SELECT * FROM api_keys")).all() for v in r
        )
    assert key not in dump and key[10:] not in dump and key[-20:] not in dump
    listed = list_api_keys(rt, _actor(rt, "zhang"))
    assert len(listed) == 1 and "key" not in listed[0] and "key_hash" not in listed[0]
    assert key not in repr(listed)


def test_a_key_authenticates_its_user(rt):
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    created = create_api_key(rt, user_name="zhang")
    actor = actor_for_api_key(rt, created["key"])
    assert actor.name == "zhang" and actor.roles == {"citizen"}
    assert actor.api_key_id == created["id"]
    for wrong in ("", "kf_", created["key"][:-1] + "x", created["key"] + "x", "not-a-key"):
        assert actor_for_api_key(rt, wrong) is None


def test_a_user_may_have_several_keys(rt):
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    first = create_api_key(rt, user_name="zhang", label="一")
    user_id = _actor(rt, "zhang").user_id
    second = create_api_key(rt, user_id=user_id, label="二")
    assert first["key"] != second["key"]
    assert {k["label"] for k in list_api_keys(rt, _actor(rt, "zhang"))} == {"一", "二"}
    assert actor_for_api_key(rt, first["key"]).api_key_id == first["id"]
    assert actor_for_api_key(rt, second["key"]).api_key_id == second["id"]


def test_revoked_keys_and_disabled_users_are_rejected(rt):
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    keep = create_api_key(rt, user_name="zhang")
    drop = create_api_key(rt, user_name="zhang")
    zhang = _actor(rt, "zhang")
    revoked = revoke_api_key(rt, zhang, drop["id"])
    assert revoked["active"] is False and revoked["revoked_at"]
    assert revoke_api_key(rt, zhang, drop["id"])["revoked_at"] == revoked["revoked_at"]
    assert actor_for_api_key(rt, drop["key"]) is None
    assert actor_for_api_key(rt, keep["key"]) is not None
    with rt.session() as session:
        session.scalar(select(User).where(User.name == "zhang")).active = False
    assert actor_for_api_key(rt, keep["key"]) is None
    with pytest.raises(NotAuthorized):
        create_api_key(rt, user_name="zhang")


def test_someone_elses_key_is_not_found_but_operators_may_revoke_it(rt):
    for name, role in (("zhang", "citizen"), ("lisi", "citizen"), ("ops", "operator")):
        create_user(rt, name=name, role=role, password=PASSWORD)
    key = create_api_key(rt, user_name="zhang")
    with pytest.raises(NotFound):
        revoke_api_key(rt, _actor(rt, "lisi"), key["id"])
    with pytest.raises(NotFound):
        revoke_api_key(rt, _actor(rt, "lisi"), "no-such-key")
    with pytest.raises(NotAuthorized):
        revoke_api_key(rt, ANONYMOUS, key["id"])
    assert list_api_keys(rt, _actor(rt, "lisi")) == []
    assert actor_for_api_key(rt, key["key"]) is not None
    assert revoke_api_key(rt, _actor(rt, "ops"), key["id"])["active"] is False
    assert actor_for_api_key(rt, key["key"]) is None


def test_last_used_is_written_at_most_once_a_minute(rt):
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    key = create_api_key(rt, user_name="zhang")

    def last_used():
        with rt.reader() as session:
            return session.get(ApiKey, key["id"]).last_used_at

    assert last_used() is None
    actor_for_api_key(rt, key["key"])
    first = last_used()
    assert first is not None
    actor_for_api_key(rt, key["key"])
    assert last_used() == first  # within the minute: no write
    stale = datetime.now(UTC) - timedelta(minutes=2)
    with rt.session() as session:
        session.get(ApiKey, key["id"]).last_used_at = stale
    before = datetime.now(UTC)
    actor_for_api_key(rt, key["key"])
    assert last_used() >= before  # more than a minute old: written again


def test_unknown_users_and_bad_labels(rt):
    with pytest.raises(NotFound):
        create_api_key(rt, user_name="nobody")
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    with pytest.raises(ValidationError):
        create_api_key(rt, user_name="zhang", label="x" * 101)
    with pytest.raises(ValueError):
        create_api_key(rt, label="no user")


def test_the_number_of_live_keys_is_capped(rt, monkeypatch):
    monkeypatch.setattr(keys, "MAX_ACTIVE_KEYS", 2)
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    first = create_api_key(rt, user_name="zhang")
    create_api_key(rt, user_name="zhang")
    with pytest.raises(ValidationError):
        create_api_key(rt, user_name="zhang")
    revoke_api_key(rt, _actor(rt, "zhang"), first["id"])
    create_api_key(rt, user_name="zhang")


def test_the_cli_actor_and_sessions_carry_no_key(rt):
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    assert _actor(rt, "zhang").api_key_id is None
    assert Actor().api_key_id is None
