"""Synthetic personal data: names, ID numbers, mobiles, addresses, e-mails, bank cards.

Everything is invented; ID numbers carry correct GB 11643 check characters and bank cards
pass the Luhn test so that a personal-information scanner has realistic material to find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from checksums import id_check, luhn_check_digit
from places import DISTRICTS, District, home_address

# (surname, pinyin, weight ‰) — roughly the 2020 census distribution.
_SURNAMES = """王wang71 李li70 张zhang68 刘liu54 陈chen46 杨yang31 黄huang25 赵zhao23 吴wu20
周zhou19 徐xu16 孙sun15 马ma14 朱zhu13 胡hu13 郭guo12 何he12 林lin11 高gao11 罗luo10 郑zheng9
梁liang9 谢xie8 宋song8 唐tang8 许xu7 韩han7 邓deng7 冯feng7 曹cao6 彭peng6 曾zeng6 肖xiao6
田tian5 董dong5 潘pan5 袁yuan5 蔡cai5 蒋jiang5 余yu5 于yu5 杜du4 叶ye4 程cheng4 魏wei4 苏su4
吕lv4 丁ding4 任ren4 卢lu3 姚yao3 沈shen3 钟zhong3 姜jiang3 崔cui3 谭tan3 陆lu3 范fan3 汪wang3
廖liao3 石shi3 金jin3 韦wei3 贾jia3 夏xia3 付fu3 方fang3 邹zou2 熊xiong2 白bai2 孟meng2 秦qin2
邱qiu2 侯hou2 江jiang2 尹yin2 薛xue2 段duan2 雷lei2 龙long2 黎li2 史shi2 陶tao2 贺he2 毛mao2
郝hao2 顾gu2 龚gong2 邵shao2 万wan2 钱qian1 严yan1 戴dai1 武wu1 欧阳ouyang1"""
COMPOUND_SURNAMES = (
    ("欧阳", "ouyang"),
    ("司马", "sima"),
    ("诸葛", "zhuge"),
    ("上官", "shangguan"),
    ("皇甫", "huangfu"),
)
_MALE = """伟wei 强qiang 军jun 勇yong 杰jie 涛tao 明ming 超chao 刚gang 平ping 辉hui 鹏peng 华hua
飞fei 鑫xin 波bo 斌bin 宇yu 浩hao 凯kai 健jian 俊jun 帆fan 旭xu 宁ning 龙long 林lin 阳yang
建jian 国guo 志zhi 文wen 海hai 东dong 亮liang 峰feng 磊lei 晨chen 博bo 子zi 轩xuan 睿rui 泽ze
昊hao 天tian 成cheng 德de 福fu 庆qing 荣rong 根gen 生sheng 堃kun 喆zhe 昇sheng"""
_FEMALE = """芳fang 娜na 敏min 静jing 丽li 艳yan 娟juan 霞xia 秀xiu 英ying 玲ling 萍ping 红hong
燕yan 梅mei 琳lin 雪xue 婷ting 慧hui 颖ying 洁jie 琴qin 云yun 莉li 倩qian 欣xin 悦yue 佳jia
怡yi 涵han 雨yu 萱xuan 梓zi 诗shi 桂gui 兰lan 凤feng 珍zhen 淑shu 春chun 晓xiao 文wen"""
MOBILE_PREFIXES = (
    *(f"13{i}" for i in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159"),
    *("170", "173", "175", "176", "177", "178"),
    *(f"18{i}" for i in range(10)),
    *("191", "198", "199"),
)
# fmt: off
BANK_BINS = (("621700", 19), ("622848", 19), ("622202", 19), ("621226", 19), ("621799", 19),
             ("621661", 19), ("623668", 19), ("622588", 16), ("622155", 16))
# fmt: on
MAIL_DOMAINS = ("163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "139.com")


def _parse_chars(text: str) -> list[tuple[str, str, int]]:
    out = []
    for token in text.split():
        han = "".join(c for c in token if not c.isascii())
        rest = token[len(han) :]
        latin = rest.rstrip("0123456789")
        out.append((han, latin, int(rest[len(latin) :] or 1)))
    return out


SURNAMES = _parse_chars(_SURNAMES)
MALE_CHARS = _parse_chars(_MALE)
FEMALE_CHARS = _parse_chars(_FEMALE)


@dataclass
class Person:
    name: str
    pinyin: str  # "wang.fang" — used for e-mail addresses
    sex: str  # 男 / 女
    birth: date
    district: District
    id_number: str
    mobile: str
    address: str


def random_birth(rng: random.Random, first_year: int, last_year: int) -> date:
    """A uniformly random date between 1 Jan ``first_year`` and 31 Dec ``last_year``."""
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    return start + timedelta(days=rng.randint(0, (end - start).days))


def id18(rng: random.Random, region: str, birth: date, sex: str, want_x: bool = False) -> str:
    """An 18-digit ID number; odd sequence = male. ``want_x`` searches for an X check char."""
    parity = 1 if sex == "男" else 0
    order = list(range(parity, 1000, 2))
    rng.shuffle(order)
    for seq in order:
        body = f"{region}{birth:%Y%m%d}{seq:03d}"
        check = id_check(body)
        if check == "X" or not want_x:
            return body + check
    raise RuntimeError("no sequence gives an X check character")


def id15(rng: random.Random, region: str, birth: date, sex: str) -> str:
    """An old first-generation 15-digit ID number (no check digit): region + YYMMDD + seq."""
    seq = rng.randrange(1 if sex == "男" else 0, 1000, 2)
    return f"{region}{birth:%y%m%d}{seq:03d}"


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number with a real carrier prefix."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99999999):08d}"


def bank_card(rng: random.Random, length: int | None = None) -> str:
    """A Luhn-valid UnionPay (62…) debit card number, 19 digits unless the BIN is 16-digit."""
    bin6, default_len = rng.choice(BANK_BINS)
    size = length or default_len
    body = bin6 + "".join(str(rng.randint(0, 9)) for _ in range(size - 7))
    return body + luhn_check_digit(body)


def email(rng: random.Random, person: Person) -> str:
    """A personal e-mail address derived from the person's name or a QQ number."""
    domain = rng.choice(MAIL_DOMAINS)
    if domain == "qq.com":
        return f"{rng.randint(10000, 2999999999)}@qq.com"
    family, given = person.pinyin.split(".", 1)
    style = rng.randrange(3)
    if style == 0:
        local = f"{family}{given}{person.birth:%y}"
    elif style == 1:
        local = f"{family}.{given}"
    else:
        local = f"{given[:1]}{family}{rng.randint(1, 999)}"
    return f"{local}@{domain}"


