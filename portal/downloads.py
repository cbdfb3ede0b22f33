"""File downloads. Unconditional files need no login; everything else answers 403."""

from __future__ import annotations

from flask import Blueprint, send_file

from datasets import catalog

from .app import get_runtime
from .extensions import limiter

bp = Blueprint("downloads", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


@bp.route("/dataset/<name>/resource/<resource_id>/download/<path:filename>")
def download(name: str, resource_id: str, filename: str):  # type: ignore[no-untyped-def]
    """Serve a stored file. The file name in the URL is cosmetic; the resource id decides."""
    found = catalog.resource_download(get_runtime(), dataset=name, resource_id=resource_id)
    response = send_file(
        found.path,
        mimetype=found.media_type,
        as_attachment=True,
        download_name=found.filename,
        conditional=True,
        etag=found.sha256,
        max_age=300,
    )
    response.headers["X-Content-SHA256"] = found.sha256
    return response
