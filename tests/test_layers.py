"""The layout DESIGN.md draws: six layers, dependencies pointing down, no cycles, a pure library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "wallet"

# Top to bottom: a layer may import the layers below it (and the shared top-level modules).
LAYERS = ("web", "cli", "api", "services", "models", "openbadges")
TOP_LEVEL_MODULES = {"__init__.py", "config.py", "extensions.py"}
SHARED = {"wallet.config", "wallet.extensions"}
# What each layer may import besides the layers below it: the CLI builds the app to run in it.
ALSO_ALLOWED = {"cli": {"wallet"}}
DATA_FOLDERS = {"templates", "static", "translations"}


def module_name(path: Path) -> str:
    """Return the dotted module name of a file under wallet/."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, *, module_level_only: bool = False) -> set[str]:
    """Return the wallet modules a file imports (a name imported from a package counts as its
    submodule when there is one); module_level_only leaves out imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module_name(path).split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return {name for name in found if name == "wallet" or name.startswith("wallet.")}


def layer_of(name: str) -> str | None:
    """Return the layer a wallet module belongs to (None for the shared top-level modules)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_package_shows_the_layers_and_three_modules() -> None:
    entries = {p.name for p in PACKAGE.iterdir() if not p.name.startswith((".", "__pycache__"))}
    assert entries == set(LAYERS) | TOP_LEVEL_MODULES | DATA_FOLDERS
    for layer in LAYERS:
        assert (PACKAGE / layer / "__init__.py").is_file(), f"wallet/{layer} is not a package"


def test_the_module_table_is_not_empty() -> None:
    # Every check below iterates over MODULES: an empty table would let them all pass.
    assert {layer_of(name) for name in MODULES} >= set(LAYERS)
    assert len(MODULES) > 100


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_dependencies_point_down(name: str) -> None:
    layer = layer_of(name)
    if layer is None:
        return  # wallet/__init__.py builds the app lazily; config and extensions import nothing
    allowed_layers = set(LAYERS[LAYERS.index(layer) :])
    allowed = SHARED | ALSO_ALLOWED.get(layer, set())
    for imported in imports_of(MODULES[name]):
        target = layer_of(imported)
        ok = imported in allowed or (target in allowed_layers if target else False)
        assert ok, f"{name} ({layer}) imports {imported} ({target or 'top level'})"


@pytest.mark.parametrize("name", [n for n in sorted(MODULES) if layer_of(n) == "openbadges"])
def test_library_imports_no_web_framework_and_no_app(name: str) -> None:
    forbidden = ("flask", "sqlalchemy", "werkzeug", "jinja2", "wallet.config", "wallet.extensions")
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and not node.level
            else []
        )
        for imported in names:
            assert not imported.startswith(forbidden), f"{name} imports {imported}"
            if imported.startswith("wallet"):
                assert imported.startswith("wallet.openbadges"), f"{name} imports {imported}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module_level_only", [True, False], ids=["module level", "all imports"])
def test_no_import_cycles(module_level_only: bool) -> None:
    graph = {
        name: imports_of(path, module_level_only=module_level_only) - {name}
        for name, path in MODULES.items()
    }
    assert _cycles(graph) == []


@pytest.mark.parametrize("name", [n for n in sorted(MODULES) if n.startswith("wallet.web.views")])
def test_views_never_commit(name: str) -> None:
    source = MODULES[name].read_text(encoding="utf-8")
    assert "session.commit(" not in source, f"{name} commits; services own transactions"


def test_only_htmx_module_spells_hx_headers() -> None:
    offenders = [
        name
        for name, path in MODULES.items()
        if name != "wallet.web.htmx" and '"HX-' in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
    assert '"HX-' in MODULES["wallet.web.htmx"].read_text(encoding="utf-8")


def test_library_imports_without_flask_installed_modules() -> None:
    code = (
        "import sys, wallet.openbadges, wallet.openbadges.verify, wallet.openbadges.messages;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('flask','sqlalchemy','werkzeug')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent)


def test_wallet_verify_never_imports_flask() -> None:
    code = (
        "import sys, wallet.cli.verify, wallet.cli.console;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('flask','sqlalchemy','werkzeug')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent)
