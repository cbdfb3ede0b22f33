"""Operator pages: the quarantine of the openness engine, masking rules, reclassification, and
the confirmation (人工确认) of files the scanner could not read."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from datasets.openness import confirmations, curation
from datasets.openness import rules as op
from portal.app import get_runtime
from portal.auth import current_actor

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_sign_in() -> ResponseReturnValue | None:
    if current_actor().is_anonymous:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


@bp.route("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("admin.quarantine"))


@bp.route("/quarantine")
def quarantine() -> ResponseReturnValue:
    items = curation.quarantine_list(get_runtime(), actor=current_actor())
    return render_template("admin/quarantine.html", items=items)


@bp.route("/dataset/<name>")
def dataset(name: str) -> ResponseReturnValue:
    info = curation.dataset_curation(get_runtime(), name=name, actor=current_actor())
    return render_template(
        "admin/dataset.html",
        info=info,
        policies=curation.policy_choices(),
        suggested=curation.suggested_rules(info),
        rules=op.EXCLUSION_RULES,
        titles=op.OPENNESS_TITLES,
    )


@bp.route("/dataset/<name>/masking", methods=["POST"])
def masking(name: str) -> ResponseReturnValue:
    columns = request.form.getlist("column")
    policies = request.form.getlist("policy")
    curation.set_masking_rules(
        get_runtime(),
        name=name,
        rules=dict(zip(columns, policies, strict=False)),
        actor=current_actor(),
    )
    flash("脱敏规则已保存", "ok")
    return redirect(url_for("admin.dataset", name=name))


@bp.route("/dataset/<name>/release", methods=["POST"])
def release(name: str) -> ResponseReturnValue:
    """Publish with the masking rules: those on the form are saved first (one step, no separate
    save), then the dataset is released if every personal column has one."""
    rt, actor = get_runtime(), current_actor()
    columns = request.form.getlist("column")
    if columns:
        policies = request.form.getlist("policy")
        rules = dict(zip(columns, policies, strict=False))
        curation.set_masking_rules(rt, name=name, rules=rules, actor=actor)
    result = curation.release(rt, name=name, actor=actor, reason=request.form.get("reason", ""))
    flash(f"已解除隔离并发布：{result['name']}", "ok")
    return redirect(url_for("admin.dataset", name=name))


@bp.route("/dataset/<name>/reclassify", methods=["POST"])
def reclassify(name: str) -> ResponseReturnValue:
    result = curation.reclassify(
        get_runtime(),
        name=name,
        openness=request.form.get("openness", ""),
        rule=request.form.get("rule") or None,
        basis=request.form.get("basis") or None,
        reason=request.form.get("reason", ""),
        actor=current_actor(),
    )
    flash(f"已重新分类：{result['name']}", "ok")
    return redirect(url_for("admin.dataset", name=name))


@bp.route("/dataset/<name>/files/<resource_id>/confirm", methods=["POST"])
def confirm_file(name: str, resource_id: str) -> ResponseReturnValue:
    result = confirmations.confirm_file(
        get_runtime(),
        name=name,
        resource_id=resource_id,
        note=request.form.get("note", ""),
        actor=current_actor(),
    )
    flash(result["message"], "ok")
    if request.form.get("back") == "dataset":
        return redirect(url_for("admin.dataset", name=result["name"]))
    return redirect(url_for("admin.quarantine"))


@bp.route("/harvest")
def harvest_history() -> ResponseReturnValue:
    from harvester import history as words
    from harvester.history import harvest_history as history
    from harvester.sources import list_sources

    source = request.args.get("source") or None
    data = history(get_runtime(), actor=current_actor(), source=source)
    return render_template(
        "admin/harvest.html",
        history=data,
        sources=list_sources(get_runtime()),
        source=source,
        words=words,
    )


@bp.route("/harvest/<job_id>")
def harvest_job(job_id: str) -> ResponseReturnValue:
    from harvester import history as words
    from harvester.history import OUTCOME_TITLES, job_detail

    return render_template(
        "admin/harvest_job.html",
        job=job_detail(get_runtime(), actor=current_actor(), job_id=job_id),
        outcome_titles=OUTCOME_TITLES,
        words=words,
    )
