"""The kinds of personal information: one table, ``KINDS``, one entry per kind.

An entry says everything the portal knows of a kind: its stable code (stored in scan reports,
labels and masking rules), its Chinese title (shown to operators), how its values are found (a
value detector of ``patterns``, or only under a column header: ``hints``), the headers that
announce it, its default masking policy (a code of ``datasets.openness.masking.policies``) and an
example with the masked value that policy publishes. The scanner, its report, the default masking
rules, the operators' pages and the README's table of kinds all derive from it.

Adding a kind is adding an entry (and its code to the list of stable codes in
``tests/unit/test_pii_kinds.py``): that test walks the table and checks that the scanner finds each
example under its header and by its value, that its policy masks it into the masked example, that
a column of it gets that policy by default, and that the README lists it.

The order of ``KINDS`` matters, and says precedence: where one column holds values of several
kinds, the earliest one's policy masks it (an ID before a card before a phone), findings are listed
in this order, and among header hints of the same ``Precedence`` the earlier kind's wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from datasets.openness.pii import patterns
from datasets.openness.pii.detectors import (
    ANY_NAME,
    BIRTH_DATE,
    DWELLING_ADDRESS,
    LICENCE_NUMBER,
    PERSON_NAME,
    PERSON_ROLES,
    PRECISE_ADDRESS,
    normalise_header,
)
from datasets.openness.pii.patterns import Detector


class Precedence(IntEnum):
    """What a header hint recognises, most specific first. Hints are tried in this order (then in
    the order of ``KINDS``, then as listed in an entry) and the first that matches the header
    decides what it announces: 家庭联系电话 is a person's own phone before it is a 联系电话."""

    IDENTIFIER = 1  # 身份证号, 执业证号, 银行卡号, 电子邮箱
    OWN_PHONE = 2  # one person's phone: 家庭电话, 联系人及电话
    CONTACT = 3  # 联系电话, 手机
    ATTRIBUTE = 4  # 出生日期, 住址
    PERSON = 5  # 姓名, 联系人


@dataclass(frozen=True)
class Hint:
    """Column headers matching ``pattern`` (after ``normalise_header``) announce the kind. A strong
    hint is evidence on its own; a weak one (联系人, 联系地址) counts only when at least half of the
    column's cells look like the kind. ``cells``: for a kind without a value detector, what a cell
    under the header must match to count (nothing masked: 张*, 江州市江北区 do not)."""

    pattern: re.Pattern[str]
    precedence: Precedence
    strong: bool = True
    cells: re.Pattern[str] | None = None


def hint(
    pattern: str,
    precedence: Precedence,
    *,
    strong: bool = True,
    cells: re.Pattern[str] | None = None,
) -> Hint:
    return Hint(re.compile(pattern), precedence, strong, cells)


@dataclass(frozen=True)
class Kind:
    code: str  # stable: stored in reports, labels and masking rules
    title: str  # 中文名, shown to operators
    policy: str  # the default masking policy: a code of ``masking.policies.POLICIES``
    header: str  # a column header announcing it
    example: str  # a value of this kind …
    masked: str  # … as its default policy publishes it (and the scanner's report shows it)
    find: Detector | None = None  # its value detector; None: found only under a header hint
    gate: re.Pattern[str] | None = None  # text without a match holds no value of it (speed)
    hints: tuple[Hint, ...] = ()
    # False: personal only under a hint of its own (institutions publish their switchboards)
    personal: bool = True
    family: str = ""  # kinds of one family take each other's header hints as evidence
    # under a hint of its family, values failing their checksum count (a typo, Excel's rounding)
    trusts_header: bool = False
    unless: Callable[[str], bool] | None = None  # a value that is rather something else
    like_amounts: bool = False  # under a header of amounts, counts only in half of the cells
    # what most of its values look like (张伟): under a strong hint, such cells in half of the
    # column add the values' evidence to the header's
    typical: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        by_header = self.find is None
        if by_header and not self.hints:
            raise ValueError(f"{self.code}: a kind without a value detector needs header hints")
        if any((h.cells is None) == by_header for h in self.hints):
            raise ValueError(f"{self.code}: cell patterns are for kinds without a value detector")

    @property
    def kin(self) -> str:
        return self.family or self.code


