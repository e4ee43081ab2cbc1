"""Light commands import nothing numeric they do not use (#15: at most 2x ``study --help``).

Each command runs in a fresh interpreter (an in-process run would see whatever earlier tests
imported) and reports which heavy packages ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("numba", "vectorbt", "matplotlib", "scipy", "arch", "statsmodels", "dask")
PROBE = (
    "import json, sys\n"
    "from engine.cli import main\n"
    "sys.argv = ['study', *json.loads(sys.argv[1])]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "else:\n"
    "    code = 0\n"
    "mods = sorted({m.split('.')[0] for m, mod in list(sys.modules.items())\n"
    "               if type(mod).__name__ != '_LazyModule'})  # deferred, never executed\n"
    "print('\\nPROBE ' + json.dumps({'code': code, 'mods': mods}))\n"
)


def loaded(args: list[str], home: Path) -> tuple[int, set[str]]:
    env = {**os.environ, "STUDY_HOME": str(home), "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg",
           "COLUMNS": "120"}
    env.pop("STUDY_DATA_MIRROR", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], env=env, cwd=home,
                          capture_output=True, text=True, timeout=120, check=False)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")]
    assert line, proc.stdout[-500:] + proc.stderr[-500:]
    got = json.loads(line[-1].removeprefix("PROBE "))
    return got["code"], set(got["mods"])


@pytest.mark.parametrize("args", [
    ["list"],
    ["show", "small-cap-revisions"],
    ["validate", "small-cap-revisions"],
    ["families"],
    ["data", "list"],
])
def test_light_commands_import_no_numeric_engine(project: Path, args: list[str]) -> None:
    code, mods = loaded(args, project)
    assert code == 0
    assert not mods & set(HEAVY), f"study {' '.join(args)} imported {sorted(mods & set(HEAVY))}"


@pytest.mark.parametrize("args", [
    ["list"],
    ["show", "small-cap-revisions"],
    ["validate", "small-cap-revisions"],
    ["families"],
])
def test_study_commands_never_load_pandas(project: Path, args: list[str]) -> None:
    """Reading and checking study files needs the families' parameter tables only: pandas (more
    than all of ``study --help``) stays deferred (``engine.lazy``)."""
    code, mods = loaded(args, project)
    assert code == 0
    assert "pandas" not in mods


def test_deferred_pandas_loads_on_first_use() -> None:
    """The deferred module is pandas itself once touched (same object, real attributes)."""
    probe = ("import sys\nfrom engine.lazy import pandas as pd\n"
             "before = type(sys.modules['pandas']).__name__\n"
             "frame = pd.DataFrame({'a': [1.5]})\n"
             "import pandas\n"
             "print(before, type(pandas).__name__, pandas is pd, float(frame['a'].sum()))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.split() == ["_LazyModule", "module", "True", "1.5"]


def test_probe_sees_heavy_imports(project: Path) -> None:
    """The probe itself works: importing the backtest brings in vectorbt and numba."""
    env_probe = "import engine.backtest"
    proc = subprocess.run([sys.executable, "-c", env_probe + "\nimport sys\n"
                           "print(sorted({m.split('.')[0] for m in sys.modules}))"],
                          env={**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert "'vectorbt'" in proc.stdout or "'numba'" in proc.stdout
