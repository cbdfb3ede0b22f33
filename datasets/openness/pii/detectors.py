"""What column headers and the cells under them look like: the words the header hints of
``datasets.openness.pii.kinds`` are written with, and the patterns the cells under a hint must
match for the kinds found only under a header.

Names, addresses and birth dates cannot be recognised by their values alone, so a column holds
them only when its header says so; the scanner then checks that the cells are not already masked
and, under the weaker headers (联系人, 负责人 …), that they look like what the header announces.
"""

from __future__ import annotations

import re

# People named by their role in a register (联系人, 户主, 承租人 …): such a header announces a
# name (weakly), and with 电话 that person's own phone.
PERSON_ROLES = (
    "联系人|负责人|申请人|户主|监护人|承租人|经办人|领取人|收款人|受益人|投诉人|举报人|来电人"
    "|当事人|患者|驾驶人|驾驶员|持证人|持卡人|参保人|被保险人|受助人|受援人|救助对象|代理人|委托人"
    "|购房人|买受人|产权人|权利人|业主|户名|开户名|账户名|家属|配偶|志愿者|队长|签约居民|法律援助对象"
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


def is_quantity_header(header: str) -> bool:
    """A header of amounts or counts (合同金额(元), 人数, 营业面积(平方米) …): an 11-digit amount
    such as 13800138000 under it is not a phone number unless such values fill half of it. (The
    scanner asks only of headers announcing no kind of personal information.)"""
    text = str(header or "")
    return bool(_QUANTITY_HEADER.search(text) or _QUANTITY_HEADER.search(normalise_header(text)))


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
