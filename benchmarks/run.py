"""Benchmark the evaluate kernel against a naive pandas loop, vectorbt, alphalens and the
memory-bandwidth floor; print a table and write JSON.

    python -m benchmarks.run [--sizes small,medium,panel] [--repeat 3] [--out FILE]

Every measured case runs in its own fresh process (multiprocessing "spawn"), so its peak RSS is
its own: the child builds its data, resets the kernel's high-water mark (``echo 5 >
/proc/self/clear_refs``), runs one warm-up call (numba compile or cache load, reported as
``warmup_s``) and ``--repeat`` timed calls, then reads ``VmHWM`` from ``/proc/self/status``.
Peak RSS therefore includes the inputs already in memory (they are part of the job) but not
the transient memory used to generate them. Slow peers run on a column subset and are
extrapolated linearly to the full size. See benchmarks/README.md for the columns.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import io
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import bandwidth, data, peers
from benchmarks.data import SIZES, Size
from engine.evaluate import reference as naive
from engine.signal_dtype import to_signal

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = ("small", "medium", "panel")
DEFAULT_PEERS = ("naive", "vectorbt", "alphalens")
MODE = "events"
NAIVE_COLS = {"tiny": 20, "tinypanel": 10, "small": 20, "medium": 20, "panel": 20}
VBT_COLS = {"tiny": 20, "tinypanel": 30, "small": 100, "medium": 250, "panel": 200}
ALPHALENS_DAYS = {"tinypanel": None, "panel": 1260}  # None = every date (no extrapolation)
BOOT = {"tiny": 200, "small": 200}  # sizes that also time the bootstrap
FACTOR_WINDOW = 50
TARGETS = (  # (size, ratio key, comparison, threshold, label)
    ("medium", "speedup_vs_naive", ">=", 100.0, "speed-up vs naive pandas >= 100x"),
    ("medium", "speedup_vs_vectorbt", ">=", 10.0, "speed-up vs vectorbt >= 10x"),
    ("medium", "ours_over_floor", "<=", 5.0, "ours within 5x of bandwidth floor"),
    ("medium", "ours_peak_rss_gib", "<", 2.0, "ours peak RSS < 2 GiB"),
)


# ---------------------------------------------------------------- memory and timing (in child)

def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mib(reset_ok: bool) -> tuple[float, str]:
    hwm = _status_kib("VmHWM")
    if reset_ok and hwm is not None:
        return hwm / 1024, "VmHWM after clear_refs reset (inputs included)"
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "ru_maxrss since process start (includes data generation)")


def _measure(work: Callable[[], tuple[float, object]], repeat: int) -> tuple[dict, object]:
    """Warm-up call, then ``repeat`` timed calls; ``work`` returns (seconds, result)."""
    rss0 = (_status_kib("VmRSS") or 0) / 1024
    reset_ok = _reset_peak()
    warm_s, result = work()
    times = [work()[0] for _ in range(repeat)]
    peak, method = _peak_mib(reset_ok)
    med = statistics.median(times)
    return {"status": "ok", "times_s": times, "median_s": med, "warmup_s": warm_s,
            "compile_or_load_s": max(warm_s - med, 0.0), "rss_before_mib": rss0,
            "peak_rss_mib": peak, "peak_method": method}, result


def _timed(fn: Callable[[], object]) -> Callable[[], tuple[float, object]]:
    def work() -> tuple[float, object]:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    return work


def _extrapolate(rec: dict, n_timed: int, n_full: int) -> dict:
    rec.update(columns_timed=int(n_timed), columns_full=int(n_full),
               extrapolated=n_timed != n_full, full_s=rec["median_s"] * n_full / n_timed)
    return rec


# ---------------------------------------------------------------- data helpers (in child)

def _single(size: Size, cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    close = data.make_closes(size.n_days, 1)[:, 0]
    return close, data.make_signals(close, size.n_variants, size.family, cols)


def _evaluate(close, signals, horizons, n_boot: int = 0):
    from engine.evaluate.core import evaluate

    return evaluate(close, signals, np.zeros(signals.shape[1], dtype=bool),
                    np.asarray(horizons, dtype=np.int64), data.all_episode(len(close)),
                    mode=MODE, n_boot=n_boot, seed=0)


def _ours_on(close, signals, horizons) -> dict[str, np.ndarray]:
    res = _evaluate(close, signals, horizons)
    return {m: res.metrics[m][:, :, 0] for m in naive.METRICS}


# ---------------------------------------------------------------- cases (each in its own process)

def case_ours(size_name: str, repeat: int, n_boot: int = 0) -> dict:
    """Our kernel on the full problem (panel: one evaluate call per asset, time summed)."""
    size = SIZES[size_name]
    if size.n_assets == 1:
        close, sig = _single(size)
        sig = to_signal(sig)  # untimed: the engine's own int8 matrix (engine.signal_dtype)
        rec, res = _measure(_timed(lambda: _evaluate(close, sig, size.horizons, n_boot)), repeat)
        rec["approach"] = "one evaluate call on the (T, K) matrix"
        rec["n_events_total"] = int(np.nansum(res.metrics["n_events"][:, 0, 0]))
    else:
        closes = data.make_closes(size.n_days, size.n_assets)
        codes = data.panel_codes(closes, size.n_variants)

        def work() -> tuple[float, int]:
            spent, n_ev = 0.0, 0
            for j in range(size.n_assets):  # loop over assets: evaluate takes one close series
                sig = to_signal(data.decode(codes[j]))  # untimed: the engine's int8 matrix
                t0 = time.perf_counter()
                res = _evaluate(closes[:, j], sig, size.horizons, n_boot)
                spent += time.perf_counter() - t0
                n_ev += int(np.nansum(res.metrics["n_events"][:, 0, 0]))
            return spent, n_ev

        rec, n_ev = _measure(work, repeat)
        rec["approach"] = (f"loop over {size.n_assets} assets, one evaluate call per asset on its "
                           f"(T, {size.n_variants}) matrix; time is the sum of the calls")
        rec["n_events_total"] = n_ev
    rec["n_boot"] = n_boot
    return _extrapolate(rec, size.n_columns, size.n_columns)


def case_naive(size_name: str, repeat: int) -> dict:
    """Naive pandas loop on a spread subset of variants (asset 0); checked against ours."""
    size = SIZES[size_name]
    cols = data.subset_columns(size.n_variants, NAIVE_COLS[size_name])
    close, sig = _single(size, cols) if size.n_assets == 1 else _panel_asset(size, 0, cols)
    rec, ref = _measure(_timed(lambda: naive.naive_metrics(close, sig, size.horizons, MODE)),
                        repeat)
    rec["match"] = naive.compare(_ours_on(close, sig, size.horizons), ref)
    return _extrapolate(rec, len(cols), size.n_columns)


def _panel_asset(size: Size, j: int, cols: np.ndarray | None = None):
    close = data.make_closes(size.n_days, size.n_assets)[:, j]
    return close, data.make_signals(close, size.n_variants, size.family, cols)


def case_vectorbt(size_name: str, repeat: int) -> dict:
    """vectorbt route on a column subset; semantic comparison with ours on the same columns."""
    size = SIZES[size_name]
    idx = data.dates(size.n_days)
    if size.n_assets == 1:
        cols = data.subset_columns(size.n_variants, VBT_COLS[size_name])
        close, sig = _single(size, cols)
        prices = close
    else:  # whole assets: every variant of the first few assets, one price column per column
        n_a = max(VBT_COLS[size_name] // size.n_variants, 1)
        closes = data.make_closes(size.n_days, size.n_assets)[:, :n_a]
        sig = np.hstack([data.make_signals(closes[:, j], size.n_variants, size.family)
                         for j in range(n_a)])
        prices = np.repeat(closes, size.n_variants, axis=1)
        close = closes[:, 0]
    t0 = time.perf_counter()  # compile vectorbt's numba kernels on a slice (not timed below)
    with _quiet():
        warm = prices[:300] if prices.ndim == 1 else prices[:300, :2]
        peers.vectorbt_metrics(warm, sig[:300, :2], size.horizons[:1], idx[:300])
    compile_s = time.perf_counter() - t0
    with _quiet():
        rec, (vbt, records) = _measure(
            _timed(lambda: peers.vectorbt_metrics(prices, sig, size.horizons, idx, MODE)), repeat)
    rec["vectorbt_compile_s"] = compile_s
    rec["agreement"] = peers.vectorbt_agreement(prices, records, size.horizons)
    n_sub = min(sig.shape[1], size.n_variants)
    ours = _ours_on(close, sig[:, :n_sub], size.horizons)
    rec["vs_ours"] = {
        "trades_per_event": _ratio(vbt["n_trades"][:n_sub], ours["n_events"]),
        "mean_abs_hit_rate_diff": _mean_abs(vbt["hit_rate"][:n_sub], ours["hit_rate"]),
        "mean_abs_mean_ret_diff": _mean_abs(vbt["mean_ret"][:n_sub], ours["mean_fwd"]),
    }
    rec["match"] = {"ok": rec["agreement"]["ok"], "what": "exactly-h-bar trades == our fwd"}
    return _extrapolate(rec, sig.shape[1], size.n_columns)


def _ratio(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.nansum(a) / max(np.nansum(b), 1))


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    d = np.abs(a - b)
    return float(np.nanmean(d)) if np.isfinite(d).any() else float("nan")


def case_alphalens(size_name: str, repeat: int) -> dict:
    """alphalens IC vs our spearman IC path: ours on every date, alphalens on a date subset."""
    size = SIZES[size_name]
    closes = data.make_closes(size.n_days, size.n_assets)
    factor = data.make_factor(closes, FACTOR_WINDOW)
    idx = data.dates(size.n_days)
    ours_rec, (rows, _ic) = _measure(_timed(lambda: peers.ours_ic(closes, factor, size.horizons)),
                                    repeat)
    ours_rec = _extrapolate(ours_rec, len(rows), len(rows))
    n_days = ALPHALENS_DAYS.get(size_name)
    n_days = size.n_days if n_days is None else n_days + max(size.horizons) + 2
    try:
        import alphalens  # noqa: F401
    except Exception as exc:  # any import failure means "unavailable", not a crash
        return {"status": f"unavailable: {type(exc).__name__}: {exc}", "ours_ic": ours_rec}
    sub_c, sub_f, sub_i = closes[:n_days], factor[:n_days], idx[:n_days]
    with _quiet():
        rec, al = _measure(_timed(lambda: peers.alphalens_ic(sub_c, sub_f, size.horizons, sub_i)),
                           repeat)
    sub_rows, sub_ic = peers.ours_ic(sub_c, sub_f, size.horizons)
    rec["match"] = _ic_match(al, sub_i[sub_rows], sub_ic)
    rec = _extrapolate(rec, len(al), len(rows))
    rec.update(unit="dates (IC is per date)", factor=f"close / MA{FACTOR_WINDOW} - 1",
               ours_ic=ours_rec)
    return rec


def _ic_match(al, dates, ic: np.ndarray) -> dict:
    a = al.to_numpy(np.float64)
    ours = ic[np.isin(dates, al.index)]
    if a.shape != ours.shape:
        return {"ok": False, "max_abs_diff": f"shape {a.shape} vs {ours.shape}"}
    diff = float(np.nanmax(np.abs(a - ours)))
    return {"ok": diff < 1e-9, "max_abs_diff": diff, "dates": len(a)}


def case_bandwidth(n_mib: int) -> dict:
    return {"status": "ok", **bandwidth.measure(n_mib * 2**20, repeat=5)}


def case_compile() -> dict:
    """Cold numba compile: import + first call with an empty cache dir, vs a second call."""
    cache = tempfile.mkdtemp(prefix="bench-numba-")
    os.environ["NUMBA_CACHE_DIR"] = cache
    t0 = time.perf_counter()
    import engine.evaluate.core  # noqa: F401

    t1 = time.perf_counter()
    size = SIZES["tiny"]
    close, sig = _single(size)
    first = _timed(lambda: _evaluate(close, sig, size.horizons, 200))()[0]
    second = _timed(lambda: _evaluate(close, sig, size.horizons, 200))()[0]
    return {"status": "ok", "import_s": t1 - t0, "first_call_s": first, "second_call_s": second,
            "cold_compile_s": first - second, "numba_cache_dir": cache,
            "note": "fresh NUMBA_CACHE_DIR: every @njit(cache=True) kernel compiles"}


@contextlib.contextmanager
def _quiet():
    """Silence peers' prints/warnings (alphalens prints its drop summary)."""
    import warnings

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------- orchestration (parent)

