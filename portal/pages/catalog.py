"""Public HTML pages: home, search, dataset, departments, openness rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from datasets.catalog import services as catalog
from datasets.errors import ValidationError
from datasets.openness import rules as op
from datasets.search.index import FACET_FIELDS, SORTS
from portal.app import base_url, get_runtime

bp = Blueprint("catalog", __name__)

SORT_LABELS = {
    "score desc": "相关度",
    "metadata_modified desc": "最近更新",
    "title_string asc": "名称",
}
FACET_TITLES = {
    "organization": "提供部门",
    "topic": "主题分类",
    "openness": "开放属性",
    "formats": "数据格式",
    "update_cycle": "更新周期",
    "tags": "标签",
}


def _page_number() -> int:
    raw = request.args.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        raise ValidationError("页码须为正整数", {"page": [raw]}) from None
    if page < 1 or page > 10_000:
        raise ValidationError("页码超出范围", {"page": [raw]})
    return page


def _filters() -> dict[str, list[str]]:
    return {name: request.args.getlist(name) for name in FACET_FIELDS if request.args.getlist(name)}


@bp.route("/")
def home() -> ResponseReturnValue:
    rt = get_runtime()
    latest = catalog.package_search(rt, sort="metadata_modified desc", rows=6, base_url=base_url())
    return render_template(
        "home.html",
        summary=catalog.portal_summary(rt),
        departments=[o for o in catalog.organization_list(rt) if o["package_count"]],
        latest=latest["results"],
        titles=op.OPENNESS_TITLES,
        json_url=url_for("api.action_v3", action="package_search", sort="metadata_modified desc"),
    )


@bp.route("/search")
def search() -> ResponseReturnValue:
    rt = get_runtime()
    q = request.args.get("q", "").strip()[:200]
    sort = request.args.get("sort") or None
    if sort and sort not in SORTS:
        raise ValidationError(f"不支持的排序方式：{sort}", {"sort": [sort]})
    page = _page_number()
    size = rt.settings.page_size
    filters = _filters()
    result = catalog.package_search(
        rt,
        q=q,
        filters=filters,
        sort=sort,
        start=(page - 1) * size,
        rows=size,
        base_url=base_url(),
    )
    pages = max(1, -(-result["count"] // size))
    api_args: dict[str, Any] = {"q": q, "rows": size, "start": (page - 1) * size}
    fq = " ".join(f'{_fq_name(k)}:"{v}"' for k, vs in filters.items() for v in vs)
    if fq:
        api_args["fq"] = fq
    return render_template(
        "search.html",
        q=q,
        sort=sort or ("score desc" if q else "metadata_modified desc"),
        sort_labels=SORT_LABELS,
        page=page,
        pages=pages,
        result=result,
        filters=filters,
        facet_titles=FACET_TITLES,
        titles=op.OPENNESS_TITLES,
        json_url=url_for("api.action_v3", action="package_search", **api_args),
    )


def _fq_name(field: str) -> str:
    return {"topic": "groups", "formats": "res_format"}.get(field, field)


@bp.route("/dataset/<name>")
def dataset(name: str) -> ResponseReturnValue:
    page = catalog.dataset_page(get_runtime(), name=name, base_url=base_url())
    return render_template(
        "dataset.html",
        **page,
        titles=op.OPENNESS_TITLES,
        json_url=url_for("api.action_v3", action="package_show", id=name),
    )


@bp.route("/organization/")
def organizations() -> ResponseReturnValue:
    return render_template(
        "organizations.html",
        organizations=catalog.organization_list(get_runtime()),
        json_url=url_for("api.action_v3", action="organization_list", all_fields="true"),
    )


@bp.route("/organization/<name>")
def organization(name: str) -> ResponseReturnValue:
    rt = get_runtime()
    org = catalog.organization_show(rt, id_or_name=name)
    page = _page_number()
    size = rt.settings.page_size
    result = catalog.package_search(
        rt,
        filters={"organization": [org["name"]]},
        sort="title_string asc",
        start=(page - 1) * size,
        rows=size,
        base_url=base_url(),
    )
    return render_template(
        "organization.html",
        org=org,
        result=result,
        page=page,
        pages=max(1, -(-result["count"] // size)),
        titles=op.OPENNESS_TITLES,
        json_url=url_for("api.action_v3", action="organization_show", id=org["name"]),
    )


@bp.route("/rules")
def rules() -> ResponseReturnValue:
    return render_template("rules.html", rules=op.EXCLUSION_RULES, titles=op.OPENNESS_TITLES)