# Headers announcing nothing personal, tried before every hint: public by law (企业登记, 行政许可
# 公示) or not a person at all (单位名称).
NOT_PERSONAL = (
    re.compile(r"^(法定代表人|法人代表|法人|法定代表人（负责人）)(姓名)?$"),
    re.compile(r"名称$"),
)

IDENTIFIER, OWN_PHONE, CONTACT, ATTRIBUTE, PERSON = Precedence

KINDS: tuple[Kind, ...] = (
    Kind(
        code="name",
        title="姓名",
        policy="mask-name",
        header="姓名",
        example="欧阳娜娜",
        masked="欧阳**",
        hints=(
            # a name and a phone in one cell (联系人及电话: 张三 13912345678)
            hint(
                rf"^({PERSON_ROLES})(及|和|与|/|、)(联系)?(电话|手机|方式|号码)$",
                OWN_PHONE,
                strong=False,
                cells=PERSON_NAME,
            ),
            hint(r"姓名$|^名字$", PERSON, cells=ANY_NAME),
            hint(
                rf"^({PERSON_ROLES})$|(联系人|负责人|申请人|监护人|承租人|代理人)$",
                PERSON,
                strong=False,
                cells=PERSON_NAME,
            ),
        ),
        typical=PERSON_NAME,
    ),
    Kind(
        code="id_card",
        title="身份证号",
        policy="mask-id",
        header="身份证号",
        example="11010519491231002X",
        masked="110105********002X",
        find=patterns.find_id18,
        # (a driving licence and a social security number are the holder's ID number)
        hints=(
            hint(
                r"身份证|证件号|证件编号|公民身份号码|身份号码|社会保障号|社保号|身份证明号|驾驶证号",
                IDENTIFIER,
            ),
        ),
        family="id",
        trusts_header=True,
        unless=patterns.looks_like_credit_code,  # a 统一社会信用代码 is never an ID number
    ),
    Kind(
        code="id_card_15",
        title="旧版身份证号",
        policy="mask-id",
        header="旧版身份证号",
        example="430602850302123",
        masked="430602*****2123",
        find=patterns.find_id15,
        family="id",
    ),
    # professional licences held by a person: 医师执业证书编码, 律师执业证号, 教师资格证号 …
    Kind(
        code="practice_licence",
        title="执业资格证号",
        policy="mask-code",
        header="医师执业证书编码",
        example="110440100012345",
        masked="11***********45",
        hints=(
            # (not a business's 许可证: 医疗机构执业许可证)
            hint(
                r"(?<!许可)(执业|资格|从业)证(书)?(编?号|编码|号码)?$|(医师|护士|律师|教师|药师)证号",
                IDENTIFIER,
                cells=LICENCE_NUMBER,
            ),
        ),
    ),
    Kind(
        code="bank_card",
        title="银行卡号",
        policy="mask-card",
        header="银行卡号",
        example="6222021234567890128",
        masked="622202*********0128",
        find=patterns.find_bank_card,
        hints=(hint(r"银行卡|卡号|银行账|账号|帐号|收款账户|金融账户", IDENTIFIER),),
    ),
    Kind(
        code="mobile",
        title="手机号码",
        policy="mask-mobile",
        header="手机号码",
        example="13812345678",
        masked="138****5678",
        find=patterns.find_mobile,
        hints=(
            hint(r"手机|移动电话|联系电话|联系方式|联系号码|电话号码|来电号码|本人电话", CONTACT),
        ),
        family="phone",
        like_amounts=True,
    ),
    Kind(
        code="landline",
        title="固定电话",
        policy="mask-landline",
        header="家庭电话",
        example="0792-8123456",
        masked="0792-****456",
        find=patterns.find_landline,
        # a person's own phone: a landline found here is personal
        hints=(
            hint(
                rf"(家庭|住宅|宅|本人|个人|亲属|紧急联系人|来电|{PERSON_ROLES})(联系)?(电话|座机|号码)"
                r"|^宅电$|^座机$",
                OWN_PHONE,
            ),
        ),
        personal=False,
        family="phone",
        like_amounts=True,
    ),
    Kind(
        code="email",
        title="电子邮箱",
        policy="mask-email",
        header="电子邮箱",
        example="zhangsan@example.com",
        masked="z***@example.com",
        find=patterns.find_email,
        gate=patterns.EMAIL_GATE,
        hints=(hint(r"邮箱|电子邮件|邮件地址|^e-?mail", IDENTIFIER),),
    ),
    Kind(
        code="licence_plate",
        title="车牌号",
        policy="mask-plate",
        header="车牌号",
        example="赣A12345",
        masked="赣A***45",
        find=patterns.find_plate,
        gate=patterns.PLATE_GATE,
    ),
    Kind(
        code="birth_date",
        title="出生日期",
        policy="year",
        header="出生日期",
        example="1985-03-02",
        masked="1985",
        hints=(hint(r"出生(日期|年月|年月日|时间|日)|^生日$", ATTRIBUTE, cells=BIRTH_DATE),),
    ),
    Kind(
        code="address",
        title="住址",
        policy="district",
        header="家庭住址",
        example="江州市江南区建设路12号3栋2单元501室",
        masked="江州市江南区",
        hints=(
            hint(
                r"住址$|(家庭|户籍|居住|现住|现居住?|常住|住宅|经常居住)(地址|住址|地|所在地)$"
                r"|户口所在地|户籍所在地|详细住址",
                ATTRIBUTE,
                cells=PRECISE_ADDRESS,
            ),
            hint(
                r"(联系|通讯|通信|收件|收货|邮寄)地址$",
                ATTRIBUTE,
                strong=False,
                cells=DWELLING_ADDRESS,
            ),
        ),
    ),
)
KINDS_BY_CODE: dict[str, Kind] = {kind.code: kind for kind in KINDS}


