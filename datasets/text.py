"""Text from departments and users made safe to show: Markdown descriptions (sanitised HTML or
plain text for search) and the URLs the portal turns into links."""

from __future__ import annotations

import html
import re
import threading
from urllib.parse import urlsplit

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
# the only schemes a link built from harvested or user input may have (Markdown links included)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# what browsers drop from a URL before reading its scheme (WHATWG URL: C0 controls and space at
# the ends, tab and newlines anywhere), so "java\tscript:" is read as "javascript:"
_URL_STRIP = "".join(chr(c) for c in range(0x21))
_URL_DROP = re.compile(r"[\t\n\r]")


def safe_url(value: str | None) -> str:
    """``value`` if it is an absolute http, https or mailto URL, else ``""``.

    Harvested licence and source URLs pass through here before they reach any link, API answer
    or search document, so a ``javascript:``, ``data:`` or ``vbscript:`` URL is never offered
    to a browser or to a client that would link it.
    """
    if not value:
        return ""
    cleaned = _URL_DROP.sub("", str(value).strip(_URL_STRIP))
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in cleaned):
        return ""
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES:
        return ""
    if scheme in ("http", "https") and not parts.netloc:
        return ""
    if scheme == "mailto" and not parts.path:
        return ""
    return cleaned


def render_markdown(text: str | None) -> str:
    """Markdown to HTML that is safe to show: no scripts, no event handlers, no raw HTML tricks.

    Tags outside a short allow-list are removed (scripts and styles with their content), event
    handler attributes are dropped, links get rel="nofollow noopener" and only http, https and
    mailto links survive.
    """
    if not text:
        return ""
    rendered = _converter("pages", ["tables", "sane_lists"]).convert(text)
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes=set(LINK_SCHEMES),
        link_rel="nofollow noopener",
    )


_converters = threading.local()


def _converter(kind: str, extensions: list[str]) -> markdown_lib.Markdown:
    """This thread's Markdown converter of ``kind``, reset: making one (its extensions loaded)
    costs more than converting a text."""
    converter = getattr(_converters, kind, None)
    if converter is None:
        converter = markdown_lib.Markdown(extensions=extensions)
        setattr(_converters, kind, converter)
    return converter.reset()


# a character or line start that Markdown (or HTML inside it) may read as markup
_MARKUP = re.compile(r"[\\`*_\[\]<>&#!|~=+\-:]|^\s*\d+[.)]|^ {4}|\t|  \n", re.M)
_SPACE = re.compile(r"\s+")


def plain_text(text: str | None) -> str:
    """The readable words of a Markdown text, for search snippets and summaries."""
    if not text:
        return ""
    if _MARKUP.search(text) is None:  # nothing Markdown would read: its words as they are
        return _SPACE.sub(" ", text).strip()
    rendered = _converter("plain", []).convert(text)
    stripped = nh3.clean(rendered, tags=set())
    return _SPACE.sub(" ", html.unescape(stripped)).strip()
