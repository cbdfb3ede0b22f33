"""Read services of the public catalog: show, search, departments, summary, downloads.

The HTML pages, the CKAN API and the CLI all call these functions and get plain dicts back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Row, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from datasets.accounts.permissions import (
    ANONYMOUS,
    SUSPENSION_NOTICE,
    Actor,
    can_download,
    can_see_dataset,
    is_government_staff,
)
from datasets.catalog import sharing
from datasets.catalog.kept_packages import kept_package
from datasets.catalog.organizations import organization_list  # noqa: F401 - the catalog's service
from datasets.catalog.packages import (
    PACKAGE_LOADS,
    conversion_links,
    organization_dict,
    package_dict,
    rule_dict,
    served_name,
    stored_package,
)
from datasets.catalog.vocabulary import TOPICS
from datasets.errors import NotAuthorized, NotFound, ValidationError
from datasets.intake.storage import UNMIRRORED_NOTICE
from datasets.models import Dataset, Organization, Resource, SearchEntry, SearchValue
from datasets.openness import rules as op
from datasets.runtime import Runtime
from datasets.search.generation import as_generation, generation_columns, kept
from datasets.search.query import SearchRequest, sort_text
from datasets.search.searching import SearchHit, search
from datasets.text import render_markdown

if TYPE_CHECKING:
    from datasets.workflows.grants import GrantedFile

_LOAD = PACKAGE_LOADS


def _get_dataset(session: Session, id_or_name: str) -> Dataset | None:
    return session.scalar(
        select(Dataset)
        .where(or_(Dataset.id == id_or_name, Dataset.name == id_or_name))
        .options(*_LOAD)
    )


def load_dataset(session: Session, id_or_name: str) -> Dataset:
    """A dataset by id or name, whatever its state, with its department and resources;
    ``NotFound`` when there is none (for services that check access themselves)."""
    dataset = _get_dataset(session, id_or_name)
    if dataset is None:
        raise NotFound(f"未找到数据集 {id_or_name}")
    return dataset


def package_show(
    rt: Runtime, *, id_or_name: str, base_url: str, actor: Actor = ANONYMOUS
) -> dict[str, Any]:
    """The package dict of one dataset, by id or name (a copy of the one kept per process)."""
    if not id_or_name:
        raise ValidationError("缺少参数 id", {"id": ["Missing value"]})
    with rt.reader() as session:
        found = _find(session, id_or_name)
        if found is None or not can_see_dataset(actor, state=found.state):
            raise NotFound("未找到该数据集")
        pkg, _ = _package_of(session, found, base_url)
        return dict(pkg)  # the kept one is never changed


_LISTED = select(SearchEntry.doc).where(SearchEntry.dataset_id == Dataset.id).exists()
_FIND = select(
    Dataset.id, Dataset.state, Dataset.suspended_by, _LISTED.label("listed"), *generation_columns()
).where(or_(Dataset.id == bindparam("key"), Dataset.name == bindparam("key")))


def _find(session: Session, id_or_name: str) -> Row[Any] | None:
    """A dataset's id, state, suspension, whether it is listed (has a search row) and the search
    rows' generation (for its kept package dict), by id or name: one query, built once."""
    return session.execute(_FIND, {"key": id_or_name}).first()


def _package_of(
    session: Session, found: Row[Any], base_url: str
) -> tuple[dict[str, Any], Dataset | None]:
    """The package dict (no preview rows while a 权益异议 suspends the dataset) of a dataset
    ``_find`` found: kept per process when it is active, else made from the dataset, which is
    returned too (an operator's look at a held entry: never kept)."""
    suspended = found.suspended_by is not None
    if found.state != "active":
        dataset = load_dataset(session, found.id)
        return package_dict(dataset, base_url=base_url, with_preview=not suspended), dataset
    load = lambda: load_dataset(session, found.id)  # noqa: E731 - read in this transaction
    now = as_generation(found.written, found.removed)
    pkg = kept_package(session, found.id, load, base_url=base_url, suspended=suspended, now=now)
    return pkg, None


