"""End-to-end benchmark: ``study run`` at the sizes users run, cold start, light commands,
and two peer routes on the same job, every case in a fresh process, interleaved.

    python -m benchmarks.e2e [--sizes 1000,5000,20000] [--repeat 2] [--out FILE]
                             [--peers expert,pandas] [--no-cold] [--no-light]

The sweep is ``trend.ma_cross`` on the S&P 500 (``index.GSPC`` from 1999, 4 horizons, the
2019/2021/2025 episodes, study defaults: 1,000 bootstrap draws, backtest, reports), with
``fast x slow`` grids of 20 x 50, 50 x 100 and 100 x 200. Real data: it needs the mirror
(``STUDY_DATA_MIRROR``). Each repeat runs every case once, in a fixed order, so machine load
hits all of them alike (the development machine's 2 cores are shared: read the RATIOS; the
absolute seconds move with the load). Peak memory is the child's ``ru_maxrss`` (``wait4``).
"flagship warm" is a rerun (numba's cache and the chart cache filled by a first run);
"flagship warm, charts drawn" the same with ``STUDY_CHART_CACHE=off``, as every sweep case;
"flagship cold" has an empty numba cache and an empty chart cache (a fresh machine).

Peers (``--peers``), timed on the same sweep and checked against our metrics.parquet:

* **expert**: what a competent quant would write with the same stack: vectorbt's ``MA``
  indicator for every window at once, numpy broadcasting for the crossovers and rising edges,
  matrix products for the counts, hit rates and means per horizon x episode, a numpy block
  bootstrap (1,000 draws, day-count matrix @ events) and one vectorbt ``from_signals`` for
  the backtests with its ``total_return`` / ``sharpe_ratio``.
* **pandas**: column-vectorized pandas (``rolling().mean()`` per window, DataFrame
  comparisons, ``shift``, masked column sums): the metrics only, so it is compared with our
  ``--n-boot 0 --no-backtest --no-report`` run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {1000: (20, 50), 5000: (50, 100), 20000: (100, 200)}
EPISODES = (("2019", "2019-01-01", "2019-12-31"), ("2021", "2020-11-01", "2021-12-31"),
            ("2025", "2025-04-01", "2025-12-31"))
HORIZONS = {"1m": 21, "3m": 63, "6m": 126, "12m": 252}
LIGHT = (["--help"], ["list"], ["show", "small-cap-revisions"],
         ["validate", "small-cap-revisions"], ["families"], ["data", "list"])
GOALS = (  # (label, key, op, threshold)
    ("20,000-variant default run < 20 s", "run_20000_s", "<", 20.0),
    ("20,000-variant default run < 2 GiB peak", "run_20000_gib", "<", 2.0),
    ("5,000-variant default run < 8 s", "run_5000_s", "<", 8.0),
    ("flagship warm < 3 s", "flagship_warm_s", "<", 3.0),
    ("flagship cold (empty numba cache) < 10 s", "flagship_cold_s", "<", 10.0),
    ("light commands <= 2x study --help", "light_max_ratio", "<=", 2.0),
    ("vs expert peer >= 5x (default run, 1k and 5k)", "x_expert", ">=", 5.0),
    ("vs column-vectorized pandas >= 100x (metrics only)", "x_pandas", ">=", 100.0),
)


def sweep_toml(n: int) -> str:
    n_fast, n_slow = SIZES[n]
    fast, slow = list(range(2, 2 + n_fast)), list(range(2 + n_fast, 2 + n_fast + n_slow))
    eps = "".join(f'\n[[episodes]]\nname = "{a}"\nstart = "{b}"\nend = "{c}"\n'
                  for a, b, c in EPISODES)
    return (f'[study]\ntitle = "ma_cross sweep, {n} variants"\nquestion = "benchmark"\n'
            f'target = "index.GSPC"\nhorizons = {json.dumps(list(HORIZONS))}\n'
            f'start = "1999-01-01"\nmode = "events"\nmax_variants = {max(n, 5000)}\n{eps}'
            f'\n[[signals]]\nname = "ma-cross"\n'
            f'family = "trend.ma_cross"\nparams = {{ series = "@target", fast = {fast}, '
            f'slow = {slow} }}\n')


def _child(argv: list[str], env: dict | None = None, cwd: Path = ROOT) -> dict:
    """Run ``argv`` in a fresh process: wall seconds, peak RSS (GiB) and exit code."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")[-400:] if proc.stderr else ""
    rc = os.waitstatus_to_exitcode(status)
    return {"s": wall, "gib": usage.ru_maxrss / 2**20, "rc": rc, **({"err": err} if rc else {})}