def _call(fn: Callable[..., dict], isolate: bool, **kwargs) -> dict:
    try:
        if not isolate:
            return fn(**kwargs)
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
            return ex.submit(fn, **kwargs).result()
    except Exception as exc:  # recorded, the run goes on; exit code 1 at the end
        return {"status": f"error: {type(exc).__name__}: {exc}"}


def run_size(name: str, repeat: int, peer_names, isolate: bool, read_gbps: float | None,
             log: Callable[[str], None]) -> dict:
    size = SIZES[name]
    cases: dict[str, dict] = {}
    log(f"{name}: ours")
    cases["ours"] = _call(case_ours, isolate, size_name=name, repeat=repeat)
    if name in BOOT:
        log(f"{name}: ours n_boot={BOOT[name]}")
        cases[f"ours_boot{BOOT[name]}"] = _call(case_ours, isolate, size_name=name,
                                                repeat=repeat, n_boot=BOOT[name])
    fns = {"naive": case_naive, "vectorbt": case_vectorbt, "alphalens": case_alphalens}
    for p in peer_names:
        if p == "alphalens" and size.n_assets < 2:
            cases[p] = {"status": "n/a: single series (alphalens IC is cross-sectional)"}
            continue
        log(f"{name}: {p}")
        cases[p] = _call(fns[p], isolate, size_name=name, repeat=repeat)
    n_bytes = bandwidth.job_bytes(size.n_assets, size.n_days, size.n_variants,
                                  len(size.horizons))
    floor = {"bytes": n_bytes, "read_gbps": read_gbps,
             "seconds": bandwidth.floor_seconds(n_bytes, read_gbps) if read_gbps else None}
    return {"size": _size_dict(size), "cases": cases, "floor": floor,
            "ratios": _ratios(cases, floor)}


