"""Signing in: locks per user name and client address that grow and end by themselves, the
owner's sign-in clearing the name's count, invalid API keys per address, session generations,
the password rules and the migration that adds the table."""

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text, update

from datasets.accounts import guard
from datasets.accounts.passwords import common_passwords, password_problem
from datasets.accounts.users import (
    actor_for,
    authenticate_session,
    change_password,
    create_user,
    end_sessions,
    set_password,
)
from datasets.database import alembic_config, upgrade
from datasets.errors import NotAuthorized, ValidationError
from datasets.models import SignInGuard, User
from datasets.runtime import Runtime
from datasets.settings import load_settings
from tests.factories import make_runtime

PASSWORD = "correct horse battery"


@pytest.fixture
def rt(tmp_path):
    runtime = make_runtime(tmp_path / "instance", sign_in_attempts=3, sign_in_address_attempts=6)
    create_user(runtime, name="zhang", role="citizen", password=PASSWORD)
    create_user(runtime, name="lisi", role="citizen", password=PASSWORD)
    yield runtime
    runtime.close()


def _try(rt, name, password, address="203.0.113.7"):
    return guard.sign_in(rt, name=name, password=password, address=address)


def _rows(rt):
    with rt.reader() as session:
        return {
            (r.kind, r.failures, r.locked_until is not None)
            for r in session.scalars(select(SignInGuard))
        }


