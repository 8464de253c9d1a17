"""The structure keeps its shape: no import cycles inside ltxdash/, only ltx/ speaks to LTX, and
pipeline/ stays I/O (views, cards, templates and the admin never need a rule from it).

Imports are read from the source with ``ast``, module-level and inside functions alike (a lazy
import is still a dependency); only ``if TYPE_CHECKING:`` blocks are left out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ltxdash"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The ltxdash modules ``name`` imports. ``from P import x`` is an import of ``P.x`` when
    that is a module, else of ``P``."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        found |= {target for target in targets if target in known}
    return found - {name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _two_modules(tmp_path: Path, a: str, b: str) -> dict[str, set[str]]:
    """The import graph of a package ``pkg`` of two modules with these sources."""
    known = {"pkg.a", "pkg.b"}
    graph = {}
    for name, source in (("pkg.a", a), ("pkg.b", b)):
        path = tmp_path / f"{name[-1]}.py"
        path.write_text(source)
        graph[name] = imports_of(name, path, known)
    return graph


def test_the_checker_finds_a_cycle_through_a_lazy_import(tmp_path):
    graph = _two_modules(tmp_path, "from pkg import b\n", "def f():\n    from pkg.a import x\n")
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_the_checker_ignores_type_checking_imports(tmp_path):
    lazy = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    assert cycles(_two_modules(tmp_path, "from pkg import b\n", lazy)) == []


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    assert len(graph) > 50  # the walk found the package
    assert cycles(graph) == []


def test_only_the_ltx_package_knows_the_api_paths():
    """A URL path of the LTX API ("/v2/...", "/v1/upload") appears in ltx/ (the client) and
    simulator/ (the stand-in that serves it), nowhere else."""
    api_path = re.compile(r"""["'f]/v[12]/""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if not path.is_relative_to(PACKAGE / "ltx")
        and not path.is_relative_to(PACKAGE / "simulator")
        and api_path.search(path.read_text())
    ]
    assert offenders == []


def test_views_cards_templatetags_and_admin_take_no_rule_from_the_pipeline():
    """Nor forms, inputs, explain or the gallery. They may call the pipeline's actions (``pipeline`` itself, ``pipeline.actions``), never its
    internals: a rule they need lives on a model, in ordering/estimates, or in explain."""
    graph = import_graph()
    readers = [
        name
        for name in graph
        if ".views" in name
        or ".templatetags" in name
        or ".forms" in name
        or name.endswith((".cards", ".admin", ".context_processors", ".inputs", ".explain"))
        or name.startswith("ltxdash.gallery.")
    ]
    allowed = {"ltxdash.generations.pipeline", "ltxdash.generations.pipeline.actions"}
    reaching = {
        name: sorted(
            target for target in graph[name] if ".pipeline" in target and target not in allowed
        )
        for name in readers
    }
    assert {name: targets for name, targets in reaching.items() if targets} == {}
