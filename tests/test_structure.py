"""The layout of the test suite itself: only pytest loads test modules and conftest files.

Helpers that several test modules share live in modules made for sharing (tests/factories.py
makes rows, tests/support/ holds the rest). A test module imported by another one runs twice
under two names and ties unrelated tests together; a conftest imported as a module does too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("tests", "bench")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(
    source: str, module: str, *, is_package: bool = False
) -> list[tuple[int, str]]:
    """(line, dotted name) of every module that ``source`` (the module ``module``) imports,
    relative imports resolved. ``from package import name`` gives both ``package`` and
    ``package.name`` (the name may be a module); ``import_module("x")`` and
    ``pytest_plugins = ["x"]`` count too."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                above = package[: len(package) - (node.level - 1)]
                base = ".".join([*above, *([node.module] if node.module else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _called_name(node.func) == "import_module":
            found += [(node.lineno, arg.value) for arg in node.args[:1] if _is_text(arg)]
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytest_plugins"
            for target in node.targets
        ):
            names = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else []
            found += [(node.lineno, name.value) for name in [node.value, *names] if _is_text(name)]
    return found


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def is_test_module(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def offences(source: str, module: str, *, is_package: bool = False) -> list[str]:
    return [
        f"line {line} imports {name}"
        for line, name in imported_modules(source, module, is_package=is_package)
        if is_test_module(name)
    ]


def test_it_imports_no_test_module_from_another():
    paths = [path for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))]
    assert len(paths) > 50, "the check found almost nothing to read"
    found = [
        f"{path.relative_to(ROOT)}: {offence}"
        for path in paths
        for offence in offences(
            path.read_text(), module_name(path), is_package=path.name == "__init__.py"
        )
    ]
    assert not found, "only pytest may load test modules and conftest files:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from tests.generations.test_views import make_clip",
        "import tests.browser.conftest",
        "from tests.gallery import conftest",
        "from .conftest import T2V",
        "from . import test_rehost",
        "from ..gallery.conftest import token_from",
        "def f():\n    from tests.generations.test_views import make_clip",
        "importlib.import_module('tests.simulator.conftest')",
        "pytest_plugins = ['tests.gallery.conftest']",
    ],
)
def test_the_check_sees_every_way_of_importing_one(source):
    assert offences(source, "tests.simulator.test_jobs")


@pytest.mark.parametrize(
    "source",
    [
        "from tests.factories import make_clip",
        "from tests.support.tasks import run_tasks",
        "from .support import browser",
        "import pytest",
        "from ltxdash.generations.pipeline import dispatch",
    ],
)
def test_the_check_lets_shared_modules_be_imported(source):
    assert not offences(source, "tests.simulator.test_jobs")
