"""Write the labelled tables of the scanner benchmark: ``tables/*.csv`` and ``labels.json``.

Run: .venv/bin/python -m bench.labelled.build   (deterministic: a seed per table, stdlib only)

``labels.json`` maps each table file to ``{column: [kinds]}``: the kinds of *personal*
information the column holds (codes of ``datasets.openness.pii.kinds.KINDS``), ``[]``
for a clean column. Decisions: every e-mail address is personal (a named mailbox is
indistinguishable from an institution's); a landline is personal only under a header naming
a person's phone (家庭电话, 来电号码) — under 联系电话 it counts as an institution's switchboard, as
the scanner's rules say; 法定代表人 and companies are public (企业登记); values already masked (张*,
430602********1234) are clean; a vehicle's plate and a professional's licence number lead
to a person (a taxi may be a 个体 driver's own car) and are personal: an operator who knows
them public sets ``keep``.
"""

from __future__ import annotations

import csv
import json
import random
import zlib
from pathlib import Path

from bench.labelled.fake import Table
from bench.labelled.tables_clean import CLEAN_TABLES
from bench.labelled.tables_personal import PERSONAL_TABLES

HERE = Path(__file__).parent
TABLES = HERE / "tables"
LABELS = HERE / "labels.json"


def write_table(table: Table) -> dict[str, list[str]]:
    filename, rows, columns = table
    rnd = random.Random(zlib.crc32(filename.encode()))
    with (TABLES / filename).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([header for header, _, _ in columns])
        for i in range(rows):
            writer.writerow([value(rnd, i) for _, _, value in columns])
    return {header: sorted(kinds) for header, kinds, _ in columns}


def main() -> None:
    TABLES.mkdir(parents=True, exist_ok=True)
    for old in TABLES.glob("*.csv"):
        old.unlink()
    labels = {t[0]: write_table(t) for t in (*PERSONAL_TABLES, *CLEAN_TABLES)}
    LABELS.write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    columns = [kinds for table in labels.values() for kinds in table.values()]
    personal = sum(1 for kinds in columns if kinds)
    size = sum(p.stat().st_size for p in TABLES.glob("*.csv")) + LABELS.stat().st_size
    print(
        f"{len(labels)} tables, {len(columns)} labelled columns: {personal} personal, "
        f"{len(columns) - personal} clean; {size / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
