"""One static build: the previous tree brought up to date in place (or a new tree), then
switched in at once.

``OUT/current`` and ``OUT/previous`` are the two trees; a build rewrites the previous one, which
no web server serves (its link goes while the build runs, see ``StaticOut.reusable``), and
touches only what changed since that tree was built: a dataset's files (page, package_show twin,
DCAT documents, public files) are written again when its revision token changed (hard links to
the current tree's files when that one holds them already, else rendered), the files of a
dataset no longer public deleted, everything else left as it is; the manifest (SQLite, one row
per file) answers by source, so an unchanged dataset costs a set lookup and the build's cost
grows with what changed, not with the catalog. With no previous tree (the first builds) or with
``--full``, the build writes a new tree: the current tree's unchanged files linked, or, full,
everything rendered.
The catalog's newest-first lists are written again when the catalog's version changed; the list
of departments, a department's pages and a topic's feed when the digest of what they show
changed; the few site pages always. The whole-catalog documents (data.json, sitemaps, the DCAT
catalog, 开放清单) are written again when the catalog changed up to ``DOCUMENTS_INLINE``
datasets; past that, a changed catalog leaves them to the app until the next full build
(``--full``), so that a build after one change stays quick; the statistics page too.
Many pages to render are spread over worker processes (``portal.publish.workers``), started
with the build on a large catalog so that the site pages and the catalog's lists render while
it is read, in chunks whose files are read in one query.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from flask import Flask

from datasets.catalog.published import catalog_version
from datasets.errors import ValidationError
from datasets.publish import sources
from datasets.publish.manifest import ManifestDB
from datasets.publish.sources import PublicEntry
from datasets.publish.tree import (
    CURRENT,
    StaticOut,
    copy_file,
    remove_files,
)
from datasets.runtime import Runtime
from portal.app import STATIC
from portal.publish.pages import (
    SITE_PAGES,
    STATISTICS,
    Page,
    department_list_pages,
    document_pages,
    list_pages,
    organization_pages,
    page,
    topic_pages,
)
from portal.publish.workers import Rendered, Workers, Writer

POOL_THRESHOLD = 400  # datasets to render before worker processes are worth their start
# public datasets from which the site pages and the catalog's newest-first lists (searches of
# the whole catalog) are worth rendering in the worker processes while the catalog is read
EARLY_POOL = 1_000
# up to this many public datasets, every build writes the whole-catalog documents again when the
# catalog changed; past it, only a full build does (see ``_documents``)
DOCUMENTS_INLINE = 1_000
CHUNK = 100
# catalog pages over the worker processes past PAGES_POOL jobs: a department's pages, 8 of the
# catalog's lists, or one whole-catalog document each
PAGES_POOL, PAGES_CHUNK = 3, 8


@dataclass(frozen=True)
class BuildResult:
    tree: str
    files: int
    bytes: int
    rendered: int  # files written new
    linked: int  # files shared with the previous tree
    datasets_rendered: int
    left_to_app: list[str]  # URLs the app keeps answering (not 200, cookie, CSRF token)
    removed_after: int  # files of datasets hidden while the build ran
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds of each step


@dataclass
class _Build:
    """One build's state: the tree written (``db`` its manifest) and the current tree whose
    files it may share (``source``, None for a full build)."""

    app: Flask
    out: StaticOut
    tree: str
    writer: Writer
    db: ManifestDB
    source: ManifestDB | None
    source_base: Path | None
    base_url: str
    have: set[str]  # the sources the tree held before this build
    phases: dict[str, float] = field(default_factory=dict)
    mark: float = field(default_factory=time.monotonic)

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = now - self.mark
        self.mark = now

    def flush(self) -> None:
        self.db.add(self.writer.rows)
        self.writer.rows = []

    def collect(self, results: Iterable[Rendered]) -> None:
        """Rendered files into the manifest, as they come."""
        for rows, rendered, left in results:
            self.db.add(rows)
            self.writer.rendered += rendered
            self.writer.left += left

    def share(self, source: str) -> bool:
        """Link the current tree's files of ``source``; whether it held them all."""
        rows = self.source.files_of(source) if self.source else []
        if not rows or self.source_base is None:
            return False
        try:
            self.writer.link(self.source_base, rows)
        except FileNotFoundError:  # removed from the current tree meanwhile
            return False
        return True


def build(
    app: Flask, out_dir: Path, *, base_url: str, workers: int = 0, full: bool = False
) -> BuildResult:
    """Build the static tree into ``out_dir`` and switch it in; see the module's docstring."""
    started = time.monotonic()
    base_url = base_url.rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ValidationError("静态构建需要网站的公开地址：设置 KAIFANG_BASE_URL 或 --base-url")
    out = StaticOut(out_dir)
    os.umask(0o022)
    with out.locked(".build-lock"):  # one build at a time; removals go on meanwhile
        current = out.linked(CURRENT)
        reused = None if full else out.reusable(base_url)
        tree, base = (reused, out.tree_path(reused)) if reused else out.new_tree()
        db = ManifestDB(out.manifest_path(tree))
        shared = None
        if current and not full and out.manifest_path(current).is_file():
            shared = ManifestDB(out.manifest_path(current))
        try:
            if reused:  # files the removal hook deleted while that tree was the current one
                for prefix in out.removed_sources(tree):
                    db.drop_prefix(prefix)
                out.removed_path(tree).unlink(missing_ok=True)
            state = _Build(
                app,
                out,
                tree,
                Writer(base),
                db,
                shared,
                out.tree_path(current or tree),
                base_url,
                db.sources(),
            )
            return _run(state, workers, full, started)
        finally:
            db.close()
            if shared:
                shared.close()


