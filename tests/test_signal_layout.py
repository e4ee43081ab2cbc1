"""Layout of the signals layer: a family module imports the registry, the shared helpers and
the compiled kernels, never another family module (issue 10: valuation -> credit -> rates,
revisions -> macro)."""

from __future__ import annotations

import ast
from pathlib import Path

import engine.signals
from engine.signals import FAMILIES

SIGNALS = Path(engine.signals.__file__).parent


def family_modules() -> set[str]:
    """Modules of engine/signals that define a registered family (from the registry itself)."""
    mods = {f.func.__module__.rpartition(".")[2] for f in FAMILIES.values()}
    assert mods <= {p.stem for p in SIGNALS.glob("*.py")}
    return mods


def signal_imports(path: Path) -> set[str]:
    """engine.signals submodules a file imports, lazy (in-function) imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom):  # relative: from . import x / from .x import y
            names = [f"engine.signals.{node.module or a.name}" for a in node.names]
        else:
            continue
        found |= {n.split(".")[2] for n in names
                  if n.startswith("engine.signals.") and n.count(".") >= 2}
    return found


def test_the_family_modules_are_the_drivers():
    assert {"credit", "rates", "macro", "valuation", "revisions"} <= family_modules()
    assert not family_modules() & {"base", "helpers", "kernels", "grid", "matrix", "combine"}


def test_no_family_module_imports_another_family_module():
    fams = family_modules()
    bad = {m: sorted(signal_imports(SIGNALS / f"{m}.py") & (fams - {m})) for m in sorted(fams)}
    assert not {m: v for m, v in bad.items() if v}, (
        "a family imports another family; move the shared helper to engine/signals/helpers.py")


def test_families_import_only_the_registry_the_helpers_and_the_kernels():
    for m in sorted(family_modules()):
        assert signal_imports(SIGNALS / f"{m}.py") <= {"base", "helpers", "kernels"}, m


def test_the_shared_layer_imports_no_family():
    fams = family_modules()
    for m in ("base", "helpers", "kernels"):
        assert not signal_imports(SIGNALS / f"{m}.py") & fams, m


def test_the_checker_sees_a_cross_family_import(tmp_path):
    """The test above would fail on today's bug (valuation taking credit's helper)."""
    src = tmp_path / "valuation.py"
    src.write_text("from engine.signals.credit import expanding_percentile\n"
                   "def f():\n    from engine.signals import rates\n")
    assert signal_imports(src) == {"credit", "rates"}
