"""Validation reports in Chinese: the validator's error types mapped to Chinese titles and
descriptions, and each example's message rebuilt from its row, field and (for data the public
may see) its cell value. Stored reports keep what the validator said; ``chinese_report`` is
applied when a report is shown (pages and API), so reports stored earlier read the same."""

from __future__ import annotations

import re
from typing import Any

# error type → (title, description); the types are the validator's stable codes
ERROR_WORDS: dict[str, tuple[str, str]] = {
    "extra-cell": ("多余的单元格", "该行的值比表头多，每一行的列数应与表头相同。"),
    "missing-cell": ("缺少单元格", "该行的值比表头少，每一行的列数应与表头相同。"),
    "type-error": ("类型错误", "单元格的值与该字段声明的类型或格式不符。"),
    "constraint-error": ("不符合约束", "单元格的值不符合该字段的约束条件（如必填、取值范围）。"),
    "unique-error": ("值重复", "该字段要求取值唯一，但此值已在其他行出现。"),
    "truncated-value": ("值可能被截断", "单元格的值可能被截断（长度恰好达到常见上限）。"),
    "forbidden-value": ("禁止的值", "单元格的值属于不允许出现的取值。"),
    "sequential-value": ("序号不连续", "该字段应为连续序号，此值不连续。"),
    "ascii-value": ("含非 ASCII 字符", "该字段只允许 ASCII 字符。"),
    "blank-header": ("表头为空", "表头整行为空，表头至少应有一个值。"),
    "unmatched-header": ("表头与表结构不符", "表头中没有任何一个表结构中定义的字段。"),
    "extra-label": ("多余的列名", "表头中有表结构未定义的列。"),
    "missing-label": ("缺少列名", "表结构定义的字段在表头中不存在。"),
    "blank-label": ("列名为空", "表头中有列名为空，每一列都应有列名。"),
    "duplicate-label": ("列名重复", "表头中有两列名称相同，列名应当唯一。"),
    "incorrect-label": ("列名不符", "表头的列名与表结构中定义的字段名不一致。"),
    "blank-row": ("空行", "该行没有任何值，每一行至少应有一个值。"),
    "primary-key": ("主键重复", "主键字段的值在每一行都应唯一。"),
    "foreign-key": ("外键不存在", "外键字段的值应在所引用的表中存在。"),
    "duplicate-row": ("重复行", "该行与其他行完全相同。"),
    "row-constraint": ("不符合行约束", "该行的值不符合整行的约束条件。"),
    "field-count": ("列数不符", "表格的列数与预期不符，文件可能已损坏。"),
    "row-count": ("行数不符", "表格的行数与预期不符，文件可能已损坏。"),
    "table-dimensions": ("表格尺寸不符", "表格的行数或列数不符合要求。"),
    "deviated-value": ("数值异常偏离", "该值明显偏离同列其他值，可能有误。"),
    "deviated-cell": ("单元格异常", "该单元格明显大于同列其他单元格，可能有误。"),
    "required-value": ("缺少必需的值", "该列缺少必须出现的值。"),
    "hash-count": ("文件校验值不符", "文件内容与声明的校验值不符，文件可能已损坏。"),
    "byte-count": ("文件大小不符", "文件大小与声明的不符，文件可能已损坏。"),
    "source-error": ("无法读取数据", "文件内容不受支持或前后不一致，无法读取。"),
    "scheme-error": ("无法读取文件", "文件无法打开。"),
    "format-error": ("格式错误", "文件无法按其格式解析。"),
    "encoding-error": ("编码错误", "文件的文字编码无法识别或前后不一致。"),
    "compression-error": ("解压失败", "压缩文件无法解压。"),
    "schema-error": ("表结构有误", "数据提供方声明的表结构无效。"),
    "field-error": ("字段定义有误", "表结构中的字段定义无效。"),
    "dialect-error": ("表格格式声明有误", "声明的分隔符、表头行等格式信息无效。"),
    "resource-error": ("无法校验", "文件无法读取或解析，未能完成校验。"),
    "package-error": ("数据包有误", "数据包描述无效，未能完成校验。"),
}
_FALLBACK = ("数据问题", "校验发现的问题。")
TYPE_WORDS = {
    "string": "文本",
    "integer": "整数",
    "number": "数值",
    "boolean": "布尔值",
    "date": "日期",
    "time": "时间",
    "datetime": "日期时间",
    "year": "年份",
    "yearmonth": "年月",
    "duration": "时长",
    "object": "对象",
    "array": "数组",
    "geopoint": "地理坐标",
    "geojson": "地理数据",
}
CONSTRAINT_WORDS = {
    "required": "必填",
    "unique": "唯一",
    "minimum": "最小值",
    "maximum": "最大值",
    "exclusiveMinimum": "下限",
    "exclusiveMaximum": "上限",
    "minLength": "最短长度",
    "maxLength": "最大长度",
    "pattern": "格式",
    "enum": "可选值",
}
_TYPE_NOTE = re.compile(r'type is "(\w+)')
_CONSTRAINT_NOTE = re.compile(r'constraint "(\w+)"')


