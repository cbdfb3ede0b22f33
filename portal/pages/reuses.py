"""应用成果 pages: the list of approved reuses, each reuse's page, the submission form (signed
in), the submitter's own list, and the operators' review queue. The JSON API and CKAN's actions
over the same services are in ``portal.api.v1_reuses``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from datasets.catalog import reuses
from datasets.errors import Conflict, ValidationError
from portal.app import base_url, get_runtime
from portal.auth import current_actor
from portal.errors import form_status, no_store
from portal.extensions import limiter

bp = Blueprint("reuses", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


@bp.get("/reuses")
def index() -> ResponseReturnValue:
    kind = request.args.get("type", "").strip()[:20] or None
    result = reuses.list_reuses(
        get_runtime(),
        kind=kind,
        page=request.args.get("page", "1"),
        base_url=base_url(),
    )
    args = {"type": kind} if kind else {}
    return render_template("reuses/list.html", result=result, kind=kind, args=args)


def _form_values() -> dict[str, str]:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


@bp.route("/reuses/new", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def new() -> ResponseReturnValue:
    actor = current_actor()
    reuses.authorize_submit(actor)  # who is asking before what is asked (401 → sign-in page)
    values: dict[str, Any] = {"datasets": request.args.get("dataset", "")[:200]}
    error: ValidationError | None = None
    if request.method == "POST":
        values = _form_values()
        try:
            created = reuses.submit(get_runtime(), actor, reuses.ReuseInput.parse(values))
        except ValidationError as exc:
            error = exc
        else:
            flash("已提交，平台审核通过后将公开展示。", "notice")
            return redirect(url_for("reuses.show", reuse_id=created["id"]))
    page = render_template(
        "reuses/form.html",
        values=values,
        error=error,
        errors=error.errors if error else {},
        kinds=reuses.KINDS,
    )
    return no_store(make_response(page, 400 if error else 200))


@bp.get("/reuses/mine")
def mine() -> ResponseReturnValue:
    items = reuses.mine(get_runtime(), current_actor())
    return no_store(make_response(render_template("reuses/mine.html", items=items), 200))


@bp.get("/reuses/<reuse_id>")
def show(reuse_id: str) -> ResponseReturnValue:
    reuse = reuses.show(get_runtime(), current_actor(), reuse_id, base_url=base_url())
    response = make_response(render_template("reuses/show.html", reuse=reuse), 200)
    return no_store(response) if "status" in reuse else response


@bp.get("/admin/reuses")
def review() -> ResponseReturnValue:
    items = reuses.pending(get_runtime(), current_actor())
    return no_store(make_response(render_template("reuses/review.html", items=items), 200))


@bp.post("/admin/reuses/<reuse_id>/decision")
def decide(reuse_id: str) -> ResponseReturnValue:
    actor = current_actor()
    reuses.authorize_review(actor)
    try:
        decision = reuses.ReuseDecision.parse(_form_values())
        done = reuses.decide(get_runtime(), actor, reuse_id, decision)
    except (ValidationError, Conflict) as exc:
        items = reuses.pending(get_runtime(), actor)
        html = render_template("reuses/review.html", items=items, error=exc, failed=reuse_id)
        return no_store(make_response(html, form_status(exc)))
    flash(f"“{done['title']}”{'已发布' if done['status'] == 'approved' else '未通过'}。", "notice")
    return redirect(url_for("reuses.review"))
