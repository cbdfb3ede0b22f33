"""Generate the bundled demo sources of 江州市 under ``demo/sources/`` (deterministic).

Run from the repository root:  ``python demo/build.py``  (needs openpyxl).
The folder is deleted and rebuilt; running twice gives byte-identical files.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import tables_civil
import tables_culture
import tables_education
import tables_env
import tables_health
import tables_housing
import tables_market
import tables_orgs
import tables_personal
import tables_places
import tables_transport
from catalog import (
    ALL_DATASETS,
    LICENSE_LABELS,
    LICENSES,
    OPENNESS_ZH,
    RULE_ITEMS,
    RULE_TITLES,
    check_catalog,
)
from catalog_exports import EXPORT_STYLES
from departments import dept
from documents import DOCUMENTS
from model import Dataset, Resource, Table, rng_for
from selfcheck import run_selfcheck
from writers import write_csv, write_docx, write_json, write_sheet_rows, write_xlsx

DEMO = Path(__file__).resolve().parent
OUT = DEMO / "sources"
GENERATORS = {}
for _module in (
    tables_transport,
    tables_env,
    tables_health,
    tables_education,
    tables_civil,
    tables_culture,
    tables_places,
    tables_market,
    tables_orgs,
    tables_housing,
    tables_personal,
):
    GENERATORS.update(_module.GENERATORS)
MEDIATYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# fmt: off
CATALOG_HEADER = [
    "信息资源名称", "信息资源代码", "提供方", "提供方代码", "摘要", "分类",
    "关键字", "开放属性", "开放条件", "不予开放情形", "不予开放依据", "共享属性",
    "更新周期", "发布日期", "更新日期", "数据时间范围", "数据文件", "许可协议",
]
# fmt: on
_tables: dict[str, Table] = {}


def table_for(gen: str) -> Table:
    """The generated table for a generator key (each generator has its own seeded RNG)."""
    if gen not in _tables:
        _tables[gen] = GENERATORS[gen](rng_for(gen))
    return _tables[gen]


def write_data_file(folder: Path, res: Resource, title: str, creator: str) -> None:
    """Write one data file (CSV in its encoding, or XLSX), or a Word document."""
    if res.format == "docx":
        heading, paragraphs = DOCUMENTS[res.gen]
        write_docx(folder / res.path, heading, paragraphs, creator)
        return
    table = table_for(res.gen)
    if res.format == "xlsx":
        write_xlsx(folder / res.path, table, title, creator)
    else:
        write_csv(folder / res.path, table.header, table.rows, res.encoding, res.newline)


def package_descriptor(d: Dataset) -> dict:
    """datapackage.json: Frictionless Data Package v1 plus the portal's 目录 properties."""
    provider = dept(d.dept)
    out: dict = {
        "name": d.slug,
        "title": d.title,
        "description": d.description,
        "keywords": list(d.keywords),
    }
    if d.resources:  # a licence only applies to data that is released
        out["licenses"] = [LICENSES[d.license]]
    out.update(
        {
            "code": d.code,
            "provider": {"name": provider.name, "code": provider.code},
            "topic": d.topic,
            "update_cycle": d.cycle,
            "openness": d.openness_label or d.openness,
        }
    )
    if d.openness == "conditional":
        out["conditions"] = d.conditions
    if d.openness == "closed":
        out["exclusion_rule"] = d.rule
        out["exclusion_basis"] = d.basis
    out["share_type"] = d.share
    for key, value in (
        ("share_conditions", d.share_conditions),
        ("share_method", d.share_method),
        ("share_basis", d.share_basis),
    ):
        if value:
            out[key] = value
    out.update(
        {
            "issued": d.issued,
            "modified": d.modified,
            "temporal": {"start": d.temporal[0], "end": d.temporal[1]},
        }
    )
    if d.masking:  # column → 脱敏规则代码; the portal publishes the data de-identified
        out["masking"] = dict(d.masking)
    out["resources"] = []
    for res in d.resources:
        entry: dict = {
            "name": res.name,
            "title": res.title or d.title,
            "path": res.path,
            "format": res.format,
            "mediatype": MEDIATYPES[res.format],
        }
        if res.format == "csv":
            entry["encoding"] = res.encoding
        if res.schema:
            entry["schema"] = {"fields": [f.schema() for f in table_for(res.gen).fields]}
        out["resources"].append(entry)
    return out


def build_package(d: Dataset) -> None:
    """packages/<slug>/datapackage.json and its data files."""
    folder = OUT / "packages" / d.slug
    folder.mkdir(parents=True)
    for res in d.resources:
        write_data_file(folder, res, res.title or d.title, dept(d.dept).name)
    write_json(folder / "datapackage.json", package_descriptor(d))