def dataset_page(
    rt: Runtime, *, name: str, base_url: str, actor: Actor = ANONYMOUS
) -> dict[str, Any]:
    """Everything the dataset page shows: the package dict plus rendered text and previews."""
    with rt.reader() as session:
        found = _find(session, name)
        if found is None or not can_see_dataset(actor, state=found.state):
            raise NotFound("未找到该数据集")
        suspended = found.suspended_by is not None
        pkg, dataset = _package_of(session, found, base_url)
        if dataset is None:  # the kept dict: its resources say what the page needs
            files = [(r["id"], r.get("preview"), r["access"] == "public") for r in pkg["resources"]]
        else:
            files = [(r.id, r.preview, r.public_key is not None) for r in dataset.resources]
    previews = {id_: preview for id_, preview, _ in files if preview and not suspended}
    downloadable = {
        id_: can_download(actor, state=found.state, has_public_file=public, suspended=suspended)
        for id_, _, public in files
    }
    conversions = {
        r["id"]: conversion_links(r["url"], r["format"])
        for r in pkg["resources"]
        if downloadable.get(r["id"]) and r["mirrored"]
    }
    return {
        "package": pkg,
        "notes_html": render_markdown(pkg["notes"]),
        "rule": rule_dict(pkg["exclusion_rule"], rt.settings.legal),
        "previews": previews,
        "downloadable": downloadable,
        "conversions": conversions,
        "suspended": suspended,
        "listed": bool(found.listed),
    }