def _unlock(rt):
    """As if every lock had run out."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    with rt.session() as session:
        session.execute(update(SignInGuard).values(locked_until=past))


# ── locks per user name ──────────────────────────────────────────────────────────────────────


def test_a_name_is_locked_after_its_attempts_with_the_time_to_retry(rt):
    for _ in range(3):
        with pytest.raises(NotAuthorized, match="用户名或密码不正确"):
            _try(rt, "zhang", "wrong password 1")
    with pytest.raises(guard.Locked) as locked:
        _try(rt, "zhang", PASSWORD)  # even the right password: it is not looked at
    assert (
        "登录失败次数过多" in locked.value.message and "（约 30 秒后）再试" in locked.value.message
    )
    assert 25 <= locked.value.retry_after() <= 30  # the first lock: 30 seconds
    # the refused try counted for nothing; the name's count is 3, the address's 3
    assert _rows(rt) == {("name", 3, True), ("address", 3, False)}


def test_locks_double_up_to_the_longest_and_end_by_themselves(rt):
    longest = timedelta(minutes=15)
    lengths = [guard.lock_length(n, 3, longest) for n in range(1, 10)]
    assert lengths[:2] == [None, None]
    assert [lock.total_seconds() for lock in lengths[2:]] == [30, 60, 120, 240, 480, 900, 900]
    for _ in range(3):
        with pytest.raises(NotAuthorized):
            _try(rt, "zhang", "wrong password 1")
    _unlock(rt)
    with pytest.raises(NotAuthorized):  # past the lock: tried again, and wrong again
        _try(rt, "zhang", "wrong password 2")
    with pytest.raises(guard.Locked) as locked:
        _try(rt, "zhang", PASSWORD)
    assert 55 <= locked.value.retry_after() <= 60  # doubled


def test_the_owner_signing_in_clears_the_names_count(rt):
    for _ in range(2):
        with pytest.raises(NotAuthorized):
            _try(rt, "zhang", "wrong password 1")
    actor, generation = _try(rt, "zhang", PASSWORD)
    assert actor.name == "zhang" and generation == 0
    # the name's row is gone; the address keeps its two failures (the success was given back)
    assert _rows(rt) == {("address", 2, False)}
    for _ in range(2):  # the full allowance again
        with pytest.raises(NotAuthorized):
            _try(rt, "zhang", "wrong password 1")


def test_an_unknown_name_is_locked_like_a_real_one(rt):
    for _ in range(3):
        with pytest.raises(NotAuthorized, match="用户名或密码不正确"):
            _try(rt, "nobody-here", "wrong password 1")
    with pytest.raises(guard.Locked):
        _try(rt, "nobody-here", "wrong password 1")


def test_an_address_is_locked_across_names_and_counts_are_forgotten(rt):
    for n in range(6):
        with pytest.raises(NotAuthorized):
            _try(rt, f"guess{n}", "wrong password 1")
    with pytest.raises(guard.Locked):
        _try(rt, "lisi", PASSWORD)  # another name from the same address
    actor, _ = _try(rt, "lisi", PASSWORD, address="198.51.100.2")  # another address gets in
    assert actor.name == "lisi"
    # an hour after the last failure nothing is remembered
    with rt.session() as session:
        session.execute(
            update(SignInGuard).values(
                last_failure_at=datetime.now(UTC) - timedelta(hours=2),
                locked_until=datetime.now(UTC) - timedelta(hours=1),
            )
        )
    assert _try(rt, "lisi", PASSWORD)[0].name == "lisi"
    assert _rows(rt) == set()  # the old rows were removed, the success given back


def test_subjects_are_stored_only_as_digests(rt):
    with pytest.raises(NotAuthorized):
        _try(rt, "zhang", "wrong password 1", address="203.0.113.99")
    with rt.reader() as session:
        subjects = session.scalars(select(SignInGuard.subject)).all()
    assert len(subjects) == 2
    assert all(len(s) == 64 and "zhang" not in s and "203.0" not in s for s in subjects)


def test_invalid_api_keys_lock_the_address(tmp_path):
    rt = make_runtime(tmp_path / "instance", api_key_attempts=2)
    try:
        guard.check_key_sender(rt, "203.0.113.7")
        guard.invalid_key_sent(rt, "203.0.113.7")
        guard.check_key_sender(rt, "203.0.113.7")  # one invalid key: still free
        guard.invalid_key_sent(rt, "203.0.113.7")
        with pytest.raises(guard.Locked) as locked:
            guard.check_key_sender(rt, "203.0.113.7")
        assert "无效的 API 密钥过多" in locked.value.message
        assert 25 <= locked.value.retry_after() <= 30
        guard.check_key_sender(rt, "198.51.100.2")  # another address is not locked
    finally:
        rt.close()


# ── sessions ─────────────────────────────────────────────────────────────────────────────────


def test_signing_out_and_password_changes_end_sessions(rt):
    actor, generation = authenticate_session(rt, name="zhang", password=PASSWORD)
    assert actor_for(rt, actor.user_id, generation) is not None
    end_sessions(rt, actor.user_id)
    assert actor_for(rt, actor.user_id, generation) is None
    assert actor_for(rt, actor.user_id, generation + 1) is not None
    new = "a fresh secret phrase"
    changed = change_password(rt, actor, current=PASSWORD, new=new)
    assert changed == generation + 2
    assert actor_for(rt, actor.user_id, generation + 1) is None
    assert authenticate_session(rt, name="zhang", password=new)[1] == changed
    set_password(rt, "zhang", "an operator chose this")
    assert actor_for(rt, actor.user_id, changed) is None


def test_a_password_change_needs_the_current_password_and_a_good_new_one(rt):
    actor, _ = authenticate_session(rt, name="zhang", password=PASSWORD)
    with pytest.raises(ValidationError) as wrong:
        change_password(rt, actor, current="not my password", new="a fresh secret phrase")
    assert wrong.value.errors == {"current_password": ["当前密码不正确"]}
    with pytest.raises(ValidationError) as common:
        change_password(rt, actor, current=PASSWORD, new="iloveyou1314")
    assert common.value.errors["password"] == ["密码过于常见，容易被猜中，请换一个"]
    with pytest.raises(ValidationError) as same:
        change_password(rt, actor, current=PASSWORD, new=PASSWORD)
    assert same.value.errors["password"] == ["新密码不能与当前密码相同"]
    assert authenticate_session(rt, name="zhang", password=PASSWORD)[0].name == "zhang"


def test_wrong_current_passwords_lock_like_failed_sign_ins(rt):
    """A session left open cannot be used to guess the password: wrong current passwords count
    against the account's name (5 by default) and lock it; the sign-in page is locked too."""
    actor, _ = authenticate_session(rt, name="zhang", password=PASSWORD)
    for _ in range(rt.settings.sign_in_attempts):
        with pytest.raises(ValidationError):
            guard.change_password(rt, actor, current="guess", new="x", address="192.0.2.9")
    with pytest.raises(guard.Locked) as locked:
        guard.change_password(
            rt, actor, current=PASSWORD, new="a fresh phrase", address="192.0.2.9"
        )
    assert "密码错误次数过多" in locked.value.message and locked.value.retry_after() >= 1
    with pytest.raises(guard.Locked):
        guard.sign_in(rt, name="zhang", password=PASSWORD, address="198.51.100.3")
    assert authenticate_session(rt, name="zhang", password=PASSWORD)[0].name == "zhang"


