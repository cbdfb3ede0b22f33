"""应用成果 through the API: ``/api/v1/reuses`` (list, show, submit, the operators' queue and
decision) and CKAN-style actions ``reuse_list`` and ``reuse_show`` for clients that speak the
Action API. The same services as the pages (``datasets.catalog.reuses``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from datasets.catalog import reuses
from datasets.errors import ValidationError
from portal.api import openapi as oa
from portal.api.ckan import Params, _int, _text, action
from portal.api.edge import MAX_PARAM
from portal.api.v1 import created, payload
from portal.app import base_url, get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter

api_bp = Blueprint("reuses_api", __name__, url_prefix="/api/v1")
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(api_bp)


@api_bp.get("/reuses")
def api_list() -> Response:
    return jsonify(
        reuses.list_reuses(
            get_runtime(),
            kind=request.args.get("type") or None,
            dataset=request.args.get("dataset") or None,
            page=request.args.get("page", "1"),
            per_page=request.args.get("per_page", str(reuses.PER_PAGE)),
            base_url=base_url(),
        )
    )


@api_bp.post("/reuses")
@limiter.limit("20 per hour")
def api_submit() -> tuple[Response, int]:
    actor = current_actor()
    reuses.authorize_submit(actor)  # who is asking before what is asked
    wanted = reuses.ReuseInput.parse(payload(_submission()))
    return created(reuses.submit(get_runtime(), actor, wanted))


@api_bp.get("/reuses/pending")
def api_pending() -> Response:
    return no_store(jsonify({"reuses": reuses.pending(get_runtime(), current_actor())}))


@api_bp.get("/reuses/mine")
def api_mine() -> Response:
    return no_store(jsonify({"reuses": reuses.mine(get_runtime(), current_actor())}))


@api_bp.get("/reuses/<reuse_id>")
def api_show(reuse_id: str) -> Response:
    found = reuses.show(get_runtime(), current_actor(), reuse_id, base_url=base_url())
    response = jsonify(found)
    return no_store(response) if "status" in found else response


@api_bp.post("/reuses/<reuse_id>/decision")
def api_decide(reuse_id: str) -> Response:
    actor = current_actor()
    reuses.authorize_review(actor)
    decision = reuses.ReuseDecision.parse(payload(_decision()))
    return jsonify(reuses.decide(get_runtime(), actor, reuse_id, decision))


# -- CKAN-style actions ------------------------------------------------------------------------


@action
def reuse_list(params: Params) -> dict[str, Any]:
    """列出已发布的应用成果（应用、研究报告、可视化、新闻报道），最新的在前。

    :param id: 只列出使用了这个数据集（名称或 id）的成果
    :type id: string
    :param type: 只列出这一类：app、report、visualization 或 news
    :type type: string
    :param limit: 每页条数（1–100，默认 20）
    :type limit: int
    :param offset: 从第几条开始（从 0 起算，须为每页条数的整数倍）
    :type offset: int
    :rtype: dictionary
    """
    limit = _int(params, "limit", reuses.PER_PAGE, maximum=100) or reuses.PER_PAGE
    offset = _int(params, "offset", 0)
    return reuses.list_reuses(
        get_runtime(),
        kind=_text(params, "type") or None,
        dataset=_text(params, "id") or None,
        page=offset // limit + 1,
        per_page=limit,
        base_url=base_url(),
    )


@action
def reuse_show(params: Params) -> dict[str, Any]:
    """返回一项已发布的应用成果：名称、类型、访问地址、简介、署名和所使用的数据集。

    :param id: 应用成果的 id（必填）
    :type id: string
    :rtype: dictionary
    """
    reuse_id = _text(params, "id")
    if not reuse_id:
        raise ValidationError("缺少参数 id", {"id": ["Missing value"]})
    return reuses.show(get_runtime(), current_actor(), reuse_id, base_url=base_url())


# -- the OpenAPI document -----------------------------------------------------------------------


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string", "maxLength": MAX_PARAM},
    }


def _submission() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["title", "type", "url", "datasets"],
        "properties": {
            "title": oa.text_field("成果名称", maxLength=reuses.MAX_TITLE),
            "type": oa.text_field("类型", enum=list(reuses.KINDS)),
            "url": oa.text_field("访问地址，http 或 https 网址", maxLength=reuses.MAX_URL),
            "description": oa.text_field(
                "简介（Markdown，显示前会清理）", maxLength=reuses.MAX_DESCRIPTION
            ),
            "author_name": oa.text_field("公开显示的署名（选填）", maxLength=reuses.MAX_AUTHOR),
            "datasets": {
                "type": "array",
                "items": {"type": "string", "maxLength": 200},
                "maxItems": reuses.MAX_DATASETS,
                "description": "所使用的数据集的名称或 id（1–20 个）",
            },
        },
    }


TAG = "应用成果"


def _collection_paths() -> dict[str, Any]:
    tag = TAG
    return {
        "/api/v1/reuses": {
            "get": oa.operation(
                "已发布的应用成果，最新的在前",
                tag=tag,
                params=[
                    _query("type", "类型", type="string", enum=list(reuses.KINDS)),
                    _query("dataset", "只列出使用了这个数据集（名称或 id）的成果"),
                    _query("page", "页码，从 1 开始", type="integer", minimum=1, maximum=10_000),
                    _query("per_page", "每页条数", type="integer", minimum=1, maximum=100),
                ],
                answer=oa.answers(
                    None,
                    "`reuses`（成果）、`count`（总数）、`page`（页码）、`pages`（页数）",
                    400,
                    404,
                ),
                security=oa.OPTIONAL_KEY,
            ),
            "post": oa.operation(
                "提交应用成果（须登录）；平台运维人员审核通过后公开",
                tag=tag,
                body=oa.json_body(_submission()),
                answer=oa.answers(None, "提交的成果（含 `status`）", 400, 401, 403, created=True),
                security=oa.KEY,
            ),
        },
        "/api/v1/reuses/pending": {
            "get": oa.operation(
                "待审核的应用成果（仅限平台运维人员）",
                tag=tag,
                answer=oa.answers(None, "`reuses`（成果列表）", 401, 403),
                security=oa.KEY,
            )
        },
        "/api/v1/reuses/mine": {
            "get": oa.operation(
                "调用者自己提交的应用成果及其审核状态",
                tag=tag,
                answer=oa.answers(None, "`reuses`（成果列表）", 401),
                security=oa.KEY,
            )
        },
    }


def _decision() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": oa.text_field("决定", enum=["approve", "reject"]),
            "reason": oa.text_field("理由（不通过时必填）", maxLength=reuses.MAX_REASON),
        },
    }


def _reuse_paths() -> dict[str, Any]:
    tag = TAG
    reuse_id = oa.path_param("reuse_id", "应用成果的 id")
    return {
        "/api/v1/reuses/{reuse_id}": {
            "get": oa.operation(
                "一项应用成果（未发布的只有提交者和平台运维人员可见）",
                tag=tag,
                params=[reuse_id],
                answer=oa.answers(None, "成果", 404),
                security=oa.OPTIONAL_KEY,
            )
        },
        "/api/v1/reuses/{reuse_id}/decision": {
            "post": oa.operation(
                "审核应用成果：approve（通过并发布）或 reject（不通过，须写明理由）",
                tag=tag,
                params=[reuse_id],
                body=oa.json_body(_decision()),
                answer=oa.answers(None, "审核后的成果", 400, 401, 403, 404, 409),
                security=oa.KEY,
            )
        },
    }


def openapi_paths() -> dict[str, Any]:
    return {**_collection_paths(), **_reuse_paths()}


oa.EXTRA_PATHS.append(openapi_paths)
