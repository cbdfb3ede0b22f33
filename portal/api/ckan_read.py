"""CKAN's other read actions: topics as groups, tags, licences, the site, the autocompletes and
the newest-first package list. Imported by the app factory so that they register."""

from __future__ import annotations

from typing import Any

from datasets.catalog import groups, lookups
from datasets.errors import ValidationError
from portal.api.ckan import Params, _bool, _int, _text, action
from portal.app import base_url, get_runtime

MAX_AUTOCOMPLETE = 100
MAX_PACKAGES = 1000


def _required(params: Params, name: str) -> str:
    value = _text(params, name)
    if not value:
        raise ValidationError(f"缺少参数 {name}", {name: ["Missing value"]})
    return value


def _page(items: list[Any], params: Params) -> list[Any]:
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(items))
    return items[offset : offset + limit]


@action
def group_list(params: Params) -> list[Any]:
    """列出全部主题（CKAN 的“组”）。

    :param all_fields: 为 ``true`` 时返回每个主题的完整信息（id、名称、数据集数），否则只返回名称
    :type all_fields: bool
    :param sort: 排序，``name``（默认）或 ``package_count``，可加 ``asc``/``desc``
    :type sort: string
    :param limit: 最多返回多少个主题
    :type limit: int
    :param offset: 从第几个主题开始（从 0 起算）
    :type offset: int
    :rtype: list of strings or dictionaries
    """
    all_fields = _bool(params, "all_fields")
    found = groups.group_list(get_runtime(), sort=_text(params, "sort", "name")[:50])
    found = _page(found, params)
    return found if all_fields else [g["name"] for g in found]


@action
def group_show(params: Params) -> dict[str, Any]:
    """返回一个主题（CKAN 的“组”）的信息。

    :param id: 主题的名称或 id（必填），例如 ``交通运输``
    :type id: string
    :param include_datasets: 为 ``true`` 时一并返回该主题的公开数据集（最多 1000 个）
    :type include_datasets: bool
    :rtype: dictionary
    """
    return groups.group_show(
        get_runtime(),
        id_or_name=_required(params, "id"),
        base_url=base_url(),
        include_datasets=_bool(params, "include_datasets"),
    )


@action
def tag_list(params: Params) -> list[Any]:
    """列出公开数据集的全部标签（关键词）。

    :param query: 只返回包含这段文字的标签，例如 ``公交``
    :type query: string
    :param all_fields: 为 ``true`` 时返回每个标签的 id 和名称，否则只返回名称
    :type all_fields: bool
    :rtype: list of strings or dictionaries
    """
    return groups.tag_list(
        get_runtime(),
        query=_text(params, "query")[:100],
        all_fields=_bool(params, "all_fields"),
    )


@action
def tag_show(params: Params) -> dict[str, Any]:
    """返回一个标签的信息。

    :param id: 标签的名称或 id（必填）
    :type id: string
    :param include_datasets: 为 ``true`` 时一并返回带有该标签的公开数据集（最多 1000 个）
    :type include_datasets: bool
    :rtype: dictionary
    """
    return groups.tag_show(
        get_runtime(),
        id_or_name=_required(params, "id"),
        base_url=base_url(),
        include_datasets=_bool(params, "include_datasets"),
    )


@action
def license_list(params: Params) -> list[dict[str, Any]]:
    """列出公开数据集使用的许可协议。

    本接口没有参数。

    :rtype: list of dictionaries
    """
    return groups.license_list(get_runtime())


@action
def site_read(params: Params) -> bool:
    """平台是否可读：总是返回 ``true``（CKAN 客户端用它检查连通）。

    本接口没有参数。

    :rtype: bool
    """
    return True


def _autocomplete_args(params: Params) -> tuple[str, int]:
    q = _text(params, "q")[:100].strip()
    return q, _int(params, "limit", 10, maximum=MAX_AUTOCOMPLETE)


@action
def package_autocomplete(params: Params) -> list[dict[str, Any]]:
    """按标题或名称补全数据集：返回标题或名称中含有查询词的公开数据集。

    :param q: 查询词（必填），例如 ``公交``
    :type q: string
    :param limit: 最多返回多少个，默认 10，最多 100
    :type limit: int
    :rtype: list of dictionaries
    """
    q, limit = _autocomplete_args(params)
    return lookups.package_autocomplete(get_runtime(), q=q, limit=limit)


@action
def format_autocomplete(params: Params) -> list[str]:
    """补全文件格式：返回公开文件中含有查询词的格式，使用最多的在前。

    :param q: 查询词（必填），例如 ``cs``
    :type q: string
    :param limit: 最多返回多少个，默认 10，最多 100
    :type limit: int
    :rtype: list of strings
    """
    q, limit = _autocomplete_args(params)
    return lookups.format_autocomplete(get_runtime(), q=q, limit=limit)


@action
def organization_autocomplete(params: Params) -> list[dict[str, Any]]:
    """补全提供部门：返回名称中含有查询词的部门。

    :param q: 查询词（必填），例如 ``交通``
    :type q: string
    :param limit: 最多返回多少个，默认 10，最多 100
    :type limit: int
    :rtype: list of dictionaries
    """
    q, limit = _autocomplete_args(params)
    return lookups.organization_autocomplete(get_runtime(), q=q, limit=limit)


@action
def current_package_list_with_resources(params: Params) -> list[dict[str, Any]]:
    """按最近更新时间从新到旧列出公开数据集，每个都带有其资源。

    :param limit: 最多返回多少个，默认 100，最多 1000
    :type limit: int
    :param offset: 从第几个开始（从 0 起算）
    :type offset: int
    :rtype: list of dictionaries
    """
    return lookups.current_packages(
        get_runtime(),
        limit=_int(params, "limit", 100, maximum=MAX_PACKAGES),
        offset=_int(params, "offset", 0),
        base_url=base_url(),
    )
