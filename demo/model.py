"""Plain data types shared by the catalog, the row generators and the writers."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Field:
    """One column (信息项) with its Table Schema type and extra schema properties."""

    name: str
    type: str = "string"
    description: str = ""
    extra: tuple[tuple[str, object], ...] = ()

    def schema(self) -> dict:
        """Table Schema field descriptor."""
        out: dict = {"name": self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        out.update(dict(self.extra))
        return out


YES_NO = (("trueValues", ["是"]), ("falseValues", ["否"]))
HHMM = (("format", "%H:%M"),)


@dataclass
class Table:
    """A generated table: fields plus rows (lists of str/int/float/date values).

    Rows may be ragged on purpose (the flawed parking table); writers write them verbatim.
    """

    fields: list[Field]
    rows: list[list]

    @property
    def header(self) -> list[str]:
        return [f.name for f in self.fields]


@dataclass(frozen=True)
class Resource:
    """A data file of a dataset: which generator fills it and how it is written."""

    gen: str  # key in the generator registry
    path: str  # file name, relative to the package or export folder
    title: str = ""
    name: str = ""  # resource slug (packages only)
    schema: bool = True  # include a Table Schema in datapackage.json
    encoding: str = "utf-8"  # utf-8, utf-8-sig (BOM) or gb18030 — CSV only
    newline: str = "\n"

    @property
    def format(self) -> str:
        return self.path.rsplit(".", 1)[-1].lower()


@dataclass(frozen=True)
class Dataset:
    """One catalog entry (政务信息资源目录 row)."""

    slug: str  # lowercase ASCII, unique; the package name
    title: str
    code: str  # 信息资源代码
    dept: str  # department slug
    topic: str
    cycle: str
    openness: str  # unconditional / conditional / closed
    description: str
    keywords: tuple[str, ...]
    issued: str
    modified: str
    temporal: tuple[str, str]
    where: str  # "packages" or an export folder (department slug)
    resources: tuple[Resource, ...] = ()
    share: str = "无条件共享"
    share_conditions: str = ""  # 共享条件 (有条件共享)
    share_method: str = ""  # 共享方式
    share_basis: str = ""  # the basis 不予共享 must name
    license: str = "cc-by"
    conditions: str = ""
    rule: str = ""  # exclusion rule code (closed only)
    basis: str = ""
    openness_label: str = ""  # write the Chinese class name instead of the code (packages)
    # column → 脱敏规则代码 (mask-name, mask-id, mask-mobile …), written as "masking" in
    # datapackage.json: a closed (privacy) package that ships its data for de-identified release
    masking: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)  # README remarks (special cases)


def rng_for(key: str) -> random.Random:
    """A random generator seeded from a stable hash of ``key`` (independent per table)."""
    digest = hashlib.sha256(f"jiangzhou-demo-v1:{key}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 Feb becomes 28 Feb in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
