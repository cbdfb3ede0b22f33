"""A CKAN Action API on 127.0.0.1 for harvester tests, serving REAL package dicts.

The packages come from recorded responses of real portals (``shared/realdata``: dados.gov.br,
demo.ckan.org, data.gov.uk, HDX). Their resource URLs are rewritten to this server, which serves
small real data files, so no test ever reaches an outside host. Switches on the server let a
test break it in the ways real portals break: 500s, malformed JSON, slow answers, malformed
packages, huge files, a ``start`` parameter that is ignored.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
FIXTURES = REALDATA / "frictionless-py-fixtures"
XLOADER = REALDATA / "ckanext-xloader-samples"

# real tables served for the resources, each at most once per format as a real portal's
# datasets each have their own files (the same bytes under two datasets is a duplicate, which
# the publish gates hold): CSV resources get them as they are, JSON ones as a JSON array of rows
CSV_FILES = (
    FIXTURES / "table.csv",
    FIXTURES / "country-1.csv",
    FIXTURES / "capital-valid.csv",
    XLOADER / "date_formats.csv",
    FIXTURES / "country-2.csv",
    FIXTURES / "country-3.csv",
    FIXTURES / "table-infer-utf8.csv",
    FIXTURES / "unique-field.csv",
    FIXTURES / "leading-zeros.csv",
    FIXTURES / "nested.csv",
    FIXTURES / "issue-1105-timezone.csv",
    XLOADER / "mixed_numeric_string_sample.csv",
    XLOADER / "sample_with_quoted_commas.csv",
    XLOADER / "german_sample.csv",
)
OTHER_FILES = {
    "json": FIXTURES / "table.json",
    "xlsx": FIXTURES / "table.xlsx",
    "xls": XLOADER / "simple.xls",
}


def served_bytes(kind: str, turn: int) -> bytes:
    """The file served for the ``turn``-th resource of a kind: a CSV of the pool, the same
    table as JSON rows, or the one real file of the other formats."""
    if kind not in ("csv", "json"):
        return OTHER_FILES[kind].read_bytes()
    table = CSV_FILES[turn % len(CSV_FILES)]
    if kind == "csv":
        return table.read_bytes()
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


LINK_FORMATS = ("html", "api", "")


def real_packages() -> list[dict[str, Any]]:
    """15 package dicts as real portals returned them (resources untouched)."""
    packages = []
    search = _json("ckan-api-dadosgovbr/package_search_q_all.json")
    packages += search["result"]["results"]
    for path in sorted((REALDATA / "ckan-api-demo-ckan-org").glob("package_show_*.json")):
        packages.append(json.loads(path.read_text(encoding="utf-8"))["result"])
    packages.append(_json("ckan-api-datagovuk/example_responses/package_show.json")["result"])
    packages.append(_json("ckan-api-hdx/package_show_result_unesco-data-for-zimbabwe.json"))
    return packages


def not_found_body() -> bytes:
    return (REALDATA / "ckan-api-dadosgovbr/error404_package_show.json").read_bytes()


def _json(relative: str) -> Any:
    return json.loads((REALDATA / relative).read_text(encoding="utf-8"))


def _kind(resource: dict[str, Any]) -> str:
    fmt = str(resource.get("format") or "").strip().lower()
    if "api" in fmt.split() or fmt in LINK_FORMATS:
        return "link"
    return fmt if fmt == "csv" or fmt in OTHER_FILES else "other"


def ckan_time(moment: datetime | None = None) -> str:
    """A timestamp as CKAN writes metadata_modified (UTC, no zone)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


