"""File downloads. Unconditional files need no login; the originals of conditional data go to
the holders of a grant (signed in, or with an API key); everything else answers 403."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, send_file
from flask.typing import ResponseReturnValue

from datasets.catalog import services as catalog
from datasets.workflows.grants import GrantedFile
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter

bp = Blueprint("downloads", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


@bp.route("/dataset/<name>/resource/<resource_id>/download/<path:filename>")
def download(name: str, resource_id: str, filename: str) -> ResponseReturnValue:
    """Serve a stored file. The file name in the URL is cosmetic; the resource id decides."""
    found = catalog.resource_download(
        get_runtime(), dataset=name, resource_id=resource_id, actor=current_actor()
    )
    if isinstance(found, GrantedFile):
        return _granted(found)
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


def _attachment(filename: str) -> str:
    """Content-Disposition for a file name that may be Chinese (RFC 6266 with RFC 5987)."""
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "").strip() or "data"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _granted(found: GrantedFile) -> Response:
    """A file for one grant holder: never cached anywhere but by the holder's own download."""
    if found.path is not None:
        response = send_file(
            found.path,
            mimetype=found.media_type,
            as_attachment=True,
            download_name=found.filename,
            conditional=False,
            etag=False,
        )
    else:
        response = Response(found.rows, content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = _attachment(found.filename)
    return no_store(response)
