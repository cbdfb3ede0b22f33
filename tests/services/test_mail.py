"""E-mail delivery of notices against a real SMTP server (aiosmtpd on 127.0.0.1): recipients,
UTF-8 subjects, absolute links, failures counted and retried, no notice mailed twice."""

from __future__ import annotations

import email
import socket
import threading
import time
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from datasets.accounts.users import create_user
from datasets.models import Notification, User
from datasets.notify.mail import MAX_ATTEMPTS, claim_is_stale, claim_status, send_pending
from datasets.notify.notices import notify_users
from datasets.runtime import Runtime
from datasets.settings import load_settings
from tests.factories import make_runtime

PASSWORD = "correct horse battery"
BASE = "https://data.example.gov.cn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP server collecting what it is sent; refuses the recipients in ``refuse``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def sink():
    server = Sink().start()
    yield server
    server.stop()


def runtime_for(rt: Runtime, **overrides) -> Runtime:  # type: ignore[no-untyped-def]
    """Another runtime on the same instance with other settings (e.g. another SMTP port)."""
    return Runtime(load_settings({"instance": str(rt.paths.root), **overrides}, environ={}))


def add_user(rt: Runtime, name: str, email_address: str | None = None) -> str:
    return create_user(rt, name=name, role="citizen", password=PASSWORD, email=email_address)["id"]


def notify(rt: Runtime, user_id: str, subject: str, link: str | None = "/services/x/1") -> None:
    with rt.session() as session:
        notify_users(session, [user_id], subject=subject, body="请及时查看。", link=link)


def statuses(rt: Runtime) -> list[tuple[str, int]]:
    with rt.reader() as session:
        return list(
            session.execute(
                select(Notification.email_status, Notification.email_attempts).order_by(
                    Notification.id
                )
            )
        )


@pytest.fixture
def mail_rt(tmp_path, sink):
    rt = make_runtime(
        tmp_path / "instance",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_timeout=5,
        base_url=BASE + "/",
        mail_from="noreply@data.example.gov.cn",
    )
    yield rt
    rt.close()


def test_pending_notices_arrive_with_chinese_subject_and_absolute_link(mail_rt, sink):
    zhang = add_user(mail_rt, "zhang", "zhang@example.com")
    nobody = add_user(mail_rt, "nobody")  # no address: shown in the portal only
    notify(mail_rt, zhang, "申请 SQ-20261123-0001 已作出决定：已同意")
    notify(mail_rt, nobody, "不会发邮件的通知")

    result = send_pending(mail_rt)

    assert result == {"sent": 1, "failed": 0, "skipped": 0, "left": 0}
    assert len(sink.messages) == 1
    recipients, message = sink.messages[0]
    assert recipients == ["zhang@example.com"]
    assert message["To"] == "zhang@example.com"
    assert message["From"] == "noreply@data.example.gov.cn"
    assert message["Subject"] == "申请 SQ-20261123-0001 已作出决定：已同意"
    body = message.get_content()
    assert "请及时查看。" in body and f"{BASE}/services/x/1" in body
    assert statuses(mail_rt) == [("sent", 1), ("none", 0)]
    assert send_pending(mail_rt)["sent"] == 0  # nothing is mailed twice
    assert len(sink.messages) == 1


def test_without_an_smtp_host_nothing_is_touched(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    user = add_user(rt, "zhang", "zhang@example.com")
    notify(rt, user, "通知一")
    notify(rt, user, "通知二")
    assert send_pending(rt) == {"sent": 0, "failed": 0, "skipped": 2, "left": 0}
    assert statuses(rt) == [("pending", 0), ("pending", 0)]


def test_an_unreachable_server_counts_a_failed_attempt_and_a_later_run_sends(mail_rt, sink):
    user = add_user(mail_rt, "zhang", "zhang@example.com")
    notify(mail_rt, user, "通知一")
    notify(mail_rt, user, "通知二")
    down = runtime_for(mail_rt, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=2)

    result = send_pending(down)

    assert result["failed"] == 2 and result["sent"] == 0
    assert statuses(mail_rt) == [("failed", 1), ("failed", 1)]
    assert sink.messages == []

    again = send_pending(mail_rt)
    assert again["sent"] == 2
    assert statuses(mail_rt) == [("sent", 2), ("sent", 2)]
    assert sorted(m["Subject"] for _, m in sink.messages) == ["通知一", "通知二"]
    down.close()


def test_a_server_that_stops_leaves_the_notices_for_the_next_run(tmp_path):
    server = Sink().start()
    rt = make_runtime(tmp_path / "instance", smtp_host="127.0.0.1", smtp_port=server.port)
    user = add_user(rt, "zhang", "zhang@example.com")
    notify(rt, user, "通知")
    server.stop()
    assert send_pending(rt)["failed"] == 1
    assert statuses(rt) == [("failed", 1)]
    restarted = Sink()
    restarted.port = server.port
    restarted.controller = Controller(restarted, hostname="127.0.0.1", port=server.port)
    restarted.start()
    try:
        assert send_pending(rt)["sent"] == 1
        assert [m["Subject"] for _, m in restarted.messages] == ["通知"]
    finally:
        restarted.stop()
        rt.close()


def test_a_refused_recipient_fails_alone_and_gives_up_after_the_last_attempt(mail_rt, sink):
    good = add_user(mail_rt, "good", "good@example.com")
    bad = add_user(mail_rt, "bad", "bad@example.com")
    sink.refuse.add("bad@example.com")
    notify(mail_rt, bad, "退信")
    notify(mail_rt, good, "送达")

    result = send_pending(mail_rt)

    assert result["sent"] == 1 and result["failed"] == 1
    assert statuses(mail_rt) == [("failed", 1), ("sent", 1)]
    for _ in range(MAX_ATTEMPTS + 2):
        send_pending(mail_rt)
    assert statuses(mail_rt) == [("failed", MAX_ATTEMPTS), ("sent", 1)]
    assert [m["Subject"] for _, m in sink.messages] == ["送达"]


def test_an_address_removed_after_the_notice_is_not_mailed(mail_rt, sink):
    user = add_user(mail_rt, "zhang", "zhang@example.com")
    notify(mail_rt, user, "通知")
    with mail_rt.session() as session:
        session.execute(update(User).values(email=None))
    assert send_pending(mail_rt)["sent"] == 0
    assert statuses(mail_rt) == [("none", 0)]


def test_concurrent_senders_never_mail_a_notice_twice(mail_rt, sink):
    users = [add_user(mail_rt, f"user{i}", f"user{i}@example.com") for i in range(3)]
    for n in range(24):
        notify(mail_rt, users[n % 3], f"通知 {n}")
    results: list[dict] = []

    def run() -> None:
        results.append(send_pending(mail_rt))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    subjects = [m["Subject"] for _, m in sink.messages]
    assert sorted(subjects) == sorted(f"通知 {n}" for n in range(24))
    assert sum(r["sent"] for r in results) == 24
    assert statuses(mail_rt) == [("sent", 1)] * 24


def test_a_claim_left_by_a_dead_sender_is_retried_after_ten_minutes(mail_rt, sink):
    user = add_user(mail_rt, "zhang", "zhang@example.com")
    notify(mail_rt, user, "旧的")
    notify(mail_rt, user, "正在发送")
    with mail_rt.session() as session:
        first, second = session.scalars(select(Notification).order_by(Notification.id)).all()
        first.email_status, first.email_attempts = claim_status(time.time() - 11 * 60), 1
        second.email_status, second.email_attempts = claim_status(time.time() - 60), 1

    result = send_pending(mail_rt)

    assert result["sent"] == 1
    assert [m["Subject"] for _, m in sink.messages] == ["旧的"]
    rows = statuses(mail_rt)
    assert rows[0] == ("sent", 2)
    assert rows[1][0].startswith("sending") and rows[1][1] == 1  # another sender's fresh claim


def test_claim_ages_wrap_around_safely():
    now = 1_800_000_000.0
    assert not claim_is_stale(claim_status(now), now)
    assert not claim_is_stale(claim_status(now - 9 * 60), now)
    assert claim_is_stale(claim_status(now - 10 * 60), now)
    assert claim_is_stale(claim_status(now - 500 * 60), now)
    assert claim_is_stale("sending", now)  # a claim without a time
    assert len(claim_status(now)) <= 10  # fits Notification.email_status
