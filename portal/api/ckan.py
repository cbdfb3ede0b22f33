"""CKAN Action API v3 subset at /api/3/action/<name> and /api/action/<name>.

Each action parses its parameters (GET query string or a POST JSON body, as CKAN clients send
them), calls one service and returns CKAN's envelope ``{"help", "success", "result"}``.
Errors go through ``portal.errors`` and keep CKAN's ``{"__type", "message"}`` shape.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from datasets.catalog import organizations, usage
from datasets.catalog import services as catalog
from datasets.errors import MalformedInput, NotFound, ValidationError
from datasets.search.query import search_request
from portal.api import edge, transport
from portal.app import base_url, get_runtime
from portal.extensions import csrf, limiter
from portal.usage import count

bp = Blueprint("api", __name__)
# organization_list's caps, CKAN's defaults (ckan.group_and_organization_list_max and
# …_all_fields_max): a larger limit is answered with this many, as CKAN does
ORGANIZATION_LIST_MAX, ORGANIZATION_LIST_ALL_FIELDS_MAX = 1000, 25
csrf.exempt(bp)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

Params = Mapping[str, Any]
ACTIONS: dict[str, Callable[[Params], Any]] = {}


def action(func: Callable[[Params], Any]) -> Callable[[Params], Any]:
    ACTIONS[func.__name__] = func
    return func


def _params() -> dict[str, Any]:
    """The action's parameters, within the edge's bounds (``portal.api.edge``: the query string's
    are checked before the action runs, a body's here)."""
    if request.method == "POST":
        raw = request.get_data(cache=True)
        if request.is_json or (raw.strip().startswith(b"{")):
            try:
                body = edge.read_json(raw) if raw.strip() else {}
            except MalformedInput as exc:  # CKAN's clients know a bad body as a Bad Request
                abort(400, description=exc.message)
            if not isinstance(body, dict):
                abort(400, description="请求内容须为 JSON 对象")
        else:
            body = request.form.to_dict()
        edge.bound_params(body)
        return body
    # a parameter given more than once (a filter with several values) keeps all its values
    return {k: v[0] if len(v) == 1 else v for k, v in request.args.lists()}


def _int(params: Params, name: str, default: int, *, maximum: int | None = None) -> int:
    value = params.get(name, default)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise ValidationError(f"{name} 须为整数", {name: ["Invalid integer"]})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} 须为整数", {name: ["Invalid integer"]}) from None
    if number < 0:
        raise ValidationError(f"{name} 须为非负整数", {name: ["Must be a natural number"]})
    if maximum is not None and number > maximum:
        raise ValidationError(
            f"{name} 不能大于 {maximum}", {name: [f"Must be less than or equal to {maximum}"]}
        )
    return number


def _bool(params: Params, name: str, default: bool = False) -> bool:
    """A true/false parameter, as CKAN reads it (``true``, ``1``, ``yes``, ``on`` …)."""
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False if text else default
    raise ValidationError(f"{name} 须为 true 或 false", {name: ["Must be a boolean"]})


def _text(params: Params, name: str, default: str = "") -> str:
    value = params.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float):
        raise ValidationError(f"{name} 须为字符串", {name: ["Must be a string"]})
    return str(value)


@action
def package_search(params: Params) -> dict[str, Any]:
    """搜索数据集，返回匹配的数据集、总数和分面统计。

    :param q: 查询词，例如 ``公交``；可用 ``-词`` 排除、``字段:值`` 限定
    :type q: string
    :param fq: 过滤条件，例如 ``openness:unconditional``；可用字段有 organization、
        groups、tags、res_format、license_id、openness、update_cycle、topic、
        metadata_modified 等，可用 AND、OR、NOT 和括号组合
    :type fq: string
    :param fq_list: 多个过滤条件（JSON 列表），彼此为“并且”关系
    :type fq_list: list of strings
    :param facet.field: 要统计的分面字段（JSON 列表），例如 ``["organization", "res_format"]``
    :type facet.field: list of strings
    :param facet.limit: 每个分面最多返回的取值个数
    :type facet.limit: int
    :param facet.mincount: 分面取值的最少数据集数
    :type facet.mincount: int
    :param rows: 每页条数，例如 ``10``；超过上限时按上限返回
    :type rows: int
    :param start: 从第几条开始（从 0 起算）
    :type start: int
    :param sort: 排序，例如 ``metadata_modified desc``；可按 score、metadata_modified、
        metadata_created、name、title_string、id、views_recent（最近 14 天使用量，
        即“最受欢迎”）、views_total（累计使用量）排序
    :type sort: string
    :param fl: 只返回这些字段（以逗号或空格分隔）
    :type fl: string
    :returns: count、results、facets、search_facets、sort
    :rtype: dictionary
    """
    rt = get_runtime()
    search = search_request(
        params,
        now=datetime.now(UTC),
        max_rows=rt.settings.api_max_rows,
        default_rows=rt.settings.api_default_rows,
    )
    fl = _text(params, "fl")[:1000].replace(",", " ").split()
    return catalog.package_search(rt, search, base_url=base_url(), fields=fl or None)


