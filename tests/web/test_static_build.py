"""kaifang build-static: every file of the tree is what the app answers at its URL, only public
things are in it, a rebuild rewrites only what changed, the switch is atomic and can be undone,
and a rights-holder objection takes its dataset out of the tree in the same operation."""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.catalog import reuses, usage
from datasets.errors import KaifangError
from datasets.models import Dataset, Resource, UsageCount
from datasets.publish import lists, sources
from datasets.publish.tree import StaticOut
from datasets.workflows import rights
from datasets.workflows.inputs.feedback import RightsObjectionInput
from datasets.workflows.inputs.lookup import Lookup
from portal.app import create_app
from portal.cli import main
from portal.publish import build as build_module
from portal.publish.build import build
from portal.publish.pages import SITE_PAGES
from tests.conftest import harvest_demo
from tests.factories import make_runtime, verified_citizen

BASE = "http://localhost"


@pytest.fixture(scope="module")
def site(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A harvested demo instance of this module alone, with KAIFANG_STATIC_DIR set."""
    folder = tmp_path_factory.mktemp("static")
    out = folder / "out"
    rt = make_runtime(folder / "instance", static_dir=str(out))
    harvest_demo(rt)
    app = create_app(
        {"instance": str(rt.paths.root), "ratelimit_enabled": False, "static_dir": str(out)}
    )
    first = build(app, out, base_url=BASE)
    yield rt, app, out, first
    rt.close()


def _tree(out: Path) -> Path:
    return out / "current"


def test_every_file_of_the_tree_is_what_the_app_answers_at_its_url(site) -> None:  # type: ignore[no-untyped-def]
    rt, app, out, first = site
    manifest = StaticOut(out).manifest()
    assert manifest is not None and manifest.tree == first.tree
    client = app.test_client(use_cookies=False)
    kinds = {"page": 0, "twin": 0, "rdf": 0, "file": 0}
    for file, entry in manifest.files.items():
        body = (_tree(out) / file).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], file
        answer = client.get(entry["url"], base_url=BASE)
        assert answer.status_code == 200, entry["url"]
        assert answer.get_data() == body, entry["url"]
        if file.startswith("dataset/") and file.endswith("/index.html"):
            kinds["page"] += 1
        elif file.startswith("_q/api/3/action/package_show/"):
            kinds["twin"] += 1
        elif file.endswith((".ttl", ".jsonld", ".rdf")) and file.startswith("dataset/"):
            kinds["rdf"] += 1
        elif "/download/" in file:
            kinds["file"] += 1
    with rt.reader() as session:
        query = select(Dataset.id).where(Dataset.state == "active", Dataset.suspended_by.is_(None))
        public = len(session.scalars(query).all())
    assert kinds["page"] == kinds["twin"] == public
    assert kinds["rdf"] == 3 * public
    assert kinds["file"] > 10
    for url in ("/", "/search", "/organization/", "/data.json", "/rules"):
        assert any(e["url"] == url for e in manifest.files.values()), url
    assert first.left_to_app == ["/services"]  # its form carries a CSRF token


def test_the_tree_is_readable_by_a_web_server(site) -> None:  # type: ignore[no-untyped-def]
    _, _, out, _ = site
    for path in _tree(out).resolve().rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), path


def test_only_what_the_public_may_have_is_in_the_tree(site) -> None:  # type: ignore[no-untyped-def]
    rt, _, out, _ = site
    tree = _tree(out)
    with rt.reader() as session:
        datasets = session.scalars(select(Dataset)).all()
        resources = session.scalars(select(Resource)).all()
    hidden = [d for d in datasets if d.state != "active" or d.suspended_by]
    assert hidden, "the demo holds quarantined datasets"
    for dataset in hidden:
        assert not (tree / "dataset" / dataset.name).exists(), dataset.name
    digests = {e["sha256"] for e in StaticOut(out).manifest().files.values()}  # type: ignore[union-attr]
    private = [r for r in resources if r.storage_root == "private"]
    assert private, "the demo holds conditional originals"
    for resource in private:
        assert resource.sha256 not in digests
        if resource.public_key is None:
            assert not list(tree.glob(f"dataset/*/resource/{resource.id}/**/*"))


def test_a_rebuild_rewrites_only_what_changed(site) -> None:  # type: ignore[no-untyped-def]
    rt, app, out, _ = site
    again = build(app, out, base_url=BASE)
    assert again.datasets_rendered == 0
    assert again.rendered == len(SITE_PAGES) - 1 + len(list(Path("static").rglob("*.*")))
    with rt.session() as session:
        dataset = session.scalars(
            select(Dataset).where(Dataset.state == "active", Dataset.openness == "unconditional")
        ).first()
        assert dataset is not None
        dataset.title = "公交线路（更正）"
        dataset.revision += 1
        name, topic = dataset.name, dataset.topic
    # KAIFANG_STATIC_DIR: its files left the current tree with the commit
    assert not (_tree(out) / "dataset" / name).exists()
    before = _tree(out).resolve()
    changed = build(app, out, base_url=BASE)
    after = _tree(out).resolve()
    assert changed.datasets_rendered == 1
    assert "公交线路（更正）" in (after / "dataset" / name / "index.html").read_text()
    other = next(p for p in (before / "dataset").iterdir() if p.is_dir() and p.name != name)
    shared = after / "dataset" / other.name / "index.html"
    assert (other / "index.html").stat().st_ino == shared.stat().st_ino
    # the lists a title touches are written again, the others shared: its topic's feed, not
    # another topic's; not the list of departments (no count changed)
    feeds = {p.name for p in (before / "feeds" / "group").iterdir()}
    assert f"{topic}.atom" in feeds and len(feeds) > 2
    rewritten = {
        f
        for f in feeds
        if (before / "feeds/group" / f).stat().st_ino != (after / "feeds/group" / f).stat().st_ino
    }
    assert rewritten == {f"{topic}.atom"}
    assert "公交线路（更正）" in (after / "feeds/group" / f"{topic}.atom").read_text()
    for kept in ("organization/index.html", "_q/api/3/action/organization_list.json"):
        assert (before / kept).stat().st_ino == (after / kept).stat().st_ino, kept


def test_a_day_of_uses_rewrites_that_dataset_page_and_no_list(site) -> None:  # type: ignore[no-untyped-def]
    """The usage figures a dataset page shows (up to yesterday) are part of its source: the
    next build after a day with uses rewrites that dataset's page, not the lists naming it."""
    rt, app, out, _ = site
    build(app, out, base_url=BASE)
    with rt.session() as session:
        dataset = session.scalars(
            select(Dataset).where(Dataset.state == "active").order_by(Dataset.name)
        ).first()
        assert dataset is not None
        name, topic = dataset.name, dataset.topic
        yesterday = usage.today() - timedelta(days=1)
        session.add(UsageCount(day=yesterday, dataset_id=dataset.id, kind="download", count=4321))
    before = _tree(out).resolve()
    used = build(app, out, base_url=BASE)
    after = _tree(out).resolve()
    assert used.datasets_rendered == 1 and not used.from_changes  # figures: every dataset read
    assert "下载 <strong>4,321</strong> 次" in (after / "dataset" / name / "index.html").read_text()
    for kept in ("organization/index.html", f"feeds/group/{topic}.atom"):
        assert (before / kept).stat().st_ino == (after / kept).stat().st_ino, kept
    assert build(app, out, base_url=BASE).datasets_rendered == 0


def test_the_switch_keeps_the_previous_tree_to_go_back_to(site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rt, app, out, _ = site
    build(app, out, base_url=BASE)
    current, previous = StaticOut(out).linked("current"), StaticOut(out).linked("previous")
    assert current and previous and current != previous
    assert sorted(p.name for p in (out / "trees").iterdir() if p.is_dir()) == sorted(
        [current, previous]
    )
    monkeypatch.setenv("KAIFANG_INSTANCE", str(rt.paths.root))
    result = CliRunner().invoke(main, ["build-static", str(out), "--rollback"])
    assert result.exit_code == 0, result.output
    assert "已切回上一版静态站点" in result.output
    assert StaticOut(out).linked("current") == previous
    assert StaticOut(out).linked("previous") == current
    os.readlink(out / "current")  # a symbolic link, switched by rename


def test_the_oldest_tree_is_deleted_once_the_lock_is_let_go(site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A removal (a 权益异议's suspension) waits for the lock: never for an old tree's half a
    million files to be deleted."""
    _, app, out, _ = site
    build(app, out, base_url=BASE)  # a current and a previous tree
    oldest = StaticOut(out).linked("previous")
    free, delete = [], StaticOut.delete_trees

    def deleting(folders):  # type: ignore[no-untyped-def]
        with open(out / ".lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle, fcntl.LOCK_UN)
                free.append(True)
            except BlockingIOError:
                free.append(False)
        assert [f.name for f in folders] == [f".pruned-{oldest}"]  # set aside, not served
        delete(folders)

    monkeypatch.setattr(StaticOut, "delete_trees", staticmethod(deleting))
    build(app, out, base_url=BASE, full=True)  # a new tree: the oldest goes
    assert free == [True]
    left = sorted(p.name for p in (out / "trees").iterdir() if p.is_dir())
    assert left == sorted([StaticOut(out).linked("current"), StaticOut(out).linked("previous")])
    assert oldest not in left


def test_build_static_on_the_command_line(site, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rt, _, _, _ = site
    monkeypatch.setenv("KAIFANG_INSTANCE", str(rt.paths.root))
    monkeypatch.setenv("KAIFANG_BASE_URL", BASE)
    result = CliRunner().invoke(main, ["build-static", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "静态站点已生成" in result.output and "KAIFANG_STATIC_DIR 未指向该目录" in result.output
    assert (tmp_path / "site" / "current" / "index.html").is_file()
    monkeypatch.setenv("KAIFANG_STATIC_DIR", str(tmp_path / "site"))
    again = CliRunner().invoke(main, ["build-static"])  # OUT from the setting
    assert again.exit_code == 0, again.output
    assert "沿用" in again.output and "未指向" not in again.output


@pytest.mark.parametrize("workers", [1, 2])
def test_a_page_the_app_cannot_answer_stops_the_build(site, tmp_path, monkeypatch, workers) -> None:  # type: ignore[no-untyped-def]
    rt, _, _, _ = site
    for threshold in ("EARLY_POOL", "POOL_THRESHOLD", "PAGES_POOL"):  # forked processes too
        monkeypatch.setattr(build_module, threshold, 1)
    limited = create_app({"instance": str(rt.paths.root), "ratelimit_default": "1 per minute"})
    with pytest.raises(KaifangError, match="429"):  # never a JSON twin silently left out
        build(limited, tmp_path / "out", base_url=BASE, workers=workers)
    assert not (tmp_path / "out" / "current").exists()


def test_build_static_without_a_public_address_says_so(site, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rt, _, _, _ = site
    monkeypatch.setenv("KAIFANG_INSTANCE", str(rt.paths.root))
    result = CliRunner().invoke(main, ["build-static", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "KAIFANG_BASE_URL" in result.output and "Traceback" not in result.output


def test_a_large_catalog_leaves_its_changed_documents_to_the_app_until_a_full_build(
    site, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    rt, app, out, _ = site
    monkeypatch.setattr("portal.publish.build.DOCUMENTS_INLINE", 1)
    build(app, out, base_url=BASE)
    assert (_tree(out) / "data.json").is_file()  # the catalog did not change: kept
    with rt.session() as session:
        dataset = session.scalars(select(Dataset).where(Dataset.state == "active")).first()
        dataset.revision += 1  # type: ignore[union-attr]
    quick = build(app, out, base_url=BASE)
    assert quick.datasets_rendered == 1
    for name in ("data.json", "sitemap.xml", "catalog.ttl", "transparency/open-list.csv"):
        assert not (_tree(out) / name).exists(), name
    assert (_tree(out) / "index.html").is_file()  # the lists are written again
    # the statistics of the whole catalog too: the app answers them, as of now
    assert not (_tree(out) / "transparency" / "stats" / "index.html").exists()
    assert "/transparency/stats" not in {e["url"] for e in StaticOut(out).manifest().files.values()}  # type: ignore[union-attr]
    build(app, out, base_url=BASE, full=True)
    assert (_tree(out) / "data.json").is_file()
    assert (_tree(out) / "transparency" / "stats" / "index.html").is_file()


def _object(rt, name: str) -> None:  # type: ignore[no-untyped-def]
    holder = verified_citizen(rt)  # an identified rights holder: the suspension is at once
    rights.submit_rights_objection(
        rt,
        holder,
        RightsObjectionInput.parse(
            {
                "dataset": name,
                "claim": "含我公司经营信息",
                "rights_basis": "权利人",
                "contact": {"name": "张伟", "phone": "13800138000"},
            },
            Lookup(rt, holder),
        ),
    )


def _approve_reuse(rt, name: str, title: str = "江州数据看板") -> None:  # type: ignore[no-untyped-def]
    wanted = {"title": title, "type": "app", "url": "https://trip.example.com/", "datasets": name}
    made = reuses.submit(rt, verified_citizen(rt), reuses.ReuseInput.parse(wanted))
    operator = Actor(name="yunwei", user_id="yunwei", roles=frozenset({"operator"}))
    reuses.decide(rt, operator, made["id"], reuses.ReuseDecision("approve", ""))


def _retitle(rt, name: str) -> None:  # type: ignore[no-untyped-def]
    with rt.session() as session:
        dataset = session.scalars(select(Dataset).where(Dataset.name == name)).one()
        dataset.title = f"{dataset.title}（构建时修改）"
        dataset.revision += 1


@pytest.mark.parametrize(
    "change", [_object, _retitle, _approve_reuse], ids=["hidden", "changed", "a reuse approved"]
)
def test_a_dataset_changed_while_a_build_runs_is_not_in_the_tree_it_switches_in(
    site, monkeypatch, change
) -> None:  # type: ignore[no-untyped-def]
    """Its removal found the older tree; the tree switched in was written before the change:
    its files go from it too, and the app answers them until the next build."""
    rt, app, out, _ = site
    build(app, out, base_url=BASE)
    manifest = StaticOut(out).manifest()
    assert manifest is not None
    name = sorted({f.split("/")[1] for f in manifest.files if "/download/" in f})[-1]
    real = build_module._static_assets

    def change_then_copy(writer, source):  # type: ignore[no-untyped-def]
        change(rt, name)  # the removal does not wait for the build (it would never end)
        real(writer, source)

    monkeypatch.setattr(build_module, "_static_assets", change_then_copy)
    result = build(app, out, base_url=BASE)
    assert result.removed_after > 0
    assert not (_tree(out) / "dataset" / name).exists()
    assert not (
        _tree(out) / "_q" / "api" / "3" / "action" / "package_show" / f"{name}.json"
    ).exists()


def test_a_rights_objection_takes_its_dataset_out_of_the_tree_at_once(site) -> None:  # type: ignore[no-untyped-def]
    rt, app, out, _ = site
    build(app, out, base_url=BASE)
    manifest = StaticOut(out).manifest()
    assert manifest is not None
    with_files = {f.split("/")[1] for f in manifest.files if "/download/" in f}
    name = sorted(with_files)[0]
    assert (_tree(out) / "dataset" / name / "index.html").is_file()
    _object(rt, name)
    assert not (_tree(out) / "dataset" / name).exists()
    left = StaticOut(out).manifest()
    assert left is not None
    assert not [f for f in left.files if f.startswith(f"dataset/{name}/")]
    assert not [f for f in left.files if f == f"_q/api/3/action/package_show/{name}.json"]
    # the app answers the page now, with the suspension
    assert app.test_client().get(f"/dataset/{name}").status_code == 200
    rebuilt = build(app, out, base_url=BASE)
    assert not (_tree(out) / "dataset" / name).exists()
    assert rebuilt.datasets_rendered == 0


def test_a_build_rewrites_the_previous_tree_in_place(site) -> None:  # type: ignore[no-untyped-def]
    _, app, out, _ = site
    first = build(app, out, base_url=BASE)
    second = build(app, out, base_url=BASE)
    third = build(app, out, base_url=BASE)
    assert first.tree != second.tree and third.tree == first.tree
    assert third.datasets_rendered == 0 and third.files == first.files
    assert not list((out / "trees").glob("*.building"))
    assert StaticOut(out).linked("previous") == second.tree


def test_worker_processes_write_the_tree_one_process_writes(site, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Forked at the start (the site pages rendered while the catalog is read), then the
    datasets and the catalog's pages in chunks: the same files as rendered one by one here."""
    _, app, _, _ = site
    alone = build(app, tmp_path / "alone", base_url=BASE, workers=1, full=True)
    for threshold in ("EARLY_POOL", "POOL_THRESHOLD", "PAGES_POOL"):
        monkeypatch.setattr(build_module, threshold, 1)
    forked = build(app, tmp_path / "forked", base_url=BASE, workers=2, full=True)

    assert _files(tmp_path / "forked") == _files(tmp_path / "alone")
    assert forked.files == alone.files and forked.datasets_rendered == alone.datasets_rendered
    assert forked.left_to_app == alone.left_to_app == ["/services"]
    for path, digest in _files(tmp_path / "forked").items():
        body = (tmp_path / "forked" / "current" / path).read_bytes()
        assert hashlib.sha256(body).hexdigest() == digest, path


def _files(out: Path) -> dict[str, str]:
    manifest = StaticOut(out).manifest()
    assert manifest is not None
    return {path: entry["sha256"] for path, entry in manifest.files.items()}


def _whole_catalog(_rt):  # type: ignore[no-untyped-def]
    raise AssertionError("the whole catalog was read")


def test_a_build_reads_only_the_datasets_changed_since_its_tree(
    site, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Each tree records the search rows' generation it read: the next build of it reads the
    datasets written since (a title changed, a suspension, one moved to another department and
    topic), not the catalog, nor every department's and topic's list, and its tree is the one a
    full build writes. A removal (no row written in its place) reads the catalog."""
    rt, app, out, _ = site
    build(app, out, base_url=BASE)
    build(app, out, base_url=BASE)  # both trees record what they read
    with rt.session() as session:
        first, second, *rest = session.scalars(
            select(Dataset)
            .where(Dataset.state == "active", Dataset.openness == "unconditional")
            .where(Dataset.suspended_by.is_(None))
            .order_by(Dataset.name)
        ).all()
        first.title = "公交线路（再次更正）"
        first.revision += 1
        edited, suspended, withdrawn = first.name, second.name, second.id
        moved = next(d for d in rest if d.organization_id != first.organization_id)
        moved.organization_id, moved.topic = first.organization_id, second.topic
        moved.revision += 1
    _object(rt, suspended)
    monkeypatch.setattr(sources, "catalog_entries", _whole_catalog)
    monkeypatch.setattr(lists, "list_sources", _whole_catalog)
    changed = build(app, out, base_url=BASE)
    assert changed.from_changes and changed.datasets_rendered == 2
    assert "（再次更正）" in (_tree(out) / "dataset" / edited / "index.html").read_text()
    assert not (_tree(out) / "dataset" / suspended).exists()
    monkeypatch.undo()
    assert _files(out) == _files(build_full(app, tmp_path / "full"))
    with rt.session() as session:
        dataset = session.get(Dataset, withdrawn)
        assert dataset is not None
        dataset.state = "withdrawn"
    monkeypatch.setattr(lists, "lists_after", _whole_catalog)
    assert not build(app, out, base_url=BASE).from_changes
    monkeypatch.undo()
    assert _files(out) == _files(build_full(app, tmp_path / "full-after"))


def build_full(app, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    build(app, folder, base_url=BASE, full=True)
    return folder


def test_an_approved_reuse_is_on_its_dataset_page_whichever_tree_is_built(site) -> None:  # type: ignore[no-untyped-def]
    """An approval changes no search row: its datasets' pages leave both trees, so that the
    next builds (each rewriting the tree not served) write them again, with the reuse."""
    rt, app, out, _ = site
    build(app, out, base_url=BASE)
    build(app, out, base_url=BASE)
    with rt.reader() as session:
        name = session.scalars(
            select(Dataset.name)
            .where(Dataset.state == "active", Dataset.suspended_by.is_(None))
            .order_by(Dataset.name.desc())
        ).first()
    _approve_reuse(rt, str(name), "江州出行助手")
    assert not (_tree(out) / "dataset" / str(name)).exists()
    for _ in range(2):
        build(app, out, base_url=BASE)
        assert "江州出行助手" in (_tree(out) / "dataset" / str(name) / "index.html").read_text()
