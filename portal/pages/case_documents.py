"""The documents of a case: an application's supporting documents (证明材料) and the signed
data-use agreement of a grant, as a page and as a file to keep.

Both are one person's matters: never cached, sent as attachments (``nosniff`` keeps a browser
from reading them as anything else)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file
from werkzeug.wrappers import Response as BaseResponse

from datasets.errors import Conflict, ValidationError
from datasets.rows.formats import attachment_header
from datasets.workflows import agreements, attachments
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter
from portal.pages.applications import _application_response

bp = Blueprint("case_documents", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

bp.after_request(no_store)


@bp.post("/services/application/<application_id>/attachments")
def attach(application_id: str) -> tuple[str, int] | BaseResponse:
    """The applicant uploads a supporting document; the page again with the notice."""
    upload = request.files.get("attachment")
    received = attachments.Upload(
        filename=(upload.filename or "") if upload else "",
        content=upload.read() if upload else b"",
    )
    try:
        item = attachments.attach(get_runtime(), current_actor(), application_id, received)
    except (ValidationError, Conflict) as exc:
        return _application_response(application_id, error=exc, step="attachments")
    flash(f"已上传证明材料：{item['name']}。", "notice")
    return redirect(f"/services/application/{application_id}#attachments", 303)


@bp.get("/services/application/<application_id>/attachments/<attachment_id>")
def attachment(application_id: str, attachment_id: str) -> Response:
    found = attachments.open_attachment(
        get_runtime(), current_actor(), application_id, attachment_id
    )
    response = send_file(found.path, mimetype=found.media_type, conditional=False, etag=False)
    response.headers["Content-Disposition"] = attachment_header(found.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/services/grants/<grant_id>/agreement")
def signed_agreement(grant_id: str) -> str:
    """The agreement a grant was signed under, naming the parties, dataset, fields, period."""
    document = agreements.signed_agreement(get_runtime(), current_actor(), grant_id)
    return render_template("services/agreement_signed.html", doc=document)


@bp.get("/services/grants/<grant_id>/agreement.txt")
def signed_agreement_file(grant_id: str) -> Response:
    document = agreements.signed_agreement(get_runtime(), current_actor(), grant_id)
    text = agreements.agreement_text(document)
    response = Response(text, content_type="text/plain; charset=utf-8")
    name = f"数据使用协议-{document['grant']['reference']}.txt"
    response.headers["Content-Disposition"] = attachment_header(name)
    return response
