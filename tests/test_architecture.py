"""The package's import graph has no cycle, follows docs/ARCHITECTURE.md's table of rooms, and
the CI result model sits below the checker.

The graph is read with `ast` from every `auditor/**/*.py` file, without importing anything.
An edge A -> B is any import of B written in A: at module level, inside a function (a
lazy import is still a dependency), and under `if TYPE_CHECKING:` (a type checker follows
it, and a cycle there is the same tangle). `from P import n` is an edge to P and, when
`P.n` is a module, to `P.n`; relative imports are resolved. The implicit import of a
module's parent packages is not an edge: Python runs `P/__init__.py` before `P.n`, but
a package that imports its own submodules would otherwise always look cyclic.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
Graph = dict[str, set[str]]


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of `package` under `root`."""
    out = {}
    for file in sorted((root / package).rglob("*.py")):
        parts = list(file.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = file
    return out


def _imported(name: str, is_package: bool, node: ast.AST, known: Mapping[str, Path]) -> set[str]:
    """Modules of `known` that one import statement names."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in known}
    if not isinstance(node, ast.ImportFrom):
        return set()
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    submodules = {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known}
    # `from pkg import sub` names only the submodule (pkg/__init__ is its parent, already
    # being imported); any other name is read from pkg itself.
    names_pkg = target in known and len(submodules) < len(node.names)
    return submodules | ({target} if names_pkg else set())


def import_graph(root: Path, package: str = "auditor") -> Graph:
    """Module -> the package modules it imports (see the module docstring for what counts)."""
    known = modules(root, package)
    graph: Graph = {}
    for name, file in known.items():
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        is_package = file.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(tree):  # every depth: functions and TYPE_CHECKING blocks too
            targets |= _imported(name, is_package, node, known)
        graph[name] = targets - {name}
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None; iterative DFS (the graph may be large)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack: list[Iterator[str]] = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def reachable(graph: Graph, start: str) -> set[str]:
    """Every module `start` imports, directly or not."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(ROOT)


def _room(module: str) -> str:
    """auditor.a.b -> a (a package or module directly under auditor)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def documented_rooms(doc: str) -> dict[str, set[str]]:
    """Room -> the rooms it may import, from ARCHITECTURE.md's "may import" table."""
    lines = doc[doc.index("| package / module | owns | may import |") :].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        first, _, allowed = (c.strip() for c in line.strip("|").split("|"))
        rows.append(
            ([n.rstrip("/").removesuffix(".py") for n in re.findall(r"`([^`]+)`", first)], allowed)
        )
    rooms: dict[str, set[str]] = {}
    foundation = set(rows[-1][0])
    for i, (names, allowed) in enumerate(rows):
        below = {n for later, _ in rows[i + 1 :] for n in later}
        may = below if allowed == "everything below" else set(re.findall(r"[a-z_]+", allowed))
        may |= set(names) if "each other" in allowed else set()
        for name in names:
            rooms[name] = may | foundation
    return rooms


def test_every_import_is_one_the_architecture_table_allows(graph: Graph) -> None:
    rooms = documented_rooms((ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    bad = sorted(
        f"{a} -> {b}"
        for a, targets in graph.items()
        for b in targets
        if _room(a) in rooms and _room(b) not in ("", _room(a)) and _room(b) not in rooms[_room(a)]
    )
    unlisted = sorted({_room(m) for m in graph} - set(rooms) - {"", "__main__"})
    assert not bad and not unlisted, (bad, unlisted)


def test_the_package_has_no_import_cycle(graph: Graph) -> None:
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("low", ["auditor.results", "auditor.baseline", "auditor.output"])
def test_the_result_model_and_its_readers_do_not_depend_on_the_checker(
    graph: Graph, low: str
) -> None:
    below = {low} | reachable(graph, low)
    assert not below & {"auditor.check", "auditor.scoring", "auditor.discover"}, sorted(below)


def _package(tmp_path: Path, files: Mapping[str, str]) -> Graph:
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return import_graph(tmp_path, "pkg")


@pytest.mark.parametrize(
    "a_imports",
    [
        "import pkg.b\n",  # module level
        "def f():\n    from pkg import b\n",  # in a function, submodule via from-import
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import X\n",
        "from . import b\n",  # relative
        "from .sub.c import Y\n",  # relative, deeper (c imports b)
    ],
)
def test_every_kind_of_import_closes_a_cycle(tmp_path: Path, a_imports: str) -> None:
    graph = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": a_imports,
            "b.py": "from pkg.a import something\n",
            "sub/__init__.py": "",
            "sub/c.py": "from ..b import Z\n",
        },
    )
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and "pkg.a" in cycle, graph


def test_a_package_importing_its_submodules_is_not_a_cycle(tmp_path: Path) -> None:
    graph = _package(
        tmp_path,
        {"__init__.py": "from pkg.a import f\n", "a.py": "from pkg.b import g\n", "b.py": ""},
    )
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": set()}
    assert find_cycle(graph) is None


MAX_FUNCTION_LINES = 80


def long_functions(root: Path) -> list[str]:
    """Functions over MAX_FUNCTION_LINES whose docstring gives no reason ("Long because")."""
    found = []
    for file in sorted((root / "auditor").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            reason = "Long because" in (ast.get_docstring(node) or "")
            if length > MAX_FUNCTION_LINES and not reason:
                found.append(f"{file.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_functions_are_short_or_say_why() -> None:
    assert long_functions(Path(__file__).resolve().parents[1]) == []


def test_a_long_function_without_a_reason_is_found(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "auditor").mkdir()
    (tmp_path / "auditor" / "m.py").write_text(f"def f():\n{body}\n")
    assert [row.split()[1] for row in long_functions(tmp_path)] == ["f"]
