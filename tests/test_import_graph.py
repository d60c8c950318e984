"""The package's import graph, lazy imports inside functions included, has no cycle between modules.

(Edges into a package's ``__init__`` are left out: a package re-exporting its
submodules is not a cycle of responsibilities.)
"""

import ast
from pathlib import Path

import semcodec

ROOT = Path(semcodec.__file__).parent


def _modules() -> dict[str, Path]:
    mods = {}
    for f in ROOT.rglob("*.py"):
        parts = ["semcodec", *f.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    return mods


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    packages = {m for m, f in mods.items() if f.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for mod, f in mods.items():
        if mod in packages:
            continue
        here = mod.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                name = ".".join(base + ([node.module] if node.module else []))
                deps.update(n for n in [name, *(f"{name}.{a.name}" for a in node.names)] if n in mods)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in mods)
        graph[mod] = deps - packages - {mod}
    return graph


def _cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    # openai_image imports openai_common at module level; semenc's encode_run imports a backend inside a function.
    assert "semcodec.backends.openai_common" in graph["semcodec.backends.openai_image"]
    assert "semcodec.backends.openai_image" in graph["semcodec.cli.encode_run"]


def test_no_import_cycle_between_modules():
    graph = import_graph()
    cycles = [c for m in sorted(graph) if (c := _cycle_from(graph, m))]
    assert not cycles, " ; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_can_fail():
    assert _cycle_from({"a": {"b"}, "b": {"c"}, "c": {"a"}}, "a") == ["a", "b", "c", "a"]
    assert _cycle_from({"a": {"b"}, "b": set()}, "a") is None
