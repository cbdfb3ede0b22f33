"""Builders of small harvest sources and runtimes for tests."""

from __future__ import annotations

import atexit
import csv
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from datasets.accounts.permissions import Actor
from datasets.database import upgrade
from datasets.runtime import Runtime
from datasets.search.query import search_request
from datasets.settings import load_settings

CREDIT_CODE = "11361000MB0000001P"
# the Redis of the rate-limit tests (a database of their own; each test keys under a prefix)
LIMITS_REDIS = os.environ.get("KAIFANG_TEST_LIMITS_REDIS", "redis://127.0.0.1:6379/9")


def make_runtime(instance: Path, **overrides: Any) -> Runtime:
    """A runtime on a fresh instance folder with the schema created: on SQLite, a copy of a
    database this process migrated once (``upgrade`` then finds it at the newest revision:
    migrating each new instance took a third of a second)."""
    settings = load_settings({"instance": str(instance), **overrides}, environ={})
    target = settings.instance_path / "kaifang.db"
    if settings.resolved_database_url == f"sqlite:///{target}" and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_sqlite(), target)
    rt = Runtime(settings)
    upgrade(rt)
    return rt


_TEMPLATE: list[Path] = []
_TEMPLATE_LOCK = threading.Lock()


def _migrated_sqlite() -> Path:
    """An empty SQLite database at the newest revision, made once per process."""
    with _TEMPLATE_LOCK:
        if not _TEMPLATE:
            folder = Path(tempfile.mkdtemp(prefix="kaifang-schema-"))
            rt = Runtime(load_settings({"instance": str(folder)}, environ={}))
            upgrade(rt)
            rt.close()  # the last connection's close folds the write-ahead log into the file
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            _TEMPLATE.append(folder / "kaifang.db")
        return _TEMPLATE[0]


def search(rt: Runtime, **params: Any) -> dict[str, Any]:
    """``package_search`` with CKAN's parameters (q, fq, rows …), as the API reads them."""
    from datasets.catalog import services as catalog

    wanted = search_request(params, now=datetime.now(UTC), max_rows=1000, default_rows=20)
    return catalog.package_search(rt, wanted)


def search_revisions(rt: Runtime) -> dict[str, int]:
    """Dataset id → the revision its search row was written at."""
    from sqlalchemy import select

    from datasets.models import SearchEntry

    with rt.reader() as session:
        return dict(session.execute(select(SearchEntry.dataset_id, SearchEntry.revision)).all())