def _study(args: list[str], env: dict | None = None, code: Path = ROOT) -> dict:
    """``study ARGS`` with the engine of checkout ``code`` (run from its folder)."""
    env = {"PYTHONPATH": str(code), **(env or {})}
    return _child([sys.executable, "-c", "from engine.cli import main; main()", *args], env,
                  cwd=code)


def _stages(out: Path) -> dict:
    runs = sorted(out.glob("*/*/manifest.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(runs[-1].read_text())["timings"] if runs else {}


def _peer(name: str, study: Path, out: Path) -> dict:
    return _child([sys.executable, "-m", "benchmarks.e2e_peers", name, str(study), str(out)])


def run(sizes: list[int], repeat: int, peers: list[str], cold: bool, light: bool,
        baseline: Path | None = None, baseline_sizes: tuple[int, ...] = (1000,)) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="e2e-"))
    print(f"work folder {tmp} (records.json is written after every case)", flush=True)
    studies = {}
    for n in sizes:
        studies[n] = tmp / f"sweep-{n}.toml"
        studies[n].write_text(sweep_toml(n))
    rec: dict[str, list] = {}

    def add(key: str, value: dict) -> None:
        rec.setdefault(key, []).append(value)
        (tmp / "records.json").write_text(json.dumps(rec, indent=1))  # survives an abort
        status = "" if value.get("rc", 0) == 0 else f" FAILED rc={value['rc']} {value['err']}"
        print(f"  {key}: {value['s']:.2f} s, {value['gib']:.2f} GiB{status}", flush=True)

    # Charts: the flagship's "warm" run is a rerun, its charts kept by the warm-up run
    # (``engine.report.chart_cache``); every other case draws its charts.
    kept = {"STUDY_CHART_CACHE": str(tmp / "charts")}
    drawn = {"STUDY_CHART_CACHE": "off"}
    _study(["run", "small-cap-revisions", "--out", str(tmp / "warm")], env=kept)  # warm up
    for r in range(repeat):
        print(f"repeat {r + 1}/{repeat}", flush=True)
        if light:
            for cmd in LIGHT:
                add("light " + " ".join(cmd), _study(cmd))
        out = tmp / f"flag-{r}"
        res = _study(["run", "small-cap-revisions", "--out", str(out)], env=kept)
        add("flagship warm", res | {"stages": _stages(out)})
        out = tmp / f"flag-drawn-{r}"
        res = _study(["run", "small-cap-revisions", "--out", str(out)], env=drawn)
        add("flagship warm, charts drawn", res | {"stages": _stages(out)})
        if baseline:
            out = tmp / f"base-flag-{r}"
            res = _study(["run", "small-cap-revisions", "--out", str(out)], env=kept,
                         code=baseline)
            add("baseline flagship warm", res | {"stages": _stages(out)})
        if cold:
            cache = tempfile.mkdtemp(prefix="numba-", dir=tmp)
            out = tmp / f"cold-{r}"
            res = _study(["run", "small-cap-revisions", "--out", str(out)],
                         env={"NUMBA_CACHE_DIR": cache, "STUDY_CHART_CACHE": cache + "-charts"})
            add("flagship cold", res | {"stages": _stages(out)})
        for n in sizes:
            out = tmp / f"run-{n}-{r}"
            res = _study(["run", str(studies[n]), "--out", str(out)], env=drawn)
            add(f"run {n}", res | {"stages": _stages(out)})
            if baseline and n in baseline_sizes:
                out = tmp / f"base-run-{n}-{r}"
                res = _study(["run", str(studies[n]), "--out", str(out)], env=drawn,
                             code=baseline)
                add(f"baseline run {n}", res | {"stages": _stages(out)})
            out0 = tmp / f"run0-{n}-{r}"
            add(f"run {n} metrics-only", _study(["run", str(studies[n]), "--out", str(out0),
                                                 "--n-boot", "0", "--no-backtest",
                                                 "--no-report"]))
            for p in peers:
                if n > 5000:  # minutes at 20,000 (dense products, T x K frames): see README
                    continue
                add(f"{p} {n}", _peer(p, studies[n], out0))
    return {"records": rec, "summary": summarize(rec, sizes)}