def _size_dict(size: Size) -> dict:
    return {"n_assets": size.n_assets, "n_days": size.n_days, "n_variants": size.n_variants,
            "n_columns": size.n_columns, "horizons": list(size.horizons), "family": size.family,
            "mode": MODE, "episodes": ["all"]}


def _ok(rec: dict | None) -> bool:
    return bool(rec) and rec.get("status") == "ok"


def _ratios(cases: dict, floor: dict) -> dict:
    ours = cases.get("ours", {})
    out: dict[str, float | None] = dict.fromkeys(
        ("speedup_vs_naive", "speedup_vs_vectorbt", "speedup_vs_alphalens", "ours_over_floor",
         "ours_peak_rss_gib"))
    if not _ok(ours):
        return out
    t = ours["median_s"]
    for peer in ("naive", "vectorbt"):
        if _ok(cases.get(peer)):
            out[f"speedup_vs_{peer}"] = cases[peer]["full_s"] / t
    al = cases.get("alphalens", {})
    if _ok(al):
        out["speedup_vs_alphalens"] = al["full_s"] / al["ours_ic"]["median_s"]
    if floor.get("seconds"):
        out["ours_over_floor"] = t / floor["seconds"]
    out["ours_peak_rss_gib"] = ours["peak_rss_mib"] / 1024
    return out