# --- what is derived from a table of kinds ------------------------------------------------------


@dataclass(frozen=True)
class HeaderHint:
    """A hint with the kind it announces (``None``: a header announcing nothing personal)."""

    kind: Kind | None
    pattern: re.Pattern[str]
    strong: bool = True
    cells: re.Pattern[str] | None = None


class KindTable:
    """The lookups the scanner and the masking defaults make in a table of kinds: ``KINDS``, or
    one a test builds."""

    def __init__(self, kinds: tuple[Kind, ...]) -> None:
        self.kinds = kinds
        self.by_code = {kind.code: kind for kind in kinds}
        if len(self.by_code) != len(kinds):
            raise ValueError("two kinds share a code")
        self.order = {kind.code: i for i, kind in enumerate(kinds)}
        finders = [kind.find for kind in kinds if kind.find]
        if len(set(finders)) != len(finders):
            raise ValueError("two kinds share a value detector")
        ranked = sorted(
            ((h.precedence, i, j), HeaderHint(kind, h.pattern, h.strong, h.cells))
            for i, kind in enumerate(kinds)
            for j, h in enumerate(kind.hints)
        )
        self.hints = (
            *(HeaderHint(None, pattern) for pattern in NOT_PERSONAL),
            *(header_hint for _, header_hint in ranked),
        )
        # kinds found by ``patterns.number_candidates``' one pass, by their finder …
        self.numbers = {k.find: k for k in kinds if k.find in patterns.NUMBER_FINDERS}
        # … and the other kinds with a value detector, each searched on its own
        self.searched = tuple(k for k in kinds if k.find and k.find not in patterns.NUMBER_FINDERS)

    def header_hint(self, header: str) -> HeaderHint | None:
        """The hint a column header gives (the first that matches), or ``None``."""
        text = normalise_header(header)
        if not text:
            return None
        for found in self.hints:
            if found.pattern.search(text):
                return found
        return None


@lru_cache(maxsize=16)
def kind_table(kinds: tuple[Kind, ...] = KINDS) -> KindTable:
    return KindTable(kinds)


def header_hint(header: str, kinds: tuple[Kind, ...] = KINDS) -> HeaderHint | None:
    return kind_table(kinds).header_hint(header)


def header_kind(header: str, kinds: tuple[Kind, ...] = KINDS) -> str | None:
    """The code of the kind a column header announces, or ``None``."""
    found = header_hint(header, kinds)
    return found.kind.code if found and found.kind else None


def same_family(hinted: Kind | None, kind: Kind) -> bool:
    """Whether a header announcing ``hinted`` is evidence for values of ``kind``."""
    return hinted is not None and hinted.kin == kind.kin
