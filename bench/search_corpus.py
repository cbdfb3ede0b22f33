"""``bench.search_scale``'s corpus (real Chinese portal catalogs in ``../shared/realdata``,
varied by real place names and years, seeded), its queries, the same records as a Datasette
database (FTS5 over jieba-cut text), and the HTTP load (keep-alive clients, percentiles, RSS).

Standard library only at module level: the Datasette venv (``.venv-bench``, with jieba) runs
``python -m bench.search_corpus datasette DB COUNT QUERIES_JSON`` to build the peer's database;
it prints the jieba-cut queries as JSON.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "cn-portal-catalogs-cnpds"
SEED = 20261205
CLIENTS = 8
# the field names each portal uses, in order of preference
_TITLE = ("标题", "名称", "目录名称")
_NOTES = ("描述", "摘要信息", "摘要描述", "数据摘要", "摘要", "简介")
_DEPT = ("来源部门", "提供单位", "数据提供方", "所属部门", "数据来源", "数源单位")
_TOPIC = ("重点领域", "所属领域", "主题名称", "数据领域", "主题分类", "主题领域")
_TAGS = ("标签", "关键字")
_FORMATS = ("数据格式", "资源格式")
_CYCLE = ("更新频率",)
_PLACE_SUFFIX = re.compile(r"^(.{2,8}?(?:省|市|自治州|州|县|区))")
_LICENSES = ("cc-by", "cc-by-sa", "odc-by", "other-open")
_KNOWN_FORMATS = {"csv", "xls", "xlsx", "json", "xml", "rdf", "api", "pdf", "doc", "txt"}
# Datasette's columns: the peer holds what a portal user facets and filters on
COLUMNS = (
    "id", "name", "title", "notes", "organization", "groups", "topic", "openness", "update_cycle",
    "res_format", "tags", "license_id", "metadata_modified",
)  # fmt: skip
FACETS = ("organization", "groups", "topic", "openness", "update_cycle", "license_id")
ARRAY_FACETS = ("tags", "res_format")


@dataclass(frozen=True)
class Entry:
    identifier: str
    title: str
    notes: str
    department: str
    topic: str
    keywords: tuple[str, ...]
    formats: tuple[str, ...]
    update_cycle: str
    license_id: str
    modified: date


@dataclass(frozen=True)
class Query:
    label: str  # kind: word | words | filter | page2 | none
    q: str
    organization: str = ""  # a department's title ("" none)
    res_format: str = ""  # upper case ("" none)
    start: int = 0


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if isinstance(value, str) and value.strip() and value.strip() != "暂无":
            return " ".join(value.split())
    return ""


def _formats(text: str) -> tuple[str, ...]:
    found = [f for f in re.split(r"[\[\]',\s]+", text.lower()) if f in _KNOWN_FORMATS]
    return tuple(dict.fromkeys(found)) or ("xls",)


def _tags(text: str) -> tuple[str, ...]:
    words = [w.strip() for w in re.split(r"[\r\n\t,，、;；]+", text)]
    return tuple(dict.fromkeys(w for w in words if 2 <= len(w) <= 20))[:6]


def real_items() -> list[dict[str, Any]]:
    """Every real catalog entry as plain values (title, notes, department, topic, …)."""
    items = []
    for path in sorted(REALDATA.glob("*_*.json")):
        for raw in json.loads(path.read_text(encoding="utf-8")):
            title, dept = _first(raw, _TITLE), _first(raw, _DEPT)
            if not title or not dept:
                continue
            items.append(
                {
                    "title": title,
                    "notes": _first(raw, _NOTES),
                    "department": dept,
                    "topic": _first(raw, _TOPIC) or "其他",
                    "tags": _tags(_first(raw, _TAGS)),
                    "formats": _formats(_first(raw, _FORMATS)),
                    "cycle": (_first(raw, _CYCLE) or "不定期").replace(" ", ""),
                }
            )
    return items


def places() -> list[str]:
    """Real province and city names (from the list of Chinese portals)."""
    portals = json.loads((REALDATA / "portals.json").read_text(encoding="utf-8"))
    names = list(portals)
    for cities in portals.values():
        names += [c for c in cities if c not in names]
    return [n for n in names if 2 <= len(n) <= 8]


def _local(department: str, place: str) -> str:
    """The department as the same office of another place (六安市市场监管局 → 芜湖市市场监管局)."""
    match = _PLACE_SUFFIX.match(department)
    office = (
        department[match.end() :] if match else department.removeprefix("省").removeprefix("市")
    )
    return place + (office or department)


def records(count: int, seed: int = SEED) -> list[Entry]:
    """``count`` entries: real entries, each in a real place (its department that place's
    office) and year; the first pass over the real entries keeps them as they are."""
    rng = random.Random(seed)
    items, where = real_items(), places()
    out = []
    for n in range(count):
        item = items[n % len(items)] if n < len(items) else rng.choice(items)
        year = rng.randint(2015, 2025)
        if n < len(items):
            title, dept = item["title"], item["department"]
        else:
            place = rng.choice(where)
            dept = _local(item["department"], place)
            title = rng.choice(
                (f"{place}{item['title']}", f"{item['title']}（{year}年）", item["title"])
            )
        notes = item["notes"] if item["notes"] != item["title"] else ""
        notes = notes or f"{dept}提供的{item['title']}，{year}年数据，{item['cycle']}更新。"
        out.append(
            Entry(
                identifier=f"bench-{n:06d}",
                title=title[:200],
                notes=notes[:2000],
                department=dept[:100],
                topic=item["topic"][:50],
                keywords=item["tags"],
                formats=item["formats"],
                update_cycle=item["cycle"][:20],
                license_id=_LICENSES[n % len(_LICENSES)],
                modified=date(year, 1, 1) + timedelta(days=rng.randint(0, 364)),
            )
        )
    return out


WORDS = (
    "公交", "养老", "医院", "学校", "企业", "停车", "旅游", "环境", "气象", "人口", "住房", "交通",
    "教育", "卫生", "食品", "药品", "农业", "水利", "税务", "社保", "就业", "文化", "体育", "招标",
    "法人", "专利", "统计", "财政", "地震", "林业",
)  # fmt: skip
PHRASES = (
    "公交 线路", "养老 机构", "医疗 机构", "空气 质量", "企业 信息", "招标 公告", "行政 许可",
    "行政 处罚", "人口 普查", "学校 名单", "公共 资源 交易", "道路 运输", "公积金 缴存",
    "旅游 景区",
)  # fmt: skip
MISSES = ("量子引力", "火星基地 殖民", "恐龙化石", "独角兽牧场")


def queries(entries: list[Entry]) -> list[Query]:
    """≥ 50 queries from the corpus vocabulary: two-character words, several words, a word with
    a department or a format that has it (the most frequent words), page 2, no match."""
    rng = random.Random(SEED + 1)
    texts = [(e, f"{e.title} {e.notes} {' '.join(e.keywords)}") for e in entries]
    hits = {w: [e for e, text in texts if w in text] for w in WORDS}
    common = sorted(WORDS, key=lambda w: -len(hits[w]))
    out = [Query("word", w) for w in WORDS] + [Query("words", p) for p in PHRASES]
    for w in common[:6]:
        departments = Counter(e.department for e in hits[w]).most_common(5)
        out.append(Query("filter", w, organization=rng.choice(departments)[0]))
    for w in common[6:12]:
        formats = Counter(f.upper() for e in hits[w] for f in e.formats).most_common(3)
        out.append(Query("filter", w, res_format=rng.choice(formats)[0]))
    out += [Query("page2", w, start=20) for w in common[:8]]
    return out + [Query("none", m) for m in MISSES]


def build_datasette(db: Path, count: int) -> None:
    """The same records in one SQLite file, with an FTS5 table over jieba-cut title, notes and
    keywords (rowid = the records' rowid)."""
    import jieba

    jieba.setLogLevel(60)
    con = sqlite3.connect(db)
    cols = ", ".join(f"[{c}] TEXT" for c in COLUMNS)
    con.execute(f"CREATE TABLE records (rowid INTEGER PRIMARY KEY, {cols})")
    con.execute("CREATE VIRTUAL TABLE records_fts USING fts5(title, notes, keywords)")
    rows, fts = [], []
    for n, e in enumerate(records(count), start=1):
        texts = (e.title, e.notes, " ".join((e.department, e.topic, *e.keywords)))
        rows.append(
            (n, e.identifier, e.identifier, e.title, e.notes, e.department, e.topic, e.topic,
             "无条件开放", e.update_cycle, json.dumps([f.upper() for f in e.formats]),
             json.dumps(list(e.keywords), ensure_ascii=False), e.license_id, e.modified.isoformat())
        )  # fmt: skip
        cut = [" ".join(w for w in jieba.cut_for_search(t) if w.strip()) for t in texts]
        fts.append((n, *cut))
    marks = ", ".join("?" * (len(COLUMNS) + 1))
    con.executemany(f"INSERT INTO records VALUES ({marks})", rows)  # noqa: S608 - only marks
    con.executemany("INSERT INTO records_fts(rowid, title, notes, keywords) VALUES (?,?,?,?)", fts)
    for column in ("organization", "topic", "update_cycle", "license_id"):
        con.execute(f"CREATE INDEX records_{column} ON records([{column}])")
    con.commit()
    con.execute("VACUUM")
    con.close()


# -- the HTTP side: servers, 8 keep-alive clients, their figures (stdlib only) -----------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    """A GET on a keep-alive connection: (status, body); status 0 when the connection failed
    (it is opened again by the next request). A connection the server closed while it was idle
    (its keep-alive time is up) is opened again at once, as every HTTP client does."""
    for attempt in (1, 2):
        reused = connection.sock is not None
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if not reused or attempt == 2:
                return 0, b""
        except (OSError, http.client.HTTPException):
            connection.close()
            return 0, b""
    return 0, b""


def _worker_pids(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    """The processes serving requests: a master's children (gunicorn's workers), else itself."""
    pids = []
    for p in processes:
        children = Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()
        pids += [int(c) for c in children] or [p.pid]
    return pids


def _wait_up(process: subprocess.Popen[bytes], port: int, probe: str) -> None:
    deadline = time.monotonic() + 180
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while get(connection, probe)[0] != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start: {process.args!r}")
        time.sleep(0.3)
    connection.close()


@contextmanager
def serve(
    commands: list[list[str]], env: dict[str, str], ports: list[int], probe: str
) -> Iterator[Callable[[], list[int]]]:
    """Start the servers, wait until each answers ``probe``; yields the worker pids' getter.
    Their log is kept in a file, shown when one fails or logs a traceback."""
    with tempfile.TemporaryFile() as log:
        processes = [subprocess.Popen(c, env=env, stdout=log, stderr=log) for c in commands]
        try:
            for process, port in zip(processes, ports, strict=True):
                _wait_up(process, port, probe)
            yield lambda: _worker_pids(processes)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=60)
            log.seek(0)
            text = log.read().decode("utf-8", "replace")
            if "Traceback" in text or any(p.returncode not in (0, -15) for p in processes):
                print(f"--- server log, end ---\n{text[-3000:]}", file=sys.stderr)


def _client(port: int, paths: list[str], rounds: int, seed: int, out: list[Any], go: Any) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for path in paths:  # warm-up, not recorded
        get(connection, path)
    go.wait()
    order, rng = list(paths), random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(order)
        for path in order:
            started = time.perf_counter()
            status = get(connection, path)[0]
            out.append((time.perf_counter() - started, status))
    connection.close()


def _clients(ports: list[int], paths: list[str], rounds: int, seed: int) -> tuple[list, float]:
    """CLIENTS threads (client i on ports[i % len(ports)]); (latency, status) and wall time of
    the recorded part."""
    out: list[tuple[float, int]] = []
    marks: list[float] = []
    go = threading.Barrier(CLIENTS + 1)
    threads = [
        threading.Thread(
            target=_client, args=(ports[i % len(ports)], paths, rounds, seed + i, out, go)
        )
        for i in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    go.wait()
    marks.append(time.perf_counter())
    for t in threads:
        t.join()
    return out, time.perf_counter() - marks[0]


def measure(
    ports: list[int], paths: list[str], rounds: int, soak: int, pids: Callable[[], list[int]]
) -> dict[str, Any]:
    """Each query's first answer (one client, nothing kept yet), then latency percentiles and
    throughput of ``rounds`` rounds, then searches until ``soak`` in all were served, then the
    workers' resident memory (MB)."""
    first = []
    for path in paths:  # each query once on each port, one at a time
        for port in ports:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            started = time.perf_counter()
            get(connection, path)
            first.append((time.perf_counter() - started) * 1e3)
            connection.close()
    first_cuts = statistics.quantiles(sorted(first), n=100, method="inclusive")
    out, wall = _clients(ports, paths, rounds, SEED)
    served = len(out) + CLIENTS * len(paths)
    extra = max(0, soak - served)
    # the rounds (after its own warm-up pass) that bring the searches served to ``soak``
    soak_rounds = max(1, -(-extra // (CLIENTS * len(paths))) - 1) if extra else 0
    if soak_rounds:
        more, _ = _clients(ports, paths, soak_rounds, SEED + 100)
        served += len(more) + CLIENTS * len(paths)
    latencies = sorted(t * 1e3 for t, _ in out)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    memory = [_memory_mb(pid) for pid in pids()]
    return {
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "first_p50": first_cuts[49],
        "first_p95": first_cuts[94],
        "rps": len(out) / wall,
        "requests": len(out),
        "errors": sum(1 for _, status in out if status != 200),
        "statuses": dict(Counter(status for _, status in out if status != 200)),
        "served": served,
        "rss": [m["rss"] for m in memory],
        "pss": [m["pss"] for m in memory],
        "uss": [m["uss"] for m in memory],
    }


def _memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory (MB): all of it (RSS), its share of pages shared with other
    processes counted in proportion (PSS), and its own pages only (USS)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[name] = int(rest.split()[0]) / 1024
    own = fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)
    return {"rss": fields.get("Rss", 0.0), "pss": fields.get("Pss", 0.0), "uss": own}


def counts(port: int, paths: list[str]) -> list[str]:
    """Each query's number of results (the portal's or Datasette's), one request each."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    out = []
    for path in paths:
        status, raw = get(connection, path)
        if status != 200:
            out.append(f"HTTP {status}")
            continue
        body = json.loads(raw)
        count = body["result"]["count"] if "result" in body else body["filtered_table_rows_count"]
        out.append(f"{count}{' (facets timed out)' if body.get('facets_timed_out') else ''}")
    connection.close()
    return out


def main(argv: list[str]) -> None:
    if len(argv) != 4 or argv[0] != "datasette":
        raise SystemExit("usage: python -m bench.search_corpus datasette DB COUNT QUERIES_JSON")
    db, count, queries_json = Path(argv[1]), int(argv[2]), Path(argv[3])
    build_datasette(db, count)
    import jieba  # each query as a Datasette user types it: the jieba-cut words, space-joined

    texts = json.loads(queries_json.read_text(encoding="utf-8"))
    cut = {t: " ".join(w for w in jieba.cut(t) if w.strip()) for t in texts}
    print(json.dumps(cut, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
