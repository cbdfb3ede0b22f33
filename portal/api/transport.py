"""How public answers travel: JSONP for GET action calls, ``Access-Control-Allow-Origin: *`` on
public reads (a setting), gzip for JSON answers to clients that accept it.

Files are never compressed here (they keep their byte ranges, ETags and lengths), nor are
streamed answers; only JSON built in memory is.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from flask import Flask, Response, abort, g, request

from portal.app import get_runtime
from portal.auth import current_actor

CALLBACK = re.compile(r"[A-Za-z_$][0-9A-Za-z_$.]{0,63}")
GZIP_MIN_BYTES = 1024
COMPRESSIBLE = ("application/json", "application/javascript")
# GET reads of these paths are public when the caller is anonymous
PUBLIC_READ_PREFIXES = ("/api/3/action/", "/api/action/", "/api/v1/", "/api/3")
# and the open metadata: DCAT, data.json, sitemaps, feeds
PUBLIC_DOCUMENTS = re.compile(
    r"/(catalog\.(ttl|jsonld|rdf|xml)|dataset/[^/]+\.(ttl|jsonld|rdf)|data\.json"
    r"|sitemap(-[0-9]+)?\.xml|feeds/.+\.atom)"
)


def jsonp_callback() -> str | None:
    """The JSONP callback of a GET action call, checked strictly; ``None`` without one."""
    if request.method not in ("GET", "HEAD") or "callback" not in request.args:
        return None
    name = request.args.get("callback", "")
    if not CALLBACK.fullmatch(name):
        abort(400, description="参数 callback 须为 JavaScript 函数名")
    return name


def jsonp(callback: str, body: dict[str, Any]) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    # U+2028/2029 end a line in older JavaScript engines: escape them inside the call
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Response(
        f"/**/{callback}({text});", content_type="application/javascript; charset=utf-8"
    )


def public_read() -> None:
    """Mark this answer as a public read (a file anyone may download): CORS applies to it."""
    g.public_read = True


def _is_public_read() -> bool:
    if request.method not in ("GET", "HEAD") or not current_actor().is_anonymous:
        return False
    if g.get("public_read") or PUBLIC_DOCUMENTS.fullmatch(request.path):
        return True
    return request.path.startswith(PUBLIC_READ_PREFIXES)


def _compress(response: Response) -> None:
    if response.mimetype not in COMPRESSIBLE or response.direct_passthrough:
        return
    if response.is_streamed or response.status_code != 200:
        return
    response.vary.add("Accept-Encoding")
    if "Content-Encoding" in response.headers or request.accept_encodings["gzip"] <= 0:
        return
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(etag + "-gzip", weak=bool(weak))


def register(app: Flask) -> None:
    @app.after_request
    def public_transport(response: Response) -> Response:
        if get_runtime().settings.cors_public_reads and _is_public_read():
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers.setdefault(
                "Access-Control-Expose-Headers", "Content-Length, Content-Range, ETag"
            )
        _compress(response)
        return response
