"""Source kind ``ckan``: another portal's CKAN Action API.

``location`` is the portal's base URL; the kind calls ``<base>/api/3/action/package_search``
(``q=*:*``, ``sort=id asc``, ``rows``/``start`` paging) and, for single packages,
``package_show``. Configuration: ``rows`` (page size, 1–1000, default 100), ``fq`` (an extra
filter query, passed on as written) and ``organization`` (only that organization's datasets).

The first run reads every package. After a complete run only packages modified since then are
asked for (``fq=metadata_modified:[<last complete run> TO *]``, with a margin for clock skew);
the ids of all packages are then listed cheaply (``fl=id``) so that packages the source still
holds are reported unchanged, and those it dropped can be withdrawn. A listed package that is
not in the catalog, or whose last harvest failed, is read again with ``package_show``.
A portal that refuses the date filter or ``sort=id asc`` (HTTP 400/409, as ours does for
unknown filters) is read in full, sorted by name or in its own order.

Failures: the first request failing fails the job; a later page failing is an errored object
(``package_search start=N``) and the run counts as incomplete (nothing is withdrawn). Resource
files are downloaded only for records that changed, through the kind's ``HttpClient`` (timeouts,
retries, size limit, no internal address but the portal's own origin), into a folder of the
kind's own under staging, removed by ``close()``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select

from datasets.errors import SourceError, ValidationError
from datasets.intake.records import HarvestRecord
from datasets.models import Dataset, HarvestJob, HarvestObject, HarvestSource
from harvester.base import GatherItem, GatherResult, SourceKind
from harvester.ckan_package import check_package, hidden_reason, package_record
from harvester.http import FetchError

log = logging.getLogger(__name__)

DEFAULT_ROWS = 100
MAX_ROWS = 1000
# sort orders tried in turn: a stable order keeps paging consistent while the portal changes
SORTS: tuple[str | None, ...] = ("id asc", "name asc", None)
# CKAN's answers to a parameter it does not support (bad request, validation error)
REFUSED = frozenset({400, 409})
# incremental runs look back a little further than the last complete run (clock skew)
OVERLAP = timedelta(minutes=10)
# consecutive failed pages after which paging stops
MAX_FAILED_PAGES = 3
_API_SUFFIX = re.compile(r"/api(?:/\d+)?(?:/action(?:/[A-Za-z_]+)?)?$")
_ORGANIZATION = re.compile(r'^[^\s"]{1,200}$')


# outcomes after which an incremental harvest fetches an entry again although it is unchanged
RETRIED = ("errored", "unmirrored")


class _Refused(SourceError):
    """The portal refused the first request's parameters (HTTP 400/409)."""


