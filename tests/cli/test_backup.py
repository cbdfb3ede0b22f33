"""``kaifang backup`` and ``kaifang restore`` on SQLite: an instance with harvested data,
applications, a grant with its private file, accounts, keys and a signed-in reviewer is backed
up, restored into an empty instance, and both are crawled for equal answers (anonymous pages and
API, the reviewer's pages with the same session cookie, the grant holder's private download with
the same API key). Damaged, hostile and misplaced restores are refused with nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from datasets.backup.manifest import MANIFEST, SQLITE_MEMBER
from datasets.database import current_revision, head_revision
from tests.backup_world import app_of, build_world, crawl, kaifang
from tests.factories import make_runtime

START = [
    "/",
    "/search",
    "/organization/",
    "/services",
    "/rules",
    "/sharing",
    "/transparency",
    "/transparency/stats",
    "/api/3/action/package_list",
    "/api/3/action/package_search?rows=1000",
    "/api/3/action/organization_list",
    "/api/v1/agreement",
    "/api/v1/openapi.json",
    "/data.json",
    "/sitemap.xml",
    "/catalog.ttl",
    "/feeds/dataset.atom",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backup")
    built = build_world(folder)
    yield {**built, "folder": folder}
    built["rt"].close()


@pytest.fixture(scope="module")
def archive(world):
    out = world["folder"] / "archives"
    out.mkdir()
    made = kaifang({"KAIFANG_INSTANCE": str(world["rt"].paths.root)}, "backup", str(out))
    assert made.exit_code == 0, made.output
    assert "备份已写入" in made.output and "仅所有者可读" in made.output
    (path,) = out.iterdir()
    return path


@pytest.fixture(scope="module")
def restored(world, archive):
    target = world["folder"] / "restored"
    done = kaifang({"KAIFANG_INSTANCE": str(target)}, "restore", str(archive))
    assert done.exit_code == 0, done.output
    assert "恢复完成" in done.output
    rt = make_runtime(target)
    yield {"rt": rt, "app": app_of(rt)}
    rt.close()


def _manifest(path: Path) -> dict:
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile(MANIFEST).read())


def test_the_archive_is_private_and_its_manifest_describes_every_member(world, archive):
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert archive.name.startswith("kaifang-backup-") and archive.suffix == ".tar"
    assert not [p for p in archive.parent.iterdir() if p != archive]  # no temporary left
    manifest = _manifest(archive)
    assert manifest["database"] == "sqlite"
    assert manifest["revision"] == head_revision(world["rt"])
    assert manifest["created"].endswith("+08:00")
    names = {m["name"]: m for m in manifest["members"]}
    assert SQLITE_MEMBER in names
    assert "instance/secret_key" in names and "instance/masking_key" in names
    assert names["instance/secret_key"]["mode"] == "0600"
    assert any(n.startswith("instance/files/private/") for n in names)
    assert any(n.startswith("instance/files/public/") for n in names)
    assert any(n.startswith("instance/attachments/") for n in names)
    assert not any(n.startswith("instance/tmp/") or n.endswith("-wal") for n in names)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert [m.name for m in members][-1] == MANIFEST
        assert all(m.isreg() for m in members)
        for member in members[:-1]:
            digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            assert digest == names[member.name]["sha256"], member.name


def test_restored_files_keep_their_modes(world, restored):
    source, target = world["rt"].paths.root, restored["rt"].paths.root
    private = sorted((source / "files" / "private").rglob("*"))
    assert any(p.is_file() for p in private)
    for path in private:
        twin = target / path.relative_to(source)
        assert twin.exists(), path.name
        assert stat.S_IMODE(twin.stat().st_mode) == stat.S_IMODE(path.stat().st_mode)
        if path.is_file():
            assert stat.S_IMODE(twin.stat().st_mode) == 0o600
            assert twin.read_bytes() == path.read_bytes()
    assert (target / "secret_key").read_text() == (source / "secret_key").read_text()
    assert current_revision(restored["rt"]) == head_revision(restored["rt"])


def test_anonymous_pages_and_api_answer_the_same(world, restored):
    bodies = crawl((world["app"], restored["app"]), START, limit=500)
    assert len(bodies) > 100
    assert any("执业医师注册信息" in b.decode("utf-8", "replace") for b in bodies.values())
    harvested = bodies["/api/3/action/package_list"].decode()
    assert "physicians" in harvested and len(json.loads(harvested)["result"]) > 5


def test_the_reviewers_session_and_the_holders_key_still_work(world, restored):
    apps = (world["app"], restored["app"])
    start = ["/", "/account", "/workspace", f"/services/application/{world['pending']}"]
    bodies = crawl(apps, start, cookie=world["cookie"], limit=150)
    assert "reviewer" in bodies["/account"].decode()
    signed_in = restored["app"].test_client()
    signed_in.set_cookie("session", world["cookie"], domain="localhost")
    assert signed_in.get("/account").status_code == 200
    assert restored["app"].test_client().get("/account").status_code in (302, 303)
    case = bodies[f"/services/application/{world['pending']}"].decode()
    assert "营业执照.pdf" in case  # the supporting document, shown to its handler
    link = next(u for u in bodies if "/attachments/" in u)
    assert bodies[link].startswith(b"%PDF-")
    key = {"Authorization": world["keys"]["acme"]}
    for app in apps:
        answer = app.test_client().get(world["private_url"], headers=key)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert "110101199003071234" in answer.get_data(as_text=True)
    own = ["/api/v1/applications", "/api/v1/grants", f"/api/v1/applications/{world['pending']}"]
    mine = crawl(apps, own, headers=key, limit=20)
    assert world["pending"] in b"".join(mine.values()).decode()


def _rewrite(source: Path, target: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Copy an archive member by member through ``change(info, data) -> (info, data) | None``."""
    with tarfile.open(source) as old, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as new:
        for info in old.getmembers():
            data = old.extractfile(info).read() if info.isreg() else b""
            changed = change(info, data)
            if changed is None:
                continue
            info, data = changed
            info.size = len(data)
            new.addfile(info, io.BytesIO(data) if info.isreg() else None)


