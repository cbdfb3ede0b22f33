"""Open metadata: the DCAT-AP catalog (``/catalog.ttl|jsonld|rdf|xml?page=N``), each public
dataset's description (``/dataset/<name>.ttl|jsonld|rdf``), and content negotiation on the
dataset's own URL: a client that asks for RDF by ``Accept`` gets it, a browser keeps the page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue

from datasets.catalog import dcat_catalog as dcat
from portal.app import base_url, get_runtime

bp = Blueprint("metadata", __name__)

NEGOTIATED_ENDPOINT = "catalog.dataset"  # the dataset page, which answers RDF when asked


def _answer(document: dcat.Document) -> Response:
    response = Response(document.body, mimetype=document.media_type)
    response.headers["Content-Type"] = f"{document.media_type}; charset=utf-8"
    return response


@bp.route("/catalog.<any(ttl, jsonld, rdf, xml):suffix>")
def catalog(suffix: str) -> ResponseReturnValue:
    page = request.args.get("page", "1")
    if not (page.isascii() and page.isdigit()) or int(page) < 1:
        abort(400, description="page 须为正整数")
    document = dcat.catalog_page(get_runtime(), page=int(page), base_url=base_url(), suffix=suffix)
    return _answer(document)


@bp.route("/dataset/<name>.<any(ttl, jsonld, rdf):suffix>")
def dataset(name: str, suffix: str) -> ResponseReturnValue:
    document = dcat.dataset_document(get_runtime(), name=name, base_url=base_url(), suffix=suffix)
    return _answer(document)


@bp.before_app_request
def negotiate() -> ResponseReturnValue | None:
    """``/dataset/<name>`` with ``Accept: text/turtle`` (or JSON-LD, RDF/XML) preferred to HTML
    answers the dataset's RDF; anything else goes on to the page."""
    if request.endpoint != NEGOTIATED_ENDPOINT or request.method != "GET":
        return None
    suffix = dcat.negotiated_suffix(request.accept_mimetypes)
    if suffix is None:
        return None
    name = (request.view_args or {}).get("name", "")
    response = _answer(
        dcat.dataset_document(get_runtime(), name=name, base_url=base_url(), suffix=suffix)
    )
    response.vary.add("Accept")
    return response


@bp.after_app_request
def vary_on_accept(response: Response) -> Response:
    if request.endpoint == NEGOTIATED_ENDPOINT:
        response.vary.add("Accept")
    return response