class CkanServer:
    """The portal. ``url`` is its base URL; ``packages`` maps id → package dict."""

    def __init__(self) -> None:
        self.packages: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.turns: Counter[str] = Counter()  # files served so far, by format
        self.hits: Counter[str] = Counter()  # request path → count
        self.searches: list[dict[str, str]] = []  # parameters of each package_search
        # switches
        self.fail_pages: dict[int, int] = {}  # start → 500 answers left (-1: always)
        self.malformed_json = False  # every API answer is cut off
        self.not_an_envelope = False  # API answers are JSON but not CKAN's envelope
        self.delay = 0.0  # seconds every API answer waits
        self.broken: list[Any] = []  # malformed entries listed after the packages
        self.big_files: dict[str, int] = {}  # file name → bytes streamed (no Content-Length)
        self.declared: set[str] = set()  # big files whose Content-Length is sent
        self.ignore_start = False
        self.ignore_fl = False
        self.refuse_sort_by_id = False  # answer 409 to sort=id asc (as our own portal does)
        self.redirects: dict[str, str] = {}  # request path → URL it redirects to (302)
        self._stop = threading.Event()
        handler = type("Handler", (_Handler,), {"ckan": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> CkanServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- content -------------------------------------------------------------------------

    def add(self, package: dict[str, Any], *, max_files: int = 2) -> dict[str, Any]:
        """Serve ``package`` (a copy) with at most ``max_files`` data files and one link, their
        URLs rewritten to this server. Returns the served dict."""
        pkg = copy.deepcopy(package)
        kept, files, link = [], 0, False
        for res in pkg.get("resources") or []:
            kind = _kind(res)
            if not res.get("url"):
                pass  # kept as it is: a resource without a URL
            elif kind == "link" and not link:
                link = True
                res["url"] = f"{self.url}/pages/{res.get('id', len(kept))}"
            elif kind in ("csv", *OTHER_FILES) and files < max_files:
                name = f"{pkg['name']}-{len(kept)}.{kind}"
                self.files[name] = served_bytes(kind, self.turns[kind])
                self.turns[kind] += 1
                res["url"] = f"{self.url}/files/{name}"
                files += 1
            else:
                continue
            for key in ("download_url", "alt_url", "hdx_rel_url", "cache_url"):
                res.pop(key, None)  # nothing in a served dict points outside
            kept.append(res)
        pkg["resources"] = kept
        pkg["num_resources"] = len(kept)
        self.packages[pkg["id"]] = pkg
        return pkg

    def touch(self, package_id: str, **changes: Any) -> None:
        """Change a package now (as an editor would): new values, new metadata_modified."""
        self.packages[package_id].update(changes)
        self.packages[package_id]["metadata_modified"] = ckan_time()

    def file_requests(self) -> int:
        return sum(n for path, n in self.hits.items() if path.startswith("/files/"))

    def search_params(self, name: str) -> list[str]:
        return [s.get(name, "") for s in self.searches]

    # -- the API -------------------------------------------------------------------------

    def package_search(self, params: dict[str, str]) -> tuple[int, Any]:
        self.searches.append(params)
        start = int(params.get("start") or 0)
        left = self.fail_pages.get(start, 0)
        if left:
            self.fail_pages[start] = left - 1 if left > 0 else left
            return 500, {"success": False, "error": {"message": "Internal Server Error"}}
        sort = params.get("sort", "")
        if sort == "id asc" and self.refuse_sort_by_id:
            return 409, {"success": False, "error": {"sort": ["unsupported"]}}
        packages = list(self.packages.values())
        if sort in ("id asc", "name asc"):
            packages.sort(key=lambda p: p[sort.split()[0]])
        fq = params.get("fq", "")
        since = re.search(r"metadata_modified:\[(\S+) TO \*\]", fq)
        if since:
            moment = datetime.fromisoformat(since.group(1).replace("Z", "+00:00"))
            packages = [p for p in packages if _modified(p) >= moment]
        organization = re.search(r'organization:"?([^"\s]+)"?', fq)
        if organization:
            packages = [
                p for p in packages if (p.get("organization") or {}).get("name") == organization[1]
            ]
        entries = [*packages, *self.broken]
        rows = int(params.get("rows") or 10)
        first = 0 if self.ignore_start else start
        page = entries[first : first + rows]
        if params.get("fl") == "id" and not self.ignore_fl:
            page = [{"id": p["id"]} for p in page if isinstance(p, dict) and "id" in p]
        result = {
            "count": len(entries),
            "sort": sort or "score desc, metadata_modified desc",
            "facets": {},
            "results": page,
            "search_facets": {},
        }
        return 200, self._envelope("package_search", result)

    def package_show(self, params: dict[str, str]) -> tuple[int, Any]:
        wanted = params.get("id", "")
        for pkg in self.packages.values():
            if wanted in (pkg["id"], pkg.get("name")):
                return 200, self._envelope("package_show", pkg)
        return 404, json.loads(not_found_body())

    def _envelope(self, action: str, result: Any) -> dict[str, Any]:
        help_url = f"{self.url}/api/3/action/help_show?name={action}"
        return {"help": help_url, "success": True, "result": result}

    def wait(self, seconds: float) -> None:
        self._stop.wait(seconds)


def _modified(pkg: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(pkg["metadata_modified"]).replace(tzinfo=UTC)


class _Handler(BaseHTTPRequestHandler):
    ckan: CkanServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — quiet tests
        pass

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        parts = urlsplit(self.path)
        self.ckan.hits[parts.path] += 1
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            if parts.path in self.ckan.redirects:
                self.send_response(302)
                self.send_header("Location", self.ckan.redirects[parts.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif parts.path.startswith("/api/3/action/"):
                self._api(parts.path.rsplit("/", 1)[-1], params)
            elif parts.path.startswith("/files/"):
                self._file(parts.path.removeprefix("/files/"))
            elif parts.path.startswith("/pages/"):
                self._send(200, b"<html><body>a web page</body></html>", "text/html")
            else:
                self._send(404, b"not found", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size limit)

    def _api(self, action: str, params: dict[str, str]) -> None:
        if self.ckan.delay:
            self.ckan.wait(self.ckan.delay)
        handler = {
            "package_search": self.ckan.package_search,
            "package_show": self.ckan.package_show,
        }
        if action not in handler:
            status, body = 400, {"success": False, "error": {"message": f"unknown {action}"}}
        else:
            status, body = handler[action](params)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if self.ckan.malformed_json and status == 200:
            data = data[: len(data) // 2]
        elif self.ckan.not_an_envelope and status == 200:
            data = b'{"data": [], "total": 0}'
        self._send(status, data, "application/json;charset=utf-8")

    def _file(self, name: str) -> None:
        if name in self.ckan.big_files:
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            if name in self.ckan.declared:
                self.send_header("Content-Length", str(self.ckan.big_files[name]))
            self.end_headers()
            line = b"id,value\n" + b"1,abcdefghijklmnopqrstuvwxyz0123456789\n" * 1700
            left = self.ckan.big_files[name]
            while left > 0:
                chunk = line[:left]
                self.wfile.write(chunk)
                left -= len(chunk)
            return
        if name not in self.ckan.files:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, self.ckan.files[name], "application/octet-stream")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
