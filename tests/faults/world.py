"""An instance for the fault tests' load: the services catalog (two conditional datasets of the
health department, an open one), a reviewer of that department and a few companies, each with
an API key; and the clients that file, document, decide and sign applications over HTTP,
noting what they were told."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from tests.api_world import APPLICATION, PASSWORD
from tests.factories import credit_code, make_runtime, services_catalog
from tests.faults.stack import Answer, request

PDF = b"%PDF-1.4\n% supporting document\n" + b"0" * 2048 + b"\n%%EOF\n"


def build(instance: Path, database_url: str, companies: int) -> dict[str, Any]:
    """{"rt", "keys" (reviewer and company-N), "datasets" (the two conditional ones), "open"}."""
    rt = make_runtime(instance, database_url=database_url)
    names = services_catalog(rt, instance.parent)
    create_user(rt, name="reviewer", password=PASSWORD, role="reviewer", department=names["health"])
    keys = {"reviewer": create_api_key(rt, user_name="reviewer")["key"]}
    for n in range(companies):
        name = f"company-{n}"
        create_user(
            rt,
            name=name,
            password=PASSWORD,
            role="company",
            company_name=f"江州第{n}数据科技有限公司",
            credit_code=credit_code(100 + n),
            legal_representative="王五",
            phone="13800138000",
        )
        keys[name] = create_api_key(rt, user_name=name)["key"]
    datasets = [names["conditional"], names["conditional2"]]
    return {"rt": rt, "keys": keys, "datasets": datasets, "open": names["open"]}


@dataclass
class Filed:
    """One application as its client knows it: what was sent and which steps were answered
    as done (``told``) or refused with 503 (``refused``)."""

    company: str
    dataset: str
    purpose: str
    id: str | None = None
    told: list[str] = field(default_factory=list)
    status: str = ""
    documents: list[str] = field(default_factory=list)  # file names told stored
    refused_documents: list[str] = field(default_factory=list)


@dataclass
class Ledger:
    """Everything the clients were told, with the time each request began."""

    filed: list[Filed] = field(default_factory=list)
    refused_purposes: list[str] = field(default_factory=list)
    # (began, ended, what, status) of every answer
    answers: list[tuple[float, float, str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, began: float, what: str, status: int) -> None:
        with self.lock:
            self.answers.append((began, time.monotonic(), what, status))

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def unavailable_problem(answer: Answer, html: bool) -> str | None:
    """What is wrong with a 503 answer (None when it is the portal's clean one)."""
    if not answer.headers.get("retry-after", "").isdigit():
        return "503 without a Retry-After in seconds"
    if html:
        if "text/html" not in answer.headers.get("content-type", ""):
            return "503 page is not HTML"
        if "服务暂时不可用" not in answer.text() or "稍后" not in answer.text():
            return "503 page without its Chinese message"
        return None
    import json

    try:
        body = json.loads(answer.body)
    except ValueError:
        return "503 answer is not JSON"
    error = body.get("error") or {}
    if body.get("success") is not False or not error.get("message") or "__type" not in error:
        return f"503 answer outside the error shape: {body}"
    return None


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; '
        f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), boundary


class Client:
    """A company applying for one dataset again and again while ``running``: file, attach a
    document, have the reviewer decide (approve and refuse by turns), sign what is approved.
    A 503 is retried after a pause, as its Retry-After asks; anything else unexpected is a
    problem."""

    def __init__(
        self, port: int, world: dict[str, Any], ledger: Ledger, company: str, dataset: str
    ) -> None:
        self.port, self.world, self.ledger = port, world, ledger
        self.company, self.dataset = company, dataset
        self.running = True
        self.turn = 0

    def call(
        self, who: str, method: str, path: str, body: Any = None, html: bool = False
    ) -> Answer | None:
        """The answer, or None after a clean 503 (anything else wrong is noted)."""
        import json

        headers = {"Authorization": self.world["keys"][who]}
        data = None
        if isinstance(body, tuple):
            data, boundary = body
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        began = time.monotonic()
        try:
            answer = request(self.port, method, path, body=data, headers=headers)
        except OSError as exc:
            self.ledger.problem(f"{method} {path}: no answer ({exc!r})")
            return None
        self.ledger.note(began, path, answer.status)
        if answer.status == 503:
            if found := unavailable_problem(answer, html):
                self.ledger.problem(f"{method} {path}: {found}")
            return None
        return answer

    def step(self, filed: Filed, who: str, name: str, body: dict[str, Any]) -> bool:
        """Take a step until it is answered (True) or the load ends (False)."""
        while self.running:
            path = f"/api/v1/applications/{filed.id}/{name}"
            answer = self.call(who, "POST", path, body)
            if answer is None:
                time.sleep(0.2)
                continue
            if answer.status != 200:
                self.ledger.problem(f"{name} of {filed.id}: {answer.status} {answer.text()}")
                return False
            filed.told.append(name)
            filed.status = json_of(answer)["status"]
            return True
        return False

    def run(self) -> None:
        while self.running:
            filed = self.submit()
            if filed is None:
                continue
            if not self.attach(filed):
                return
            self.turn += 1
            approve = self.turn % 2 == 1
            decision = (
                {"decision": "approve", "reason": "符合开放条件"}
                if approve
                else {"decision": "refuse", "reason": "不符合条件", "rule_code": "unmet-condition"}
            )
            if not self.step(filed, "reviewer", "decision", decision):
                return
            if approve:
                version = self.agreement()
                sign = {"agreement_version": version, "accept": True}
                if version is None or not self.step(filed, self.company, "sign", sign):
                    return

    def submit(self) -> Filed | None:
        purpose = f"负载下的研究 {uuid.uuid4().hex[:12]}"
        body = {**APPLICATION, "purpose": purpose, "dataset": self.dataset}
        answer = self.call(self.company, "POST", "/api/v1/applications", body)
        if answer is None:
            with self.ledger.lock:
                self.ledger.refused_purposes.append(purpose)
            time.sleep(0.2)
            return None
        if answer.status != 201:
            self.ledger.problem(f"submit: {answer.status} {answer.text()}")
            self.running = False
            return None
        created = json_of(answer)
        filed = Filed(self.company, self.dataset, purpose, created["id"], ["submit"])
        filed.status = created["status"]
        with self.ledger.lock:
            self.ledger.filed.append(filed)
        return filed

    def attach(self, filed: Filed) -> bool:
        while self.running:
            name = f"证明材料-{uuid.uuid4().hex[:8]}.pdf"
            path = f"/services/application/{filed.id}/attachments"
            answer = self.call(self.company, "POST", path, multipart(name, PDF), html=True)
            if answer is None:
                filed.refused_documents.append(name)
                time.sleep(0.2)
                continue
            if answer.status != 303:
                self.ledger.problem(f"attach to {filed.id}: {answer.status}")
                return False
            filed.documents.append(name)
            return True
        return False

    def agreement(self) -> str | None:
        while self.running:
            answer = self.call(self.company, "GET", "/api/v1/agreement")
            if answer is not None:
                return str(json_of(answer)["version"])
            time.sleep(0.2)
        return None


def json_of(answer: Answer) -> Any:
    import json

    return json.loads(answer.body)


def run_all(workers: list[Callable[[], None]]) -> list[threading.Thread]:
    threads = [threading.Thread(target=w, daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    return threads
