"""The shape of the ``assistant`` package: no import cycles, no long modules without a stated reason.

The import graph is read from the source with ``ast`` (nothing is imported): every ``import`` and
``from … import`` anywhere in a module, at the top, inside a function or under ``if TYPE_CHECKING`` alike,
so a cycle cannot hide behind a lazy import. ``from package import name`` counts as an import of the
submodule ``package.name`` when there is one, else of the package's ``__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
MAX_LINES = 450
REASON = "Long because"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by the name of its ``__init__``)."""
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def _imported(tree: ast.Module, name: str, is_package: bool) -> Iterator[tuple[str, str | None]]:
    """(module, imported name or None) for each import statement anywhere in the tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against this module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                yield target, alias.name


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the modules of the package it imports."""
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for target, imported in _imported(tree, name, path.name == "__init__.py"):
            if imported is not None and f"{target}.{imported}" in known:
                edges.add(f"{target}.{imported}")
            elif target in known:
                edges.add(target)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete loop through a component (for the failure message): start → … → start."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


def long_modules(known: dict[str, Path], root: Path = PACKAGE) -> list[str]:
    """Modules over MAX_LINES lines whose docstring does not say why (a line containing REASON)."""
    out = []
    for path in known.values():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines <= MAX_LINES:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if not any(REASON in line for line in doc.splitlines()):
            out.append(f"{path.relative_to(root.parent)} ({lines} lines)")
    return out


# ---- the checks on the package ---------------------------------------------------------------------


def test_no_import_cycles_in_the_package() -> None:
    graph = import_graph(modules())
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" → ".join(cycle_path(graph, c)) for c in found)


def test_no_long_module_without_a_reason() -> None:
    found = long_modules(modules())
    assert not found, (
        f"modules over {MAX_LINES} lines without a line containing {REASON!r} in their docstring:\n"
        + "\n".join(found)
    )


#: package names allowed although the standard library has a module of that name, each with its reason
STDLIB_NAME_REASONS = {
    "profile": "the pipeline stage the product is named after; only ever imported as assistant.profile",
}


def stdlib_named(root: Path = PACKAGE) -> list[str]:
    """Modules and packages under ``root`` named like a standard-library module (``keyword``, ``types``,
    ``queue``, ``html`` …): a reader takes ``assistant.x.queue`` for the standard one."""
    import sys

    found = []
    for path in sorted(root.rglob("*")):
        name = path.stem if path.suffix == ".py" else path.name if path.is_dir() else ""
        if (
            name in sys.stdlib_module_names
            and name not in STDLIB_NAME_REASONS
            and "__pycache__" not in path.parts
        ):
            found.append(path.relative_to(root.parent).as_posix())
    return found


def test_no_module_is_named_like_the_standard_library() -> None:
    assert not stdlib_named(), stdlib_named()


def test_a_module_named_like_the_standard_library_is_found(tmp_path: Path) -> None:
    _package(
        tmp_path, {"__init__.py": "", "models/__init__.py": "", "models/queue.py": "", "profile/x.py": ""}
    )
    assert stdlib_named(tmp_path / "assistant") == ["assistant/models/queue.py"]


# ---- the checker itself, on small fictional packages -------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    root = tmp_path / "assistant"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return modules(root)


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    known = _package(
        tmp_path,
        {
            "__init__.py": "",
            "shop/__init__.py": "",
            "shop/till.py": "from assistant.shop import ledger\n",
            "shop/ledger.py": "def f():\n    from assistant.shop.till import x\n    return x\n",
            "shop/sign.py": "import assistant.shop.till\n",
        },
    )
    graph = import_graph(known)
    assert cycles(graph) == [["assistant.shop.ledger", "assistant.shop.till"]]
    assert cycle_path(graph, cycles(graph)[0]) == [
        "assistant.shop.ledger",
        "assistant.shop.till",
        "assistant.shop.ledger",
    ]


def test_relative_imports_and_package_names_resolve(tmp_path: Path) -> None:
    known = _package(
        tmp_path,
        {
            "__init__.py": "",
            "shop/__init__.py": "from .till import open_till\n",
            "shop/till.py": "from . import prices\ndef open_till(): ...\n",
            "shop/prices.py": "from ..shop import open_till\n",  # the package's __init__, which imports till
        },
    )
    graph = import_graph(known)
    assert graph["assistant.shop"] == {"assistant.shop.till"}
    assert graph["assistant.shop.till"] == {"assistant.shop.prices"}
    assert graph["assistant.shop.prices"] == {"assistant.shop"}
    assert cycles(graph) == [["assistant.shop", "assistant.shop.prices", "assistant.shop.till"]]


def test_an_acyclic_package_passes(tmp_path: Path) -> None:
    known = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "import json\nfrom assistant import b\n",
            "b.py": "from assistant.c import thing\n",
            "c.py": "thing = 1\n",
        },
    )
    assert cycles(import_graph(known)) == []


@pytest.mark.parametrize(
    ("doc", "flagged"),
    [('"""Short."""\n', True), ('"""Many parts.\n\nLong because it is one state machine.\n"""\n', False)],
)
def test_a_long_module_needs_its_reason(tmp_path: Path, doc: str, flagged: bool) -> None:
    body = "x = 1\n" * (MAX_LINES + 1)
    known = _package(tmp_path, {"__init__.py": "", "big.py": doc + body, "small.py": '"""S."""\nx = 1\n'})
    found = long_modules(known, tmp_path / "assistant")
    assert [f.split(" ")[0] for f in found] == (["assistant/big.py"] if flagged else [])
