"""统一社会信用代码 (GB 32100-2015): real published codes pass; any one wrong character fails."""

import random

import pytest

from datasets.accounts import creditcode
from datasets.accounts.creditcode import CHARSET, check, check_character, is_valid, normalise

# Published codes of well-known companies (华为, 腾讯, 百度, 小米) and the worked example quoted
# from GB 32100-2015 (福州, M000100Y4 → 3); each check character is recomputed below.
REAL = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91350100M000100Y43",  # the example quoted from the standard
]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert check(code) is None and is_valid(code)
    assert check_character(code[:17]) == code[17]


def test_the_weights_are_powers_of_three_mod_31():
    assert tuple(pow(3, i, 31) for i in range(17)) == creditcode.WEIGHTS
    assert not set("IOZSV") & set(CHARSET) and len(CHARSET) == 31


@pytest.mark.parametrize("code", REAL)
def test_every_single_substitution_is_caught(code):
    for position in range(18):
        for char in CHARSET:
            if char != code[position]:
                changed = code[:position] + char + code[position + 1 :]
                assert not is_valid(changed), changed


def test_swapping_two_neighbours_in_the_body_is_always_caught():
    # swapping a and b at i, i+1 changes the sum by (a - b) * w_i * (1 - 3): never 0 mod 31
    for code in REAL:
        for position in range(16):
            if code[position] != code[position + 1]:
                swapped = (
                    code[:position] + code[position + 1] + code[position] + code[position + 2 :]
                )
                assert not is_valid(swapped), swapped


def test_a_wrong_check_character_names_the_right_one():
    assert check("91350100M000100Y44") == "校验位应为 3，现为 4：请核对代码是否抄错"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "请填写统一社会信用代码"),
        (None, "请填写统一社会信用代码"),
        ("91350100M000100Y4", "应为 18 位，现为 17 位"),
        ("9135O100M000100Y43", "第 5 位“O”"),  # the letter O, not zero
        ("91350100M000100Z43", "第 16 位“Z”"),
        ("B1350100M000100Y43", "第 1 位登记管理部门代码“B”"),
        ("94350100M000100Y43", "第 2 位机构类别代码“4”不属于登记管理部门“9”（工商）"),
        ("913501A0M000100Y43", "第 3–8 位应为 6 位数字的行政区划码"),
    ],
)
def test_structural_problems_are_named(code, message):
    assert message in check(code)


def test_input_is_normalised_before_checking():
    assert normalise(" 9135 0100m000100y43\n") == "91350100M000100Y43"
    assert normalise("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"  # full-width
    assert is_valid("91350100m000100y43")
    assert normalise(None) == ""


def test_generated_codes_agree_with_the_pii_scanner():
    from datasets.openness.pii.patterns import is_credit_code

    rnd = random.Random(3)
    for _ in range(500):
        authority = rnd.choice(sorted(creditcode.AUTHORITIES))
        category = rnd.choice(creditcode.AUTHORITIES[authority][1])
        body = authority + category + f"{rnd.randrange(10**6):06d}"
        body += "".join(rnd.choice(CHARSET) for _ in range(9))
        code = body + check_character(body)
        assert is_valid(code) and is_credit_code(code)
