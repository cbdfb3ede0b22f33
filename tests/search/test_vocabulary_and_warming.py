"""The catalog's vocabulary ("did you mean"), read from the text engine's own index on SQLite
and from the rows on PostgreSQL, agrees with the titles and tags; a preloading server reads it
before it forks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from datasets.models import SearchEntry
from datasets.runtime import Runtime
from datasets.search import analysis
from datasets.search.vocabulary import _read
from tests.factories import make_runtime
from tests.search.conftest import CATALOG, write_catalog

REPO = Path(__file__).resolve().parents[2]


def test_the_vocabulary_counts_title_words_and_tags(search_rt: Runtime) -> None:
    expected: Counter[str] = Counter()
    with search_rt.reader() as session:
        for (words,) in session.execute(select(SearchEntry.title_words)):
            expected.update(set(words.split()))
        vocabulary = _read(session)
    for row in CATALOG:
        for tag in row[6]:
            expected[analysis.fold(tag)] += 1
    assert dict(vocabulary) == dict(expected)
    assert vocabulary["公交"] >= 2  # a title word of several datasets
    assert "监测" in vocabulary  # a tag


def test_a_preloading_server_reads_the_vocabulary_before_it_forks(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path / "instance")
    write_catalog(rt)
    rt.close()
    code = (
        "import portal.wsgi\n"
        "from datasets.search import generation\n"
        "print(sorted(k[1] for k in generation._kept if isinstance(k[1], str)))\n"
    )
    env = {**os.environ, "KAIFANG_INSTANCE": str(tmp_path / "instance")}
    warm = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert warm.stdout.strip() == "['vocabulary']"
    # a database not made yet: the server starts all the same, and says why it did not read
    env["KAIFANG_INSTANCE"] = str(tmp_path / "empty")
    cold = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert cold.stdout.strip() == "[]"
    assert "启动时未能读取检索词表" in cold.stderr
