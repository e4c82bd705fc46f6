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


# -- the import contract inside the layers ---------------------------------------------------------------------
# Each rule: (modules it applies to, modules they must not import, why). A module is named by its dotted path;
# "x.*" means x and everything under it.

CONTRACT = [
    (["index.storage.base"], ["index.storage", "index.storage.local.*", "index.storage.milvus.*"],
     "what both backends share imports neither (nor the factory that names them)"),
    (["index.storage.local.*"], ["index.storage", "index.storage.milvus.*"],
     "the local backend never imports the Milvus one, nor the factory"),
    (["index.storage.milvus.*"], ["index.storage", "index.storage.local.*"],
     "the Milvus backend never imports the local one, nor the factory"),
    (["index.reading.*", "index.text.*"], ["index.storage.*", "index.embedding.*", "index.build.*"],
     "reading and text analysis know nothing of embedding or storage"),
    (["index.embedding.base"], ["index.embedding", "index.embedding.minilm", "index.embedding.hashing",
                                 "index.embedding.bert", "index.embedding.onnx"],
     "the embedder protocol imports no implementation"),
    (["qa.*", "tui.*"], ["index.storage.local.*", "index.storage.milvus.*"],
     "questions reach storage through the interface only (index.storage), never a concrete backend"),
    (["qa.*"], ["click", "click.*", "mcp", "mcp.*", "textual", "textual.*"],
     "the headless core imports no front-end framework (the CLI and MCP modules are exempt below)"),
]
FRONT_ENDS = {"qa.cli", "qa.mcp_server", "qa.mcp_http"}
"""The front ends inside `qa`: they may import click and mcp."""


def _modules() -> dict[str, Path]:
    mods = {}
    for package in ("index", "qa", "tui"):
        for path in (REPO / package).rglob("*.py"):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            mods[name] = path
    return mods


def _matches(name: str, patterns: list[str]) -> bool:
    return any(name == p or (p.endswith(".*") and (name == p[:-2] or name.startswith(p[:-1]))) for p in patterns)


def test_the_import_contract_holds() -> None:
    broken = []
    for name, path in sorted(_modules().items()):
        for sources, forbidden, why in CONTRACT:
            if not _matches(name, sources):
                continue
            if why.startswith("the headless core") and name in FRONT_ENDS:
                continue
            for line, imported in imported_modules(path):
                if _matches(imported, forbidden) and not imported.startswith(name + "."):
                    broken.append(f"{path.relative_to(REPO)}:{line} imports {imported}: {why}")
    assert not broken, "\n".join(broken)


def test_only_the_factory_names_a_storage_backend() -> None:
    naming = sorted(name for name, path in _modules().items()
                    if not name.startswith(("index.storage.local", "index.storage.milvus"))
                    and any(_matches(i, ["index.storage.local.*", "index.storage.milvus.*"])
                            for _line, i in imported_modules(path)))
    assert naming == ["index.storage"], naming


def test_the_terminal_ui_uses_only_public_names_of_the_cli() -> None:
    private = []
    for path in (REPO / "tui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qa.cli"):
                private += [f"{path.relative_to(REPO)}:{node.lineno} {a.name}" for a in node.names
                            if a.name.startswith("_")]
    assert not private, private


def test_no_import_cycles() -> None:
    """Module-level and function-level imports alike (a cycle means shared code sits inside one side)."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        for _line, imported in imported_modules(path):
            target = resolve(imported)
            if target and target != m and not m.startswith(target + "."):
                graph[m].add(target)
    # Tarjan's strongly connected components, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        cycles.append(sorted(comp))
    assert not cycles, cycles
