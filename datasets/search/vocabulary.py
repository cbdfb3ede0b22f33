"""The catalog's own vocabulary (words of public titles and tags, with the number of datasets
holding each), for "did you mean" when a search finds nothing.

Read from the search rows when first needed and kept per process until the rows change (the
largest entry number and the number of entries tell; every write makes a new entry).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.models import SearchEntry, SearchValue
from datasets.search import analysis
from datasets.search.suggest import Vocabulary, suggest

_lock = threading.Lock()
_cached: dict[str, tuple[tuple[int, ...], Vocabulary]] = {}


def vocabulary(session: Session) -> Vocabulary:
    """Word → number of public datasets whose title or tags hold it."""
    generation = tuple(
        int(v or 0) for v in session.execute(select(func.max(SearchEntry.doc), func.count())).one()
    )
    key = str(session.get_bind().engine.url)
    with _lock:
        cached = _cached.get(key)
        if cached and cached[0] == generation:
            return cached[1]
    counts: Counter[str] = Counter()
    for (words,) in session.execute(select(SearchEntry.title_words)):
        counts.update(set(words.split()))
    tags = select(SearchValue.value).where(SearchValue.field == "tags")
    for (tag,) in session.execute(tags):
        counts[analysis.fold(tag)] += 1
    words_of = Vocabulary(counts)
    with _lock:
        _cached[key] = (generation, words_of)
    return words_of


def suggestion_for(session: Session, words: Sequence[str]) -> str | None:
    """A corrected query close to ``words`` made of words the catalog holds, or ``None``."""
    return suggest(list(words), vocabulary(session))
