"""File downloads. Unconditional files need no login; the originals of conditional data go to
the holders of a grant (signed in, or with an API key); everything else answers 403.

Every table file is also offered in every export format (``?format=<code>``, the codes of
``datasets.rows.formats.FORMATS``), computed from the file the caller may download: a public
file's conversion has an ETag and answers 304; a grant holder's is never stored by a cache."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, request, send_file
from flask.typing import ResponseReturnValue

from datasets.catalog import services as catalog
from datasets.catalog.conversions import Conversion, resource_conversion
from datasets.errors import NotFound
from datasets.rows.formats import attachment_header
from datasets.workflows.grants import GrantedFile
from portal.api.transport import public_read
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter
from portal.usage import count

bp = Blueprint("downloads", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

MAX_AGE = 300
log = logging.getLogger(__name__)


@bp.route("/dataset/<name>/resource/<resource_id>/download/<path:filename>")
def download(name: str, resource_id: str, filename: str) -> ResponseReturnValue:
    """Serve a stored file, or (``?format=``) its table in another format. The file name in
    the URL is cosmetic; the resource id decides."""
    code = request.args.get("format")
    if code is not None:
        return _conversion(name, resource_id, code)
    found = catalog.resource_download(
        get_runtime(), dataset=name, resource_id=resource_id, actor=current_actor()
    )
    count("download", resource_id=resource_id)
    if isinstance(found, GrantedFile):
        return _granted(found)
    handed = _handed_over(found.path, found.media_type)
    if handed is not None:
        handed.headers["Content-Disposition"] = attachment_header(found.filename, found.fallback)
        handed.headers["X-Content-SHA256"] = found.sha256
        public_read()
        handed.cache_control.public = True
        handed.cache_control.max_age = MAX_AGE
        return handed
    response = send_file(
        found.path,
        mimetype=found.media_type,
        conditional=True,
        etag=found.sha256,
        max_age=MAX_AGE,
    )
    response.headers["Content-Disposition"] = attachment_header(found.filename, found.fallback)
    response.headers["X-Content-SHA256"] = found.sha256
    public_read()
    return response


def _granted(found: GrantedFile) -> Response:
    """A file for one grant holder: never cached anywhere but by the holder's own download."""
    handed = _handed_over(found.path, found.media_type) if found.path is not None else None
    if handed is not None:
        response = handed
    elif found.path is not None:
        response = send_file(found.path, mimetype=found.media_type, conditional=False, etag=False)
    else:
        response = Response(found.rows, content_type=found.media_type)
    response.headers["Content-Disposition"] = attachment_header(found.filename, found.fallback)
    return no_store(response)


def _handed_over(path: Path, media_type: str) -> Response | None:
    """With ``accel_redirect`` set, the answer that lets the web server in front send ``path``
    (``X-Accel-Redirect`` to its internal location, no body); None when the portal sends it.
    Only a file inside the instance's files folder is handed over."""
    rt = get_runtime()
    prefix = rt.settings.accel_redirect
    if not prefix:
        return None
    files = rt.paths.files.resolve()
    target = path.resolve()
    if not target.is_relative_to(files) or not target.is_file():
        log.warning("file outside the files folder or missing, not handed over: %s", path)
        raise NotFound("文件暂不可用")
    response = Response(b"", mimetype=media_type)
    response.headers["X-Accel-Redirect"] = prefix + quote(target.relative_to(files).as_posix())
    return response


def _conversion(name: str, resource_id: str, code: str) -> Response:
    found: Conversion = resource_conversion(
        get_runtime(), dataset=name, resource_id=resource_id, code=code, actor=current_actor()
    )
    count("download", resource_id=resource_id)
    if found.etag is not None and request.if_none_match.contains_weak(found.etag):
        response = Response(status=304)
    else:
        response = Response(found.body(), content_type=found.format.media_type)
        response.headers["Content-Disposition"] = attachment_header(found.filename, found.fallback)
    if found.etag is None:
        return no_store(response)
    response.set_etag(found.etag)
    public_read()
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response
