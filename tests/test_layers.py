"""The layers import only inwards: index <- qa <- tui. `index` never imports `qa` or `tui`; `qa` never
imports `tui` or Textual (the composition root that adds `qa chat` is tui/cli.py). Checked on the source, so
an import inside a function, which a run of the commands might never reach, is caught too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {"index": ("qa", "tui", "textual"), "qa": ("tui", "textual")}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_never_imports_an_outer_one(layer: str) -> None:
    files = sorted((REPO / layer).rglob("*.py"))
    assert files, f"no sources under {layer}/"
    wrong = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for path in files for line, name in imported_modules(path)
             if name.split(".")[0] in FORBIDDEN[layer]]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from tui.app import run_chat\n    import textual.app\n", encoding="utf-8")
    assert [name for _line, name in imported_modules(sample)] == ["tui.app", "textual.app"]
