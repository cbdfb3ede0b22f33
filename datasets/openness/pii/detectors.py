"""The kinds of personal information, their value detectors and the column headers that announce
them: rules as data, each applied by one function.

Values are recognised by ``patterns`` (checksums keep false alarms low). Names, addresses and
birth dates cannot be recognised by their values alone, so a column holds them only when its header
says so (``HEADER_HINTS``); the scanner then checks that the values are not already masked and, for
the weaker headers (联系人, 负责人 …), that they look like what the header announces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from datasets.openness.pii import patterns


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    personal: bool  # institutions publish their switchboard numbers: landlines are not


KINDS: tuple[Kind, ...] = (
    Kind("id_card", "身份证号", True),
    Kind("id_card_15", "旧版身份证号", True),
    Kind("mobile", "手机号码", True),
    Kind("landline", "固定电话", False),
    Kind("bank_card", "银行卡号", True),
    Kind("email", "电子邮箱", True),
    Kind("name", "姓名", True),
    Kind("address", "住址", True),
    Kind("birth_date", "出生日期", True),
    Kind("licence_plate", "车牌号", True),
    # professional licences held by a person: 医师执业证书编码, 律师执业证号, 教师资格证号 …
    Kind("practice_licence", "执业资格证号", True),
)
KINDS_BY_CODE: dict[str, Kind] = {kind.code: kind for kind in KINDS}
KIND_ORDER: dict[str, int] = {kind.code: i for i, kind in enumerate(KINDS)}

Detector = Callable[[str], Iterator[tuple[int, int]]]

# kind code → the spans of that kind inside a text
VALUE_DETECTORS: dict[str, Detector] = {
    "id_card": patterns.find_id18,
    "id_card_15": patterns.find_id15,
    "mobile": patterns.find_mobile,
    "landline": patterns.find_landline,
    "bank_card": patterns.find_bank_card,
    "email": patterns.find_email,
    "licence_plate": patterns.find_plate,
}
# kinds whose values are recognised by ``VALUE_DETECTORS``; the others need a header hint
VALUE_KINDS = frozenset(VALUE_DETECTORS)
HEADER_ONLY_KINDS = frozenset({"name", "address", "birth_date", "practice_licence"})
# related kinds: a header announcing one is evidence for the other
_FAMILIES = ({"id_card", "id_card_15"}, {"mobile", "landline"})


@dataclass(frozen=True)
class HeaderHint:
    """Headers matching ``pattern`` announce ``kind`` (``None``: they announce nothing, and are
    listed so that a broader rule below cannot claim them). A ``strong`` hint is evidence on its
    own; a weak one needs values that look like the kind."""

    kind: str | None
    pattern: re.Pattern[str]
    strong: bool = True


def _hint(kind: str | None, pattern: str, *, strong: bool = True) -> HeaderHint:
    return HeaderHint(kind, re.compile(pattern), strong)


_WEAK_NAME_ROLES = (
    "联系人|负责人|申请人|户主|监护人|承租人|经办人|领取人|收款人|受益人|投诉人|举报人|来电人"
    "|当事人|患者|驾驶人|驾驶员|持证人|持卡人|参保人|被保险人|受助人|受援人|救助对象|代理人|委托人"
    "|购房人|买受人|产权人|权利人|业主|户名|开户名|账户名|家属|配偶|志愿者|队长|签约居民|法律援助对象"
)

# First match wins; headers are compared after ``normalise_header``.
HEADER_HINTS: tuple[HeaderHint, ...] = (
    # public by law (企业登记, 行政许可公示) or not a person at all
    _hint(None, r"^(法定代表人|法人代表|法人|法定代表人（负责人）)(姓名)?$"),
    _hint(None, r"名称$"),
    # (a driving licence and a social security number are the holder's ID number)
    _hint(
        "id_card",
        r"身份证|证件号|证件编号|公民身份号码|身份号码|社会保障号|社保号|身份证明号|驾驶证号",
    ),
    # a person's professional licence (not a business's 许可证: 医疗机构执业许可证)
    _hint(
        "practice_licence",
        r"(?<!许可)(执业|资格|从业)证(书)?(编?号|编码|号码)?$|(医师|护士|律师|教师|药师)证号",
    ),
    _hint("bank_card", r"银行卡|卡号|银行账|账号|帐号|收款账户|金融账户"),
    _hint("email", r"邮箱|电子邮件|邮件地址|^e-?mail"),
    # a name and a phone in one cell (联系人及电话: 张三 13912345678)
    _hint(
        "name", rf"^({_WEAK_NAME_ROLES})(及|和|与|/|、)(联系)?(电话|手机|方式|号码)$", strong=False
    ),
    # a person's own phone: a landline found here is personal
    _hint(
        "landline",
        rf"(家庭|住宅|宅|本人|个人|亲属|紧急联系人|来电|{_WEAK_NAME_ROLES})(联系)?(电话|座机|号码)"
        r"|^宅电$|^座机$",
    ),
    _hint("mobile", r"手机|移动电话|联系电话|联系方式|联系号码|电话号码|来电号码|本人电话"),
    _hint("birth_date", r"出生(日期|年月|年月日|时间|日)|^生日$"),
    _hint(
        "address",
        r"住址$|(家庭|户籍|居住|现住|现居住?|常住|住宅|经常居住)(地址|住址|地|所在地)$"
        r"|户口所在地|户籍所在地|详细住址",
    ),
    _hint("address", r"(联系|通讯|通信|收件|收货|邮寄)地址$", strong=False),
    _hint("name", r"姓名$|^名字$"),
    _hint(
        "name",
        rf"^({_WEAK_NAME_ROLES})$|(联系人|负责人|申请人|监护人|承租人|代理人)$",
        strong=False,
    ),
)

# Headers of codes and serial numbers (guard against mobile, ID and card look-alikes).
_CODE_HEADER = re.compile(
    r"代码|编码|编号|单号|流水号|号码|序号|批号|文号|条码|识别号|许可证|证号|订单|运单|工单|发票"
    r"|批次|号$|^id$|^no\.?$"
)
# Headers of quantities: a unit in brackets, or a word for an amount or a count.
_QUANTITY_HEADER = re.compile(
    r"[（(](?:[万亿千百]?元|[%‰]|平方米|㎡|亩|公顷|[千]?米|公里|km|吨|t|千克|kg|人|个|次|户|套|辆|张|"
    r"床|台|座|千瓦时?|kw|kwh|度)(?:/[^)）]*)?[）)]"
    r"|(?:金额|总额|余额|数额|资本|费用|收入|支出|产值|投资|预算数|决算数|本月数|累计数|人数|次数"
    r"|数量|面积|价格|单价|总价|租金|工资|补贴|营业额)$",
    re.IGNORECASE,
)
_NORMALISE = re.compile(r"[\s*＊:：_\-]|[（(][^）)]*[）)]")


def normalise_header(header: str) -> str:
    """Without spaces, required-field stars, colons and parenthesised notes (units, formats)."""
    return _NORMALISE.sub("", str(header or "")).lower()


def header_hint(header: str) -> HeaderHint | None:
    """The hint a column header gives, or ``None``."""
    text = normalise_header(header)
    if not text:
        return None
    for hint in HEADER_HINTS:
        if hint.pattern.search(text):
            return hint
    return None


def header_kind(header: str) -> str | None:
    """The kind of personal information a column header announces, or ``None``."""
    hint = header_hint(header)
    return hint.kind if hint else None


def is_code_header(header: str) -> bool:
    """A header of codes or serial numbers (统一社会信用代码, 订单号, 证书编号 …) announcing no
    personal information: numbers under it that merely look like phones or IDs are not taken for
    them unless they fill half of the column."""
    return header_hint(header) is None and bool(_CODE_HEADER.search(normalise_header(header)))


def is_quantity_header(header: str) -> bool:
    """A header of amounts or counts (合同金额(元), 人数, 营业面积(平方米) …): an 11-digit amount
    such as 13800138000 under it is not a phone number unless such values fill half of it."""
    text = str(header or "")
    return header_hint(header) is None and bool(
        _QUANTITY_HEADER.search(text) or _QUANTITY_HEADER.search(normalise_header(text))
    )


def same_family(hinted: str | None, kind: str) -> bool:
    """Whether a header announcing ``hinted`` is evidence for values of ``kind``."""
    if hinted == kind:
        return True
    return any(hinted in family and kind in family for family in _FAMILIES)


# --- what the values under a header hint must look like ------------------------------------

_COMPOUND_SURNAMES = (
    "欧阳|司马|诸葛|上官|皇甫|东方|夏侯|尉迟|公孙|慕容|令狐|长孙|宇文|司徒|司空|端木|独孤|南宫|西门"
    "|百里|呼延|澹台|钟离|轩辕|万俟|闻人|东郭|申屠|太史|拓跋|赫连|第五|公冶|濮阳|单于"
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝"
    "包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤"
    "阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和"
    "仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌"
    "奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云"
    "容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛"
    "宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由洪邵龙"
)
_CJK = r"[\u4e00-\u9fff]"
_FREE = r"[^*＊×\x1e]"  # a character that is neither a mask nor the scanner's cell separator


def _cell(body: str) -> re.Pattern[str]:
    """A pattern that a whole cell must match (spaces around it allowed)."""
    return re.compile(rf"[ \t]*(?:{body})[ \t]*")


# 2–4 characters starting with a common surname, or a minority name with a middle dot, not
# ending like the name of an office or organisation (党政办, 综合科, 某某公司); a phone number
# may follow (张三 13912345678, under 联系人及电话)
_NOT_ANONYMISED = r"(?![^\x1e]*某)"  # 张某, 李某某: how court and penalty notices hide names
PERSON_NAME = _cell(
    rf"{_NOT_ANONYMISED}(?:(?:{_COMPOUND_SURNAMES}){_CJK}{{1,2}}|[{_SURNAMES}]{_CJK}{{1,3}}"
    rf"|{_CJK}{{1,8}}[·•]{_CJK}{{1,8}})"
    r"(?<![办科处部局所站队组会院厂店社校馆委厅室])(?<!中心)(?<!公司)"
    r"(?:[ ,，:：/、]*[+\d][\d ()（）-]{6,})?"
)
# any name (under an unambiguous 姓名 header): Chinese or Latin letters, nothing masked
ANY_NAME = _cell(
    rf"{_NOT_ANONYMISED}(?:{_CJK}{{2,12}}|{_CJK}{{1,8}}[·•]{_CJK}{{1,8}}"
    r"|[A-Za-z][A-Za-z .'-]{1,60})"
)
# an address below its district (a street, number or village), nothing masked
PRECISE_ADDRESS = _cell(
    rf"{_FREE}*(?:路|街|道|巷|弄|胡同|号|村|组|屯|室|栋|幢|单元|楼|小区|花园|苑|公寓|里){_FREE}*"
)
# where a person lives: a flat, a building unit, a village group or household, nothing masked
DWELLING_ADDRESS = _cell(rf"{_FREE}*(?:室|单元|栋|幢|号楼|\d+组|村{_FREE}*号|户){_FREE}*")
# a date giving at least the year and its month: 1965-05-11, 1965年5月, 196505, 1965/5
BIRTH_DATE = _cell(r"[^\x1e]*?(?:19|20)\d{2}(?: *[-/.年] *\d{1,2}|0[1-9]|1[0-2])[^\x1e]*")


# a certificate number, nothing masked: 110440100012345, A3301202012345
LICENCE_NUMBER = _cell(r"[A-Za-z0-9][A-Za-z0-9-]{5,29}")


def looks_like_person_name(text: str) -> bool:
    """2–4 Chinese characters starting with a common surname (compound ones included), not the
    name of an office, or a minority name such as 阿依古丽·买买提."""
    return bool(PERSON_NAME.fullmatch(text))


def is_unmasked_name(text: str) -> bool:
    return bool(ANY_NAME.fullmatch(text))


def is_precise_address(text: str) -> bool:
    return bool(PRECISE_ADDRESS.fullmatch(text))


def is_dwelling_address(text: str) -> bool:
    return bool(DWELLING_ADDRESS.fullmatch(text))


def is_birth_date(text: str) -> bool:
    return bool(BIRTH_DATE.fullmatch(text))


def hinted_cell_pattern(hint: HeaderHint) -> re.Pattern[str] | None:
    """The pattern a cell under a header hint must match to count for the hinted kind."""
    if hint.kind == "name":
        return ANY_NAME if hint.strong else PERSON_NAME
    if hint.kind == "address":
        return PRECISE_ADDRESS if hint.strong else DWELLING_ADDRESS
    if hint.kind == "birth_date":
        return BIRTH_DATE
    if hint.kind == "practice_licence":
        return LICENCE_NUMBER
    return None