@dataclass
class _Listing:
    """What paging through package_search found: (position, raw entry) pairs."""

    entries: list[tuple[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    complete: bool = True


class CkanSource(SourceKind):
    kind = "ckan"
    description = "Another portal's CKAN Action API: package_search paging, incremental updates"
    config_keys = ("rows", "fq", "organization")

    def __init__(self, source: Any, rt: Any) -> None:
        super().__init__(source, rt)
        self.base = source.location.rstrip("/")
        self.rows = int(source.config.get("rows") or DEFAULT_ROWS)
        self.sort: str | None = SORTS[0]
        self._title: str | None = None

    # -- configuration -------------------------------------------------------------------

    @classmethod
    def check_location(cls, location: str) -> str:
        parts = urlsplit(location.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(
                f"ckan 来源地址须为门户的 http(s) 网址，如 https://data.example.gov.cn/：{location}",
                {"location": [location]},
            )
        path = _API_SUFFIX.sub("", parts.path.rstrip("/"))
        return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")

    @classmethod
    def check_config(cls, config: dict[str, str]) -> dict[str, str]:
        config = {k: str(v).strip() for k, v in super().check_config(config).items()}
        if "rows" in config:
            try:
                rows = int(config["rows"])
            except ValueError:
                rows = 0
            if not 1 <= rows <= MAX_ROWS:
                raise ValidationError(
                    f"rows 须为 1–{MAX_ROWS} 的整数：{config['rows']}", {"rows": [config["rows"]]}
                )
            config["rows"] = str(rows)
        if "organization" in config and not _ORGANIZATION.fullmatch(config["organization"]):
            raise ValidationError(
                f"organization 须为组织的名称（name）：{config['organization']}",
                {"organization": [config["organization"]]},
            )
        return {k: v for k, v in config.items() if v}

    def _base_fq(self) -> str:
        parts = []
        if self.source.config.get("fq"):
            parts.append(str(self.source.config["fq"]).strip())
        if self.source.config.get("organization"):
            parts.append(f'+organization:"{self.source.config["organization"]}"')
        return " ".join(parts)

    # -- the Action API ------------------------------------------------------------------

    def _action(self, name: str, params: dict[str, Any]) -> Any:
        url = f"{self.base}/api/3/action/{name}"
        data = self.http.get_json(url, params=params)
        if not isinstance(data, dict) or not isinstance(data.get("success"), bool):
            raise SourceError(f"不是 CKAN Action API 的响应：{url}")
        if not data["success"]:
            error = data.get("error")
            detail = error.get("message") or error.get("__type") if isinstance(error, dict) else ""
            raise SourceError(f"CKAN 接口 {name} 返回错误：{detail or '未说明原因'}")
        if "result" not in data:
            raise SourceError(f"CKAN 接口 {name} 的响应缺少 result：{url}")
        return data["result"]

    def _page(self, fq: str, fl: str | None, start: int, sort: str | None) -> tuple[int, list[Any]]:
        params: dict[str, Any] = {"q": "*:*", "rows": self.rows, "start": start}
        if sort:
            params["sort"] = sort
        if fq:
            params["fq"] = fq
        if fl:
            params["fl"] = fl
        result = self._action("package_search", params)
        count = result.get("count") if isinstance(result, dict) else None
        page = result.get("results") if isinstance(result, dict) else None
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise SourceError("package_search 的结果缺少 count")
        if not isinstance(page, list):
            raise SourceError("package_search 的结果缺少 results 列表")
        return count, page

    def _first_page(self, fq: str, fl: str | None) -> tuple[int, list[Any]]:
        """Page 0, trying the sort orders in turn while the portal refuses them."""
        refused: FetchError | None = None
        for sort in SORTS:
            try:
                answer = self._page(fq, fl, 0, sort)
            except FetchError as exc:
                if exc.status not in REFUSED:
                    raise
                refused = refused or exc
                continue
            if sort != SORTS[0]:
                log.info("%s: sorting by %s (the portal refused %s)", self.base, sort, SORTS[0])
            self.sort = sort
            return answer
        assert refused is not None
        raise _Refused(refused.message)

    def _listing(self, fq: str, *, fl: str | None = None, first: bool = False) -> _Listing:
        """Every entry package_search lists for ``fq``. With ``first`` a failure of page 0
        raises ``SourceError``; any other failed page is recorded and paging goes on."""
        out = _Listing()
        label = "package_search fl=id" if fl else "package_search"
        count: int | None = None
        start, step, failed = 0, self.rows, 0
        seen: set[str] = set()
        while count is None or start < count:
            where = f"{label} start={start}"
            try:
                if count is None and first:
                    total, page = self._first_page(fq, fl)
                else:
                    total, page = self._page(fq, fl, start, self.sort)
            except SourceError as exc:
                if count is None and first:
                    raise
                if count is None and fl and getattr(exc, "status", None) in REFUSED:
                    fl = None  # a portal refusing fl=id is asked for whole packages
                    continue
                out.errors[where] = exc.message
                out.complete = False
                failed += 1
                if count is None or failed >= MAX_FAILED_PAGES:
                    if count is not None:
                        out.errors[where] += f"（连续 {failed} 页读取失败，停止翻页）"
                    return out
                start += step
                continue
            failed = 0
            if count is None and page and len(page) < min(self.rows, total):
                step = len(page)  # the portal caps rows below what we asked for
            count = total
            if not page:
                break
            ids = [_entry_id(raw) for raw in page]
            known = [i for i in ids if i is not None]
            if start > 0 and known and all(i in seen for i in known):
                out.errors[where] = "来源忽略了 start 参数（此页与前面的页重复），已停止翻页"
                out.complete = False
                return out
            for n, (raw, identifier) in enumerate(zip(page, ids, strict=True)):
                if identifier is not None:
                    if identifier in seen:
                        continue
                    seen.add(identifier)
                out.entries.append((f"start={start}#{n}", raw))
            start += len(page)
        if out.complete and count is not None and len(out.entries) < count:
            out.errors[label] = (
                f"只列出 {len(out.entries)} 个数据集，来源报告共 {count} 个（翻页期间来源有变动）"
            )
            out.complete = False
        return out

    # -- gather --------------------------------------------------------------------------

    def _load_source(self) -> datetime | None:
        with self.rt.reader() as session:
            row = session.get(HarvestSource, self.source.id)
            self._title = (row.title if row is not None else "") or self.source.name
            return row.last_complete_at if row is not None else None

    def gather(self) -> GatherResult:
        since = self._load_source()
        base_fq = self._base_fq()
        if since is None:
            return self._full(self._listing(base_fq, first=True))
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        stamp = (since.astimezone(UTC) - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
        changed_fq = " ".join(p for p in (base_fq, f"+metadata_modified:[{stamp} TO *]") if p)
        try:
            changed = self._listing(changed_fq, first=True)
        except _Refused:
            log.info("%s refuses the metadata_modified filter; reading everything", self.base)
            return self._full(self._listing(base_fq, first=True))
        listed = self._listing(base_fq, fl="id")
        items, errors = self._items(changed)
        errors.update(changed.errors)
        errors.update(listed.errors)
        taken = {i.identifier for i in items} | set(errors)
        others = [i for i in (_entry_id(raw) for _, raw in listed.entries) if i and i not in taken]
        again = self._to_read_again(others, since)
        unchanged = []
        for identifier in others:
            if identifier in again:
                items.append(GatherItem(identifier, None, identifier))
            else:
                unchanged.append(identifier)
        return GatherResult(
            items, errors, complete=changed.complete and listed.complete, unchanged=unchanged
        )

    def _full(self, listing: _Listing) -> GatherResult:
        items, errors = self._items(listing)
        errors.update(listing.errors)
        return GatherResult(items, errors, complete=listing.complete)

    def _items(self, listing: _Listing) -> tuple[list[GatherItem], dict[str, str]]:
        items: list[GatherItem] = []
        errors: dict[str, str] = {}
        for position, raw in listing.entries:
            try:
                identifier, title = check_package(raw, position)
            except ValidationError as exc:
                errors[(_entry_id(raw) if isinstance(raw, dict) else None) or position] = (
                    exc.message
                )
                continue
            reason = hidden_reason(raw)
            if reason:
                # keyed apart from the id: a package that turned private counts as gone
                errors[f"{identifier}（{reason}）"] = f"{reason}，不予采集"
                continue
            items.append(GatherItem(identifier, raw, title))
        return items, errors

    def _to_read_again(self, identifiers: list[str], since: datetime) -> set[str]:
        """Of packages not modified since the last complete run: those the catalog does not
        hold (failed or withdrawn before) and those whose latest outcome was an error."""
        if not identifiers:
            return set()
        source_id = self.source.id
        with self.rt.reader() as session:
            held = set(
                session.scalars(
                    select(Dataset.source_identifier).where(
                        Dataset.source_id == source_id,
                        Dataset.state.in_(("active", "quarantined")),
                    )
                )
            )
            naive = since.astimezone(UTC).replace(tzinfo=None)
            anchor = session.scalar(
                select(func.max(HarvestJob.started_at)).where(
                    HarvestJob.source_id == source_id, HarvestJob.started_at <= naive
                )
            )
            rows = session.execute(
                select(HarvestObject.identifier, HarvestObject.outcome)
                .join(HarvestJob, HarvestObject.job_id == HarvestJob.id)
                .where(
                    HarvestJob.source_id == source_id,
                    HarvestJob.dry_run.is_(False),
                    HarvestJob.started_at >= (anchor or naive),
                )
                .order_by(HarvestJob.started_at, HarvestObject.id)
            ).all()
        latest = dict(rows)
        return {i for i in identifiers if i not in held or latest.get(i) in RETRIED}

    # -- fetch ---------------------------------------------------------------------------

    def fetch(self, item: GatherItem) -> HarvestRecord:
        if self._title is None:
            self._load_source()
        pkg = item.payload
        if pkg is None:
            pkg = self._action("package_show", {"id": item.identifier})
        check_package(pkg, item.identifier)
        reason = hidden_reason(pkg)
        if reason:
            raise ValidationError(f"{reason}，不予采集", {"package": [item.identifier]})
        return package_record(pkg, base_url=self.base, fallback_provider=self._title or "")


def _entry_id(raw: Any) -> str | None:
    """The id of a package_search entry: a package dict, ``{"id": …}`` (fl=id) or a bare id."""
    value = raw.get("id") if isinstance(raw, dict) else raw
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
