"""The folder table of ``architecture.md`` as a test: every import, read with ``ast``.

Imports inside functions count as much as those at the top of a file: a
deferred import is still an arrow.  A second test finds import loops among the
modules' top-level imports, which make start-up order matter.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BELOW_DOORS = frozenset(
    {"canonical", "connectors", "mapping", "local_store", "policies", "reports", "pipelines"}
)
ALLOWED: dict[str, frozenset[str]] = {
    "canonical": frozenset(),
    "connectors": frozenset({"canonical"}),
    "mapping": frozenset({"canonical", "connectors"}),  # connectors: wire modules only
    "local_store": frozenset({"canonical"}),
    "policies": frozenset({"canonical", "local_store"}),
    "reports": frozenset({"canonical", "local_store", "policies"}),
    "pipelines": frozenset({"canonical", "connectors", "mapping", "local_store", "policies"}),
    "scheduler": BELOW_DOORS,
    "emulators": frozenset({"canonical"}),
    "cli": BELOW_DOORS | {"scheduler", "demo", "web"},
    "web": BELOW_DOORS | {"scheduler"},
    "demo": BELOW_DOORS | {"scheduler", "emulators", "cli", "web"},
}
"""Room → the other rooms it may import (architecture.md, «Folders»)."""

EMULATE_DOORS = ("cli/emulate", "cli/scenario")
"""The ``sverka emulate`` and ``sverka scenario`` commands start emulators and write their worlds."""


@dataclass(frozen=True)
class Arrow:
    path: str
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} → {self.target}"


def modules() -> Iterator[tuple[str, Path]]:
    for room in ALLOWED:
        folder = ROOT / room
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                yield room, path


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, package: str) -> Iterator[tuple[int, str, ast.AST]]:
    """``(line, module, node)`` for every import anywhere in the tree, relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, node
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}", node


def is_wire(target: str) -> bool:
    """``connectors.<platform>.wire`` or a name inside it."""
    parts = target.split(".")
    return len(parts) >= 3 and parts[0] == "connectors" and parts[2] == "wire"


def forbidden_arrows() -> list[Arrow]:
    found: list[Arrow] = []
    for room, path in modules():
        relative = path.relative_to(ROOT).as_posix()
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        for line, target, _node in imported(tree, package):
            other = target.split(".")[0]
            if other not in ALLOWED or other == room:
                continue
            allowed = other in ALLOWED[room]
            if room == "mapping" and other == "connectors":
                allowed = is_wire(target)
            if room == "cli" and other == "emulators":
                allowed = relative.startswith(EMULATE_DOORS)
            if not allowed:
                found.append(Arrow(relative, line, target))
    return found


def test_no_import_climbs_against_the_folder_table() -> None:
    arrows = forbidden_arrows()
    assert not arrows, "imports forbidden by architecture.md:\n" + "\n".join(map(str, arrows))


def test_the_check_sees_imports_inside_functions() -> None:
    """A deferred import is found too: the test would catch ``scheduler`` reaching into ``cli``."""
    tree = ast.parse("def job():\n    from cli.sync import sync_app\n")
    assert [t for _, t, _ in imported(tree, "scheduler")] == ["cli.sync.sync_app"]


def top_level_graph() -> dict[str, set[str]]:
    """Module → our modules it imports when it is itself imported (not inside functions)."""
    names = {module_name(path) for _, path in modules()}
    graph: dict[str, set[str]] = {}
    for _, path in modules():
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in tree.body:
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for _, target, _node in imported(node, package):
                while target and target not in names:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
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


def test_no_import_loops() -> None:
    loops = cycles(top_level_graph())
    assert not loops, "modules that import each other:\n" + "\n".join(" ↔ ".join(c) for c in loops)


def test_the_loop_check_finds_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
