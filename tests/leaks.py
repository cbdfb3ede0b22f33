"""The leak invariant, as a crawler: every public channel is visited and searched for raw
personal values of data the public may not have (conditional, excluded, quarantined, or the
originals of de-identified data), of the public services' cases, and for any trace of a
file kept in the private root.

Secrets are read from the stored originals: every cell of every column the scanner marked as
personal, and every identifier (ID, phone, card, e-mail) inside such cells. Values that also
stand in plainly public files are not secrets. Of the cases (``case_secrets``): the requesters'
contact details and what they wrote, and every identifier inside the departments' replies.
Traces are the SHA-256 and storage key of every private original (``private_traces``).

Every resource's file is fetched as it is and in every export format (``?format=``). The static
tree of ``kaifang build-static`` is a channel too: every file of it is read (``static_channels``).
So are the probes (``/healthz``, ``/readyz``) and the Prometheus metrics (``/metrics``, read from
loopback after the whole crawl, and refused from elsewhere).

The crawler also opens every case of the database by reference number and by id, as an
anonymous visitor, and fails unless each answer is a 404 (or, for applications and objections,
which need an account, the way to sign in).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from datasets.intake.prepare import scan_report
from datasets.intake.public_root import public_now
from datasets.models import Case, Dataset, Organization, Resource
from datasets.openness.masking import default_rules
from datasets.openness.pii import patterns
from datasets.rows.formats import FORMATS
from datasets.runtime import Runtime
from tests.dcat_crawl import dcat_urls

FINDERS = (
    patterns.find_id18,
    patterns.find_id15,
    patterns.find_mobile,
    patterns.find_bank_card,
    patterns.find_email,
)


def _rows(path: Path, fmt: str) -> Iterator[list[str]]:
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.reader(handle)
    elif fmt == "xlsx":
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield ["" if v is None else str(v) for v in row]
        finally:
            book.close()


def secret_values(rt: Runtime) -> set[str]:
    """Raw personal values of every original the public may not download as it is.

    A cell of a personal column is a secret as a whole, except in free-text columns (备注 …),
    where only the identifiers inside it are; values that also stand in non-personal cells
    (public files, other columns) identify no one and are left out.
    """
    ordinary: set[str] = set()
    secrets: set[str] = set()
    with rt.reader() as session:
        resources = session.scalars(select(Resource)).all()
    for res in resources:
        if res.format not in ("csv", "xlsx"):
            continue
        path = rt.store.path(res.storage_root, res.storage_key)
        report = scan_report(res.pii_report)
        personal = set(report.personal_columns) if res.storage_root == "private" else set()
        free_text = {
            c
            for c, policy in default_rules(
                [(f.column, f.kind) for f in report.findings if f.personal]
            ).items()
            if policy == "mask-text"
        }
        rows = _rows(path, res.format)
        header = next(rows, [])
        for row in rows:
            for column, cell in zip(header, row, strict=False):
                cell = cell.strip()
                if column not in personal:
                    ordinary.add(cell)
                    continue
                if column not in free_text and len(cell) >= 2:
                    secrets.add(cell)
                for finder in FINDERS:
                    secrets.update(cell[a:b] for a, b in finder(cell))
    return secrets - ordinary


# the case kinds served by the public-services pages and API: hidden from non-participants (404)
CASE_PAGES = {
    "opening_request": ("/services/opening-request/", "/api/v1/opening-requests/"),
    "assessment": ("/services/assessment/", "/api/v1/assessments/"),
    "error_report": ("/services/error-report/", "/api/v1/error-reports/"),
    "rights_objection": ("/services/rights-objection/", "/api/v1/rights-objections/"),
    "suggestion": ("/services/suggestion/", "/api/v1/suggestions/"),
    "review": ("/services/review/", "/api/v1/reviews/"),
}
# applications and objections (复核) need an account: the way to sign in, never the case
ACCOUNT_PAGES = {
    "application": ("/services/application/", "/api/v1/applications/"),
    "objection": ("/services/objection/", "/api/v1/objections/"),
}
# what requesters write (requests, error reports, objections, suggestions, applications)
REQUESTER_TEXT = (
    "description",
    "reason",
    "claim",
    "rights_basis",
    "content",
    "location",
    "purpose",
    "scenario",
    "security_measures",
    "correction_reply",
)


def case_secrets(rt: Runtime) -> set[str]:
    """What no public channel may show of the cases: the requesters' contact details and the
    text they wrote (as a whole), and every identifier inside the replies."""
    secrets: set[str] = set()
    with rt.reader() as session:
        cases = session.scalars(select(Case)).all()
        for case in cases:
            values = [str(v) for v in (case.contact or {}).values()]
            values += [str((case.body or {}).get(key) or "") for key in REQUESTER_TEXT]
            secrets.update(v.strip() for v in values if len(v.strip()) >= 4)
            for finder in FINDERS:
                reply = case.reply or ""
                secrets.update(reply[a:b] for a, b in finder(reply))
    return secrets


def _case_urls(client, rt: Runtime) -> list[str]:  # type: ignore[no-untyped-def]
    """Every case of the database by reference number and by id, as this (anonymous) client
    sees them: fails unless each is a 404 (the way to sign in for applications and objections)."""
    with rt.reader() as session:
        cases = session.execute(select(Case.kind, Case.id, Case.reference)).all()
    urls, shown = [], []
    for kind, case_id, reference in cases:
        hidden = kind in CASE_PAGES
        for prefix in CASE_PAGES.get(kind) or ACCOUNT_PAGES[kind]:
            for key in (reference, case_id):
                url = prefix + key
                status = client.get(url).status_code
                if status != 404 and (hidden or status not in (302, 401)):
                    shown.append(f"{url}: {status}")
                urls.append(url)
    assert not shown, f"case pages open to an anonymous visitor: {shown}"
    return urls


def _transparency_urls(client) -> list[str]:  # type: ignore[no-untyped-def]
    """The public transparency pages: every page of the log, in HTML and JSON, and the rest."""
    count = client.get("/api/v1/transparency/decisions?per_page=100").get_json()["count"]
    urls = [
        "/services",
        "/transparency/stats",
        "/transparency/open-list.csv",
        "/api/v1/transparency/stats",
        # reuses, the agreement and the sharing page: public too
        "/reuses",
        "/api/v1/reuses",
        "/api/3/action/reuse_list",
        "/agreement",
        "/sharing",
    ]
    urls += [f"/transparency?page={n}" for n in range(1, -(-count // 20) + 2)]
    urls += [
        f"/api/v1/transparency/decisions?per_page=100&page={n}"
        for n in range(1, -(-count // 100) + 2)
    ]
    return urls


def private_traces(rt: Runtime) -> set[str]:
    """What would identify or locate a private original: its SHA-256, its storage key, and the
    private root's path. Hashes of files also published in the public root (the same content
    as an open file) are public and left out."""
    with rt.reader() as session:
        public = set(
            session.scalars(
                select(Resource.public_sha256)
                .join(Dataset)
                .where(public_now(), Resource.public_sha256.is_not(None))
            )
        )
        private = session.execute(
            select(Resource.sha256, Resource.storage_key).where(Resource.storage_root == "private")
        ).all()
    traces = {str(rt.paths.private_files)}
    for sha, key in private:
        if sha not in public:
            traces |= {sha, key}
    return traces


def stray_public_files(rt: Runtime) -> list[str]:
    """Files in the public root that are not the public file of a resource the public may
    download right now."""
    with rt.reader() as session:
        wanted = set(
            session.scalars(
                select(Resource.public_key)
                .join(Dataset)
                .where(public_now(), Resource.public_key.is_not(None))
            )
        )
    base = rt.paths.public_files
    found = {f"{p.parent.name}/{p.name}" for p in base.glob("*/*")} if base.exists() else set()
    return sorted(found - wanted)


def _read_action_urls(client, names: list[tuple[str, str, str, str]], orgs: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """CKAN's other read actions: groups (topics), tags, autocompletes, activity lists."""
    action = "/api/3/action/"
    urls = [
        f"{action}tag_list?all_fields=true",
        f"{action}group_list?all_fields=true",
        f"{action}license_list",
        f"{action}recently_changed_packages_activity_list?limit=100",
        f"{action}current_package_list_with_resources?limit=1000",
        f"{action}format_autocomplete?q=s&limit=100",
    ]
    for group in client.get(f"{action}group_list").get_json()["result"]:
        urls.append(f"{action}group_show?id={quote(group)}&include_datasets=true")
    for tag in client.get(f"{action}tag_list").get_json()["result"]:
        urls.append(f"{action}tag_show?id={quote(tag)}&include_datasets=true")
    for name, dataset_id, title, _state in names:
        urls += [
            f"{action}package_activity_list?id={dataset_id}&limit=100",
            f"{action}package_autocomplete?q={quote(title[:4])}&limit=100",
            f"{action}package_autocomplete?q={quote(name)}&limit=100",
        ]
    for org in orgs:
        urls += [
            f"{action}organization_activity_list?id={org}&limit=100",
            f"{action}organization_autocomplete?q={quote(org)}",
        ]
    return urls