def _refused(archive: Path, target: Path, reason: str) -> None:
    done = kaifang({"KAIFANG_INSTANCE": str(target)}, "restore", str(archive))
    assert done.exit_code == 1 and reason in done.output, done.output
    assert not target.exists() or not any(target.iterdir()), "something was written"


def test_a_damaged_archive_is_refused_before_anything_is_written(archive, tmp_path):
    broken = tmp_path / "broken.tar"
    broken.write_bytes(archive.read_bytes())
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("instance/files/private"))
    with broken.open("r+b") as handle:
        handle.seek(member.offset_data)
        first = handle.read(1)
        handle.seek(member.offset_data)
        handle.write(bytes([first[0] ^ 0xFF]))
    _refused(broken, tmp_path / "target", "SHA-256 与清单不符")
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    _refused(truncated, tmp_path / "target", "拒绝恢复")


def _with_member(archive: Path, out: Path, info: tarfile.TarInfo, data: bytes) -> Path:
    """The archive with one more member just before its manifest, listed there with its true
    digest (so only the member's kind or name can make it refused)."""
    info.size = len(data)
    with tarfile.open(archive) as old, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as new:
        for member in old.getmembers():
            payload = old.extractfile(member).read()
            if member.name == MANIFEST:
                new.addfile(info, io.BytesIO(data) if info.isreg() else None)
                manifest = json.loads(payload)
                digest = hashlib.sha256(data).hexdigest()
                entry = {"name": info.name, "size": len(data), "sha256": digest, "mode": "0600"}
                manifest["members"].append(entry)
                manifest["total_bytes"] += len(data)
                payload = json.dumps(manifest).encode()
                member.size = len(payload)
            new.addfile(member, io.BytesIO(payload))
    return out


