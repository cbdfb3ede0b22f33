"""The domain core and the harvester never import the web framework (SPEC §10)."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["datasets", "harvester"])
def test_core_packages_do_not_import_flask_or_the_portal(package):
    offenders = {}
    for path in (REPO / package).rglob("*.py"):
        bad = _imports(path) & {"flask", "flask_wtf", "flask_limiter", "werkzeug", "portal"}
        if bad:
            offenders[str(path.relative_to(REPO))] = bad
    assert offenders == {}


def test_the_core_does_not_import_the_harvester():
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "datasets").rglob("*.py")
        if "harvester" in _imports(p)
    ]
    assert offenders == []