def _targets(sizes: dict) -> list[dict]:
    rows = []
    for size, key, op, threshold, label in TARGETS:
        if size not in sizes:
            continue
        value = sizes[size]["ratios"].get(key)
        ok = value is not None and (value >= threshold if op == ">=" else
                                    value <= threshold if op == "<=" else value < threshold)
        rows.append({"size": size, "target": label, "metric": key, "value": value,
                     "threshold": f"{op} {threshold:g}", "pass": bool(ok)})
    return rows


def _meta(argv: list[str], repeat: int) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for dist in ("numpy", "pandas", "numba", "scipy", "vectorbt", "alphalens-reloaded"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    kernel = ROOT / "engine" / "evaluate" / "core.py"
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmarks.run " + " ".join(argv), "repeat": repeat,
        "cpu": _cpu_model(), "cores": os.cpu_count(),
        "mem_total_gib": (_meminfo_kib("MemTotal") or 0) / 2**20, "versions": versions,
        "git_commit": _git_commit(),
        "evaluate_py_sha256": (hashlib.sha256(kernel.read_bytes()).hexdigest()[:16]
                               if kernel.exists() else None),
        "peak_memory": "per case, fresh spawned process; VmHWM reset after data generation",
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _meminfo_kib(key: str) -> int | None:
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_benchmarks(sizes=DEFAULT_SIZES, repeat: int = 3, out: Path | None = None,
                   peer_names=DEFAULT_PEERS, isolate: bool = True, bandwidth_mib: int = 512,
                   compile_case: bool = True, argv: list[str] | None = None,
                   log: Callable[[str], None] = lambda s: None) -> dict:
    """Run every size and case; return (and write to ``out``) the results dict."""
    unknown = [s for s in sizes if s not in SIZES] + [p for p in peer_names
                                                      if p not in DEFAULT_PEERS]
    if unknown:
        raise SystemExit(f"unknown size/peer {unknown}; sizes: {list(SIZES)}, "
                         f"peers: {list(DEFAULT_PEERS)}")
    t0 = time.perf_counter()
    results: dict = {"meta": _meta(argv or [], repeat)}
    log("bandwidth")
    results["bandwidth"] = _call(case_bandwidth, isolate, n_mib=bandwidth_mib)
    if compile_case:
        log("numba cold compile")
        results["compile"] = _call(case_compile, isolate)
    read = results["bandwidth"].get("read_gbps")
    results["sizes"] = {s: run_size(s, repeat, peer_names, isolate, read, log) for s in sizes}
    results["targets"] = _targets(results["sizes"])
    results["checks_ok"] = _checks_ok(results)
    results["meta"]["wall_s"] = time.perf_counter() - t0
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, default=_json_default) + "\n")
    return results


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(type(obj).__name__)


