"""The OpenAPI document speaks Chinese: every ``summary`` and ``description`` in it is shown to
users on the 开发者中心 (/api), so none may be English prose, and neither may the page's own text.
Latin technical terms (API, JSON, CSV, CKAN, field names, ``GET /path``) are fine inside Chinese
text, and code (the examples) is not prose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

from portal.api.openapi import document
from tests.factories import make_runtime

CJK = re.compile(r"[\u3400-\u9fff]")
WORD = r"[A-Za-z]+"
# two Latin words in a row (a text without Chinese) or three lower-case ones (anywhere)
TWO_WORDS = re.compile(rf"(?<![\w`./{{-]){WORD}\s+{WORD}(?![\w`/}}-])")
THREE_LOWER = re.compile(r"(?<![\w`./{-])[a-z]+(?:\s+[a-z]+){2}(?![\w`/}-])")


def english_prose(text: str) -> bool:
    """Whether ``text`` is (or carries) English prose rather than Chinese."""
    if THREE_LOWER.search(text):
        return True
    return not CJK.search(text) and bool(TWO_WORDS.search(text))


def texts(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every ``summary`` and ``description`` string of ``node``, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("summary", "description") and isinstance(value, str):
                yield f"{where}/{key}", value
            yield from texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from texts(item, f"{where}[{i}]")


class _Prose(HTMLParser):
    """The text of a page a reader sees as prose: not inside code, pre or script."""

    CODE = ("code", "pre", "script", "style")

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in self.CODE
        self.texts += [v for k, v in attrs if k in ("title", "aria-label") and v]

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self.CODE

    def handle_data(self, data: str) -> None:
        if not self.depth and data.strip():
            self.texts.append(data.strip())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from portal.app import create_app

    rt = make_runtime(tmp_path_factory.mktemp("openapi") / "instance")
    made = create_app({"instance": str(rt.paths.root)})
    made.config.update(TESTING=True)
    yield made
    rt.close()


@pytest.fixture(scope="module")
def doc(app: Any) -> dict[str, Any]:
    with app.test_request_context():
        return document("http://localhost")


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("The caller's grants", True),
        ("CKAN envelope", True),
        ("Name or id of a conditional (有条件开放) dataset", True),
        ("OpenAPI", False),
        ("本文档（OpenAPI 3.1）", False),
        ("兼容 CKAN Action API 第 3 版的接口", False),
        ("当前版本（GET /api/v1/agreement）", False),
        ("`decisions`、`count`、`page`、`pages`", False),
        ("json（默认）或 csv", False),
    ],
)
def test_the_rule_tells_english_from_chinese(text: str, english: bool) -> None:
    assert english_prose(text) is english


def test_no_summary_or_description_is_english_prose(doc: dict[str, Any]) -> None:
    found = list(texts(doc))
    assert len(found) > 100  # the walk reached the paths and the schemas
    english = [f"{where}: {text}" for where, text in found if english_prose(text)]
    assert not english, "\n".join(english)


def test_the_title_and_every_operation_have_chinese_text(doc: dict[str, Any]) -> None:
    assert CJK.search(doc["info"]["title"]) and CJK.search(doc["info"]["description"])
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert CJK.search(op["summary"]), (method, path)
            for code, answer in op["responses"].items():
                assert CJK.search(answer["description"]), (method, path, code)


def test_the_developer_centre_shows_no_english_prose(app: Any, doc: dict[str, Any]) -> None:
    response = app.test_client().get("/api")
    assert response.status_code == 200
    parser = _Prose()
    parser.feed(response.get_data(as_text=True))
    shown = parser.texts
    assert doc["paths"]["/api/v1/agreement"]["get"]["summary"] in shown  # the summaries are prose
    english = [text for text in shown if english_prose(text)]
    assert not english, english
