"""The layout rules of docs/architecture.md, checked on the source (ast, nothing imported).

* The import graph of ``engine/`` has no cycle. Edges: every ``import``/``from ... import``
  of an ``engine`` module, at module level AND inside functions (a lazy import still couples
  the two modules); imports under ``if TYPE_CHECKING:`` are left out (they never run). An
  import names the module it imports (``from engine.report import tables`` ->
  ``engine.report.tables``; ``from engine.report import write_reports`` -> ``engine.report``);
  the implicit import of a parent package's ``__init__`` is not an edge, so a package
  importing its own submodules is not a cycle.
* ``engine.scorecard`` does not reach ``engine.runner`` (directly or through other modules).
* No module imports another module's private name (``from engine.x import _y``, or
  ``x._y`` on an imported engine module).
* Charts never touch matplotlib's global state: no ``pyplot``, no ``matplotlib.use`` (backend
  switching), no ``rcParams`` (``matplotlib.rc_context`` around a save is the way).
* Run folders are read through ``engine.runfolder`` only: no other module outside the data
  layer (datasets are Parquet too) calls ``read_parquet``.
* The metric names (``engine.metrics``' METRICS and BACKTEST columns, key columns aside)
  appear as string literals in ``engine/metrics.py`` only; everything else uses the
  constants (``M.HIT_RATE``), so renaming or adding a metric is one edit there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"

# (file, literal): the only places a metric name may be written out outside engine/metrics.py.
LITERAL_EXEMPT = {
    # the study file's [backtest] hedge key: the user's TOML format must not follow a rename
    # of the backtest column named after it
    ("engine/study/spec.py", "hedge"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}
TREES: dict[str, ast.Module] = {m: ast.parse(p.read_text(encoding="utf-8"), str(p))
                                for m, p in MODULES.items()}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            t = node.test
            if (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
                    isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"):
                out |= {id(x) for b in node.body for x in ast.walk(b)}
    return out


def _from_module(node: ast.ImportFrom, current: str) -> str:
    if not node.level:
        return node.module or ""
    base = current if MODULES[current].name == "__init__.py" else current.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


def imports(current: str) -> list[tuple[str, ast.AST, str | None]]:
    """(imported engine module, node, imported name or None) for each import in ``current``."""
    tree = TREES[current]
    skip = _type_checking_nodes(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node, None) for a in node.names if a.name in MODULES]
        elif isinstance(node, ast.ImportFrom):
            mod = _from_module(node, current)
            if mod != "engine" and not mod.startswith("engine."):
                continue
            for a in node.names:
                sub = f"{mod}.{a.name}"
                if sub in MODULES:
                    out.append((sub, node, None))
                elif mod in MODULES:
                    out.append((mod, node, a.name))
    return out


def import_graph() -> dict[str, set[str]]:
    return {m: {target for target, _, _ in imports(m)} - {m} for m in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def reachable(graph: dict[str, set[str]], start: set[str]) -> dict[str, str]:
    """{module: the module it was reached from} for everything ``start`` imports, transitively."""
    seen: dict[str, str] = {}
    todo = list(start)
    while todo:
        m = todo.pop()
        for t in graph[m]:
            if t not in seen and t not in start:
                seen[t] = m
                todo.append(t)
    return seen


def test_the_graph_sees_module_and_function_level_imports():
    graph = import_graph()
    assert "engine.runfolder" in graph["engine.runner"]  # module level
    assert "engine.evaluate.frames" in graph["engine.runner"]  # inside run()
    snippet = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n")
    assert len(_type_checking_nodes(snippet)) > 0  # the TYPE_CHECKING block is left out
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_in_engine():
    found = cycles(import_graph())
    assert not found, "import cycles (break them by moving the shared part down): " + \
        "; ".join(" <-> ".join(c) for c in found)


def test_scorecard_does_not_import_runner():
    graph = import_graph()
    start = {m for m in MODULES if m == "engine.scorecard" or m.startswith("engine.scorecard.")}
    via = reachable(graph, start)
    assert "engine.runner" not in via, \
        f"engine.scorecard reaches engine.runner via {via.get('engine.runner')}"


def test_no_private_names_imported_across_modules():
    bad = []
    for m in MODULES:
        engine_aliases: dict[str, str] = {}
        for target, node, name in imports(m):
            if name is not None and name.startswith("_") and not name.startswith("__"):
                bad.append(f"{MODULES[m].relative_to(ROOT)}:{node.lineno} imports {target}.{name}")
            if isinstance(node, ast.ImportFrom) and name is None:
                for a in node.names:
                    if f"{_from_module(node, m)}.{a.name}" == target:
                        engine_aliases[a.asname or a.name] = target
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == target and a.asname:
                        engine_aliases[a.asname] = target
        for node in ast.walk(TREES[m]):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in engine_aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                bad.append(f"{MODULES[m].relative_to(ROOT)}:{node.lineno} uses "
                           f"{engine_aliases[node.value.id]}.{node.attr}")
    assert not bad, "private names used across modules (make them public API):\n" + \
        "\n".join(bad)


def _metric_names() -> set[str]:
    from engine import metrics as M

    return {m.name for m in (*M.METRICS, *M.BACKTEST)} - {m.name for m in M.KEYS}


def _docstrings(tree: ast.Module) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def test_metric_names_are_literals_in_the_registry_only():
    names = _metric_names()
    assert {"hit_rate", "q_value", "sharpe", "ci_low"} <= names  # the registry is what we think
    bad = []
    for m, tree in TREES.items():
        rel = MODULES[m].relative_to(ROOT).as_posix()
        if rel == "engine/metrics.py":
            continue
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value in names and id(node) not in docs
                    and (rel, node.value) not in LITERAL_EXEMPT):
                bad.append(f"{rel}:{node.lineno} {node.value!r}")
    assert not bad, "metric names written as literals (use engine.metrics' constants, " \
        "e.g. M.HIT_RATE):\n" + "\n".join(bad)


@pytest.mark.parametrize("rel, literal", sorted(LITERAL_EXEMPT))
def test_each_literal_exemption_is_still_needed(rel, literal):
    tree = TREES[module_name(ROOT / rel)]
    assert any(isinstance(n, ast.Constant) and n.value == literal for n in ast.walk(tree)), \
        f"{rel} no longer writes {literal!r}: drop the exemption"


def test_only_runfolder_and_the_data_layer_read_parquet():
    bad = []
    for m, tree in TREES.items():
        if m == "engine.runfolder" or m.startswith("engine.data."):
            continue
        bad += [f"{MODULES[m].relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and n.attr == "read_parquet"]
    assert not bad, "read run folders with engine.runfolder (read_run/read_table): " + \
        ", ".join(bad)


READS = ("items", "get", "copy", "keys", "values")  # rcParams read, never changed


def test_no_pyplot_backend_switching_or_rcparams():
    bad = []
    for m, tree in TREES.items():
        rel = MODULES[m].relative_to(ROOT)
        parent = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
        for n in ast.walk(tree):
            names = ([a.name for a in n.names] if isinstance(n, ast.Import) else
                     [f"{n.module}.{a.name}" for a in n.names]
                     if isinstance(n, ast.ImportFrom) and n.module else [])
            bad += [f"{rel}:{n.lineno} imports {x}" for x in names if "pyplot" in x]
            if isinstance(n, ast.Attribute) and n.attr in ("rcParams", "use") and \
                    isinstance(n.value, ast.Name) and n.value.id in ("matplotlib", "mpl"):
                up = parent.get(n)
                read = n.attr == "rcParams" and (
                    (isinstance(up, ast.Attribute) and up.attr in READS)
                    or (isinstance(up, ast.Subscript) and isinstance(up.ctx, ast.Load)))
                if not read:
                    bad.append(f"{rel}:{n.lineno} matplotlib.{n.attr}")
    assert not bad, "charts must not change matplotlib's global state:\n" + "\n".join(bad)
