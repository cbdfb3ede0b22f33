"""The legal text the portal cites, as configuration (``config/legal.toml``, or the file the
setting ``legal_text`` names): the city, the supervising bureau, the regulation and the articles
each of the five exclusion rules (and the de-identification clause) rests on.

Operators edit the file; it is read and checked when the settings are loaded, and a missing
file, an unknown or missing key or an empty value stops the start with a ``ConfigError`` naming
the file and the key. Pages, notices and the API read the text from ``Settings.legal``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets.errors import ConfigError

DEFAULT_LEGAL_TEXT = Path(__file__).resolve().parent.parent / "config" / "legal.toml"
# the five exclusion rules (datasets.openness.rules), then the clause opening de-identified data
RULE_CODES = (
    "state-secret",
    "security",
    "privacy-trade-secret",
    "agreement-ip",
    "law-other-channel",
)
DEIDENTIFIED = "deidentified"
ARTICLE_KEYS = (*RULE_CODES, DEIDENTIFIED)
_NAMES = {"city": "城市名称", "supervisor": "主管部门名称", "regulation": "法规名称"}


@dataclass(frozen=True)
class LegalText:
    path: Path
    city: str  # 江州市
    supervisor: str  # 江州市行政审批服务局
    regulation: str  # 《岳阳市政务信息资源管理暂行办法》
    articles: tuple[tuple[str, str], ...]  # (key of ARTICLE_KEYS, 第二十六条第（一）项)

    def article(self, key: str) -> str:
        """The full citation of ``key`` (a rule code or ``deidentified``): regulation and
        article, e.g. 《岳阳市政务信息资源管理暂行办法》第二十六条第（三）项."""
        return f"{self.regulation}{dict(self.articles)[key]}"


def load_legal_text(path: Path | None = None) -> LegalText:
    """Read and check the legal text file (None: the bundled ``config/legal.toml``)."""
    path = Path(path) if path is not None else DEFAULT_LEGAL_TEXT
    where = f"法规文本配置 {path}（设置 KAIFANG_LEGAL_TEXT）"
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{where}不存在") from None
    except OSError as exc:
        raise ConfigError(f"{where}无法读取：{exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}不是有效的 TOML 文件：{exc}") from None
    unknown = sorted(set(document) - {*_NAMES, "articles"})
    if unknown:
        known = "、".join([*_NAMES, "articles"])
        raise ConfigError(f"{where}：未知的配置项 {unknown[0]}（可用：{known}）")
    names = {key: _text(where, key, document.get(key), label) for key, label in _NAMES.items()}
    articles = document.get("articles")
    if not isinstance(articles, dict):
        raise ConfigError(f"{where}：缺少 [articles] 表（各不予开放情形所依据的条款）")
    unknown = sorted(set(articles) - set(ARTICLE_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}：[articles] 中未知的条款 {unknown[0]}（可用：{'、'.join(ARTICLE_KEYS)}）"
        )
    cited = {
        key: _text(where, f"articles.{key}", articles.get(key), "所引条款") for key in ARTICLE_KEYS
    }
    return LegalText(
        path=path,
        city=names["city"],
        supervisor=names["supervisor"],
        regulation=names["regulation"],
        articles=tuple(cited.items()),
    )


def _text(where: str, key: str, value: Any, label: str) -> str:
    if value is None:
        raise ConfigError(f"{where}：缺少 {key}（{label}）")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}：{key}（{label}）须为非空文字")
    if "\n" in value.strip():
        raise ConfigError(f"{where}：{key}（{label}）须为一行文字")
    return value.strip()