@action
def package_show(params: Params) -> dict[str, Any]:
    """返回一个数据集的完整信息：目录字段、开放属性、资源及其下载地址和校验报告。

    :param id: 数据集的名称或 id（必填）
    :type id: string
    :param include_tracking: 为 ``true`` 时一并返回使用情况 ``tracking_summary``：截至昨日的
        浏览、下载和 API 调用次数（total 为累计，recent 为最近 14 天）
    :type include_tracking: bool
    :rtype: dictionary
    """
    rt = get_runtime()
    package = catalog.package_show(
        rt, id_or_name=_text(params, "id") or _text(params, "name"), base_url=base_url()
    )
    count("api", package["id"])
    if _bool(params, "include_tracking"):
        package["tracking_summary"] = usage.dataset_usage(rt, package["id"])
    return package


@action
def package_list(params: Params) -> list[str]:
    """列出全部公开数据集的名称。

    :param limit: 最多返回多少个名称
    :type limit: int
    :param offset: 从第几个名称开始（从 0 起算）
    :type offset: int
    :rtype: list of strings
    """
    names = catalog.dataset_names(get_runtime())
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(names))
    return names[offset : offset + limit]


@action
def organization_list(params: Params) -> list[Any]:
    """按名称列出提供部门（与 CKAN 相同：只返回名称时每次最多 1000 个，返回完整信息时最多 25 个，
    用 ``offset`` 翻页）。

    :param all_fields: 为 ``true`` 时返回每个部门的完整信息，否则只返回名称
    :type all_fields: bool
    :param limit: 返回的个数（超过上限时按上限返回）
    :type limit: int
    :param offset: 跳过的个数
    :type offset: int
    :rtype: list of strings or dictionaries
    """
    all_fields = str(params.get("all_fields", "")).lower() in ("true", "1")
    most = ORGANIZATION_LIST_ALL_FIELDS_MAX if all_fields else ORGANIZATION_LIST_MAX
    limit = min(_int(params, "limit", most), most)
    offset = _int(params, "offset", 0, maximum=10_000_000)
    orgs = organizations.organization_list(get_runtime(), limit=limit, offset=offset)
    return orgs if all_fields else [o["name"] for o in orgs]


@action
def organization_show(params: Params) -> dict[str, Any]:
    """返回一个提供部门的信息。

    :param id: 部门的名称或 id（必填）
    :type id: string
    :rtype: dictionary
    """
    return catalog.organization_show(get_runtime(), id_or_name=_text(params, "id"))


@action
def resource_show(params: Params) -> dict[str, Any]:
    """返回一个资源（数据文件）的信息，包括下载地址和校验报告。

    :param id: 资源的 id（必填）
    :type id: string
    :rtype: dictionary
    """
    resource_id = _text(params, "id")
    if not resource_id:
        raise ValidationError("缺少参数 id", {"id": ["Missing value"]})
    return catalog.resource_show(get_runtime(), resource_id=resource_id, base_url=base_url())


@action
def status_show(params: Params) -> dict[str, Any]:
    """返回平台的基本信息：名称、地址、接口版本和扩展。

    本接口没有参数。

    :rtype: dictionary
    """
    settings = get_runtime().settings
    return {
        "site_title": settings.site_name,
        "site_url": base_url(),
        "ckan_version": "2.10.0",
        "site_description": f"{settings.region_name}公共数据开放平台",
        "locale_default": "zh_Hans_CN",
        "extensions": ["openness", "validation"],
        "api_version": 3,
    }


@action
def help_show(params: Params) -> str:
    """返回一个接口的说明文档：每个接口答复中 ``help`` 链接所指的就是它。

    :param name: 接口名称（必填），例如 ``package_search``
    :type name: string
    :rtype: string
    """
    name = _text(params, "name")
    if not name:
        raise ValidationError("缺少参数 name", {"name": ["Missing value"]})
    func = ACTIONS.get(name)
    if func is None:
        raise NotFound(f"没有名为 {name[:100]} 的接口")
    return inspect.cleandoc(func.__doc__ or "")


def _dispatch(name: str) -> ResponseReturnValue:
    func = ACTIONS.get(name)
    if func is None:
        abort(400, description=f"Bad request - Action name not known: {name}")
    callback = transport.jsonp_callback()
    params = _params()
    if callback is not None:  # JSONP: the callback and jQuery's cache buster are not parameters
        params.pop("callback", None)
        params.pop("_", None)
    result = func(params)
    help_url = base_url() + f"/api/3/action/help_show?name={name}"
    body = {"help": help_url, "success": True, "result": result}
    return jsonify(body) if callback is None else transport.jsonp(callback, body)


@bp.route("/api/3/action/<action>", methods=["GET", "POST"])
def action_v3(action: str) -> ResponseReturnValue:
    return _dispatch(action)


@bp.route("/api/action/<action>", methods=["GET", "POST"])
def action_unversioned(action: str) -> ResponseReturnValue:
    return _dispatch(action)


@bp.route("/api/3")
@bp.route("/api/3/")
def api_version() -> ResponseReturnValue:
    return jsonify({"version": 3})
