"""Layers run one way: sources/ and classify/ never import the store or the alert layer,
and the classifier's run time never imports its training tools (scikit-learn).

Walks the AST of every module in those packages (imports inside functions count too),
so a shortcut through the database or Slack fails here rather than in review.
"""

from __future__ import annotations

import ast
import subprocess
import sys
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


TRAINING = "monitor.classify.training"


def test_classify_runtime_does_not_import_its_training_tools() -> None:
    # Training needs scikit-learn; the run time must load and classify with numpy alone.
    training_dir = PACKAGE / "classify" / "training"
    modules = sorted(m for m in (PACKAGE / "classify").rglob("*.py")
                     if training_dir not in m.parents)
    assert modules and (training_dir / "__init__.py").exists()
    bad = [f"{m.relative_to(PACKAGE.parent)}:{line} imports {name}"
           for m in modules for line, name in _imports(m)
           if name == TRAINING or name.startswith(TRAINING + ".")]
    assert not bad, "\n".join(bad)


def test_classify_runs_without_scikit_learn() -> None:
    # A None entry in sys.modules makes `import sklearn` fail as if it were not installed.
    code = ("import sys; sys.modules['sklearn'] = None; sys.modules['scipy'] = None\n"
            "from monitor.classify import load_classifier\n"
            "c = load_classifier().classify('US adds firms to Entity List', 'BIS rule.')\n"
            "assert 0.0 <= c.score <= 1.0, c\n"
            "assert not any(m.startswith('monitor.classify.training') for m in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PACKAGE.parent, check=False)
    assert run.returncode == 0, run.stderr
