"""Identifier patterns and checksums (``datasets.openness.pii.patterns``): positives, hard
negatives."""

import random

import pytest

from datasets.openness.pii import patterns as p


def _id(first17: str) -> str:
    return first17 + p.id18_check_char(first17)


ID_SPANS = [
    ("11010519491231002X", [(0, 18)]),  # the example of GB 11643
    ("11010519491231002x", [(0, 18)]),
    (f"身份证号：{_id('43060219900101123')}。", [(5, 23)]),
    ("１１０１０５１９４９１２３１００２Ｘ", [(0, 18)]),  # typed in full width
]


@pytest.mark.parametrize(("text", "spans"), ID_SPANS)
def test_valid_id_numbers_are_found_with_x_and_inside_text(text, spans):
    assert list(p.find_id18(text)) == spans


@pytest.mark.parametrize(
    "text",
    [
        "110105194912310021",  # wrong check digit
        _id("99010519491231002"),  # no such province
        _id("43060219900230123"),  # 30 February
        _id("43060221990101123"),  # born in the future
        _id("43060218991231123"),  # born before 1900
        "A" + _id("43060219900101123"),  # part of a code
        _id("43060219900101123") + "7",  # 19 digits
        "0." + _id("43060219900101123"),  # a fraction
        "430602********1234",  # masked already
    ],
)
def test_id_look_alikes_are_not_id_numbers(text):
    assert list(p.find_id18(text)) == []


def test_an_id_shaped_serial_number_with_a_wrong_check_digit_is_a_candidate_but_not_valid():
    serial = "361002202403151234"
    good = _id(serial[:17])
    assert serial != good
    assert list(p.id18_candidates(serial)) == [(0, 18, False)]
    assert list(p.id18_candidates(good)) == [(0, 18, True)]
    assert list(p.id18_candidates("91361002MA3TF6FC0K")) == []  # not ID-shaped at all


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("430602900101123", True),
        ("请核对110105491231002", True),
        ("430602901301123", False),  # month 13
        ("990602900101123", False),  # no such province
        ("202403150012345", False),  # an order number starting with a date
    ],
)
def test_fifteen_digit_ids_need_a_province_and_a_birth_date(text, valid):
    assert bool(list(p.find_id15(text))) is valid


def test_the_base_13_check_character_equals_the_weighted_sum_of_gb_11643():
    rnd = random.Random(3)
    for _ in range(2000):
        first17 = "".join(rnd.choice("0123456789") for _ in range(17))
        weighted = sum(int(c) * w for c, w in zip(first17, p._ID18_WEIGHTS, strict=True))
        assert p.id18_check_char(first17) == "10X98765432"[weighted % 11]
    with pytest.raises(ValueError):
        p.id18_check_char("1234567890123456A")


@pytest.mark.parametrize(
    ("text", "valid"),
    [("19960229", True), ("19970229", False), ("660101", True), ("19000101", True),
     ("18991231", False), ("29991231", False), ("1990013", False), ("abcdefgh", False)],
)  # fmt: skip
def test_birth_dates_are_real_days_between_1900_and_today(text, valid):
    assert p.valid_birth_date(text) is valid


MOBILES = [
    ("13912345678", "13912345678"),
    ("请联系13912345678办理", "13912345678"),
    ("电话：139 1234 5678", "139 1234 5678"),
    ("139-1234-5678", "139-1234-5678"),
    ("+86 13912345678", "+86 13912345678"),
    ("+86-139-1234-5678", "+86-139-1234-5678"),
    ("008613912345678", "008613912345678"),
    ("8613912345678", "8613912345678"),
    ("手机19912345678/0792-3219432", "19912345678"),
]


@pytest.mark.parametrize(("text", "found"), MOBILES)
def test_mobile_numbers_are_found_in_every_usual_writing(text, found):
    assert [text[s:e] for s, e in p.find_mobile(text)] == [found]


@pytest.mark.parametrize(
    "text",
    [
        "12345678901",  # 1[0-2] is not a mobile prefix
        "10086123456",
        "02912345678",  # starts with 0
        "07923219432",  # a landline written as one run
        "21090546982",  # a device number starting with 2
        "139123456789",  # 12 digits
        "2013912345678",  # inside a longer number
        "13800138000.5",  # an amount
        "13912345678.00",
        "29.13912345678",  # a coordinate
        "JZ-13912345678",  # the tail of a code
        "13912345678-A",
        "ab13912345678",
        "138****5678",  # masked already
    ],
)
def test_mobile_look_alikes_are_not_mobile_numbers(text):
    assert list(p.find_mobile(text)) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("0792-3219432", "0792-3219432"),
        ("(0792)3219432", "(0792)3219432"),
        ("（0792）3219432", "（0792）3219432"),
        ("010-12345678", "010-12345678"),
        ("总机0792-3219432-801转人工", "0792-3219432-801"),
    ],
)
def test_landlines_need_an_area_code(text, found):
    assert [text[s:e] for s, e in p.find_landline(text)] == [found]


@pytest.mark.parametrize("text", ["2024-03-15", "0792-123", "12345", "400-820-8820", "3219432"])
def test_landline_look_alikes_are_not_landlines(text):
    assert list(p.find_landline(text)) == []


