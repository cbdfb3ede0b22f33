"""CKAN's activity actions over the public activity stream (``datasets.catalog.activity``).
Imported by the app factory so that they register."""

from __future__ import annotations

from typing import Any

from datasets.catalog import activity_list
from datasets.errors import ValidationError
from portal.api.ckan import Params, _int, _text, action
from portal.app import get_runtime


def _page(params: Params) -> dict[str, int]:
    return {
        "limit": _int(params, "limit", 31, maximum=activity_list.MAX_LIMIT),
        "offset": _int(params, "offset", 0),
    }


def _id(params: Params) -> str:
    value = _text(params, "id")
    if not value:
        raise ValidationError("缺少参数 id", {"id": ["Missing value"]})
    return value


@action
def package_activity_list(params: Params) -> list[dict[str, Any]]:
    """返回一个公开数据集的更新记录（发布、更新、撤回、调整开放属性、暂停和恢复开放），从新到旧。

    :param id: 数据集的名称或 id（必填）
    :type id: string
    :param limit: 最多返回多少条，默认 31，最多 100
    :type limit: int
    :param offset: 从第几条开始（从 0 起算）
    :type offset: int
    :rtype: list of dictionaries
    """
    return activity_list.package_activity_list(
        get_runtime(), id_or_name=_id(params), **_page(params)
    )


@action
def organization_activity_list(params: Params) -> list[dict[str, Any]]:
    """返回一个提供部门的数据集的更新记录，从新到旧。

    :param id: 部门的名称或 id（必填）
    :type id: string
    :param limit: 最多返回多少条，默认 31，最多 100
    :type limit: int
    :param offset: 从第几条开始（从 0 起算）
    :type offset: int
    :rtype: list of dictionaries
    """
    return activity_list.organization_activity_list(
        get_runtime(), id_or_name=_id(params), **_page(params)
    )


@action
def recently_changed_packages_activity_list(params: Params) -> list[dict[str, Any]]:
    """返回全平台最近的数据集更新记录，从新到旧。

    :param limit: 最多返回多少条，默认 31，最多 100
    :type limit: int
    :param offset: 从第几条开始（从 0 起算）
    :type offset: int
    :rtype: list of dictionaries
    """
    return activity_list.recently_changed(get_runtime(), **_page(params))