def _run(b: _Build, workers: int, full: bool, started: float) -> BuildResult:
    rt: Runtime = b.app.extensions["kaifang"]
    processes = workers or os.cpu_count() or 1
    pool = Workers(b.app, b.writer.base, b.base_url, processes)
    try:
        result = _steps(b, rt, pool, full, started)
    except BaseException:
        pool.close(abort=True)  # what is still queued is not rendered
        raise
    pool.close()
    return result


def _steps(b: _Build, rt: Runtime, pool: Workers, full: bool, started: float) -> BuildResult:
    public = sources.public_count(rt)
    # read first: a change made while the build runs gives the next build a newer version
    version, generation = catalog_version(rt), sources.search_generation(rt)
    catalog = f"catalog@{version}"
    # the last build's site pages, and its lists of a catalog that changed since, go before
    # their new files are written beside the reading of the catalog
    for stale in [s for s in b.have if s.startswith(("site@", "catalog@")) and s != catalog]:
        remove_files(b.writer.base, b.db.drop(stale))
    if public >= EARLY_POOL:
        pool.start()  # the site pages and the catalog's lists render while it is read
    site = f"site@{b.tree}.{secrets.token_hex(3)}"
    # the statistics of a large catalog change with every case: the app's between full builds
    urls = [u for u in SITE_PAGES if full or public <= DOCUMENTS_INLINE or u != STATISTICS]
    early = pool.pages(
        [([page(u)], site) for u in urls] + _catalog(b, catalog, list_pages, PAGES_CHUNK)
    )
    entries = sources.public_entries(rt)
    b.lap("read catalog")
    lists = sources.list_sources(rt, entries)
    wanted = {e.source for e in entries} | set(lists.organizations.values())
    wanted |= set(lists.topics.values()) | {lists.departments}
    wanted |= {catalog, f"documents@{version}", site}
    for stale in b.have - wanted:  # changed, hidden, renamed
        remove_files(b.writer.base, b.db.drop(stale))
    todo = [e for e in entries if e.source not in b.have and not b.share(e.source)]
    b.flush()
    b.lap("compare and link")
    if len(todo) >= POOL_THRESHOLD:
        pool.start()
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    b.collect(pool.datasets(chunks))
    b.lap("render datasets")
    jobs = _catalog(b, lists.departments, department_list_pages, PAGES_CHUNK)
    jobs += [
        (pages(name), source)
        for pages, named in ((organization_pages, lists.organizations), (topic_pages, lists.topics))
        for name, source in named.items()
        if source not in b.have and not b.share(source)
    ]
    if len(jobs) >= PAGES_POOL:
        pool.start()
    b.collect(pool.pages(jobs))
    b.collect(early)
    b.lap("catalog lists and site pages")
    documents = document_pages if full or len(entries) <= DOCUMENTS_INLINE else None
    b.collect(pool.pages(_catalog(b, f"documents@{version}", documents, 1)))
    b.lap("catalog documents")
    return _finish(b, rt, entries, len(todo), (version, generation), site, started)


def _finish(
    b: _Build,
    rt: Runtime,
    entries: list[PublicEntry],
    rendered: int,
    read: tuple[str, tuple[int, int]],
    site: str,
    started: float,
) -> BuildResult:
    """The assets, the manifest's commit and the switch; the result. ``read``: the catalog's
    version and the search rows' generation when the build read the catalog."""
    version, generation = read
    _static_assets(b.writer, site)
    b.flush()
    b.db.set_info({"tree": b.tree, "base_url": b.base_url, "catalog_version": version})
    b.db.commit()
    files, size = b.db.totals()
    b.lap("assets and manifest")
    with b.out.locked():  # the switch, and no removal between it and the check below
        b.out.building_path(b.tree).unlink(missing_ok=True)
        b.out.switch(b.tree)
        b.out.prune()
        # hidden while this build ran: their removal may have found the older tree
        # (none when no search row was written since the read: hiding a dataset writes one)
        changed = sources.search_generation(rt) != generation
        gone = {e.id for e in entries} - sources.public_ids(rt) if changed else set()
        removed = b.out.remove_datasets({e.id: {e.name} for e in entries if e.id in gone})
    b.lap("switch")
    return BuildResult(
        tree=b.tree,
        files=files,
        bytes=size,
        rendered=b.writer.rendered,
        linked=files - b.writer.rendered,
        datasets_rendered=rendered,
        left_to_app=b.writer.left,
        removed_after=len(removed),
        seconds=time.monotonic() - started,
        phases=b.phases,
    )


def _catalog(
    b: _Build, source: str, pages: Callable[[Runtime], Iterable[Page]] | None, chunk: int
) -> list[tuple[list[Page], str]]:
    """Pages of the whole catalog: kept when the catalog's version is the same, else to render
    again (the jobs returned, ``chunk`` pages each) — or, with no ``pages``, left to the app until
    the next full build (the whole-catalog documents of a large catalog: an incremental build
    stays quick)."""
    if source in b.have or b.share(source) or pages is None:
        return []
    items = list(pages(b.app.extensions["kaifang"]))
    return [(items[i : i + chunk], source) for i in range(0, len(items), chunk)]


def _static_assets(writer: Writer, source: str) -> None:
    """The app's CSS and JavaScript, at /static/ as the app serves them."""
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            file = f"static/{path.relative_to(STATIC).as_posix()}"
            writer.add(file, copy_file(path, writer.base / file), source, f"/{quote(file)}")
            writer.rendered += 1
