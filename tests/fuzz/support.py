"""What the fuzz tests share: their hypothesis profiles, the property every parser of harvested
input must keep, a deadline that interrupts a hang, and strategies that damage real documents.

The property: reading an object either succeeds, with text a database can store, or fails with
the project's own per-object error (``ValidationError``, of which the table reader's
``TableError`` is one, or ``SourceError``, of which the HTTP client's ``FetchError`` is one).
Any other exception, a hang past ``DEADLINE`` seconds or memory growing past ``MAX_GROWTH_MB``
fails the test.

Profiles: ``kaifang-fuzz-ci`` (the default) is deterministic (``derandomize``), keeps no example
database and runs the few examples each test names, so all of them finish in well under 90 s.
``KAIFANG_FUZZ_EXAMPLES=N`` selects ``kaifang-fuzz-long``: N fresh random examples per test.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from datasets.errors import SourceError, ValidationError

EXAMPLES_VARIABLE = "KAIFANG_FUZZ_EXAMPLES"
DEADLINE = 20  # seconds one example may take before it counts as a hang
MAX_GROWTH_MB = 400  # growth of the process's peak memory over one fuzz test
PER_OBJECT_ERRORS = (ValidationError, SourceError)

_LONG = os.environ.get(EXAMPLES_VARIABLE, "").strip()
_CHECKS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "kaifang-fuzz-ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=_CHECKS,
)
settings.register_profile(
    "kaifang-fuzz-long",
    max_examples=int(_LONG) if _LONG.isdigit() and int(_LONG) > 0 else 1000,
    derandomize=False,
    database=None,
    deadline=None,
    suppress_health_check=_CHECKS,
)
PROFILE = "kaifang-fuzz-long" if _LONG else "kaifang-fuzz-ci"


def fuzz(examples: int) -> settings:
    """The settings of one fuzz test: ``examples`` in CI, the long profile's count otherwise."""
    parent = settings.get_profile(PROFILE)
    if _LONG:
        return settings(parent)
    return settings(parent, max_examples=examples)


class Hang(BaseException):
    """An example ran past its deadline (a BaseException: no ``except Exception`` hides it)."""


@contextmanager
def within(seconds: float = DEADLINE) -> Iterator[None]:
    """Interrupt the block with ``Hang`` after ``seconds`` (the tests run in the main thread)."""

    def expire(_signum: int, _frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


T = TypeVar("T")


def parsed_or_held(read: Callable[[], T], seconds: float = DEADLINE) -> T | None:
    """``read()``'s result, or None when it failed with a per-object error; anything else
    (another exception, a hang) propagates and fails the example."""
    with within(seconds):
        try:
            return read()
        except PER_OBJECT_ERRORS as exc:
            assert exc.message.strip(), "a per-object error without a reason"
            return None


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def unstorable_text(value: Any, where: str = "record") -> list[str]:
    """Where ``value`` (a record, dicts, lists, dataclasses) holds text no database keeps."""
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _UNSTORABLE.search(node):
                found.append(f"{path}: {node[:60]!r}")
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            stack.extend(
                (getattr(node, f.name), f"{path}.{f.name}") for f in dataclasses.fields(node)
            )
        elif isinstance(node, dict):
            for key, item in node.items():
                stack.append((key, f"{path}[key]"))
                stack.append((item, f"{path}[{str(key)[:20]!r}]"))
        elif isinstance(node, list | tuple):
            stack.extend((item, f"{path}[{n}]") for n, item in enumerate(node))
    return found


def assert_storable(value: Any, where: str = "record") -> None:
    bad = unstorable_text(value, where)
    assert not bad, f"text a database cannot store: {bad[:3]}"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- strategies ---------------------------------------------------------------------------

NASTY_CHARS = "\x00\x01\x0b\x1b\x7f\ud800\udfff\ufeff\u202e\u3000\xa0\n\r\t\"\\<>&'"
nasty_text = st.text(alphabet=st.one_of(st.sampled_from(NASTY_CHARS), st.characters()), max_size=40)
long_text = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["a", "数", "\x00", "\ud800", " ", "<"]),
    st.integers(1_000, 200_000),
)


def _deep(depth: int, leaf: Any, kind: str) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


deep_value = st.builds(
    _deep, st.integers(50, 500), st.sampled_from([None, "x", 1]), st.sampled_from(["list", "dict"])
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
    st.sampled_from(["", " ", "暂无", "null", "[]", "['a', 'b'", "2024-13-45", "R/P1D", "http://"]),
)
hostile_values = st.recursive(
    st.one_of(scalars, long_text, deep_value),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def paths_of(document: Any, limit: int = 400) -> list[tuple[Any, ...]]:
    """The paths to every value of a decoded JSON document (breadth first, at most ``limit``)."""
    found: list[tuple[Any, ...]] = [()]
    queue: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    while queue and len(found) < limit:
        path, node = queue.pop(0)
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, item in items:
            found.append((*path, key))
            queue.append(((*path, key), item))
    return found


def _apply(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action != "delete" else None
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "wrap":
        parent[key] = [parent[key]]
    elif action == "rekey" and isinstance(parent, dict):
        parent[value if isinstance(value, str) else str(value)[:40]] = parent.pop(key)
    else:
        parent[key] = value
    return document


@st.composite
def mutated(draw: st.DrawFn, seed: Any, *, mutations: int = 6) -> Any:
    """A copy of the decoded ``seed`` with up to ``mutations`` values replaced by hostile
    ones, deleted, wrapped in a list or given a hostile key."""
    document = json.loads(json.dumps(seed))
    for _ in range(draw(st.integers(1, mutations))):
        paths = paths_of(document)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "wrap", "rekey"]))
        if not path and action in ("delete", "wrap", "rekey"):
            continue
        document = _apply(document, path, action, draw(hostile_values))
    return document


def _dumps(value: Any, ascii_only: bool) -> str:
    try:
        return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    except (ValueError, RecursionError):  # too deep or an integer too long to write
        return json.dumps(None)


@st.composite
def json_bytes(draw: st.DrawFn, value: Any) -> bytes:
    """``value`` written as JSON and then, maybe, damaged: another encoding, a BOM, lone
    surrogates as raw bytes, cut short, bytes flipped, or wrapped in deep nesting."""
    text = _dumps(value, draw(st.booleans()))
    codec = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-32-le", "gb18030"]))
    body = text.encode(codec, errors="surrogatepass" if codec.startswith("utf") else "replace")
    damage = draw(st.sampled_from(["none", "none", "cut", "flip", "nest", "digits", "nul"]))
    if damage == "cut" and body:
        body = body[: draw(st.integers(0, len(body) - 1))]
    elif damage == "flip" and body:
        at = draw(st.integers(0, len(body) - 1))
        body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
    elif damage == "nest":
        depth = draw(st.integers(100, 100_000))
        body = b"[" * depth + body + b"]" * depth
    elif damage == "digits":
        body = b'{"result": ' + b"9" * draw(st.integers(4_000, 50_000)) + b"}"
    elif damage == "nul":
        body = body.replace(b'"', b'"\x00', 1)
    return body
