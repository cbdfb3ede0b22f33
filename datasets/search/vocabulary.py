"""The catalog's own vocabulary (words of public titles and tags, with the number of datasets
holding each), for "did you mean" when a search finds nothing.

Read from the search rows when first needed and kept per process until the rows change
(``datasets.search.generation``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from datasets.models import SearchEntry, SearchValue
from datasets.search import analysis
from datasets.search.generation import kept
from datasets.search.suggest import Vocabulary, suggest


def vocabulary(session: Session) -> Vocabulary:
    """Word → number of public datasets whose title or tags hold it."""
    return kept(session, "vocabulary", lambda: _read(session))


def _read(session: Session) -> Vocabulary:
    counts: Counter[str] = Counter()
    if session.get_bind().dialect.name == "sqlite":  # FTS5 counts its own words per column
        counts.update({term: docs for term, docs in session.execute(_TITLE_WORDS)})
    else:
        for (words,) in session.execute(select(SearchEntry.title_words)):
            counts.update(set(words.split()))
    tags = select(SearchValue.value, func.count()).where(SearchValue.field == "tags")
    for tag, n in session.execute(tags.group_by(SearchValue.value)):
        counts[analysis.fold(tag)] += n
    return Vocabulary(counts)


_TITLE_WORDS = text("SELECT term, doc FROM search_fts_vocabulary WHERE col = 'title_words'")


def warm(session: Session) -> None:
    """Read the vocabulary and build its lookup tables now: in a preloading server's master,
    before it forks, so that workers share them and no first search waits for them."""
    vocabulary(session).by_pinyin("")


def suggestion_for(session: Session, words: Sequence[str]) -> str | None:
    """A corrected query close to ``words`` made of words the catalog holds, or ``None``."""
    return suggest(list(words), vocabulary(session))