@pytest.mark.parametrize(
    "name, kind, reason",
    [
        ("instance/../../evil", tarfile.REGTYPE, "不安全的路径"),
        ("/tmp/evil", tarfile.REGTYPE, "不安全的路径"),
        ("instance/files/link", tarfile.SYMTYPE, "不允许的成员"),
        ("instance/files/hard", tarfile.LNKTYPE, "不允许的成员"),
        ("instance/dev", tarfile.CHRTYPE, "不允许的成员"),
    ],
)
def test_hostile_members_are_refused(archive, tmp_path, name, kind, reason):
    info = tarfile.TarInfo(name)
    info.type = kind
    data = b"evil" if kind == tarfile.REGTYPE else b""
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "../../../../etc/passwd"
    hostile = _with_member(archive, tmp_path / "hostile.tar", info, data)
    _refused(hostile, tmp_path / "deep" / "target", reason)
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()


def test_an_archive_of_a_newer_revision_is_refused(archive, tmp_path):
    def change(info, data):  # type: ignore[no-untyped-def]
        if info.name == MANIFEST:
            manifest = json.loads(data)
            manifest["revision"] = "9999"
            data = json.dumps(manifest).encode()
        return info, data

    newer = tmp_path / "newer.tar"
    _rewrite(archive, newer, change)
    _refused(newer, tmp_path / "target", "更新的门户版本")


def test_a_non_empty_instance_is_refused_unless_forced(archive, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("已有内容")
    done = kaifang({"KAIFANG_INSTANCE": str(target)}, "restore", str(archive))
    assert done.exit_code == 1 and "不是空的" in done.output and "--force" in done.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    forced = kaifang({"KAIFANG_INSTANCE": str(target)}, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert not (target / "notes.txt").exists() and (target / "kaifang.db").is_file()
    assert (target / "secret_key").is_file()
    assert not [p for p in target.iterdir() if p.name.startswith(".restore-")]


def test_an_older_archive_is_migrated_up(tmp_path):
    from alembic import command

    from datasets.database import alembic_config

    rt = make_runtime(tmp_path / "old")
    previous = "0018"
    command.downgrade(alembic_config(rt), previous)
    assert current_revision(rt) == previous
    rt.close()
    env = {"KAIFANG_INSTANCE": str(tmp_path / "old")}
    made = kaifang(env, "backup", str(tmp_path / "old.tar"))
    assert made.exit_code == 0, made.output
    assert _manifest(tmp_path / "old.tar")["revision"] == previous
    done = kaifang(
        {"KAIFANG_INSTANCE": str(tmp_path / "new")}, "restore", str(tmp_path / "old.tar")
    )
    assert done.exit_code == 0 and f"已从迁移版本 {previous} 升级" in done.output, done.output
    new = make_runtime(tmp_path / "new")
    assert current_revision(new) == head_revision(new)
    new.close()


def test_backup_refuses_to_overwrite_or_to_write_inside_the_instance(world, archive):
    env = {"KAIFANG_INSTANCE": str(world["rt"].paths.root)}
    again = kaifang(env, "backup", str(archive))
    assert again.exit_code == 1 and "已存在" in again.output
    inside = kaifang(env, "backup", str(world["rt"].paths.root / "x.tar"))
    assert inside.exit_code == 1 and "实例目录之内" in inside.output
    assert not (world["rt"].paths.root / "x.tar").exists()
    assert not [p for p in world["rt"].paths.root.iterdir() if ".part-" in p.name]
    assert os.access(archive, os.R_OK)


def test_backup_of_a_missing_instance_creates_nothing(tmp_path):
    env = {"KAIFANG_INSTANCE": str(tmp_path / "none")}
    done = kaifang(env, "backup", str(tmp_path / "x.tar"))
    assert done.exit_code == 1 and "数据库文件不存在" in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []
