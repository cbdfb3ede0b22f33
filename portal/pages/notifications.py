"""站内通知: the signed-in user's notices (page and ``/api/v1/notifications``), the unread count in
the header, and e-mail delivery soon after a request created notices.

E-mail delivery: notices are written inside the services' transactions; mailing them is left to
``datasets.notify.mail.send_pending``, which ``kaifang services sweep`` (cron) runs, and which the
web app also starts after every successful POST when an SMTP server is configured — in a daemon
thread, so the request never waits for the mail server. One sender thread runs per process at a
time; a POST arriving while it runs asks it for one more round, so notices written meanwhile go out
too. A process that exits mid-send leaves its claims behind; they count as failed attempts after ten
minutes and are sent again by the next run (see ``datasets.notify.mail``).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from datasets.notify import inbox
from datasets.notify.mail import send_pending
from datasets.runtime import Runtime
from datasets.workflows.transparency.paging import MAX_PAGE_NUMBER
from portal.api import openapi as oa
from portal.app import get_runtime
from portal.auth import current_actor
from portal.extensions import limiter

log = logging.getLogger("portal")

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
api_bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1/notifications")
MAX_ID = 2**63 - 1
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(api_bp)


# -- pages -------------------------------------------------------------------------------------


@bp.get("")
def notifications_page() -> ResponseReturnValue:
    result = inbox.list_notifications(
        get_runtime(),
        current_actor(),
        page=request.args.get("page", 1, type=int) or 1,
        per_page=50,
    )
    return render_template("notifications.html", result=result)


@bp.post("/read")
def mark_all_read() -> ResponseReturnValue:
    marked = inbox.mark_all_read(get_runtime(), current_actor())["marked"]
    flash(f"已将 {marked} 条通知标为已读" if marked else "没有未读通知", "ok")
    return redirect(url_for("notifications.notifications_page"))


@bp.get("/<int:notice_id>")
def open_notice(notice_id: int) -> ResponseReturnValue:
    """Mark a notice read and follow its link (a same-site path) or come back to the list."""
    if notice_id > MAX_ID:  # no notice has such a number (the database's ids are 64-bit)
        abort(404)
    notice = inbox.open_notification(get_runtime(), current_actor(), notice_id)
    return redirect(notice["link"] or url_for("notifications.notifications_page"))


# -- API ---------------------------------------------------------------------------------------


@api_bp.get("")
def api_list() -> ResponseReturnValue:
    unread = request.args.get("unread", "").lower() in ("1", "true", "yes")
    return jsonify(
        inbox.list_notifications(
            get_runtime(),
            current_actor(),
            page=request.args.get("page", "1"),
            per_page=request.args.get("per_page", "50"),
            unread_only=unread,
        )
    )


@api_bp.post("/read")
def api_mark_all_read() -> ResponseReturnValue:
    return jsonify(inbox.mark_all_read(get_runtime(), current_actor()))


# -- the unread count in the header ------------------------------------------------------------


@bp.app_context_processor
def unread_notices() -> dict[str, Any]:
    """``unread_notices()`` for the header: counted once per request, only when called."""

    def count() -> int | None:
        if "unread_notices" not in g:
            try:
                g.unread_notices = inbox.unread_count(get_runtime(), current_actor())
            except SQLAlchemyError:  # e.g. an error page about the database itself
                g.unread_notices = None
        return g.unread_notices

    return {"unread_notices": count}


# -- e-mail soon after a request ---------------------------------------------------------------


class Courier:
    """Runs ``send_pending`` in one daemon thread per process, again while asked to."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._pid = os.getpid()

    def kick(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked (e.g. gunicorn): the parent's thread is gone
                self._pid, self._running, self._again = os.getpid(), False, False
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._run, name="kaifang-mail", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                send_pending(self.rt)
            except Exception:  # a database problem: log it, the next POST or cron tries again
                log.exception("sending e-mail notices failed")
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False

    def idle(self) -> bool:
        with self._lock:
            return not self._running


_courier_lock = threading.Lock()


def courier(app: Flask) -> Courier:
    with _courier_lock:
        found = app.extensions.get("kaifang_courier")
        if found is None:
            found = app.extensions["kaifang_courier"] = Courier(app.extensions["kaifang"])
        return found


@bp.after_app_request
def deliver_soon(response: Response) -> Response:
    if request.method == "POST" and response.status_code < 400 and get_runtime().settings.smtp_host:
        courier(current_app).kick()
    return response


# -- the OpenAPI document -----------------------------------------------------------------------


def openapi_paths() -> dict[str, Any]:
    tag = "通知"
    query = [
        {
            "name": "page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
        },
        {
            "name": "per_page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": inbox.MAX_PAGE},
        },
        {
            "name": "unread",
            "in": "query",
            "description": "为 1 时只返回未读通知",
            "schema": {"enum": ["0", "1"]},
        },
    ]
    return {
        "/api/v1/notifications": {
            "get": oa.operation(
                "调用者本人的通知，最新的在前，并给出未读数",
                tag=tag,
                params=query,
                answer=oa.answers(
                    None,
                    "`notifications`（通知）、`unread`（未读数）、`count`（总数）、`pages`（页数）",
                    400,
                    401,
                ),
                security=oa.KEY,
            )
        },
        "/api/v1/notifications/read": {
            "post": oa.operation(
                "将调用者的全部通知标为已读",
                tag=tag,
                answer=oa.answers(None, "`marked`：标为已读的条数", 401, 403),
                security=oa.KEY,
            )
        },
    }


oa.EXTRA_PATHS.append(openapi_paths)
