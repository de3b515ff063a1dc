"""The house's shape, read from the source: layers point one way and no module imports in a circle.

Layers, lowest first (docs/architecture.md): the data side ``feeds``; the view-models (pure
functions of the bus state: ``dashboard.pages.items`` and each page's ``model``/``card``); the
app's shared services (``dashboard.errors``, ``dashboard.auth``, the push path's protocol and
framing); the pages, the push routes, the API and the CLI; and ``app``, the composition root,
which nothing imports. A module may import its own layer or lower ones, never a higher one.
Imports inside functions count too: they are still arrows.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [  # (name, pattern of module names), lowest first; the first match decides
    ("data side", r"^feeds(\.|$)"),
    ("view-models", r"^dashboard\.pages\.(items|\w+\.(model|card))$"),
    ("app services", r"^dashboard\.(errors|auth(\..+)?|live\.(spec|sse))$"),
    ("pages, push, API, CLI", r"^dashboard(\.|$)"),
    ("composition root", r"^app$"),
]
# The view-models are pure: no web framework, no Redis client, no clock of their own.
VIEW_MODEL_FORBIDDEN = ("dash", "flask", "redis", "werkzeug")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in ("feeds", "dashboard"):
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module (ours or not) that ``name`` imports, at any depth of its code."""
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            out.add(base)
            # ``from pkg import module``: the module is imported too.
            out.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES)
    return out


GRAPH = {
    name: {m for m in _imports(name, path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def _layer(module: str) -> int:
    return next(i for i, (_, pattern) in enumerate(LAYERS) if re.search(pattern, module))


def test_every_module_has_a_layer() -> None:
    assert all(_layer(m) >= 0 for m in MODULES)
    assert "feeds.bus.schema" in MODULES and "dashboard.pages.wall.model" in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module: str) -> None:
    upward = sorted(m for m in GRAPH[module] if _layer(m) > _layer(module))
    where = LAYERS[_layer(module)][0]
    assert not upward, f"{module} ({where}) imports a higher layer: {upward}"


def test_nothing_imports_the_composition_root() -> None:
    assert not [m for m, deps in GRAPH.items() if "app" in deps]


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if LAYERS[_layer(m)][0] == "view-models")
)
def test_view_models_are_pure(module: str) -> None:
    outside = {m.split(".")[0] for m in _imports(module, MODULES[module])}
    assert not outside.intersection(VIEW_MODEL_FORBIDDEN), module


def test_no_import_circles() -> None:
    """Tarjan's strongly connected components: any component of more than one module is a
    circle (a package importing its own submodules counts only when they import it back)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert circles == []