def test_a_disabled_account_is_refused_with_the_same_message(rt):
    with rt.session() as session:
        session.execute(update(User).where(User.name == "lisi").values(active=False))
    with pytest.raises(NotAuthorized, match="用户名或密码不正确"):
        authenticate_session(rt, name="lisi", password=PASSWORD)


# ── passwords ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "密码至少 10 个字符"),
        ("aaaaaaaaaa", "至少要有 4 个不同的字符"),
        ("abababababab", "至少要有 4 个不同的字符"),
        ("zhang-and-more", "密码不能包含用户名"),
        ("PASSWORD1234", "密码过于常见"),
        ("qwertyuiop", "密码过于常见"),
        ("woaini1314520", "密码过于常见"),
        ("dragon2026!!", "密码过于常见"),
        ("1qaz2wsx3edc", "密码过于常见"),
        ("abcdefghijk", "连续的字母或数字"),
        ("zyxwvutsrqp", "连续的字母或数字"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, problem):
    assert problem in (password_problem(password, "zhang") or "")


@pytest.mark.parametrize(
    "password", [PASSWORD, "static-tree-pw-2026", "a long enough password", "江州数据开放2026"]
)
def test_ordinary_passwords_pass(password):
    assert password_problem(password, "zhang") is None


def test_the_common_list_is_bundled_and_large():
    common = common_passwords()
    assert len(common) > 9000
    assert {"password", "123456789", "woaini1314", "qwertyuiop"} <= common


def test_new_accounts_get_the_rules_and_old_passwords_keep_working(rt):
    with pytest.raises(ValidationError) as refused:
        create_user(rt, name="wang", role="citizen", password="aaaaaaaaaa")
    assert refused.value.errors == {"password": ["密码过于简单：至少要有 4 个不同的字符"]}
    # an account whose password was set before the rules signs in as before
    from datasets.accounts.passwords import hash_password

    with rt.session() as session:
        session.execute(
            update(User)
            .where(User.name == "lisi")
            .values(password_hash=hash_password("aaaaaaaaaa"))
        )
    assert authenticate_session(rt, name="lisi", password="aaaaaaaaaa")[0].name == "lisi"


# ── the migration ────────────────────────────────────────────────────────────────────────────


def check_migration(rt: Runtime) -> None:
    """0020 adds the table and the generation (existing accounts at 0), and goes back."""
    command.upgrade(alembic_config(rt), "0015")
    with rt.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, name, display_name, password_hash, role, active,"
                " created_at) VALUES ('u1', 'old', '', 'x', 'citizen', true, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(rt)
    with rt.engine.connect() as connection:
        assert connection.execute(text("SELECT session_generation FROM users")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM sign_in_guard")).scalar() == 0
    guard.invalid_key_sent(rt, "203.0.113.7")
    command.downgrade(alembic_config(rt), "0015")
    with rt.engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM users")).scalar() == "old"
    upgrade(rt)


def test_the_migration_on_sqlite(tmp_path):
    rt = Runtime(load_settings({"instance": str(tmp_path / "instance")}, environ={}))
    try:
        check_migration(rt)
    finally:
        rt.close()
