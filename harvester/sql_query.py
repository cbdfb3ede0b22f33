"""Checking what a sql source may run: one read-only SELECT, or one table by its name."""

from __future__ import annotations

import re

from datasets.errors import ValidationError

_IDENTIFIER = re.compile(r"[^\W\d]\w{0,62}")


# A query is read token by token: comments, string literals and quoted identifiers are skipped, so
# words inside them do not count.
_QUERY_TOKENS = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<literal>'(?:[^']|'')*'|\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$)
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`)
    | (?P<word>[^\W\d]\w*)
    | (?P<semicolon>;)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


# statements (or clauses) that change data or the database; a column with such a name must be
# written as a quoted identifier
_WRITING_WORDS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "UPSERT",
        "DROP",
        "CREATE",
        "ALTER",
        "TRUNCATE",
        "GRANT",
        "REVOKE",
        "COPY",
        "INTO",
        "CALL",
        "EXEC",
        "EXECUTE",
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "VACUUM",
        "LOCK",
    }
)


def check_query(query: str) -> str:
    """The query without a trailing semicolon, if it is a single read-only SELECT/WITH
    statement; raises ``ValidationError`` with the reason otherwise."""
    words: list[str] = []
    end = len(query)
    semicolon_at: int | None = None
    for match in _QUERY_TOKENS.finditer(query):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        if semicolon_at is not None:
            raise _query_error("查询只能是一条语句（分号后还有内容）")
        if kind == "semicolon":
            semicolon_at = match.start()
        elif kind == "word":
            words.append(match.group().upper())
        elif kind == "other" and match.group() in ("'", '"', "`"):
            raise _query_error("查询语句不完整（引号未闭合）")
        elif kind == "other" and query.startswith("/*", match.start()):
            raise _query_error("查询语句不完整（注释未闭合）")
    if semicolon_at is not None:
        end = semicolon_at
    if not words or words[0] not in ("SELECT", "WITH"):
        shown = words[0] if words else "（空）"
        raise _query_error(f"查询只能是一条 SELECT（或 WITH … SELECT）语句，不能是 {shown}")
    writing = sorted(set(words) & _WRITING_WORDS)
    if writing:
        raise _query_error(
            f"查询只能读取数据，不能包含 {'、'.join(writing)}（如为列名，请加双引号）"
        )
    return query[:end].strip()


def _query_error(message: str) -> ValidationError:
    return ValidationError(message, {"query": [message]})


def split_table(name: str) -> tuple[str | None, str]:
    """(schema, table) of a plain, optionally schema-qualified table name; refuses anything
    else (quotes, spaces, semicolons …) — the name is later quoted by the dialect, never
    pasted into SQL."""
    parts = name.strip().split(".")
    if len(parts) > 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        message = f"表名须为普通标识符（可带模式名，如 public.licences）：{name}"
        raise ValidationError(message, {"table": [message]})
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
