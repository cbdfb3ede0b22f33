"""The house rules that keep the code base navigable: small modules, small functions, and
dependencies that run one way (the domain core never imports the web app).

A module may go past a bound only if it says why, in a comment ``# size: <reason>`` near its top.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("datasets", "harvester", "portal")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
SIZE_REASON = re.compile(r"^# size: \S.{10,}", re.M)


def _modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found.append(path)
    return found


def _says_why(source: str) -> bool:
    return bool(SIZE_REASON.search("\n".join(source.splitlines()[:40])))


def _long_functions(tree: ast.AST) -> list[tuple[str, int]]:
    long = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES:
                long.append((node.name, length))
    return long


def test_modules_and_functions_are_small_or_say_why() -> None:
    problems = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        if _says_why(source):
            continue
        name = path.relative_to(ROOT)
        lines = source.count("\n") + 1
        if lines > MAX_MODULE_LINES:
            problems.append(f"{name}: {lines} lines")
        for function, length in _long_functions(ast.parse(source)):
            problems.append(f"{name}: {function}() is {length} lines")
    assert problems == [], "\n".join(problems)


def test_the_size_rule_catches_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    tree = ast.parse(f"def f():\n{body}\n")
    assert _long_functions(tree) == [("f", MAX_FUNCTION_LINES + 1)]
    assert _says_why("# size: one table of every kind, read as a whole\n")
    assert not _says_why("# size:\n")


def test_the_domain_core_never_imports_the_web_app() -> None:
    offenders = []
    for path in (ROOT / "datasets").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)} imports {n}"
                for n in names
                if n.split(".")[0] in {"flask", "flask_wtf", "flask_limiter", "portal", "werkzeug"}
            ]
    assert offenders == []


@pytest.mark.parametrize("command", ["harvester.jobs", "portal.cli"])
def test_commands_that_need_no_web_app_do_not_load_flask(command: str) -> None:
    code = f"import sys, {command}; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_readme_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it is organised", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^([a-z_/]+/)\s", section, re.M))
    packages = {
        f"{init.parent.relative_to(ROOT).as_posix()}/"
        for package in PACKAGES
        for init in (ROOT / package).rglob("__init__.py")
        # packages inside a subpackage (openness/pii/) are named on their parent's line
        if "migrations" not in init.parts and len(init.parent.relative_to(ROOT).parts) <= 2
    }
    assert packages - listed == set()
    assert listed - packages - {"config/", "static/", "demo/", "bench/", "tests/"} == set()
