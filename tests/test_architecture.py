"""The package directions of docs/design.md, read from the code's imports (those run at import
time; `if TYPE_CHECKING:` imports are for the type checker only)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "flows", "knowledge", "storage")
# each layer may import itself and the layers after it, never one before it
LAYERS = ("bot.cli", "bot.web", "bot.channels", "bot.workers", "bot", "flows", "knowledge", "storage")
MAY_IMPORT = {"knowledge": {"knowledge"}, "storage": {"storage"}}  # neither knows the other
# what bot/ and flows/ may take from the database libraries: types and error classes, no query builders
DATABASE_NAMES = {"sqlalchemy.engine": {"Engine", "make_url"}, "sqlalchemy.exc": None, "sqlmodel": {"Session"}}


def modules() -> dict[str, ast.Module]:
    found = {}
    for package in OURS:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            checking.update(id(n) for n in ast.walk(node))
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in checking]


def our_targets(node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif node.module and node.level == 0:
        names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    else:
        return set()
    return {n for n in names if n in known}


def layer(module: str) -> str:
    return next(name for name in LAYERS if module == name or module.startswith(name + "."))


def test_imports_point_downward_only() -> None:
    found = modules()
    wrong = []
    for name, tree in found.items():
        mine = layer(name)
        allowed = MAY_IMPORT.get(mine, set(LAYERS[LAYERS.index(mine):]))
        for node in runtime_imports(tree):
            for target in our_targets(node, set(found)):
                if layer(target) not in allowed:
                    wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_import_circle() -> None:
    found = modules()
    graph = {name: {t for node in runtime_imports(tree) for t in our_targets(node, set(found)) if t != name}
             for name, tree in found.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return path[path.index(name):] + [name]
        if name in done:
            return None
        for nxt in sorted(graph[name]):
            circle = visit(nxt, path + [name])
            if circle:
                return circle
        done.add(name)
        return None

    circles = [c for name in sorted(graph) if (c := visit(name, []))]
    assert circles == []


def test_bot_and_flows_build_no_sql() -> None:
    wrong = []
    for name, tree in modules().items():
        if layer(name) in ("knowledge", "storage"):
            continue
        for node in runtime_imports(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("sqlalchemy", "sqlmodel"):
                allowed = DATABASE_NAMES.get(node.module, set())
                wrong += [f"{name}: {node.module}.{a.name}" for a in node.names if allowed is not None and a.name not in allowed]
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in ("exec", "execute"):
                wrong.append(f"{name}: .{call.func.attr}() at line {call.lineno}")
    assert wrong == []