def _discovery_urls(client, orgs: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """data.json, robots.txt, the sitemap index and every part of it, and the Atom feeds of the
    site, of every department and of every topic (JSON-LD is inside the dataset pages)."""
    import re

    index = client.get("/sitemap.xml").get_data(as_text=True)
    parts = re.findall(r"<loc>[^<]*?(/sitemap-\d+\.xml)</loc>", index)
    topics = client.get('/api/3/action/package_search?rows=0&facet.field=["topic"]')
    names = [i["name"] for i in topics.get_json()["result"]["search_facets"]["topic"]["items"]]
    return [
        "/data.json",
        "/robots.txt",
        "/sitemap.xml",
        *parts,
        "/feeds/dataset.atom",
        *(f"/feeds/organization/{org}.atom" for org in orgs),
        *(f"/feeds/group/{quote(name)}.atom" for name in names),
    ]


# the probes and the metrics, each as an anonymous visitor from another address
OBSERVED = {
    "/healthz": {"REMOTE_ADDR": "203.0.113.7"},
    "/readyz": {"REMOTE_ADDR": "203.0.113.7"},
    "/metrics?from=elsewhere": {"REMOTE_ADDR": "203.0.113.7"},
}


def crawl(client, rt: Runtime, only: tuple[str, ...] = ()) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every public page, API answer and file, as text, keyed by URL; every case page must
    answer an anonymous visitor 404 (see ``_case_urls``). ``only``: just the URLs holding one
    of these (a mutation test reads the channels its mutation reaches)."""
    with rt.reader() as session:
        datasets = session.scalars(select(Dataset).options(selectinload(Dataset.resources))).all()
        orgs = session.scalars(select(Organization.name)).all()
        all_names = [(d.name, d.id, d.title, d.state) for d in datasets]
        resource_ids = [(d.name, r.id) for d in datasets for r in d.resources]
    urls = [
        "/",
        "/rules",
        "/organization/",
        "/login",
        "/search",
        "/api/3/action/package_search?rows=1000",
        "/api/3/action/package_list",
        "/api/3/action/organization_list?all_fields=true",
        "/api/3/action/status_show",
        "/api",
        *_transparency_urls(client),
        *_case_urls(client, rt),
        *_discovery_urls(client, orgs),
    ]
    search = client.get("/api/3/action/package_search?rows=0").get_json()["result"]
    for field, facet in search["search_facets"].items():
        urls += [f"/search?{field}={quote(item['name'])}" for item in facet["items"]]
    pages = -(-search["count"] // 20)
    urls += [f"/search?page={n}" for n in range(2, pages + 1)]
    for name, dataset_id, title, _state in all_names:
        urls += [
            f"/dataset/{name}",
            f"/api/3/action/package_show?id={dataset_id}",
            f"/search?q={quote(title)}",
            f"/api/3/action/package_search?q={quote(title)}&rows=50",
        ]
    for org in orgs:
        urls += [f"/organization/{org}", f"/api/3/action/organization_show?id={org}"]
    urls += _read_action_urls(client, all_names, list(orgs))
    for name, resource_id in resource_ids:
        download = f"/dataset/{name}/resource/{resource_id}/download/file"
        urls += [
            f"/api/3/action/resource_show?id={resource_id}",
            f"/api/3/action/datastore_info?id={resource_id}",
            f"/api/3/action/datastore_search?resource_id={resource_id}&limit=32000",
            f"/api/v1/resources/{resource_id}/rows?_size=1000",
            f"/api/v1/resources/{resource_id}/rows?_size=1000&_format=csv",
            f"/api/v1/resources/{resource_id}/rows/export",
            download,
            *(f"{download}?format={code}" for code in FORMATS),  # every conversion
        ]
    urls += dcat_urls(client, [name for name, *_ in all_names])
    # the probes and the metrics last, so the metrics hold the whole crawl (from loopback: the
    # figures themselves are read; from elsewhere: refused, see OBSERVED)
    urls += [*OBSERVED, "/metrics"]
    bodies: dict[str, str] = {}
    for url in [u for u in urls if any(part in u for part in only)] if only else urls:
        response = client.get(url, environ_overrides=OBSERVED.get(url, {}))
        body = response.get_data()
        if "/download/file" in url and response.status_code == 200:
            bodies[url] = _file_text(body, response.mimetype)
        else:
            bodies[url] = body.decode("utf-8", "replace")
            if response.is_json:  # JSON escapes nothing we search for, but be sure
                bodies[url] += json.dumps(response.get_json(), ensure_ascii=False)
        bodies[url] += "\n" + json.dumps(dict(response.headers), ensure_ascii=False)
    return bodies


def _file_text(body: bytes, mimetype: str = "", depth: int = 0) -> str:
    """All the text a downloaded file could show, whatever its format: every member of an
    archive or office package (the XML of every sheet, comment and property of a workbook
    included), the text of a PDF, and the bytes read in each encoding a reader might use."""
    parts: list[str] = []
    if body.startswith(b"PK\x03\x04") and depth < 3:
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                for info in archive.infolist():
                    parts.append(_file_text(archive.read(info), "", depth + 1))
        except zipfile.BadZipFile:
            pass
        if "spreadsheet" in mimetype or body[:4] == b"PK\x03\x04":
            parts.append(_workbook_text(body))
    elif body.startswith(b"%PDF"):
        parts.append(_pdf_text(body))
    for codec in ("utf-8", "gb18030", "cp950", "utf-16"):
        if codec == "utf-16" and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        parts.append(body.decode(codec, "replace"))
    return "\n".join(parts)


def _workbook_text(body: bytes) -> str:
    import io

    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — not a workbook: its members were read above
        return ""
    try:
        return "\n".join(
            ",".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    finally:
        book.close()


def _pdf_text(body: bytes) -> str:
    import io

    from pypdf import PdfReader

    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    except Exception:  # noqa: BLE001 — a broken PDF: its bytes are read as text below
        return ""


def index_text(rt: Runtime) -> str:
    """Everything search holds: every column of the search rows, values and stored packages, and
    every term of the database's full-text index (FTS5's vocabulary; PostgreSQL's tsvectors)."""
    from sqlalchemy import text

    parts = []
    with rt.engine.connect() as connection:
        for query in (
            "SELECT * FROM search_entries",
            "SELECT * FROM search_values",
            "SELECT * FROM search_packages",
            "SELECT * FROM search_facets",
        ):
            rows = connection.execute(text(query)).mappings().all()
            parts.append(json.dumps([dict(r) for r in rows], ensure_ascii=False, default=str))
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms"
                " USING fts5vocab(main, search_fts, row)"
            )
            terms = connection.exec_driver_sql("SELECT term FROM temp.search_terms").scalars()
        else:
            terms = connection.exec_driver_sql(
                "SELECT document::text FROM search_entries"
            ).scalars()
        parts.append(" ".join(str(t) for t in terms))
    return "\n".join(parts)