def summarize(rec: dict, sizes: list[int]) -> dict:
    # A failed run counts as never finishing: its goals FAIL (a crash is not fast).
    med = {k: statistics.median(v["s"] if v.get("rc", 0) == 0 else math.inf for v in vals)
           for k, vals in rec.items()}
    peak = {k: max(v["gib"] if v.get("rc", 0) == 0 else math.inf for v in vals)
            for k, vals in rec.items()}
    out: dict = {"median_s": med, "peak_gib": peak}
    for n in sizes:
        out[f"run_{n}_s"], out[f"run_{n}_gib"] = med.get(f"run {n}"), peak.get(f"run {n}")
        if f"expert {n}" in med:
            out[f"x_expert_{n}"] = med[f"expert {n}"] / med[f"run {n}"]
        if f"baseline run {n}" in med:
            out[f"x_before_{n}"] = med[f"baseline run {n}"] / med[f"run {n}"]
        if f"pandas {n}" in med:
            out[f"x_pandas_{n}"] = med[f"pandas {n}"] / med[f"run {n} metrics-only"]
    out["flagship_warm_s"] = med.get("flagship warm")
    out["flagship_cold_s"] = med.get("flagship cold")
    out["flagship_drawn_s"] = med.get("flagship warm, charts drawn")
    if "baseline flagship warm" in med:
        out["x_before_flagship"] = med["baseline flagship warm"] / med["flagship warm"]
    help_s = med.get("light --help")
    if help_s:
        out["light_ratio"] = {k[6:]: v / help_s for k, v in med.items() if k.startswith("light")}
        out["light_max_ratio"] = max(out["light_ratio"].values())
    xs = [out[k] for k in out if k.startswith("x_expert_")]
    out["x_expert"] = min(xs) if xs else None
    xs = [out[k] for k in out if k.startswith("x_pandas_")]
    out["x_pandas"] = min(xs) if xs else None
    out["goals"] = []
    for label, key, op, thr in GOALS:
        v = out.get(key)
        ok = None if v is None else (v < thr if op == "<" else v <= thr if op == "<=" else
                                     v >= thr)
        out["goals"].append({"goal": label, "value": v,
                             "result": "n/a" if ok is None else "PASS" if ok else "FAIL"})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,5000,20000")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--peers", default="expert,pandas")
    ap.add_argument("--no-cold", action="store_true")
    ap.add_argument("--no-light", action="store_true")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another checkout (e.g. the code before a change) timed interleaved")
    ap.add_argument("--baseline-sizes", default="1000")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "e2e.json")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        ap.error(f"--sizes: {unknown} not among {sorted(SIZES)}")
    peers = [p for p in a.peers.split(",") if p]
    res = run(sizes, a.repeat, peers, not a.no_cold, not a.no_light, a.baseline,
              tuple(int(s) for s in a.baseline_sizes.split(",") if s))
    res["meta"] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                   "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                              f"{platform.python_version()}",
                   "load_avg": os.getloadavg(), "command": " ".join(sys.argv)}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1, default=float))
    for g in res["summary"]["goals"]:
        v = g["value"]
        print(f"{g['result']:>4}  {g['goal']}: {'-' if v is None else f'{v:.2f}'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
