"""共享属性: only the three types of 国发〔2016〕51号 第九条; 不予共享 needs its basis."""

import pytest

from datasets.catalog import sharing
from datasets.errors import ValidationError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("无条件共享", "无条件共享"),
        (" 有条件共享 ", "有条件共享"),
        ("不予共享类", "不予共享"),
        ("Conditional", "有条件共享"),
        ("", None),
        (None, None),
    ],
)
def test_the_three_types_and_their_usual_spellings_are_read(value, expected):
    assert sharing.parse_share_type(value) == expected


@pytest.mark.parametrize("value", ["随便共享", "共享", "完全共享", "无条件开放"])
def test_anything_else_is_refused_naming_the_value(value):
    with pytest.raises(ValidationError) as refused:
        sharing.parse_share_type(value)
    assert f"“{value}”" in refused.value.message
    assert "无条件共享、有条件共享、不予共享" in refused.value.message
    assert "share_type" in refused.value.errors


def test_not_shared_needs_a_basis_and_every_problem_is_named_at_once():
    with pytest.raises(ValidationError) as refused:
        sharing.check("不予共享")
    assert "国发〔2016〕51号 第十条" in refused.value.message
    with pytest.raises(ValidationError) as both:
        sharing.check("随便共享", method="x" * 201)
    assert set(both.value.errors) == {"share_type", "share_method"}
    kept = sharing.check("不予共享", basis="《中华人民共和国反恐怖主义法》第三十一条")
    assert kept == sharing.Sharing(
        "不予共享", None, None, "《中华人民共和国反恐怖主义法》第三十一条"
    )


def test_conditions_are_kept_for_conditional_sharing_only():
    shared = sharing.check("有条件共享", conditions="仅向医保部门提供", method="系统对接")
    assert (shared.conditions, shared.method, shared.basis) == (
        "仅向医保部门提供",
        "系统对接",
        None,
    )
    plain = sharing.check("无条件共享", conditions="无", method="数据下发接口", basis="无")
    assert (plain.conditions, plain.method, plain.basis) == (None, "数据下发接口", None)