def public_files_text(rt: Runtime) -> dict[str, str]:
    out = {}
    for path in sorted(rt.paths.public_files.rglob("*.*")):
        out[path.name] = _file_text(
            path.read_bytes(), "spreadsheet" if path.suffix == ".xlsx" else "text/csv"
        )
    return out


def find_leaks(channels: dict[str, str], secrets: set[str]) -> list[tuple[str, str]]:
    """(channel, secret) for every secret found in a channel's text (Aho–Corasick)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for value in secrets:
        automaton.add_word(value, value)
    if not secrets:
        return []
    automaton.make_automaton()
    leaks = {
        (where, value) for where, text in channels.items() for _, value in automaton.iter(text)
    }
    return sorted(leaks)


def public_rows_text(rt: Runtime) -> str:
    """Every row of every public table of the row store, read from the database itself."""
    from datasets.models import RowTable
    from datasets.rows.store import table_of

    parts = []
    with rt.reader() as session:
        tables = session.scalars(select(RowTable).where(RowTable.kind == "public")).all()
        dialect = session.get_bind().dialect.name
        for t in tables:
            table = table_of(t.table_name, t.fields, dialect)
            parts += [
                json.dumps(list(r), ensure_ascii=False, default=str)
                for r in session.execute(select(table)).all()
            ]
    return "\n".join(parts)


def sql_text(rt: Runtime) -> str:
    """What ``datastore_search_sql`` (turned on) answers for every resource and every row
    table by its own name: the public views' rows, and refusals for everything else."""
    from dataclasses import replace

    from datasets.errors import ValidationError
    from datasets.models import RowTable
    from datasets.rows.sql import search_sql

    with rt.reader() as session:
        names = [f'"{rid}"' for rid in session.scalars(select(Resource.id))]
        names += list(session.scalars(select(RowTable.table_name)))
    on = Runtime(replace(rt.settings, datastore_sql=True))
    parts = []
    try:
        for name in names:
            try:
                answer = search_sql(on, f"SELECT * FROM {name}")
            except ValidationError as refused:
                parts.append(refused.message)
                continue
            parts.append(json.dumps(answer.records, ensure_ascii=False, default=str))
    finally:
        on.close()
    return "\n".join(parts)


