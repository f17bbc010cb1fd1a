"""Dependencies point one way: views/cli -> services -> models/openbadges; the library is pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "wallet"


def imports_of(path: Path) -> set[str]:
    """Return every module name a file imports (absolute names; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                names.add(".".join((*base, node.module or "")).rstrip("."))
            elif node.module:
                names.add(node.module)
    return names


def modules(folder: str) -> list[Path]:
    """Return the Python files under wallet/<folder>."""
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("openbadges"), ids=lambda p: p.name)
def test_library_imports_no_web_framework_and_no_app(path: Path) -> None:
    forbidden = ("flask", "flask_", "sqlalchemy", "werkzeug", "jinja2")
    for name in imports_of(path):
        assert not name.startswith(forbidden), f"{path.name} imports {name}"
        if name.startswith("wallet"):
            assert name.startswith("wallet.openbadges"), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: p.name)
def test_services_never_import_views_or_cli(path: Path) -> None:
    for name in imports_of(path):
        assert not name.startswith(("wallet.web", "wallet.cli")), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", modules("web/views"), ids=lambda p: p.name)
def test_views_never_commit(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "session.commit(" not in source, f"{path.name} commits; services own transactions"


def test_only_htmx_module_spells_hx_headers() -> None:
    offenders = [
        p.name
        for p in PACKAGE.rglob("*.py")
        if p.name != "htmx.py" and ('"HX-' in p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_library_imports_without_flask_installed_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, wallet.openbadges, wallet.openbadges.verify;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('flask','sqlalchemy','werkzeug')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent)
