"""The first-run warm-up child (``engine.warmup``, #15): it compiles the kernels of the stages
a run reaches later with exactly the types of the parent's calls (the parent then loads them
from numba's cache), the parent waits for the backtest's rather than compile them twice, and
the results are the same bytes with or without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from engine import warmup
from engine.signals.matrix import SignalMatrix

STUDY = """[study]
title = "warm-up"
question = "Are the child's kernels the parent's?"
target = "index.GSPC"
horizons = ["1d", "5d"]
start = "2023-03-01"
mode = "events"
n_boot = 50
seed = 3

[[signals]]
name = "cross"
family = "trend.ma_cross"
params = { series = "@target", fast = [3, 5], slow = [20, 30] }
"""

# Run the study in a fresh process; print each kernel's numba cache hits and misses.
# MODE "inline": only the warm-up child's tasks, here and now, then stop (no fork).
SCRIPT = """
import json, os, sys
from pathlib import Path
from engine import runner, warmup
from engine.backtest_kernel import moments, simulate
from engine.evaluate.bootstrap import ratio_ci
from engine.evaluate.kernels import dense, sparse_columns
from engine.study.overrides import Overrides

if sys.argv[1] == "inline":
    def inline(tasks):
        for task in tasks:
            task()
        os._exit(0)
    warmup._start, warmup.cold = inline, lambda: True
runner.run("warm", Overrides(reports=False, out=Path(sys.argv[2])))
kernels = {"simulate": simulate, "moments": moments, "ratio_ci": ratio_ci.serial,
           "dense": dense.serial, "sparse_columns": sparse_columns.serial}
print(json.dumps({k: [sum(d.stats.cache_hits.values()), sum(d.stats.cache_misses.values())]
                  for k, d in kernels.items()}))
"""


def _run(mode: str, out: Path, cache: Path, warm: str = "on") -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "STUDY_WARMUP": warm,
           "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(out)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]) if mode != "inline" else {}


def _tables(out: Path) -> dict[str, bytes]:
    (run,) = out.glob("warm/*")
    return {p.name: p.read_bytes() for p in sorted(run.glob("*.parquet"))}


@pytest.mark.skipif(sys.platform != "linux", reason="the warm-up forks (Linux only)")
def test_the_child_compiles_the_parents_kernels_and_changes_no_result(
        synthetic_catalog, project, tmp_path):
    (project / "studies" / "warm.toml").write_text(STUDY)
    # the child's tasks alone, on an empty cache; then a run without a child loads them
    alone = tmp_path / "alone"
    _run("inline", tmp_path / "unused", alone)
    stats = _run("run", tmp_path / "after-inline", alone, warm="off")
    for kernel in ("simulate", "moments", "ratio_ci"):
        assert stats[kernel][1] == 0 and stats[kernel][0] >= 1, (kernel, stats)
    assert stats["sparse_columns"][1] >= 1  # the parent's own: not compiled by the child
    # forked beside a run on an empty cache: the parent waits for the backtest's kernels
    forked = _run("run", tmp_path / "forked", tmp_path / "forked-cache")
    assert forked["simulate"] == [1, 0] and forked["moments"][1] == 0, forked
    # the same results as a run that compiled everything itself
    plain = _run("run", tmp_path / "plain", tmp_path / "plain-cache", warm="off")
    assert plain["simulate"][1] >= 1
    assert _tables(tmp_path / "forked") == _tables(tmp_path / "plain") == \
        _tables(tmp_path / "after-inline")


@pytest.mark.skipif(sys.platform != "linux", reason="the warm-up forks (Linux only)")
def test_wait_follows_the_tasks_and_the_block_ends_the_child(tmp_path, monkeypatch):
    monkeypatch.setattr(warmup, "cold", lambda: True)
    marks = [tmp_path / f"task-{i}" for i in range(3)]

    def task(i: int, pause: float):
        def run():
            time.sleep(pause)
            marks[i].write_text("done")
        return run

    t0 = time.perf_counter()
    with warmup.ahead([task(0, 0.2), task(1, 0.2), task(2, 60)]) as ahead:
        assert ahead.pid is not None
        ahead.wait(1)
        assert marks[0].exists() and marks[1].exists() and not marks[2].exists()
    assert time.perf_counter() - t0 < 10  # the 60 s task was stopped with the block
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.pid, os.WNOHANG)  # reaped: no zombie left
    assert not marks[2].exists()


@pytest.mark.skipif(sys.platform != "linux", reason="the warm-up forks (Linux only)")
def test_a_hanging_child_is_waited_for_no_longer_than_the_limit(monkeypatch):
    monkeypatch.setattr(warmup, "cold", lambda: True)
    t0 = time.perf_counter()
    with warmup.ahead([lambda: time.sleep(60)]) as ahead:
        ahead.wait(0, limit=0.5)
        assert 0.4 < time.perf_counter() - t0 < 5
        ahead.wait(0)  # gave up: no more waiting
    assert time.perf_counter() - t0 < 10


@pytest.mark.skipif(sys.platform != "linux", reason="the warm-up forks (Linux only)")
def test_a_failing_task_ends_the_waiting(monkeypatch):
    monkeypatch.setattr(warmup, "cold", lambda: True)

    def boom():
        raise RuntimeError("no head start")

    with warmup.ahead([boom, lambda: None]) as ahead:
        ahead.wait(1)  # returns: the child is gone, nothing more will come


def test_no_child_when_the_cache_is_warm_or_turned_off(monkeypatch):
    monkeypatch.setattr(warmup, "cold", lambda: False)
    with warmup.ahead([lambda: None]) as ahead:
        assert ahead.pid is None
        ahead.wait(0)  # nothing to wait for
    monkeypatch.setattr(warmup, "cold", lambda: True)
    monkeypatch.setenv("STUDY_WARMUP", "off")
    with warmup.ahead([lambda: None]) as ahead:
        assert ahead.pid is None


@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("k", [1, 2, 5])
def test_first_variants_keep_the_memory_layout(order, k):
    values = np.asarray(np.arange(40 * k).reshape(40, k) % 3 - 1, dtype=np.int8, order=order)
    labels = pd.DataFrame({"signal": ["s"] * k, "variant": [str(i) for i in range(k)],
                           "params": ["{}"] * k})
    sm = SignalMatrix(values, np.zeros(k, bool), labels, np.arange(k) % 2 == 0)
    head = sm.first(2)
    n = min(k, 2)
    np.testing.assert_array_equal(head.values, values[:, :n])
    assert head.values.flags.f_contiguous if order == "F" else head.values.flags.c_contiguous
    assert list(head.labels["variant"]) == [str(i) for i in range(n)]
    assert head.advance.tolist() == [True, False][:n]