def _given(rng: random.Random, sex: str) -> tuple[str, str]:
    pool = MALE_CHARS if sex == "男" else FEMALE_CHARS
    count = 1 if rng.random() < 0.3 else 2
    chars = [rng.choice(pool) for _ in range(count)]
    return "".join(c[0] for c in chars), "".join(c[1] for c in chars)


def make_person(
    rng: random.Random,
    first_year: int,
    last_year: int,
    surname: tuple[str, str] | None = None,
    district: District | None = None,
) -> Person:
    """One synthetic resident of 江州市."""
    sex = rng.choice(("男", "女"))
    if surname is None:
        pick = rng.choices(SURNAMES, weights=[s[2] for s in SURNAMES])[0]
        surname = (pick[0], pick[1])
    given, given_py = _given(rng, sex)
    birth = random_birth(rng, first_year, last_year)
    d = district or rng.choices(DISTRICTS, weights=[3, 3, 2, 2, 1, 2, 2])[0]
    return Person(
        name=surname[0] + given,
        pinyin=f"{surname[1]}.{given_py}",
        sex=sex,
        birth=birth,
        district=d,
        id_number=id18(rng, d.region, birth, sex),
        mobile=mobile(rng),
        address=home_address(rng, d),
    )


def people_batch(rng: random.Random, n: int, first_year: int, last_year: int) -> list[Person]:
    """``n`` people including every compound surname once and at least two IDs ending in X."""
    compound_at = {
        round((i + 1) * n / (len(COMPOUND_SURNAMES) + 1)): s
        for i, s in enumerate(COMPOUND_SURNAMES)
    }
    people = [make_person(rng, first_year, last_year, surname=compound_at.get(i)) for i in range(n)]
    x_count = sum(p.id_number.endswith("X") for p in people)
    for p in people[2 :: max(1, n // 3)]:
        if x_count >= 2:
            break
        if not p.id_number.endswith("X"):
            p.id_number = id18(rng, p.district.region, p.birth, p.sex, want_x=True)
            x_count += 1
    return people