def _date_text(value: str, style: str, row: int) -> str:
    day = date.fromisoformat(value)
    if style == "zh" or (style == "mixed" and row % 3 == 1):
        return f"{day.year}年{day.month}月{day.day}日"
    return value


def catalog_row(d: Dataset, style: dict[str, str], row: int) -> list[str]:
    """One 目录 row in the habits of its export folder."""
    provider = dept(d.dept)
    rule = ""
    if d.openness == "closed":
        wording = {"text": RULE_TITLES, "number": RULE_ITEMS}.get(style["rule"], {})
        rule = wording.get(d.rule, d.rule)
    dates = style["dates"]
    return [
        d.title,
        d.code,
        provider.name,
        provider.code,
        d.description,
        d.topic,
        style["keyword_sep"].join(d.keywords),
        OPENNESS_ZH[d.openness],
        d.conditions,
        rule,
        d.basis,
        d.share,
        d.cycle,
        _date_text(d.issued, dates, row),
        _date_text(d.modified, dates, row + 1),
        f"{d.temporal[0]}至{d.temporal[1]}",
        "；".join(r.path for r in d.resources),
        LICENSE_LABELS[d.license] if d.resources else "",
    ]


def build_export(slug: str, datasets: list[Dataset]) -> None:
    """exports/<slug>/目录.(xlsx|csv) plus the data files it names."""
    style = EXPORT_STYLES[slug]
    folder = OUT / "exports" / slug
    folder.mkdir(parents=True)
    creator = dept(slug).name
    for d in datasets:
        for res in d.resources:
            write_data_file(folder, res, d.title, creator)
    rows = [catalog_row(d, style, i) for i, d in enumerate(datasets)]
    if style["catalog"].endswith(".xlsx"):
        sheet = "政务信息资源目录"
        write_sheet_rows(folder / style["catalog"], CATALOG_HEADER, rows, sheet, creator)
    else:
        write_csv(folder / style["catalog"], CATALOG_HEADER, rows)


def sources_list() -> list[dict]:
    """sources.json: the demo harvest sources."""
    out = [
        {
            "name": "jiangzhou-datapackages",
            "kind": "datapackage",
            "location": "demo/sources/packages",
            "title": "江州市各部门数据包",
        }
    ]
    for slug, style in EXPORT_STYLES.items():
        out.append(
            {
                "name": f"jiangzhou-export-{slug}",
                "kind": "export",
                "location": f"demo/sources/exports/{slug}",
                "title": style["title"],
            }
        )
    return out


def summary() -> str:
    """Counts printed at the end of a build."""
    files = [p for p in OUT.rglob("*") if p.is_file()]
    kinds = Counter("datapackage" if d.where == "packages" else "export" for d in ALL_DATASETS)
    openness = Counter(d.openness for d in ALL_DATASETS)
    per_dept = Counter(dept(d.dept).name for d in ALL_DATASETS)
    by_openness = ", ".join(f"{OPENNESS_ZH[k]} {v}" for k, v in sorted(openness.items()))
    lines = [
        f"datasets: {len(ALL_DATASETS)}  by kind: {dict(kinds)}",
        f"by openness: {by_openness}",
        "by department:",
    ]
    ranked = sorted(per_dept.items(), key=lambda kv: (-kv[1], kv[0]))
    lines += [f"  {name}: {n}" for name, n in ranked]
    ext = Counter(p.suffix.lower() for p in files)
    total = sum(p.stat().st_size for p in files)
    lines.append(
        f"files: {len(files)}  xlsx: {ext['.xlsx']}  csv: {ext['.csv']}  "
        f"docx: {ext['.docx']}  json: {ext['.json']}  total bytes: {total:,}"
    )
    return "\n".join(lines)


def main() -> int:
    """Rebuild demo/sources from scratch, self-check it and print a summary."""
    problems = check_catalog()
    if problems:
        print("catalog problems:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    for d in ALL_DATASETS:
        if d.where == "packages":
            build_package(d)
    for slug in EXPORT_STYLES:
        build_export(slug, [d for d in ALL_DATASETS if d.where == slug])
    write_json(OUT / "sources.json", sources_list())
    print(summary())
    failures = run_selfcheck(OUT, ALL_DATASETS)
    if failures:
        listing = "\n  ".join(failures[:50])
        print(f"self-check FAILED ({len(failures)}):\n  {listing}", file=sys.stderr)
        return 1
    print(
        "self-check: ok (credit codes, ID numbers, bank cards, hygiene of unconditional tables, "
        "masking rules)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
