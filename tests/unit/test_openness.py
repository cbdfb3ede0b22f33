import pytest

from datasets.errors import ValidationError
from datasets.openness import rules as op


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (None, "unconditional"),
        ("", "unconditional"),
        ("无条件开放", "unconditional"),
        ("无条件开发", "unconditional"),
        ("普遍开放", "unconditional"),
        ("Unconditional", "unconditional"),
        ("有条件开放", "conditional"),
        ("依申请开放", "conditional"),
        ("不予开放", "closed"),
        ("closed", "closed"),
        ("随便开放", None),
    ],
)
def test_declared_openness_values_map_to_the_three_classes(declared, expected):
    assert op.parse_openness(declared) == expected


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("security", "security"),
        ("第三项", "privacy-trade-secret"),
        ("（四）", "agreement-ip"),
        ("5", "law-other-channel"),
        ("涉及商业秘密、个人隐私等，开放会对第三方合法权益造成损害的", "privacy-trade-secret"),
        ("依法确定为国家秘密的", "state-secret"),
        ("没有这条", None),
        ("", None),
    ],
)
def test_rules_are_recognised_by_code_number_or_title(rule, code):
    assert op.parse_rule(rule) == code


def test_the_five_rules_have_stable_codes_in_order():
    assert [r.code for r in op.EXCLUSION_RULES] == [
        "state-secret",
        "security",
        "privacy-trade-secret",
        "agreement-ip",
        "law-other-channel",
    ]
    assert [r.number for r in op.EXCLUSION_RULES] == [1, 2, 3, 4, 5]


def test_state_secrets_are_refused_at_intake():
    with pytest.raises(op.RefusedAtIntake, match="state-secret"):
        op.classify(declared="不予开放", rule="state-secret", basis="保密法")


@pytest.mark.parametrize(
    ("rule", "basis", "missing"),
    [
        (None, "某法第八条", "exclusion_rule"),
        ("security", "", "exclusion_basis"),
        (None, None, "exclusion_rule"),
    ],
)
def test_closed_without_rule_and_basis_is_invalid(rule, basis, missing):
    with pytest.raises(ValidationError) as caught:
        op.classify(declared="不予开放", rule=rule, basis=basis)
    assert missing in caught.value.errors
    assert not isinstance(caught.value, op.RefusedAtIntake)


def test_closed_with_rule_and_basis_is_listed_with_its_reason():
    result = op.classify(declared="closed", rule="第四项", basis="与图商的授权协议第5条")
    assert result.openness == "closed"
    assert result.exclusion_rule == "agreement-ip"
    assert result.exclusion_basis == "与图商的授权协议第5条"
    assert "因协议或者知识产权限制" in result.reasons[0]


def test_unknown_openness_or_rule_is_an_error_not_a_guess():
    with pytest.raises(ValidationError, match="开放属性无法识别"):
        op.classify(declared="半开放")
    with pytest.raises(ValidationError, match="不予开放情形无法识别"):
        op.classify(declared="不予开放", rule="第九项", basis="x")


def test_missing_openness_means_open_by_default():
    assert op.classify(declared=None).openness == "unconditional"