def _card(body: str) -> str:
    for digit in "0123456789":
        if p.luhn_valid(body + digit):
            return body + digit
    raise AssertionError


CARD19 = _card("622202123456789012")
CARD16 = _card("621700123456789")


@pytest.mark.parametrize(
    "text",
    [
        CARD19,
        CARD16,
        " ".join(CARD19[i : i + 4] for i in range(0, 19, 4)),  # 6222 0212 3456 7890 12x
        "-".join(CARD16[i : i + 4] for i in range(0, 16, 4)),
        f"工资卡{CARD19}。",
    ],
)
def test_luhn_valid_cards_with_an_issuer_prefix_are_found_grouped_or_not(text):
    assert len(list(p.find_bank_card(text))) == 1


@pytest.mark.parametrize(
    "text",
    [
        CARD19[:-1] + str((int(CARD19[-1]) + 1) % 10),  # Luhn fails
        _card("912202123456789012"),  # no issuer starts with 9
        _id("43060219900101123"),  # a valid ID number
        "430602199001011230" if not p.is_id18("430602199001011230") else "430602199001011231",
        "36050180123400000123",  # a 20-digit corporate account
        "622202******0128",  # masked already
    ],
)
def test_card_look_alikes_are_not_cards(text):
    assert list(p.find_bank_card(text)) == []


def test_luhn_by_translation_table_equals_the_textbook_loop():
    def textbook(digits: str) -> bool:
        total = 0
        for i, char in enumerate(reversed(digits)):
            n = int(char) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        return total % 10 == 0

    rnd = random.Random(4)
    for _ in range(2000):
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 20)))
        assert p.luhn_valid(digits) is textbook(digits)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("lufengzhen65@sina.com", ["lufengzhen65@sina.com"]),
        ("请回复至 zhang.san+1@jiangzhou.gov.cn。", ["zhang.san+1@jiangzhou.gov.cn"]),
        ("a***@example.com", []),  # masked already
        ("@163.com", []),
        ("name@localhost", []),
    ],
)
def test_email_addresses(text, found):
    assert [text[s:e] for s, e in p.find_email(text)] == found


@pytest.mark.parametrize(
    ("code", "credit"),
    [
        ("91361002MA3TF6FC0K", True),
        ("12361003809776815H", True),
        ("5236100233185529X7", True),
        ("123610028299887199", True),  # all digits
        ("91361002MA3TF6FC0A", False),  # wrong check character
        ("91361002MA3TF6FC0", False),
    ],
)
def test_credit_codes_are_checked_by_gb_32100(code, credit):
    assert p.is_credit_code(code) is credit
    assert p.looks_like_credit_code(code) is credit


def test_a_real_id_number_seldom_looks_like_a_credit_code():
    rnd = random.Random(5)
    ids = []
    while len(ids) < 3000:
        region = rnd.choice(["430602", "361002", "110105", "440106", "510107", "320102"])
        first17 = region + f"19{rnd.randint(40, 99)}0{rnd.randint(1, 9)}1{rnd.randint(0, 9)}"
        first17 += f"{rnd.randrange(1000):03d}"
        ids.append(_id(first17))
    assert sum(map(p.is_credit_code, ids)) > 30  # one in 31 by chance …
    assert sum(map(p.looks_like_credit_code, ids)) == 0  # … but not by structure


REALISTIC = [
    "请联系13912345678办理",
    f"身份证{_id('43060219900101123')}，卡号{CARD19}",
    "总机0792-3219432，手机+86 139 1234 5678",
    "订单202403150012345，备案号361002202403151234",
    f"{CARD16[:4]} {CARD16[4:8]} {CARD16[8:12]} {CARD16[12:]}",
    "坐标29.13912345678，金额13800138000.50元",
]


@pytest.mark.parametrize("text", REALISTIC)
def test_the_one_pass_finder_reports_what_the_separate_finders_report(text):
    separate = {(p.find_id18, *c) for c in p.id18_candidates(text)}
    separate |= {(p.find_id15, *c) for c in p.id15_candidates(text)}
    separate |= {(p.find_bank_card, *c) for c in p.bank_card_candidates(text)}
    separate |= {(p.find_mobile, s, e, True) for s, e in p.find_mobile(text)}
    separate |= {(p.find_landline, s, e, True) for s, e in p.find_landline(text)}
    assert set(p.number_candidates(text)) == separate
    assert {finder for finder, *_ in p.number_candidates(text)} <= p.NUMBER_FINDERS


def test_the_one_pass_finder_never_reports_what_no_separate_finder_reports():
    rnd = random.Random(6)
    alphabet = "0123456789" * 6 + "+-. ()（）xX_中" + "186" * 3
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(5, 40)))
        separate = {(p.find_id18, *c) for c in p.id18_candidates(text)}
        separate |= {(p.find_id15, *c) for c in p.id15_candidates(text)}
        separate |= {(p.find_bank_card, *c) for c in p.bank_card_candidates(text)}
        separate |= {(p.find_mobile, s, e, True) for s, e in p.find_mobile(text)}
        separate |= {(p.find_landline, s, e, True) for s, e in p.find_landline(text)}
        assert set(p.number_candidates(text)) <= separate, text