def write_csv(path: Path, rows: list[list[Any]], *, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


BUS_ROWS = [
    ["线路名称", "起点站", "终点站", "票价"],
    ["1路", "火车站", "江南大道", "1"],
    ["2路", "江北客运站", "临湖公园", "2"],
]


def own_rows(name: str) -> list[list[Any]]:
    """BUS_ROWS with a line of ``name``'s own: datasets of a catalog each hold their own file
    (byte-identical files under two datasets are held as duplicates)."""
    return [*BUS_ROWS, [f"{name}专线", "火车站", "江南大道", "2"]]


def pdf_bytes(*pages: str) -> bytes:
    """A small, valid PDF whose pages carry the given (ASCII) text, extractable by a reader;
    an empty string makes a page without text, as a scanned image page is."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET" if text else ""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


def write_package(
    folder: Path,
    name: str,
    *,
    title: str = "公交线路信息",
    rows: list[list[Any]] | None = None,
    resources: list[dict[str, Any]] | None = None,
    **props: Any,
) -> Path:
    """A data package folder ``folder/name`` with one CSV resource unless told otherwise."""
    pkg = folder / name
    pkg.mkdir(parents=True, exist_ok=True)
    if resources is None:
        write_csv(pkg / "data.csv", rows or BUS_ROWS)
        resources = [{"name": "data", "path": "data.csv", "format": "csv"}]
    descriptor = {
        "name": name,
        "title": title,
        "description": props.pop("description", f"{title}，由江州市交通运输局提供。"),
        "provider": props.pop("provider", {"name": "江州市交通运输局", "code": CREDIT_CODE}),
        "topic": props.pop("topic", "交通运输"),
        "update_cycle": props.pop("update_cycle", "每月"),
        "resources": resources,
        **props,
    }
    (pkg / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return pkg


def credit_code(seed: int) -> str:
    """A valid 统一社会信用代码 (GB 32100 check character) for test company ``seed``."""
    from datasets.accounts.creditcode import CHARSET, check_character

    digits = ""
    for _ in range(6):
        seed, rest = divmod(seed, len(CHARSET))
        digits += CHARSET[rest]
    first17 = "91320100MA1" + digits
    return first17 + check_character(first17)


def accounts(rt: Runtime, users: dict[str, dict[str, Any]], password: str) -> dict[str, str]:
    """Create each user (role and extras by name; a company gets a valid credit code, a legal
    representative and a phone) and an API key of each; the keys by name."""
    from datasets.accounts.keys import create_api_key
    from datasets.accounts.users import create_user

    keys = {}
    for seed, (name, extra) in enumerate(users.items(), start=1):
        if extra["role"] == "company":
            extra = {
                "credit_code": credit_code(seed),
                "legal_representative": "王五",
                "phone": "13800138000",
                **extra,
            }
        create_user(rt, name=name, password=password, **extra)
        keys[name] = create_api_key(rt, user_name=name)["key"]
    return keys


PHYSICIAN_ROWS = [
    ["姓名", "身份证号", "执业类别", "主要执业机构"],
    ["张伟", "110101199003071234", "临床", "江州市第一人民医院"],
    ["李娜", "110101198511203456", "中医", "江州市中医院"],
]


def services_catalog(rt: Any, folder: Path) -> dict[str, str]:
    """A small catalog for the public services: two conditional datasets of the health
    department, a closed one and an open one of the transport department. Returns
    {role: dataset name, "health": department name, "transport": department name}."""
    from sqlalchemy import select

    from datasets.intake.publishing import import_record
    from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
    from datasets.models import Dataset, HarvestSource, Organization

    with rt.session() as session:
        source = HarvestSource(name="services", kind="datapackage", location="/nowhere")
        session.add(source)
        session.flush()
        source_id = source.id
    health = ProviderRecord("江州市卫生健康委员会", "11361000MB0000002N")
    transport = ProviderRecord("江州市交通运输局", "11361000MB0000001P")
    entries = [
        (
            "physicians",
            "执业医师注册信息",
            health,
            PHYSICIAN_ROWS,
            {"openness": "有条件开放", "conditions": "仅向医疗卫生科研机构开放"},
        ),
        (
            "assistance",
            "医疗救助对象",
            health,
            PHYSICIAN_ROWS[:2],
            {"openness": "有条件开放", "conditions": "仅向科研机构开放"},
        ),
        (
            "tax",
            "企业纳税明细",
            transport,
            [["企业", "税额"], ["甲公司", "100"]],
            {
                "openness": "不予开放",
                "exclusion_rule": "privacy-trade-secret",
                "exclusion_basis": "涉及商业秘密",
            },
        ),
        ("bus-lines", "公交线路信息", transport, BUS_ROWS, {}),
    ]
    for identifier, title, provider, rows, extra in entries:
        data = write_csv(folder / f"{identifier}.csv", rows)
        record = HarvestRecord(
            identifier=identifier,
            name=identifier,
            title=title,
            provider=provider,
            notes=title,
            topic="卫生健康",
            keywords=(),
            files=(FileRecord(path=data, name=identifier, format="csv"),),
            **extra,
        )
        import_record(rt, record=record, source_id=source_id)
    with rt.reader() as session:
        names = {o.title: o.name for o in session.scalars(select(Organization))}
        assert session.scalar(select(Dataset).where(Dataset.name == "physicians")).openness == (
            "conditional"
        )
    return {
        "conditional": "physicians",
        "conditional2": "assistance",
        "closed": "tax",
        "open": "bus-lines",
        "health": names["江州市卫生健康委员会"],
        "transport": names["江州市交通运输局"],
    }


def id_number(region: str = "320102", birth: str = "19880214", sequence: str = "357") -> str:
    """A checksum-valid 18-digit 身份证号 (GB 11643: weights 2**(17-i) mod 11, check 10 → X)."""
    first17 = region + birth + sequence
    assert len(first17) == 17 and first17.isdigit()
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


def csrf_token(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(app: Any, name: str, password: str) -> Any:
    """A test client signed in as ``name`` through the login form."""
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"}
    )
    assert response.status_code == 302, name
    return client


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served over HTTP in a thread (for clients that need a real server: ckanapi, the
    harvester, a browser); the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def verified_citizen(
    rt: Runtime, name: str = "quanliren", email: str = "owner@example.com"
) -> Actor:
    """A citizen whose account's e-mail address was proved with a code (an identified rights
    holder: their objections suspend at once); the same account when asked again."""
    from sqlalchemy import select

    from datasets.accounts.users import actor_for, create_user
    from datasets.accounts.verification import address_key
    from datasets.models import User

    with rt.reader() as session:
        user_id = session.scalar(select(User.id).where(User.name == name))
    if user_id is None:
        made = create_user(
            rt, name=name, role="citizen", password="correct horse battery", email=email
        )
        user_id = made["id"]
    with rt.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.verified_contact = address_key(rt, "email", user.email or email)
    actor = actor_for(rt, user_id)
    assert actor is not None
    return actor