def _checks_ok(results: dict) -> bool:
    """False when a case errored or a peer's numbers disagree with ours."""
    for block in results["sizes"].values():
        for rec in block["cases"].values():
            if rec.get("status", "").startswith("error"):
                return False
            if "match" in rec and not rec["match"]["ok"]:
                return False
    return not results.get("bandwidth", {}).get("status", "ok").startswith("error")


# ---------------------------------------------------------------- printing

def _fmt(v, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not np.isfinite(v):
        return "nan"
    return format(v, spec)


def _check_cell(rec: dict) -> str:
    if "match" not in rec:
        return ""
    return "[green]match[/]" if rec["match"]["ok"] else "[red]MISMATCH[/]"


def print_report(results: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    bw = results.get("bandwidth", {})
    tab = Table(title="evaluate benchmark (times in seconds; full = extrapolated to full size)")
    for col in ("size", "case", "cols timed/full", "median", "full", "warm-up", "peak MiB",
                "check"):
        tab.add_column(col, justify="right" if col not in ("size", "case", "check") else "left")
    for name, block in results["sizes"].items():
        for case, rec in block["cases"].items():
            if rec.get("status") != "ok":
                tab.add_row(name, case, "", "", "", "", "", rec.get("status", "?")[:60])
                continue
            cols = f"{rec['columns_timed']}/{rec['columns_full']}"
            tab.add_row(name, case, cols, _fmt(rec["median_s"]), _fmt(rec["full_s"]),
                        _fmt(rec["warmup_s"]), _fmt(rec["peak_rss_mib"], ".0f"),
                        _check_cell(rec))
            if case == "alphalens":
                o = rec["ours_ic"]
                tab.add_row(name, "ours_ic (spearman)", f"{o['columns_timed']} dates",
                            _fmt(o["median_s"]), _fmt(o["full_s"]), _fmt(o["warmup_s"]),
                            _fmt(o["peak_rss_mib"], ".0f"), "")
    console.print(tab)
    rt = Table(title=f"ratios (floor at {_fmt(bw.get('read_gbps'), '.1f')} GB/s read)")
    for col in ("size", "ours s", "floor s", "ours/floor", "x naive", "x vectorbt",
                "x alphalens (IC)", "ours peak GiB"):
        rt.add_column(col, justify="left" if col == "size" else "right")
    for name, block in results["sizes"].items():
        r, ours = block["ratios"], block["cases"].get("ours", {})
        rt.add_row(name, _fmt(ours.get("median_s")), _fmt(block["floor"]["seconds"]),
                   _fmt(r["ours_over_floor"]), _fmt(r["speedup_vs_naive"]),
                   _fmt(r["speedup_vs_vectorbt"]), _fmt(r["speedup_vs_alphalens"]),
                   _fmt(r["ours_peak_rss_gib"]))
    console.print(rt)
    if results["targets"]:
        tt = Table(title="targets")
        for col in ("size", "target", "value", "threshold", "result"):
            tt.add_column(col)
        for t in results["targets"]:
            tt.add_row(t["size"], t["target"], _fmt(t["value"]), t["threshold"],
                       "[green]PASS[/]" if t["pass"] else "[red]FAIL[/]")
        console.print(tt)
    comp = results.get("compile")
    if comp and comp.get("status") == "ok":
        console.print(f"numba cold compile (empty cache): {comp['cold_compile_s']:.2f} s; "
                      f"import engine.evaluate.core {comp['import_s']:.2f} s")
    console.print(f"wall time {results['meta']['wall_s']:.0f} s; checks "
                  + ("[green]ok[/]" if results["checks_ok"] else "[red]FAILED[/]"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                    help=f"comma list of {', '.join(SIZES)}")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per case (median)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "results.json")
    ap.add_argument("--peers", default=",".join(DEFAULT_PEERS),
                    help="comma list of naive, vectorbt, alphalens ('' for none)")
    ap.add_argument("--no-isolate", action="store_true",
                    help="run cases in this process (faster; peak memory is then shared)")
    ap.add_argument("--no-compile", action="store_true", help="skip the cold numba compile case")
    ap.add_argument("--bandwidth-mib", type=int, default=512)
    args = ap.parse_args(argv)
    from rich.console import Console

    console = Console(width=max(Console().width, 132))
    results = run_benchmarks(
        sizes=[s for s in args.sizes.split(",") if s], repeat=args.repeat, out=args.out,
        peer_names=[p for p in args.peers.split(",") if p], isolate=not args.no_isolate,
        bandwidth_mib=args.bandwidth_mib, compile_case=not args.no_compile, argv=argv,
        log=lambda s: console.log(s))
    print_report(results, console)
    console.print(f"wrote {args.out}")
    return 0 if results["checks_ok"] else 1


if __name__ == "__main__":
    from benchmarks.run import main as _main  # the importable copy, so spawned children find it

    raise SystemExit(_main())
