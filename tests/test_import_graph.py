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


def import_graph(*, packages_too: bool = False) -> dict[str, set[str]]:
    """Module -> the semcodec modules it imports.  ``packages_too``: keep edges into (and from) package ``__init__``s."""
    mods = _modules()
    packages = {m for m, f in mods.items() if f.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for mod, f in mods.items():
        if mod in packages and not packages_too:
            continue
        here = mod.split(".") if f.name == "__init__.py" else mod.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                name = ".".join(base + ([node.module] if node.module else []))
                deps.update(n for n in [name, *(f"{name}.{a.name}" for a in node.names)] if n in mods)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in mods)
        graph[mod] = deps - {mod} if packages_too else deps - packages - {mod}
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


# Layers: which parts of the package may not import which (packages included:
# ``from ..cli import x`` counts).  A library layer never reaches up into the
# layer that uses it, and production code never imports the test helpers.
FORBIDDEN = (
    ("semcodec.bench", "semcodec.cli", "bench is a library below the CLI"),
    ("semcodec.backends", "semcodec.world", "backends are chosen by the caller; the world is one of their users"),
)


def _inside(mod: str, layer: str) -> bool:
    return mod == layer or mod.startswith(layer + ".")


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, deps in sorted(graph.items()):
        for low, high, why in FORBIDDEN:
            bad += [f"{mod} imports {d} ({why})" for d in sorted(deps) if _inside(mod, low) and _inside(d, high)]
        if not _inside(mod, "semcodec.testing"):
            bad += [f"{mod} imports {d} (test helpers stay out of production)" for d in sorted(deps)
                    if _inside(d, "semcodec.testing")]
    return bad


def test_layers():
    assert layer_violations(import_graph(packages_too=True)) == []


def test_the_layer_check_can_fail():
    graph = {"semcodec.bench.rd": {"semcodec.cli"}, "semcodec.backends.synthetic": {"semcodec.world.render"},
             "semcodec.bench.speed": {"semcodec.testing.real_arch"}, "semcodec.testing.tiny": {"semcodec.bench.speed"}}
    assert len(layer_violations(graph)) == 3
