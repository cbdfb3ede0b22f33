"""JSON as sources send it, decoded once for every kind: a clear error for anything Python's
decoder refuses (bad syntax, bytes that are not UTF-8, nesting deeper than ``MAX_DEPTH``, a
number with more digits than Python converts), and text a database can keep (control
characters and lone surrogates replaced, see ``normalise.storable``), keys included.
"""

from __future__ import annotations

import json
from typing import Any

from harvester.normalise import storable

MAX_DEPTH = 200  # levels of nesting a harvested JSON document may have


class JsonInputError(ValueError):
    """A JSON document cannot be used; ``reason`` is one Chinese line (no location)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The decoded document (UTF-8, UTF-16 or UTF-32 as JSON allows), with its text made storable.
    Raises ``JsonInputError``."""
    if isinstance(data, bytes):
        codec = json.detect_encoding(data)  # UTF-8 (with or without BOM), UTF-16 or UTF-32
        try:
            data = data.decode(codec)
        except UnicodeDecodeError:
            raise JsonInputError(f"含有无法按 {codec.upper()} 解码的字节") from None
    else:
        data = data.removeprefix("\ufeff")
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}") from None
    except RecursionError:
        raise JsonInputError(f"嵌套超过 {max_depth} 层") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise JsonInputError(f"含有无法读取的数值（{str(exc)[:80]}）") from None
    return storable_tree(value, max_depth=max_depth)


def storable_tree(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """``value`` with every string (keys too) made storable; ``JsonInputError`` when lists and
    objects nest deeper than ``max_depth``. Works without recursion, in place."""
    if isinstance(value, str):
        return storable(value)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if depth > max_depth:
            raise JsonInputError(f"嵌套超过 {max_depth} 层")
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = storable(item)
                else:
                    stack.append((item, depth + 1))
            continue
        items = list(node.items())
        node.clear()
        for key, item in items:
            node[storable(key)] = storable(item) if isinstance(item, str) else item
            stack.append((item, depth + 1))
    return value
