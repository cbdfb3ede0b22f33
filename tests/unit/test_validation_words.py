"""Validation reports shown in Chinese: titles, descriptions and example messages."""

from __future__ import annotations

import re

from datasets.intake.validation import redact_report
from datasets.intake.validation_words import ERROR_WORDS, chinese_report

STORED = {
    "status": "failure",
    "rows": 20,
    "error_count": 2,
    "validator": "frictionless 5.18.1",
    "errors": [
        {
            "type": "type-error",
            "title": "Type Error",
            "description": "The value does not match the schema type and format for this field.",
            "count": 2,
            "examples": [
                {
                    "row": 20,
                    "field": "车位数",
                    "message": 'Type error in the cell "暂无" in row "20" and field "车位数"',
                    "cell": "暂无",
                    "note": 'type is "integer/default"',
                }
            ],
        },
        {
            "type": "format-error",
            "title": "Format Error",
            "description": "Data reading error because of incorrect format.",
            "count": 1,
            "examples": [{"row": None, "field": None, "message": "Format Error: cannot parse"}],
        },
        {
            "type": "resource-error",
            "title": "无法校验",
            "description": "校验程序无法读取该文件：ValueError",
            "count": 1,
            "examples": [{"row": None, "field": None, "message": "校验程序无法读取该文件"}],
        },
    ],
}


def test_every_word_is_chinese_and_the_validator_is_not_named():
    shown = chinese_report(STORED)
    assert "validator" not in shown
    typed, broken, own = shown["errors"]
    assert typed["title"] == "类型错误" and typed["type"] == "type-error"
    assert typed["description"].startswith("单元格的值与该字段声明的类型")
    [example] = typed["examples"]
    assert example["message"] == "第 20 行，字段“车位数”的值“暂无”：类型错误（应为整数）"
    assert "note" not in example
    assert broken["title"] == "格式错误"
    assert broken["examples"][0]["message"] == "整个文件：格式错误"
    assert own["title"] == "无法校验" and own["examples"][0]["message"] == "校验程序无法读取该文件"
    english = re.compile(r"[A-Za-z]{3,}")
    for entry in shown["errors"]:
        texts = [entry["title"], entry["description"], *(e["message"] for e in entry["examples"])]
        assert not any(english.search(t) for t in texts), texts


def test_a_redacted_report_shows_no_cell_value_in_chinese_either():
    shown = chinese_report(redact_report(STORED))
    typed = shown["errors"][0]
    message = "第 20 行，字段“车位数”：类型错误"
    assert typed["examples"][0] == {"row": 20, "field": "车位数", "message": message}
    assert "暂无" not in str(shown)
    assert shown["errors"][1]["description"] == "文件无法读取或解析，未能完成校验。"


def test_every_error_type_of_the_validator_has_chinese_words():
    import frictionless

    types = {
        cls.type
        for cls in vars(frictionless.errors).values()
        if isinstance(cls, type) and issubclass(cls, frictionless.errors.Error)
    }
    generic = {
        "error", "cell-error", "row-error", "header-error", "label-error", "table-error",
        "data-error", "file-error", "metadata-error",
    }  # fmt: skip
    data_errors = {
        t
        for t in types
        if t not in generic and not t.endswith(("-task-error", "inquiry-error", "report-error"))
    }
    missing = sorted(t for t in data_errors if t not in ERROR_WORDS)
    # metadata errors of descriptors the portal never builds from a harvested file
    assert set(missing) <= {
        "catalog-error", "dataset-error", "checklist-error", "check-error", "detector-error",
        "control-error", "pipeline-error", "step-error", "stats-error",
    }, missing  # fmt: skip
    assert (
        chinese_report({"errors": [{"type": "step-error", "title": "Step Error"}]})["errors"][0][
            "title"
        ]
        == "数据问题"
    )
