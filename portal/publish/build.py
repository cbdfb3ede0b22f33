"""One static build: the previous tree brought up to date in place (or a new tree), then
switched in at once.

``OUT/current`` and ``OUT/previous`` are the two trees; a build rewrites the previous one, which
no web server serves (its link goes while the build runs, see ``StaticOut.reusable``), and
touches only what changed since that tree was built: a dataset's files (page, package_show twin,
DCAT documents, public files) are written again when its revision token changed (hard links to
the current tree's files when that one holds them already, else rendered), the files of a
dataset no longer public deleted, everything else left as it is; the manifest (SQLite, one row
per file) answers by source. Each tree records the search rows' generation it read: the next
build of it reads only the datasets whose packages were written since (``sources.changed_since``,
an index range: every change of what a dataset's files show writes its package) and those the
removal hook took out of it, so that its cost grows with what changed, not with the catalog. It
reads and compares every public dataset when that cannot tell: a dataset left the search rows
since (a removal mark), the usage figures changed (a new day, a late count), or the tree is new.
The lists of departments and topics that named a changed dataset before or name it now get new
sources (``lists.lists_after``); read from the catalog otherwise (``lists.list_sources``).
With no previous tree (the first builds) or with ``--full``, the build writes a new tree: the
current tree's unchanged files linked, or, full, everything rendered.
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from flask import Flask

from datasets.catalog.published import catalog_version
from datasets.errors import ValidationError
from datasets.publish import lists, sources
from datasets.publish.manifest import DATASETS, Listed, ManifestDB, source_prefix
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
    removed_after: int  # files of datasets changed or hidden while the build ran
    seconds: float
    from_changes: bool = False  # read only the datasets changed since the tree was built
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
    dropped: list[str]  # datasets whose files were removed from the tree since its build
    have: set[str] = field(default_factory=set)  # the sources the tree holds (see ``_steps``)
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
            dropped = out.removed_sources(tree) if reused else ()
            for prefix in dropped:  # files the removal hook deleted after that tree's build
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
                [p.removeprefix(DATASETS).removesuffix("@") for p in dropped],
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
    marks = {"usage": sources.usage_mark(rt), "organizations": lists.organizations_mark(rt)}
    held = b.db.info()
    since = None if full else _since(held, generation, marks["usage"])
    # with ``since``, the tree's datasets are looked up one by one, only those changed
    b.have = b.db.sources() if since is None else b.db.sources_outside(DATASETS)
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
    entries, changed = _read(b, rt, since)
    named = None
    if changed is not None and held.get("organizations") == marks["organizations"]:
        named = lists.lists_after(rt, b.have, changed[1], changed[0], generation)
    named = named or lists.list_sources(rt)
    wanted = named.sources() | {catalog, f"documents@{version}", site}
    if since is None:
        wanted |= {e.source for e in entries}
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
    jobs = _catalog(b, named.departments, department_list_pages, PAGES_CHUNK)
    jobs += [
        (pages(name), source)
        for pages, each in ((organization_pages, named.organizations), (topic_pages, named.topics))
        for name, source in each.items()
        if source not in b.have and not b.share(source)
    ]
    if len(jobs) >= PAGES_POOL:
        pool.start()
    b.collect(pool.pages(jobs))
    b.collect(early)
    b.lap("catalog lists and site pages")
    documents = document_pages if full or public <= DOCUMENTS_INLINE else None
    b.collect(pool.pages(_catalog(b, f"documents@{version}", documents, 1)))
    b.lap("catalog documents")
    info: dict[str, object] = {"catalog_version": version, **marks}
    result = _finish(b, rt, info, generation, site, started)
    return replace(result, datasets_rendered=len(todo), from_changes=since is not None)


def _since(info: dict[str, object], generation: tuple[int, int], mark: str) -> int | None:
    """The package id from which the tree's datasets changed, when only those need reading: the
    tree records the search rows' generation it read (and the usage figures'); None when a
    dataset may have left the search rows since (a removal mark), the figures changed (a new
    day), or the tree records nothing (built before it did)."""
    read = info.get("generation")
    if not isinstance(read, list) or len(read) != 2 or info.get("usage") != mark:
        return None
    if "organizations" not in info:  # built before its manifest kept how the lists named each
        return None
    written, removed = read
    if removed != generation[1] or not isinstance(written, int) or written > generation[0]:
        return None
    return written


def _read(
    b: _Build, rt: Runtime, since: int | None
) -> tuple[list[PublicEntry], tuple[sources.Changes, dict[str, Listed]] | None]:
    """The public datasets to compare with the tree: all of them, or (``since``) those changed
    since it was built, once the files of the changed ones that no longer hold are gone, with
    the changes and how the lists named the changed datasets before. The manifest keeps how the
    lists name each dataset now."""
    if since is None:
        entries, listed = sources.catalog_entries(rt)
        b.db.set_listed(listed, replace=True)
        b.lap("read catalog")
        return entries, None
    changes = sources.changed_since(rt, since, b.dropped)
    before = b.db.listed(row[0] for row in changes.listed)
    b.db.set_listed(changes.listed, replace=False)
    b.lap("read changes")
    _drop_changed(b, changes)
    return changes.public, (changes, before)


def _drop_changed(b: _Build, changes: sources.Changes) -> None:
    """The files of the changed datasets that no longer hold: of those no longer public, and of
    those public at another revision (or name); the public ones still current count as held."""
    for dataset_id in changes.hidden:
        remove_files(b.writer.base, b.db.drop_prefix(source_prefix(dataset_id)))
    for entry in changes.public:
        for held in b.db.sources_within(source_prefix(entry.id)):
            if held == entry.source:
                b.have.add(held)
            else:
                remove_files(b.writer.base, b.db.drop(held))


def _finish(
    b: _Build,
    rt: Runtime,
    info: dict[str, object],
    read: tuple[int, int],
    site: str,
    started: float,
) -> BuildResult:
    """The assets, the manifest's commit and the switch; the result. ``info``: the catalog's
    version and the usage figures' mark, ``read`` the search rows' generation, when the build
    read the catalog."""
    _static_assets(b.writer, site)
    b.flush()
    b.db.set_info({"tree": b.tree, "base_url": b.base_url, "generation": list(read), **info})
    b.db.commit()
    files, size = b.db.totals()
    b.lap("assets and manifest")
    with b.out.locked():  # the switch, and no removal between it and the check below
        b.out.building_path(b.tree).unlink(missing_ok=True)
        b.out.switch(b.tree)
        pruned = b.out.prune()
        # changed or hidden while this build ran: their removal found the older tree (every
        # such change writes a search row), or noted them for this one (a reuse approved)
        late = _changed_meanwhile(b, rt, read) + b.out.removed_sources(b.tree)
        removed = b.out.remove_sources(late)
    b.lap("switch")
    b.out.delete_trees(pruned)  # with the lock let go: removals need not wait for it
    b.lap("older trees deleted")
    return BuildResult(
        tree=b.tree,
        files=files,
        bytes=size,
        rendered=b.writer.rendered,
        linked=files - b.writer.rendered,
        datasets_rendered=0,
        left_to_app=b.writer.left,
        removed_after=len(removed),
        seconds=time.monotonic() - started,
        phases=b.phases,
    )


def _changed_meanwhile(b: _Build, rt: Runtime, generation: tuple[int, int]) -> tuple[str, ...]:
    """The sources (``dataset:<id>@``) of the datasets written or hidden since ``generation``."""
    now = sources.search_generation(rt)
    if now == generation:
        return ()
    changes = sources.changed_since(rt, generation[0])
    ids = {e.id for e in changes.public} | set(changes.hidden)
    if now[1] != generation[1]:  # some left the search rows: the tree's that are not public
        held = b.db.sources_within(DATASETS)
        ids |= {s.removeprefix(DATASETS).partition("@")[0] for s in held} - sources.public_ids(rt)
    return tuple(source_prefix(i) for i in sorted(ids))


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