def error_words(error_type: str) -> tuple[str, str]:
    """The Chinese title and description of an error type (a generic pair for unknown types)."""
    return ERROR_WORDS.get(error_type, _FALLBACK)


def chinese_report(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report with Chinese titles, descriptions and example messages; the validator's name
    is left out (the portal does not speak of its tools)."""
    if not report:
        return report
    errors = [_chinese_entry(entry) for entry in report.get("errors", [])]
    out = {key: value for key, value in report.items() if key != "validator"}
    return {**out, "errors": errors}


def _chinese_entry(entry: dict[str, Any]) -> dict[str, Any]:
    kind = str(entry.get("type") or "")
    if kind in ERROR_WORDS:
        title, description = ERROR_WORDS[kind]
        if _own_words(entry.get("description")):  # the portal's own words (a redacted report)
            description = str(entry["description"])
    elif _is_chinese(entry.get("title")):  # the portal's own reports (无法校验 …)
        title, description = str(entry["title"]), str(entry.get("description") or "")
    else:
        title, description = _FALLBACK
    examples = [
        {
            key: value
            for key, value in {**ex, "message": example_message(kind, ex, title)}.items()
            if key != "note"
        }
        for ex in entry.get("examples", [])
    ]
    return {**entry, "title": title, "description": description, "examples": examples}


def example_message(kind: str, example: dict[str, Any], title: str) -> str:
    """One example in Chinese: where it is (row, field), the cell value when the report keeps
    it, and what the field expects (type or constraint) when the validator said so."""
    message = example.get("message") or ""
    if _own_words(message):
        return str(message)  # the portal's own words
    row, field = example.get("row"), example.get("field")
    where = [f"第 {row} 行"] if row is not None else []
    if field:
        where.append(f"字段“{field}”")
    text = "，".join(where) or ("表头" if "label" in kind or "header" in kind else "整个文件")
    if example.get("cell") not in (None, ""):
        text += f"的值“{example['cell']}”"
    text += f"：{title}"
    note = str(example.get("note") or "")
    if found := _TYPE_NOTE.search(note):
        text += f"（应为{TYPE_WORDS.get(found.group(1), found.group(1))}）"
    elif found := _CONSTRAINT_NOTE.search(note):
        name = found.group(1)
        text += f"（约束：{CONSTRAINT_WORDS.get(name, name)}）"
    return text


def _is_chinese(text: Any) -> bool:
    return isinstance(text, str) and re.search(r"[\u4e00-\u9fff]", text) is not None


def _own_words(text: Any) -> bool:
    """Chinese text without English words in it: written by the portal, shown as it is."""
    return _is_chinese(text) and re.search(r"[A-Za-z]{3,}", str(text)) is None
