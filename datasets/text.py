"""Markdown descriptions: rendered to sanitised HTML, or reduced to plain text for search."""

from __future__ import annotations

import html
import re

import markdown as markdown_lib
import nh3

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
_ALLOWED_ATTRS = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> str:
    """Markdown to HTML that is safe to show: no scripts, no event handlers, no raw HTML tricks.

    Tags outside a short allow-list are removed (scripts and styles with their content), event
    handler attributes are dropped, links get rel="nofollow noopener" and only http, https and
    mailto links survive.
    """
    if not text:
        return ""
    rendered = markdown_lib.markdown(text, extensions=["tables", "sane_lists"])
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )


def plain_text(text: str | None) -> str:
    """The readable words of a Markdown text, for search snippets and summaries."""
    if not text:
        return ""
    rendered = markdown_lib.markdown(text)
    stripped = nh3.clean(rendered, tags=set())
    return re.sub(r"\s+", " ", html.unescape(stripped)).strip()
