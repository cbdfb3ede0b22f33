"""Public HTML pages: home, search, dataset, departments, openness rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue

from datasets.catalog import activity_list, page_parts
from datasets.catalog import organizations as organizations_
from datasets.catalog import services as catalog
from datasets.catalog.packages import rule_dict
from datasets.errors import NotFound, ValidationError
from datasets.openness import rules as op
from datasets.search.query import search_request
from datasets.workflows import pages as service_pages
from datasets.workflows.agreements import current_agreement
from portal.app import base_url, get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.pages import discovery
from portal.usage import count

bp = Blueprint("catalog", __name__)

HOME_DEPARTMENTS = 24  # the departments with the most datasets, on the home page
DEPARTMENTS_PAGE = 60  # departments a page of the department list shows
SORT_LABELS = {
    "score desc": "相关度",
    "metadata_modified desc": "最近更新",
    "title_string asc": "名称",
    "views_recent desc": "最受欢迎",
}
# the filters the page offers, named as in CKAN's fq and package_search (groups = topic)
FACET_TITLES = {
    "organization": "提供部门",
    "topic": "主题分类",
    "openness": "开放属性",
    "res_format": "数据格式",
    "update_cycle": "更新周期",
    "license_id": "开放许可",
    "tags": "标签",
}
_ALIASES = {"formats": "res_format", "groups": "topic"}


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
    """The page's filters, one list of values per field (older names read as their CKAN ones)."""
    filters: dict[str, list[str]] = {}
    for name, values in request.args.lists():
        field = _ALIASES.get(name, name)
        if field in FACET_TITLES:
            kept = [v[:200] for v in values if v.strip()]
            if kept:
                filters.setdefault(field, []).extend(kept)
    return filters


def _search(rt: Any, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """``catalog.package_search`` with the same parameters as the API's package_search."""
    wanted = search_request(
        {**params, **extra},
        now=datetime.now(UTC),
        max_rows=rt.settings.api_max_rows,
        default_rows=rt.settings.page_size,
    )
    return catalog.package_search(rt, wanted, base_url=base_url())


@bp.route("/")
def home() -> ResponseReturnValue:
    rt = get_runtime()
    latest = _search(rt, {"sort": "metadata_modified desc", "rows": 6, "facet.field": []})
    return render_template(
        "home.html",
        summary=catalog.portal_summary(rt),
        departments=organizations_.top_organizations(rt, limit=HOME_DEPARTMENTS),
        latest=latest["results"],
        titles=op.OPENNESS_TITLES,
        json_url=url_for("api.action_v3", action="package_search", sort="metadata_modified desc"),
    )


@bp.route("/search")
def search() -> ResponseReturnValue:
    rt = get_runtime()
    q = request.args.get("q", "").strip()[:200]
    sort = request.args.get("sort") or None
    if sort and sort not in SORT_LABELS:
        raise ValidationError(f"不支持的排序方式：{sort}", {"sort": [sort]})
    page = _page_number()
    size = rt.settings.page_size
    filters = _filters()
    fq = request.args.get("fq", "").strip()
    params: dict[str, Any] = {"q": q, "fq": fq, "sort": sort, **filters}
    result = _search(rt, params, start=(page - 1) * size, rows=size)
    pages = max(1, -(-result["count"] // size))
    api_args: dict[str, Any] = {"q": q, "rows": size, "start": (page - 1) * size}
    if sort:
        api_args["sort"] = sort
    clauses = [fq] if fq else []
    clauses += [f'{_fq_name(k)}:"{v}"' for k, vs in filters.items() for v in vs]
    if clauses:
        api_args["fq"] = " ".join(clauses)
    return render_template(
        "search.html",
        q=q,
        fq=fq,
        heading=_heading(q, filters, result),
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
    return {"topic": "groups"}.get(field, field)


def _heading(q: str, filters: dict[str, list[str]], result: dict[str, Any]) -> str:
    """The page's own title: what was searched and which filters hold."""
    parts = [f"“{q}”的搜索结果"] if q else []
    for field, values in filters.items():
        items = result["search_facets"].get(field, {}).get("items", [])
        labels = {item["name"]: item["display_name"] for item in items}
        if field == "openness":
            labels.update(op.OPENNESS_TITLES)
        shown = "、".join(labels.get(v, v) for v in values)
        parts.append(f"{FACET_TITLES[field]}：{shown}")
    return " · ".join(parts) or "数据目录"


@bp.route("/dataset/<name>")
def dataset(name: str) -> ResponseReturnValue:
    rt = get_runtime()
    page = catalog.dataset_page(rt, name=name, base_url=base_url())
    actor = current_actor()
    access = service_pages.dataset_access(rt, actor, page["package"]["name"])
    dataset_id = page["package"]["id"]
    count("view", dataset_id)
    html = render_template(
        "dataset.html",
        **page,
        access=access,
        operator="operator" in actor.roles,
        **page_parts.dataset_page_parts(rt, dataset_id, actor),
        jsonld=discovery.page_jsonld(page["package"], listed=page["listed"]),
        titles=op.OPENNESS_TITLES,
        json_url=url_for("api.action_v3", action="package_show", id=name),
    )
    # one applicant's grant and files: never kept by a cache
    return no_store(make_response(html)) if access else html


@bp.route("/organization/")
def organizations() -> ResponseReturnValue:
    rt = get_runtime()
    q = request.args.get("q", "").strip()[:100]
    page = _page_number()
    total, providing = organizations_.organization_totals(rt, q=q)
    pages = max(1, -(-total // DEPARTMENTS_PAGE))
    if page > pages:
        raise NotFound("没有这一页")
    return render_template(
        "organizations.html",
        organizations=organizations_.organization_list(
            rt, limit=DEPARTMENTS_PAGE, offset=(page - 1) * DEPARTMENTS_PAGE, q=q
        ),
        total=total,
        providing=providing,
        q=q,
        page=page,
        pages=pages,
        json_url=url_for("api.action_v3", action="organization_list", all_fields="true"),
    )


@bp.route("/organization/<name>")
def organization(name: str) -> ResponseReturnValue:
    rt = get_runtime()
    org = catalog.organization_show(rt, id_or_name=name)
    page = _page_number()
    size = rt.settings.page_size
    result = _search(
        rt,
        {"organization": org["name"], "sort": "title_string asc", "facet.field": []},
        start=(page - 1) * size,
        rows=size,
    )
    return render_template(
        "organization.html",
        org=org,
        result=result,
        page=page,
        pages=max(1, -(-result["count"] // size)),
        history=activity_list.page_history(rt, organization_id=org["id"]),
        titles=op.OPENNESS_TITLES,
        json_url=url_for("api.action_v3", action="organization_show", id=org["name"]),
    )


@bp.route("/rules")
def rules() -> ResponseReturnValue:
    legal = get_runtime().settings.legal
    cited = [rule_dict(r.code, legal) for r in op.EXCLUSION_RULES]
    return render_template("rules.html", rules=cited, titles=op.OPENNESS_TITLES, legal=legal)


@bp.route("/agreement")
def agreement() -> ResponseReturnValue:
    """The data-use agreement in force, to read before applying."""
    return render_template("agreement.html", agreement=current_agreement())