def package_search(
    rt: Runtime,
    request: SearchRequest,
    *,
    base_url: str = "",
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Full-text search of the public catalog, with facets, in CKAN's result shape.

    ``fields`` keeps only those keys of each package (CKAN's ``fl``)."""
    with rt.reader() as session:
        result = search(session, request)
        packages = [_hit_package(h, base_url) for h in result.hits]
        missing = [h.id for h, pkg in zip(result.hits, packages, strict=True) if pkg is None]
        if missing:  # rows written before packages were stored: read from their datasets
            loaded = {
                d.id: package_dict(d, base_url=base_url)
                for d in session.scalars(
                    select(Dataset).where(Dataset.id.in_(missing)).options(*_LOAD)
                )
                if d.state == "active"
            }
            packages = [
                pkg or loaded.get(h.id) for h, pkg in zip(result.hits, packages, strict=True)
            ]
        results = []
        for hit, pkg in zip(result.hits, packages, strict=True):
            if pkg is None:
                continue
            if fields:
                results.append({k: pkg[k] for k in fields if k in pkg})
                continue
            pkg["highlight"] = {"title": hit.title_html, "notes": hit.notes_html}
            pkg["summary"] = hit.summary
            results.append(pkg)
        shown = tuple(name for name, _ in result.facets.get("organization", ()))
        labels = kept(
            session, ("labels", shown), lambda: _facet_labels(session, shown), now=result.generation
        )
    return {
        "count": result.count,
        "results": results,
        "sort": sort_text(request.sort),
        "facets": {name: dict(pairs) for name, pairs in result.facets.items()},
        "search_facets": _search_facets(result.facets, labels),
        "suggestion": result.suggestion,
    }


def _hit_package(hit: SearchHit, base_url: str) -> dict[str, Any] | None:
    return stored_package(hit.package, base_url=base_url) if hit.package else None


def _search_facets(
    facets: Mapping[str, Sequence[tuple[str, int]]], labels: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """CKAN's ``search_facets``: each facet's values with their display names and counts."""
    return {
        name: {
            "title": name,
            "items": [
                {
                    "name": value,
                    "display_name": labels.get(name, {}).get(value, value),
                    "count": count,
                }
                for value, count in pairs
            ],
        }
        for name, pairs in facets.items()
    }


def _facet_labels(session: Session, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """Display names of the facet values shown: departments' titles (a department renamed
    writes its datasets' search rows again), openness classes."""
    query = select(Organization.name, Organization.title).where(Organization.name.in_(names))
    orgs = {name: title for name, title in session.execute(query)} if names else {}
    return {"organization": orgs, "openness": dict(op.OPENNESS_TITLES)}


_ORGANIZATION = select(Organization).where(
    or_(Organization.id == bindparam("key"), Organization.name == bindparam("key"))
)
_BY_OPENNESS = (  # a department's page and its twin ask both: built once
    select(Dataset.openness, func.count(Dataset.id))
    .where(Dataset.organization_id == bindparam("org"), Dataset.state == "active")
    .group_by(Dataset.openness)
)


def organization_show(rt: Runtime, *, id_or_name: str) -> dict[str, Any]:
    with rt.reader() as session:
        org = session.scalar(_ORGANIZATION, {"key": id_or_name})
        if org is None:
            raise NotFound("未找到该部门")
        by_openness = dict(session.execute(_BY_OPENNESS, {"org": org.id}).all())
        out = organization_dict(org, package_count=sum(by_openness.values()))
        out["openness_counts"] = {k: by_openness.get(k, 0) for k in op.OPENNESS_CLASSES}
        return out


_ACTIVE = Dataset.state == "active"
_SUMMARY_OPENNESS = select(Dataset.openness, func.count()).where(_ACTIVE).group_by(Dataset.openness)
# topics as search counts them (an index of its values, not a scan of the datasets: 0.24 s at
# 100,000); public files checked against their dataset, not every dataset's files looked up
_SUMMARY_TOPICS = select(SearchValue.value, func.count()).where(SearchValue.field == "topic")
_SUMMARY_TOPICS = _SUMMARY_TOPICS.group_by(SearchValue.value)
_SUMMARY_DEPARTMENTS = select(func.count(func.distinct(Dataset.organization_id))).where(_ACTIVE)
_SUMMARY_FILES = select(
    func.count(Resource.id), func.coalesce(func.sum(Resource.row_count), 0)
).where(
    Resource.public_key.is_not(None), exists().where(Dataset.id == Resource.dataset_id, _ACTIVE)
)


def portal_summary(rt: Runtime) -> dict[str, Any]:
    """Counts for the home page: datasets by openness and topic, departments, files, rows."""
    with rt.reader() as session:
        by_openness = dict(session.execute(_SUMMARY_OPENNESS).all())
        by_topic = dict(session.execute(_SUMMARY_TOPICS).all())
        departments = session.scalar(_SUMMARY_DEPARTMENTS)
        files, rows = session.execute(_SUMMARY_FILES).one()
    topics = [{"name": t, "count": by_topic.get(t, 0)} for t in TOPICS if by_topic.get(t)]
    others = sorted(k for k in by_topic if k and k not in TOPICS)
    topics += [{"name": t, "count": by_topic[t]} for t in others]
    return {
        "datasets": sum(by_openness.values()),
        "by_openness": {k: by_openness.get(k, 0) for k in op.OPENNESS_CLASSES},
        "topics": topics,
        "departments": departments or 0,
        "open_files": files or 0,
        "open_rows": int(rows or 0),
    }


@dataclass(frozen=True)
class DownloadFile:
    """A file the public may download: ``filename`` is the (Chinese) name it is served under,
    ``fallback`` its ASCII stand-in; ``format`` is the resource's."""

    path: Path
    filename: str
    media_type: str
    size: int
    sha256: str
    fallback: str = ""
    format: str = ""


def resource_download(
    rt: Runtime, *, dataset: str, resource_id: str, actor: Actor = ANONYMOUS
) -> DownloadFile | GrantedFile:
    """The file behind a resource URL, if the caller may have it: the public file, or — for
    the holder of a grant on a conditional dataset — the original (``GrantedFile``)."""
    with rt.reader() as session:
        row = session.scalar(
            select(Resource)
            .join(Dataset)
            .where(Resource.id == resource_id, or_(Dataset.name == dataset, Dataset.id == dataset))
            .options(selectinload(Resource.dataset))
        )
        if row is None or not can_see_dataset(actor, state=row.dataset.state):
            raise NotFound("未找到该资源")
        if row.unmirrored and row.dataset.openness == op.UNCONDITIONAL:
            raise NotFound(UNMIRRORED_NOTICE)
        if not can_download(
            actor,
            state=row.dataset.state,
            has_public_file=row.public_key is not None,
            suspended=row.dataset.suspended_by is not None,
        ):
            refusal = (
                NotAuthorized(SUSPENSION_NOTICE)
                if row.dataset.suspended_by is not None
                else conditional_refusal(row.dataset.name, signed_in=not actor.is_anonymous)
                if row.dataset.openness == op.CONDITIONAL
                else NotAuthorized("该数据不予开放")
            )
            grantable = row.dataset.openness == op.CONDITIONAL and row.dataset.state == "active"
            if grantable and is_government_staff(actor) and not row.dataset.suspended_by:
                refusal = sharing.staff_refusal()  # departments use the sharing platform
        else:
            path = rt.store.path("public", row.public_key) if row.public_key else None
            if path is None or not path.is_file():
                raise NotFound("文件暂不可用")
            filename, fallback = served_name(row.dataset, row)
            return DownloadFile(
                path,
                filename,
                row.media_type or "application/octet-stream",
                row.public_size or 0,
                row.public_sha256 or "",
                fallback,
                (row.format or "").lower(),
            )
    # after the reader closed: the grant check writes (it logs the use)
    granted = _granted_file(rt, actor, dataset, resource_id) if grantable else None
    if granted is None:
        raise refusal
    return granted


def conditional_refusal(name: str, *, signed_in: bool) -> NotAuthorized:
    """The refusal of a conditional file to one without a grant, with what to do instead: apply,
    read the agreement, or (signed out) sign in with the account that holds the grant."""
    path = quote(name)
    steps = [("申请使用", f"/services/apply/{path}"), ("阅读数据使用协议", "/agreement")]
    if not signed_in:
        steps.insert(1, ("已获授权？请登录", f"/login?next=/dataset/{path}"))
    steps.append(("返回数据集", f"/dataset/{path}"))
    return NotAuthorized(
        "该数据为有条件开放数据：向提供部门提交使用申请，经审核同意并签署数据使用协议后，"
        "可在数据集页面下载原始数据。",
        tuple(steps),
    )


def _granted_file(rt: Runtime, actor: Actor, dataset: str, resource_id: str) -> GrantedFile | None:
    """A conditional dataset's original for the holder of a grant on it, else None."""
    from datasets.workflows.grants import granted_download

    return granted_download(rt, actor, dataset=dataset, resource_id=resource_id)


def dataset_names(rt: Runtime) -> list[str]:
    """Names of all public datasets (CKAN's package_list)."""
    with rt.reader() as session:
        return list(
            session.scalars(
                select(Dataset.name).where(Dataset.state == "active").order_by(Dataset.name)
            )
        )


def resource_show(rt: Runtime, *, resource_id: str, base_url: str) -> dict[str, Any]:
    """One resource dict (CKAN's resource_show)."""
    from datasets.catalog.packages import resource_dict

    with rt.reader() as session:
        row = session.scalar(
            select(Resource)
            .where(Resource.id == resource_id)
            .options(selectinload(Resource.dataset).selectinload(Dataset.organization))
        )
        if row is None or row.dataset.state != "active" or row.dataset.openness == op.CLOSED:
            raise NotFound("未找到该资源")
        return resource_dict(
            row.dataset, row, base_url=base_url, with_preview=not row.dataset.suspended_by
        )
