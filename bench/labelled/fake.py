"""Fake but well-formed values for the labelled tables: names, ID numbers, phones, cards, codes.

Standard library only, and the checksums are written here again rather than imported from
``datasets.openness.pii``, so that the benchmark does not grade the scanner with its own code.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import date, timedelta

Value = Callable[[random.Random, int], str]  # a column's value in row i
Column = tuple[str, list[str], Value]  # header, labelled kinds, values
Table = tuple[str, int, list[Column]]  # file name, rows, columns

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "皇甫", "东方", "夏侯", "慕容", "令狐", "公孙")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯婷雪梅琳晨欣"
MINORITY = ("阿依古丽·买买提", "热依拉·艾力", "扎西多吉", "次仁卓玛", "古丽米拉·吐尔逊", "巴特尔")
DISTRICTS = ("江南区", "江北区", "临湖区", "青山区", "高新区", "白沙县", "云溪县")
DISTRICT_CODES = ("361002", "361003", "361004", "361005", "361071", "361021", "361022")
OTHER_REGIONS = ("430602", "110105", "440106", "510107", "620102", "420106", "350203", "370202")
ROADS = ("解放路", "人民路", "沿江路", "文化路", "建设路", "学府路", "港口路", "青山路", "兴业路",
         "胜利路", "中山路", "科技大道")  # fmt: skip
VILLAGES = ("清水村", "梅岭村", "龙山村", "白沙村", "桃源村", "石门村")
TOWNS = ("梅岭乡", "白沙镇", "清水乡", "渔村镇", "九龙街道", "滨江街道")
COMPANY_WORDS = ("天成", "宏图", "利民", "顺安", "富民", "博远", "青峰", "汇通", "星河", "明德",
                 "润泽", "康宁", "兴华", "金盛")  # fmt: skip
INDUSTRIES = ("科技", "建设工程", "食品", "医药连锁", "环保科技", "物流", "商贸", "机械制造",
              "置业", "新材料")  # fmt: skip
BANK_BINS = ("622202", "621700", "622848", "621661", "622588", "623668", "621799", "622700")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150",
                   "151", "152", "153", "155", "157", "158", "159", "166", "170", "173", "176",
                   "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189",
                   "191", "198", "199")  # fmt: skip
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "139.com", "foxmail.com", "gmail.com")
PINYIN = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
          "ma", "zhu", "hu", "guo", "he", "gao", "lin")  # fmt: skip

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def luhn_digit(body: str) -> str:
    total = 0
    for i, char in enumerate(reversed(body)):
        n = int(char) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def credit_check(first17: str) -> str:
    total = sum(_CREDIT.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT[(31 - total % 31) % 31]


def birthday(rnd: random.Random, first: int, last: int) -> date:
    start = date(first, 1, 1)
    return start + timedelta(days=rnd.randrange((date(last, 12, 31) - start).days))


def region(rnd: random.Random, local: float = 0.8) -> str:
    return rnd.choice(DISTRICT_CODES) if rnd.random() < local else rnd.choice(OTHER_REGIONS)


def id18(rnd: random.Random, first: int = 1940, last: int = 2000, *, x: bool = False) -> str:
    """A valid 18-character ID number; with ``x`` one whose check character is X."""
    while True:
        born = birthday(rnd, first, last).strftime("%Y%m%d")
        body = region(rnd) + born + f"{rnd.randrange(1000):03d}"
        check = id_check(body)
        if (check == "X") == x:
            return body + (check if rnd.random() < 0.9 else check.lower())


def id15(rnd: random.Random, first: int = 1925, last: int = 1975) -> str:
    born = birthday(rnd, first, last).strftime("%y%m%d")
    return region(rnd) + born + f"{rnd.randrange(1000):03d}"


def id_serial(rnd: random.Random, on: date) -> str:
    """An 18-digit serial number made of a region code, a date and four random digits: the shape
    of an ID number, but its last digit is not a check digit (right one time in eleven)."""
    return rnd.choice(DISTRICT_CODES) + on.strftime("%Y%m%d") + f"{rnd.randrange(10000):04d}"


def masked_id(rnd: random.Random) -> str:
    value = id18(rnd)
    return value[:6] + "*" * 8 + value[-4:]


def name(rnd: random.Random, compound: float = 0.05, minority: float = 0.0) -> str:
    if rnd.random() < minority:
        return rnd.choice(MINORITY)
    surname = rnd.choice(COMPOUND) if rnd.random() < compound else rnd.choice(SURNAMES)
    size = 1 if surname in COMPOUND else rnd.choice((1, 2, 2, 2))
    return surname + "".join(rnd.choice(GIVEN) for _ in range(size))


def mobile(rnd: random.Random, styles: tuple[str, ...] = ("plain",)) -> str:
    number = rnd.choice(MOBILE_PREFIXES) + f"{rnd.randrange(10**8):08d}"
    style = rnd.choice(styles)
    if style == "+86":
        return "+86 " + number
    if style == "+86-":
        return "+86-" + number
    if style == "spaced":
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == "dashed":
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    return number


def masked_mobile(rnd: random.Random) -> str:
    number = mobile(rnd)
    return number[:3] + "****" + number[-4:]


def landline(rnd: random.Random, style: str = "dash") -> str:
    local = f"{rnd.choice('2345678')}{rnd.randrange(10**6):06d}"
    if style == "paren":
        return f"(0792){local}"
    if style == "bare":
        return "0792" + local
    return "0792-" + local


def bank_card(rnd: random.Random, length: int = 19, grouped: bool = False) -> str:
    body = rnd.choice(BANK_BINS) + "".join(rnd.choice(string.digits) for _ in range(length - 7))
    number = body + luhn_digit(body)
    if grouped:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def email(rnd: random.Random) -> str:
    local = rnd.choice(PINYIN) + rnd.choice(PINYIN) + str(rnd.randrange(60, 100))
    return f"{local}@{rnd.choice(MAIL_DOMAINS)}"


def address(rnd: random.Random, *, dwelling: bool = True) -> str:
    district = rnd.choice(DISTRICTS)
    if district.endswith("县") and rnd.random() < 0.4:
        village = f"{rnd.choice(TOWNS)}{rnd.choice(VILLAGES)}"
        return f"江州市{district}{village}{rnd.randint(1, 9)}组{rnd.randint(1, 60)}号"
    street = f"江州市{district}{rnd.choice(ROADS)}{rnd.randint(1, 999)}号"
    if not dwelling:
        return street
    flat = f"{rnd.randint(1, 26)}{rnd.randint(1, 4):02d}"
    return f"{street}{rnd.randint(1, 30)}栋{rnd.randint(1, 4)}单元{flat}室"


def company(rnd: random.Random) -> str:
    return f"江州{rnd.choice(COMPANY_WORDS)}{rnd.choice(INDUSTRIES)}有限公司"


def credit_code(rnd: random.Random, kind: str = "91", digits_only: bool = False) -> str:
    chars = string.digits if digits_only else _CREDIT
    org = ("MA3" if not digits_only and rnd.random() < 0.6 else "") + "".join(
        rnd.choice(chars) for _ in range(9)
    )
    body = kind + rnd.choice(DISTRICT_CODES) + org[:9]
    return body + credit_check(body)


def credit_code_like_id(rnd: random.Random) -> str:
    """An all-digit 统一社会信用代码 (社会团体, 51…) that is also a valid ID number: the hard case
    for the rule that a credit code is never an ID."""
    while True:
        born = birthday(rnd, 1940, 1999).strftime("%Y%m%d")
        if not born.startswith("19"):
            continue
        body = "51" + "361019" + born[2:] + f"{rnd.randrange(1000):03d}"
        if credit_check(body) == id_check(body):
            return body + id_check(body)


def day(rnd: random.Random, first: int = 2020, last: int = 2025, fmt: str = "%Y-%m-%d") -> str:
    return birthday(rnd, first, last).strftime(fmt)


def amount(rnd: random.Random, low: float, high: float) -> str:
    return f"{rnd.uniform(low, high):.2f}"


def district(rnd: random.Random) -> str:
    return rnd.choice(DISTRICTS)


def institution_address(rnd: random.Random) -> str:
    return address(rnd, dwelling=False)
