"""Layers run one way: sources/ and classify/ never import the store or the alert layer.

Walks the AST of every module in those packages (imports inside functions count too),
so a shortcut through the database or Slack fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import monitor

PACKAGE = Path(monitor.__file__).parent
FORBIDDEN = ("monitor.store", "monitor.alert")
LOWER_LAYERS = ("sources", "classify")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative: resolve against the module's package
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
                base = ".".join((*parts, node.module))
            found.append((node.lineno, base))
            # `from monitor import store` names the package in the alias
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _offends(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_lower_layers_do_not_import_store_or_alert(layer: str) -> None:
    modules = sorted((PACKAGE / layer).rglob("*.py"))
    assert modules, f"no modules under monitor/{layer}"
    bad = [f"{m.relative_to(PACKAGE.parent)}:{line} imports {name}"
           for m in modules for line, name in _imports(m) if _offends(name)]
    assert not bad, "\n".join(bad)


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    fake = tmp_path / "x.py"
    fake.write_text("import monitor.storefront\n"
                    "def f():\n    from monitor.store.items import insert_item\n"
                    "from monitor import alert\n", encoding="utf-8")
    flagged = sorted((line, name) for line, name in _imports(fake) if _offends(name))
    assert flagged == [(3, "monitor.store.items"), (3, "monitor.store.items.insert_item"),
                       (4, "monitor.alert")]
