"""What ``bench.load``'s virtual users do: the mix of actions, each one or two requests, with the
check of each answer's content (not only its status).

Kinds and weights: ``page`` 60 (home, dataset pages, the department list and a department's page,
a topic's page, the rules and transparency pages: mostly files nginx serves from the static
tree), ``search`` 20 (the search page and package_search with every facet), ``api`` 15
(package_show and organization_show, /api/v1 reads, datastore rows both ways), ``download`` 5
(public files, a few as a conversion), ``apply`` 0.5 (a company files an application for a
conditional dataset with its API key, then reads it back).
"""

from __future__ import annotations

import json
import random
import re
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench.applications_concurrent import BODY
from bench.load_http import Answer, Connection
from bench.search_corpus import queries
from bench.search_scale import FACETS
from bench.stack import Targets

BROWSER = {"Accept": "text/html", "Accept-Encoding": "gzip", "User-Agent": "kaifang-load"}
CLIENT = {"Accept": "application/json", "User-Agent": "kaifang-load"}
_SUCCESS = re.compile(rb'"success":\s*true')
WEIGHTS = {"page": 60.0, "search": 20.0, "api": 15.0, "download": 5.0, "apply": 0.5}

Record = Callable[[str, str, Answer, str], None]  # kind, label, answer, problem ("" when fine)


@dataclass
class Mix:
    """The targets, the search paths drawn from the corpus's queries, the application pairs."""

    targets: Targets
    searches: list[str]
    api_searches: list[str]
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (key, dataset) not yet filed

    @classmethod
    def of(cls, targets: Targets, seed: int) -> Mix:
        rng = random.Random(seed)
        words = [q.q for q in queries(targets.entries)] if targets.entries else []
        words += ["公交", "医疗", "教育", "环境", "企业 名录", "气象", "人口"]
        searches = [f"/search?{urlencode({'q': w})}" for w in words]
        searches += [f"/search?{urlencode({'q': w, 'page': 2})}" for w in words[:10]]
        facets = json.dumps(FACETS)
        api = [
            "/api/3/action/package_search?" + urlencode({"q": w, "rows": 20, "facet.field": facets})
            for w in words
        ]
        pairs = [(k, d) for k in targets.keys for d in targets.conditional]
        rng.shuffle(pairs)
        return cls(targets, searches, api, pairs)


def _html(answer: Answer) -> str:
    if answer.status != 200:
        return f"HTTP {answer.status}"
    body = answer.body
    if answer.headers.get("content-encoding") == "gzip":
        body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
    return "" if b"</html>" in body[-200:] else "not a whole page"


def _ckan(answer: Answer) -> str:
    if answer.status != 200:
        return f"HTTP {answer.status}"
    return "" if _SUCCESS.search(answer.body) else "no success"


def _json(answer: Answer) -> str:
    if answer.status != 200:
        return f"HTTP {answer.status}"
    return "" if answer.body[:1] in (b"{", b"[") else "not JSON"


def _file(answer: Answer) -> str:
    if answer.status != 200:
        return f"HTTP {answer.status}"
    return "" if answer.body else "empty file"


class User:
    """One virtual user: a connection, a random source, and where its answers go."""

    def __init__(self, mix: Mix, connection: Connection, rng: random.Random, record: Record):
        self.mix, self.connection, self.rng, self.record = mix, connection, rng, record

    def _pick(self, items: list[str]) -> str:
        return items[self.rng.randrange(len(items))]

    async def _get(
        self, kind: str, label: str, path: str, check: Callable[[Answer], str], head: dict
    ) -> Answer:
        answer = await self.connection.request("GET", path, head)
        self.record(kind, label, answer, answer.error or check(answer))
        return answer

    async def act(self) -> None:
        """One action of the mix, drawn by weight."""
        kinds = list(WEIGHTS)
        kind = self.rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
        if kind == "apply" and not self.mix.pairs:
            kind = "api"  # every company has filed for every conditional dataset
        actions: dict[str, Callable[[], Awaitable[Any]]] = {
            "page": self.page,
            "search": self.search,
            "api": self.api,
            "download": self.download,
            "apply": self.apply,
        }
        await actions[kind]()

    async def page(self) -> None:
        t, r = self.mix.targets, self.rng.random()
        if r < 0.10:
            label, path = "home", "/"
        elif r < 0.65:
            label, path = "dataset page", f"/dataset/{self._pick(t.datasets)}"
        elif r < 0.70:
            label, path = "department list", "/organization/"
        elif r < 0.85:
            label, path = "department page", f"/organization/{self._pick(t.departments)}"
        elif r < 0.93:
            label, path = "topic page", f"/search?{urlencode({'topic': self._pick(t.topics)})}"
        else:
            label, path = "site page", self._pick(["/rules", "/transparency", "/api", "/reuses"])
        await self._get("page", label, path, _html, BROWSER)

    async def search(self) -> None:
        if self.rng.random() < 0.5:
            await self._get("search", "search page", self._pick(self.mix.searches), _html, BROWSER)
        else:
            path = self._pick(self.mix.api_searches)
            await self._get("search", "package_search", path, _ckan, CLIENT)

    async def api(self) -> None:
        t, r = self.mix.targets, self.rng.random()
        if r < 0.35:
            path = f"/api/3/action/package_show?id={self._pick(t.datasets)}"
            await self._get("api", "package_show", path, _ckan, CLIENT)
        elif r < 0.45:
            path = f"/api/3/action/organization_show?id={self._pick(t.departments)}"
            await self._get("api", "organization_show", path, _ckan, CLIENT)
        elif r < 0.70:
            path = f"/api/v1/resources/{self._pick(t.tables)}/rows?_size=20"
            await self._get("api", "/api/v1 rows", path, _json, CLIENT)
        elif r < 0.85:
            path = f"/api/3/action/datastore_search?resource_id={self._pick(t.tables)}&limit=20"
            await self._get("api", "datastore_search", path, _ckan, CLIENT)
        else:
            path = self._pick(["/api/v1/reuses", "/api/v1/agreement"])
            await self._get("api", "/api/v1 reads", path, _json, CLIENT)

    async def download(self) -> None:
        path = self._pick(self.mix.targets.files)
        if self.rng.random() < 0.15 and path.endswith(".csv"):
            await self._get("download", "conversion", path + "?format=json", _file, CLIENT)
        else:
            await self._get("download", "public file", path, _file, {"User-Agent": "curl"})

    async def apply(self) -> None:
        key, dataset = self.mix.pairs.pop()
        head = {**CLIENT, "Authorization": key, "Content-Type": "application/json"}
        body = json.dumps({**BODY, "dataset": dataset}).encode()
        answer = await self.connection.request("POST", "/api/v1/applications", head, body)
        filed = answer.status == 201 and b'"id"' in answer.body
        problem = answer.error or ("" if filed else f"HTTP {answer.status}")
        self.record("apply", "file an application", answer, problem)
        if filed:
            ident = json.loads(answer.body)["id"]
            path = f"/api/v1/applications/{ident}"
            await self._get("apply", "read it back", path, _json, head)