def static_tree_text(tree: Path) -> dict[str, str]:
    """Every file of a static tree (``kaifang build-static``), read as a downloaded file is."""
    return {
        f"static {path.relative_to(tree).as_posix()}": _file_text(
            path.read_bytes(), "spreadsheet" if path.suffix == ".xlsx" else ""
        )
        for path in sorted(tree.rglob("*"))
        if path.is_file()
    }


def static_channels(app, rt: Runtime, out: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The static tree of the catalog, built into ``out``, and the manifest beside it."""
    from datasets.publish.tree import StaticOut
    from portal.publish.build import build

    build(app, out, base_url="http://localhost")
    channels = static_tree_text(out / "current")
    manifest = StaticOut(out).manifest()
    channels["static manifest"] = manifest.dump() if manifest else ""
    return channels


def all_channels(client, rt: Runtime, only: tuple[str, ...] = ()) -> dict[str, str]:  # type: ignore[no-untyped-def]
    channels = crawl(client, rt, only)
    channels["search index"] = index_text(rt)
    channels["public row tables"] = public_rows_text(rt)
    if rt.engine.dialect.name == "sqlite":  # PostgreSQL needs its reader role (tests/postgres)
        channels["datastore_search_sql"] = sql_text(rt)
    channels.update({f"public file {k}": v for k, v in public_files_text(rt).items()})
    return channels
