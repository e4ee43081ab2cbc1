"""Shared checks of the hostile-input suite (tests/test_hostile_*.py).

Every hostile case asserts the same four things, so they live here once:

* ``refused``: exit code 2, one ``error:`` message holding every expected part and a ``Fix:``
  holding the expected fix, no traceback and no "internal error";
* ``no_tmp``: nothing half-written (no ``.tmp-*`` folder or file anywhere in the project);
* ``Snapshot``: no other dataset or run folder changed (hashes of every file before/after);
* the rerun after the fault gives the same numbers as a clean run (in the fault tests).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, write_synthetic_mirror

HEAD = """[study]
title = "t"
question = "q"
target = "index.RUT"
horizons = ["5d", "1m"]
n_boot = 0
"""
SIG = """
[[signals]]
name = "brk"
family = "trend.breakout"
params = { lookback = 20 }
"""
NO_BACKTEST = "\n[backtest]\nenabled = false\n"
GOOD = HEAD + SIG + NO_BACKTEST


def refused(result, *parts: str, fix: str | None = None) -> str:
    """Exit 2 with one message naming what is wrong (``parts``) and how to fix it (``fix``)."""
    text = result.text
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in text, result.output
    assert text.count("error:") == 1, text
    for part in parts:
        assert " ".join(part.split()) in text, (part, text)
    assert "Fix: " in text, text
    if fix is not None:
        assert " ".join(fix.split()) in text.split("Fix: ", 1)[1], (fix, text)
    return text


def ok(result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "error:" not in result.text, result.output
    return result.text


def tmp_leftovers(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if ".tmp" in p.name or p.name.endswith(".part"))


def no_tmp(root: Path) -> None:
    left = tmp_leftovers(root)
    assert left == [], left


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (relative path -> hash)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


class Snapshot:
    """What the datasets and run folders held before a hostile command."""

    def __init__(self, home: Path):
        self.home = home
        self.datasets = file_hashes(home / "datasets")
        self.results = file_hashes(home / "results") if (home / "results").exists() else {}

    def unchanged(self, except_datasets: tuple[str, ...] = ()) -> None:
        now = file_hashes(self.home / "datasets")
        for name, digest in self.datasets.items():
            if any(name.startswith(e) for e in except_datasets):
                continue
            assert now.get(name) == digest, f"dataset file {name} changed or vanished"
        results = file_hashes(self.home / "results") if (self.home / "results").exists() else {}
        for name, digest in self.results.items():
            assert results.get(name) == digest, f"run file {name} changed or vanished"
        no_tmp(self.home)

    def new_runs(self) -> list[str]:
        results = file_hashes(self.home / "results") if (self.home / "results").exists() else {}
        def run_of(name: str) -> str:  # "study/run" (a run folder may hold charts/ too)
            return "/".join(name.split("/")[:2])
        return sorted({run_of(n) for n in results} - {run_of(n) for n in self.results})


def make_home(root: Path, ids: tuple[str, ...] = ("index.RUT", "index.GSPC", "fred.DGS10",
                                                  "fred.GDP", "fred.CPIAUCSL")) -> Path:
    """A project home with the catalog, a good study and the synthetic datasets built."""
    home = root / "home"
    (home / "datasets").mkdir(parents=True)
    (home / "studies").mkdir()
    shutil.copy2(REPO / "datasets" / "catalog.toml", home / "datasets" / "catalog.toml")
    mirror = write_synthetic_mirror(root / "mirror")
    (home / "studies" / "good.toml").write_text(GOOD)
    env = cli_env(home, mirror)
    res = subprocess.run(study_cmd("data", "build", *ids), env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return home


def cli_env(home: Path, mirror: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("STUDY_DATA_MIRROR", "STUDY_DEBUG", "STUDY_HOME")}
    env["STUDY_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    env["MPLBACKEND"] = "Agg"
    if mirror is not None:
        env["STUDY_DATA_MIRROR"] = str(mirror)
    return env


def study_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from engine.cli import main; main()", *map(str, args)]


def write_study(home: Path, name: str, text: str) -> Path:
    path = home / "studies" / f"{name}.toml"
    path.write_text(text)
    return path
