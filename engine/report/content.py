"""What a run report says: builds the ``Document`` from a run folder's files.

Nothing is recomputed from market data: every number comes from the run folder, so a
report re-rendered years later shows exactly what the run found.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping

import pandas as pd

from engine import metrics as M
from engine.formats import DASH
from engine.report import chart_cache, charts
from engine.report import tables as T
from engine.report.model import Bullets, Chart, Document, Facts, Section, Table
from engine.runfolder import RunFolder

TOP_VARIANTS = 30
MAX_GRID = 25  # largest sweep grid (per axis) also written out as a table

NOT_AVAILABLE = "not available"


def build(run: RunFolder) -> Document:
    """The whole run report."""
    study = run.manifest.get("study") or {}
    m = run.metrics
    mid = T.middle_horizon(m, run.manifest)
    doc = Document(title=str(study.get("title") or study.get("name") or "study report"),
                   lead=str(study.get("question") or ""), facts=header_facts(run.manifest, m))
    doc.sections = [
        data_section(run.manifest),
        signals_section(m, run.manifest),
        hit_rate_section(m, run.manifest),
        event_study_section(run, mid),
        episodes_section(run, mid),
        *([validation_section(run)] if run.validation is not None else []),
        *([walk_forward_section(run, mid)] if run.walk_forward is not None else []),
        *([event_list_section(run)] if _rare_signals(run) else []),
        backtest_section(run),
        *([calendar_section(run)] if run.equity is not None else []),
        heatmap_section(m, run.manifest, mid),
        variants_section(m),
        caveats_section(run),
        run_info_section(run.manifest),
    ]
    charts.render_pending(doc.charts(), chart_cache.for_run(run.path, run.manifest))
    return doc


def _chart(name: str, title: str, figure: Callable, *args, **kwargs) -> Chart:
    """The chart, drawn as ``figure(*args, **kwargs)`` and rendered to SVG by ``build`` with
    the others: building a figure costs as much as drawing it, so both happen in the worker
    processes (``charts.render_pending``)."""
    return Chart(name, title, "", figure=functools.partial(figure, *args, **kwargs))


# --- header -------------------------------------------------------------------------------

def header_facts(manifest: Mapping, metrics: pd.DataFrame) -> list[tuple[str, str]]:
    study = manifest.get("study") or {}
    bench = study.get("benchmark")
    hs = study.get("horizons") or []
    horizons = ", ".join(f"{h.get('label')} ({h.get('days')} trading days)" for h in hs) \
        or ", ".join(T.horizons(metrics))
    window = manifest.get("window") or {}
    first = window.get("first") or study.get("start") or "start of data"
    last = window.get("last") or study.get("end") or "end of data"
    mode = study.get("mode") or "—"
    mode_text = {"events": "events (the day a signal turns on)",
                 "state": "state (every day the signal is on)"}.get(mode, str(mode))
    facts = [
        ("study", f"{study.get('name', '—')} ({study.get('file', '—')})"),
        ("target", str(study.get("target") or "—")),
        ("benchmark", str(bench) if bench else "none (absolute returns)"),
        ("returns", f"target minus {bench}, simple returns, entered at the next close"
         if bench else "target simple returns, entered at the next close"),
        ("mode", mode_text),
        ("horizons", horizons),
        ("window", f"{first} to {last}"),
        ("episodes", ", ".join(f"{e.get('name')} ({e.get('start')} to {e.get('end')})"
                               for e in study.get("episodes") or []) or "none defined"),
        ("run", f"{manifest.get('run_id', '—')}, created {manifest.get('created', '—')}"),
    ]
    return facts


def data_section(manifest: Mapping) -> Section:
    rows = manifest.get("datasets") or []
    s = Section("data", "Data coverage")
    if not rows:
        s.blocks.append(f"Dataset list {NOT_AVAILABLE} (the manifest lists no datasets).")
        return s
    frame = pd.DataFrame([{
        "id": d.get("id", "—"), "first": d.get("first", "—"), "last": d.get("last", "—"),
        "rows": T.count(d.get("rows")), "lag (days)": T.count(d.get("lag_days")),
        "frequency": d.get("frequency") or "—", "description": d.get("description") or "",
    } for d in rows])
    s.blocks += ["Each series is used as of its availability date (period date + publication "
                 "lag), so a signal on day t only sees what was published by t.", Table(frame)]
    return s


# --- signals ------------------------------------------------------------------------------

def min_independent(manifest: Mapping) -> int:
    """The study's floor for judging a row (``[study] min_independent`` / ``--min-independent``)."""
    from engine.ranking import DEFAULT_MIN_INDEPENDENT

    value = (manifest.get("study") or {}).get("min_independent")
    return int(value) if isinstance(value, int) and value >= 0 else DEFAULT_MIN_INDEPENDENT


HAC_RULE = ("t_hac/p_hac (Newey–West, h−1 lags, in metrics.parquet) are left empty, with the "
            "reason in the note column, below 10 independent events or where the lags are 10% "
            "or more of the days: there the t-statistic is noise that looks like certainty.")


def signals_section(m: pd.DataFrame, manifest: Mapping) -> Section:
    s = Section("signals", "Signals ranked")
    floor = min_independent(manifest)
    best = T.best_variants(m, min_independent=floor)
    if best.empty:
        s.blocks.append(f"Ranked table {NOT_AVAILABLE}: the run has no rows for episode all.")
        return s
    judged = best[best["group"] == "ranked"]
    few = best[best["group"] != "ranked"]
    n_var = m.loc[m["episode"] == "all"].drop_duplicates(["signal", "variant"])
    s.blocks.append(
        f"Best variant of each signal at each horizon (episode all), {len(best)} rows from "
        f"{len(n_var)} variants, ranked evidence first: q, then the number of independent "
        f"events, then |edge|; rows with fewer than {floor} independent events are listed "
        "separately below as too few to judge, never above a judged row. "
        f"{M.legend(M.table_columns(best))} Verdicts: evidence for / against when q <= 0.05 "
        "and the CI excludes the "
        "base rate, else no evidence either way. HTML shading: green = evidence, yellow = "
        "q <= 0.10. " + HAC_RULE)
    if not judged.empty:
        frame, cls = T.display_rows(judged, ("signal", "variant", "horizon"))
        s.blocks.append(Table(frame, cls))
    else:
        s.blocks.append(f"No signal has {floor} or more independent events: nothing to judge.")
    if not few.empty:
        frame, cls = T.display_rows(few, ("signal", "variant", "horizon"))
        s.blocks.append(Table(frame, cls, caption=f"too few to judge (fewer than {floor} "
                              "independent events) or never fired"))
    defs = definitions(manifest)
    if defs is not None:
        s.blocks.append(Table(defs, caption="signal definitions"))
    return s


def definitions(manifest: Mapping) -> pd.DataFrame | None:
    sigs = (manifest.get("study") or {}).get("signals") or []
    if not sigs:
        return None
    return pd.DataFrame([{
        "signal": d.get("name", "—"),
        "rule": d.get("family") or _combinator(d),
        "params": ", ".join(f"{k}={json.dumps(v)}" for k, v in (d.get("params") or {}).items())
        or "—",
        "variants": T.count(d.get("n_variants")),
        "description": d.get("description") or d.get("doc") or "",
    } for d in sigs])


def _combinator(d: Mapping) -> str:
    comb = d.get("combinator")
    inputs = d.get("inputs") or []
    if comb:
        return f"{comb}({', '.join(map(str, inputs))})" if inputs else str(comb)
    return "—"


def hit_rate_section(m: pd.DataFrame, manifest: Mapping) -> Section:
    s = Section("hit-rates", "Hit rate vs base rate")
    best = T.best_variants(m)
    if not (best[M.N_EVENTS].astype(float) > 0).any():
        s.blocks.append(f"Chart {NOT_AVAILABLE}: no signal fired in the window.")
        return s
    s.blocks += ["Dots: hit rate of each signal's best variant with its 95% CI; bars: the base "
                 "rate over the same window. n and q for every dot are in the table above.",
                 _chart("hit-rates", "hit rate vs base rate by signal and horizon",
                        charts.hit_rate_figure, m, manifest=manifest)]
    return s


def event_study_section(run: RunFolder, horizon: str | None) -> Section:
    s = Section("event-study", "Event study")
    best = charts.event_study_candidates(run.metrics, horizon, run.manifest)
    paths = run.paths_of(best["signal"], best["variant"])  # a sweep's few shown variants
    if paths is None:
        s.blocks.append(f"Event-study paths {NOT_AVAILABLE} (no paths.parquet in this run).")
        return s
    if not charts.has_candidate_paths(paths, best):  # the rare fallback reads them all
        paths = run.paths
    chosen = charts.event_study_variants(paths, run.metrics, horizon, run.manifest)
    if not chosen:
        s.blocks.append(f"Event-study chart {NOT_AVAILABLE}: no signal fired.")
        return s
    s.blocks += [f"One panel per signal: the mean cumulative return after entry of its best "
                 f"variant at {horizon} (the one ranking, as in the signals table), with a 95% "
                 "band (mean ± 1.96 standard errors) and, dashed, the same mean after every "
                 "day of the window (the drift an event has to beat). Paths of overlapping "
                 "events are averaged as if independent, so the band is too narrow when "
                 "events cluster.",
                 _chart("event-study", "mean cumulative return after events vs all days",
                        charts.event_study_figure, paths, run.metrics, horizon,
                        run.manifest, run.prices)]
    events = run.events  # None when missing or empty (read once, by read_run)
    if events is not None:
        relative = bool((run.manifest.get("study") or {}).get("benchmark"))
        floor = min_independent(run.manifest)
        best = T.best_variants(run.metrics, min_independent=floor)
        s.blocks += [
            _chart("distributions", f"{horizon} forward returns after events vs every day",
                   charts.distribution_figure, events, chosen, horizon, run.prices, relative),
            _chart("rolling-hit", f"rolling hit rate at {horizon}",
                   charts.rolling_hit_figure, events, best, horizon),
            Table(event_table(events, chosen, horizon),
                  caption=f"the last {EVENT_ROWS} events of each signal's best variant at "
                  f"{horizon}: signal date, entry (next close), forward return, outcome"),
        ]
    return s


EVENT_ROWS = 8


def event_table(events: pd.DataFrame, chosen: list[tuple[str, str]], horizon: str | None,
                ) -> pd.DataFrame:
    """The most recent events of each chosen variant: dates, forward return, hit or miss."""
    keys = pd.DataFrame(chosen, columns=["signal", "variant"])
    e = events[events["horizon"] == horizon].merge(keys, on=["signal", "variant"])
    e = e.sort_values(["signal", "date"], kind="stable").groupby("signal", sort=False).tail(
        EVENT_ROWS)
    order = {s: i for i, (s, _) in enumerate(chosen)}
    e = e.assign(_o=e["signal"].map(order)).sort_values(["_o", "date"], kind="stable")
    return pd.DataFrame({
        "signal": e["signal"].astype(str), "variant": e["variant"].astype(str),
        "signal date": pd.to_datetime(e["date"]).dt.strftime("%Y-%m-%d"),
        "entry": pd.to_datetime(e["entry_date"]).dt.strftime("%Y-%m-%d"),
        f"{horizon} return": e["fwd_return"].map(T.spct),
        "outcome": e["hit"].map({True: "up", False: "down"}).fillna("—"),
    })


# --- episodes -----------------------------------------------------------------------------

def episodes_section(run: RunFolder, horizon: str | None) -> Section:
    s = Section("episodes", "Episodes")
    study = run.manifest.get("study") or {}
    eps = study.get("episodes") or []
    m = run.metrics
    best = T.best_variants(m)
    best = best[best["horizon"] == horizon]
    names = [e.get("name") for e in eps] + ["all"]
    names += sorted(set(map(str, m["episode"].unique())) - set(names))
    if best.empty:
        s.blocks.append(f"Episode table {NOT_AVAILABLE}.")
    else:
        s.blocks += [f"Each signal's best variant at {horizon} (chosen on the full sample, "
                     "not per episode) broken out by episode. Episode rows are descriptive: "
                     "counts, hit rate, mean and the exact CI, but no p or q (an episode holds "
                     "a handful of independent events). flags: base rate 0% or 100% (nothing "
                     "to compare with), windows that run past the episode end (clip = false) "
                     "or past the data end.", Table(*episode_table(m, best, names))]
        if not eps:
            s.blocks.append("The study defines no episodes; only the full sample is shown.")
    if run.prices is None:
        s.blocks.append(f"Price chart {NOT_AVAILABLE} (no prices.parquet in this run).")
    else:
        labels = {"target": str(study.get("target") or "target"),
                  "benchmark": str(study.get("benchmark") or "benchmark")}
        s.blocks.append(_chart("prices", "target price with episodes shaded",
                               charts.price_figure, run.prices, eps, labels))
    return s


def episode_table(m: pd.DataFrame, best: pd.DataFrame, names: list[str],
                  ) -> tuple[pd.DataFrame, list[str]]:
    return T.display_rows(T.episode_rows(m, best, names), ("signal", "variant", "episode"),
                          extra=(M.FLAGS,))


# --- event lists of rare signals ----------------------------------------------------------

MAX_LISTED_EVENTS = 20


def _rare_signals(run: RunFolder) -> list[tuple[str, str]]:
    """(signal, variant) of best variants (full sample) with 1..MAX_LISTED_EVENTS events."""
    if run.events is None or run.events.empty:
        return []
    best = T.best_variants(run.metrics, min_independent=min_independent(run.manifest))
    n = best.groupby(["signal", "variant"], sort=False)[M.N_EVENTS].max()
    return [k for k, v in n.items() if 0 < T.num(v) <= MAX_LISTED_EVENTS]


def event_list_section(run: RunFolder) -> Section:
    """One row per event of each rare signal: its date and forward return at every horizon
    (e.g. the 12 months after each first Fed cut, one row per easing cycle)."""
    s = Section("event-list", "Every event of the rare signals")
    order = T.horizons(run.metrics, run.manifest)
    ev = run.events
    s.blocks.append(f"Signals whose best variant fired at most {MAX_LISTED_EVENTS} times: every "
                    "event with the forward return from the entry close over each horizon "
                    "(— where the window runs past the data).")
    for signal, variant in _rare_signals(run):
        rows = ev[(ev["signal"] == signal) & (ev["variant"] == variant)]
        wide = rows.pivot_table(index=["date", "entry_date"], columns="horizon",
                                values="fwd_return", aggfunc="first")
        frame = pd.DataFrame({"event": [str(pd.Timestamp(d).date()) for d, _ in wide.index],
                              "entry": [str(pd.Timestamp(e).date()) for _, e in wide.index]})
        for h in order:
            frame[h] = (wide[h].map(T.spct).to_numpy() if h in wide.columns
                        else ["—"] * len(frame))
        s.blocks.append(Table(frame, caption=f"{signal} ({variant})"))
    return s


# --- out-of-sample validation -------------------------------------------------------------

def validation_section(run: RunFolder) -> Section:
    """[validation]: each signal's in-sample best variant, judged on the later data."""
    v = run.validation
    split = ((run.manifest.get("study") or {}).get("validation") or {}).get("split", "—")
    s = Section("validation", "Out-of-sample validation")

    def side(r, pre: str) -> list[str]:
        return [f"{T.count(r.get(pre + M.N_INDEPENDENT))}",
                T.pct(r.get(pre + M.HIT_RATE_INDEPENDENT)),
                T.pts(T.num(r.get(pre + M.HIT_RATE_INDEPENDENT)) - T.num(r.get(pre + M.BASE_RATE))),
                T.ci(r.get(pre + M.CI_LOW), r.get(pre + M.CI_HIGH))]

    rows = []
    for r in v.to_dict("records"):
        rows.append([str(r.get("signal")), str(r.get("variant")), str(r.get("horizon")),
                     T.count(r.get("n_variants")), *side(r, "is_"), *side(r, "oos_"),
                     T.fnum(r.get("spa_p"), 3)])
    frame = pd.DataFrame(rows, columns=[
        "signal", "variant (picked in-sample)", "horizon", "variants tried", "IS n", "IS hit",
        "IS edge", "IS 95% CI", "OOS n", "OOS hit", "OOS edge", "OOS 95% CI", "SPA p"])
    s.blocks += [f"In-sample = window days before {split} (only windows that end before it); "
                 f"out-of-sample = from {split} on. The variant is chosen in-sample by the "
                 "evidence-first ranking and then judged on data it never saw. Hit rates are "
                 "over independent events with exact (Clopper–Pearson) 95% CIs. SPA p = "
                 "Hansen's Superior Predictive Ability test (arch.bootstrap.SPA, consistent "
                 "p-value, stationary bootstrap with mean block h) of \"the best of the "
                 "variants tried beats its base rate\" in-sample; a small p says the sweep's "
                 "best is unlikely to be luck given how many were tried.", Table(frame)]
    return s


def _day(x) -> str:
    return str(pd.Timestamp(x).date()) if x is not None and not pd.isna(x) else DASH


def walk_forward_section(run: RunFolder, mid: str | None) -> Section:
    """[validation] walk_forward: pooled out-of-sample result per signal x horizon, and the
    folds of the middle horizon (every fold of every horizon is in walkforward.parquet)."""
    w = run.walk_forward
    wf = (((run.manifest.get("study") or {}).get("validation") or {}).get("walk_forward")
          or {})
    s = Section("walk-forward", "Walk-forward validation")
    ip, op = M.IN_SAMPLE_PREFIX, M.OUT_OF_SAMPLE_PREFIX
    pooled = w[w[M.FOLD] == M.POOLED]
    folds = w[w[M.FOLD] != M.POOLED]
    picks = folds.groupby([M.SIGNAL, M.HORIZON])[M.VARIANT].agg(["size", "nunique"])

    def oos(r) -> list[str]:
        return [T.count(r.get(op + M.N_INDEPENDENT)), T.pct(r.get(op + M.HIT_RATE_INDEPENDENT)),
                T.pct(r.get(op + M.BASE_RATE)), T.pts(r.get(op + M.EDGE_INDEPENDENT)),
                T.ci(r.get(op + M.CI_LOW), r.get(op + M.CI_HIGH)),
                T.ret(r.get(op + M.MEAN_FWD))]

    rows = []
    for r in pooled.to_dict("records"):
        key = (r[M.SIGNAL], r[M.HORIZON])
        n_f, n_pick = picks.loc[key] if key in picks.index else (0, 0)
        rows.append([str(r[M.SIGNAL]), str(r[M.HORIZON]), T.count(n_f), T.count(n_pick),
                     *oos(r), T.qfmt(r.get(op + M.P_VALUE)),
                     T.qfmt(r.get(op + M.Q_VALUE))])
    pooled_t = pd.DataFrame(rows, columns=[
        "signal", "horizon", "folds", "variants picked", "OOS n", "OOS hit", "base rate",
        M.title(M.EDGE_INDEPENDENT), "OOS 95% CI", "mean fwd", "p", "q"])
    mode = "anchored (from the first day)" if wf.get("anchored") else "rolling"
    s.blocks += [f"Each fold picks every signal's best variant on a {wf.get('train', '?')} "
                 f"train window ({mode}) by the evidence-first ranking (q over that fold's "
                 f"train rows, then independent events, then |edge|) and judges it on the "
                 f"{wf.get('test', '?')} after it; folds step by {wf.get('step', '?')}. Only "
                 "days whose forward window ends inside their own train or test window count "
                 "(purged by the horizon: no train window sees a test return and the test "
                 "windows' events never overlap). Pooled = the folds' out-of-sample counts "
                 "added: hit rate over independent events with its exact (Clopper–Pearson) "
                 "95% CI, days-weighted base rate, binomial p against it and its "
                 "Benjamini–Hochberg q over the rows of this table.", Table(pooled_t)]
    sel = folds[folds[M.HORIZON] == mid] if mid is not None else folds
    frows = [[str(r[M.FOLD]), f"{_day(r.get(M.TRAIN_START))} .. {_day(r.get(M.TRAIN_END))}",
              f"{_day(r.get(M.TEST_START))} .. {_day(r.get(M.TEST_END))}",
              str(r[M.SIGNAL]), str(r[M.VARIANT]), T.count(r.get(ip + M.N_INDEPENDENT)),
              T.pct(r.get(ip + M.HIT_RATE_INDEPENDENT)), *oos(r)[:5]]
             for r in sel.to_dict("records")]
    if frows:
        s.blocks += [f"Folds at the {mid} horizon:", Table(pd.DataFrame(frows, columns=[
            "fold", "train", "test", "signal", "variant (picked in train)", "IS n", "IS hit",
            "OOS n", "OOS hit", "base rate", M.title(M.EDGE_INDEPENDENT), "OOS 95% CI"]))]
    return s


# --- backtest -----------------------------------------------------------------------------

def backtest_section(run: RunFolder) -> Section:
    s = Section("backtest", "Backtest: equity vs buy-and-hold")
    if run.backtest is None and run.equity is None:
        s.blocks.append(f"Backtest {NOT_AVAILABLE} (backtest disabled or no backtest.parquet "
                        "in this run).")
        return s
    if run.equity is not None:
        s.blocks.append(_chart("equity", "equity and drawdown vs the matching benchmark",
                               charts.equity_figure, run.equity, run.backtest, run.metrics,
                               run.prices, run.manifest))
    else:
        s.blocks.append(f"Equity curves {NOT_AVAILABLE} (no equity.parquet).")
    if run.backtest is not None:
        chosen = None
        if run.equity is not None:
            chosen = charts.equity_columns(run.equity, run.backtest, run.metrics, run.manifest)
        s.blocks += ["Long the target while the signal is on, else in cash (hedged studies: "
                     "long the target, short the benchmark, charted against the always-on "
                     "hedge); buy-and-hold rows first, then each signal's best variant by the "
                     "one ranking at the middle horizon (the same variant as the signals "
                     "table, not the best Sharpe). DSR = deflated Sharpe ratio (probability "
                     "the Sharpe is real given how many variants were tried).",
                     Table(backtest_table(run.backtest, chosen))]
    else:
        s.blocks.append(f"Backtest table {NOT_AVAILABLE} (no backtest.parquet).")
    return s


def calendar_section(run: RunFolder) -> Section:
    """Calendar-year returns of the backtests shown above and of their benchmark."""
    s = Section("calendar", "Calendar-year returns")
    every = charts.equity_columns(run.equity, run.backtest, run.metrics, run.manifest)
    cols = every[:CALENDAR_COLUMNS]
    bench, label = charts.matching_benchmark(run.equity, run.backtest, run.prices,
                                             run.manifest)
    table = calendar_table(run.equity, cols, bench, label)
    if table is not None and len(every) > len(cols):
        table.caption += (f"; the first {len(cols)} of {len(every)} signals by the one "
                          "ranking (all: engine.load_run(...).yearly_returns())")
    s.blocks.append(table if table is not None else "No strategy equity in this run.")
    return s


CALENDAR_COLUMNS = 6  # strategies in the calendar-year table (the first by the one ranking)


def calendar_table(equity: pd.DataFrame, cols: list[str], bench: pd.Series | None,
                   label: str) -> Table | None:
    """Calendar-year returns of each signal's best variant and of the matching benchmark."""
    if not cols:
        return None
    values = equity[cols].copy()
    values.columns = [str(c).split("|", 1)[0] for c in cols]
    if bench is not None:
        values.insert(0, "benchmark", bench.reindex(values.index))
    years = charts.calendar_returns(values)
    frame = pd.DataFrame({"year": [f"{y}*" if p else str(y)
                                   for y, p in zip(years.index, years["partial"], strict=True)]})
    for c in values.columns:
        frame[c] = years[c].map(T.spct).to_numpy()
    what = f"benchmark = {label}; " if bench is not None else ""
    return Table(frame, caption="calendar-year returns of each signal's best variant (the one "
                 f"ranking at the middle horizon; costs included); {what}* = a year the data "
                 "cover only in part")


def backtest_table(bt: pd.DataFrame, chosen: list[str] | None = None) -> pd.DataFrame:
    """Buy-and-hold rows, then each signal's best variant (``chosen`` "signal|variant"
    columns, by the one ranking; by Sharpe when not given); headers and formats from the
    metric registry (``engine.metrics.BACKTEST``)."""
    b = bt.copy()
    for c in M.BACKTEST_NUMERIC:
        if c not in b.columns:
            b[c] = float("nan")
    bh = b[b["signal"] == "buy-and-hold"]
    strat = b[b["signal"] != "buy-and-hold"]
    n_var = strat.groupby("signal", sort=False).size()
    if chosen:
        key = strat["signal"].astype(str) + "|" + strat["variant"].astype(str)
        order = {c: i for i, c in enumerate(chosen)}
        strat = strat[key.isin(order)].assign(_o=key.map(order)).sort_values("_o") \
            .drop(columns="_o")
    else:
        strat = strat.sort_values([M.SHARPE, "variant"], ascending=[False, True],
                                  na_position="last", kind="stable").drop_duplicates("signal")
    rows = pd.concat([bh, strat])
    out = {
        "strategy": rows["signal"].astype(str), "variant": rows["variant"].astype(str),
        "variants tried": [T.count(n_var.get(s, 1)) if s != "buy-and-hold" else "—"
                           for s in rows["signal"]],
    }
    for metric in M.BACKTEST:
        if metric.name in M.BACKTEST_NUMERIC:
            out[metric.title] = rows[metric.name].map(metric.fmt)
    return pd.DataFrame(out)


# --- parameter sweeps ---------------------------------------------------------------------

def heatmap_section(m: pd.DataFrame, manifest: Mapping, horizon: str | None) -> Section:
    s = Section("heatmaps", "Parameter sweeps")
    order = T.horizons(m, manifest)
    found = False
    for signal in map(str, m["signal"].unique()):
        rows, swept = T.sweep(m, signal)
        if not swept:
            continue
        found = True
        name = "sweep-" + _slug(signal)
        s.blocks.append(_chart(name, f"{signal}: edge by {', '.join(swept)}",
                               charts.sweep_figure, rows, swept, signal, horizon, order,
                               charts.min_independent_floor(manifest)))
        grid = sweep_grid_table(rows, swept, horizon, order, charts.min_independent_floor(manifest))
        if grid is not None:
            s.blocks.append(grid)
    if not found:
        s.blocks.append("No signal has a swept parameter (every signal has one variant).")
    else:
        s.blocks.insert(0, "Edge of every variant of the swept signals (episode all). A real "
                        "effect shows as a smooth region of similar values; a lone bright cell "
                        "among neighbours of the opposite sign is likely noise from the search.")
    return s


def sweep_grid_table(rows: pd.DataFrame, swept: list[str], horizon: str | None,
                     order: list[str], min_independent: int | None = None) -> Table | None:
    """The numbers behind a sweep chart (for the Markdown reader): the tested edge in pts
    (as in the signals table), * = q <= 0.05."""
    from engine.ranking import tested_edge

    def cell(e, q) -> str:
        return T.pts(e) + ("*" if T.num(q) <= T.STRONG_Q else "")

    if len(swept) >= 2:
        edge, q = charts.heatmap_grid(rows, swept, horizon, min_independent)
        if edge.shape[0] > MAX_GRID or edge.shape[1] > MAX_GRID:
            return None
        frame = pd.DataFrame({f"{swept[0]} \\ {swept[1]}": [str(v) for v in edge.index]})
        for c in edge.columns:
            frame[str(c)] = [cell(e, qq) for e, qq in zip(edge[c], q[c], strict=True)]
        extra = (f", best {', '.join(swept[2:])} by the one ranking" if len(swept) > 2
                 else "")
        return Table(frame, caption=f"edge (pts) at {horizon}{extra}; * = q <= 0.05")
    p = swept[0]
    values = T.sorted_values(rows[p])
    if len(values) > MAX_GRID:
        return None
    frame = pd.DataFrame({p: [str(v) for v in values]})
    for h in order:
        r = rows[rows["horizon"] == h].drop_duplicates(p).set_index(p)
        if r.empty:
            continue
        edge = tested_edge(r)
        frame[h] = [cell(edge.get(v), r[M.Q_VALUE].get(v)) for v in values]
    return Table(frame, caption="edge (pts) by horizon; * = q <= 0.05")


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return out or "signal"


def variants_section(m: pd.DataFrame) -> Section:
    s = Section("variants", f"Top {TOP_VARIANTS} variants")
    top = T.rank_table(m[m["episode"] == "all"], by=M.Q_VALUE, episode=None, top=TOP_VARIANTS)
    frame, cls = T.display_rows(top, ("signal", "variant", "horizon", "group"),
                                with_verdict=False)
    s.blocks += ["Every variant x horizon on the full sample, ranked evidence first (q, then "
                 "independent events, then |edge|; rows too few to judge after all judged "
                 "ones).", Table(frame, cls)]
    return s


# --- caveats and provenance ---------------------------------------------------------------

def caveats_section(run: RunFolder) -> Section:
    m, manifest = run.metrics, run.manifest
    study = manifest.get("study") or {}
    datasets = manifest.get("datasets") or []
    items = [_price_caveat(study, datasets), _overlap_caveat(m), _testing_caveat(m),
             _proxy_caveat(datasets, study), _nodata_caveat(m)]
    lagged = [f"{d.get('id')} ({T.count(d.get('lag_days'))} d)" for d in datasets
              if T.num(d.get("lag_days")) > 0]
    if lagged:
        items.append("Publication lags applied: " + ", ".join(lagged) + ".")
    revised = [str(d.get("id")) for d in datasets
               if str(d.get("frequency")) in ("monthly", "quarterly", "weekly")
               and str(d.get("id", "")).startswith(("fred.", "shiller."))]
    if revised:
        items.append("Macro series are today's revised values (one vintage), shifted by their "
                     "publication lag, not the numbers as first published: "
                     + ", ".join(revised) + ". First releases of GDP, payrolls or earnings "
                     "can differ, so a signal on them is somewhat better informed than a "
                     "trader was at the time.")
    items += _point_in_time_caveats(datasets)
    return Section("caveats", "Caveats", [Bullets(items)])


def _point_in_time_caveats(datasets: list) -> list[str]:
    """Release-dated series, and the survivorship of breadth from index members."""
    ids = [str(d.get("id")) for d in datasets]
    out = []
    dated = [i for i, d in zip(ids, datasets, strict=True)
             if str(d.get("frequency")) == "irregular"]
    if dated:
        out.append("Dated by their real release or publication dates (no fixed lag): "
                   + ", ".join(dated) + ". Philadelphia Fed vintages (*.first) count from the "
                   "end of the vintage month, a bound that is never early.")
    if "breadth.sp500" in ids:
        out.append("Survivorship: breadth.sp500 counts S&P 500 members of each date, but only "
                   "those with prices in the mirror; former members are mostly missing "
                   "(about 39% of members have prices in 2000, 81% in 2019, 97% in 2025), so "
                   "early breadth is measured over survivors and biased upward; see "
                   "docs/validation.md.")
    if any(i in ("breadth.bamhi", "breadth.shoppa") for i in ids):
        out.append("Pre-computed breadth (breadth.bamhi, breadth.shoppa) uses today's index "
                   "members back in time: survivorship-biased, most at the start.")
    return out


def _price_caveat(study: Mapping, datasets: list) -> str:
    ids = {study.get("target"), study.get("benchmark")}
    desc = " ".join(str(d.get("description", "")) for d in datasets if d.get("id") in ids)
    if "total return" in desc.lower():
        return ("Returns use the datasets described as total return where available; check "
                "the data coverage table for which series include dividends.")
    return ("Prices are price indexes, not total return: dividends are excluded, so absolute "
            "returns understate what an investor earned by roughly the dividend yield "
            "(excess returns against another price index are affected much less).")


def _overlap_caveat(m: pd.DataFrame) -> str:
    text = ("Forward windows of nearby events overlap, so events are not independent: "
            "'independent' counts events whose windows do not overlap; hit-rate tests use "
            "those and mean-return t-statistics use HAC (Newey–West) errors.")
    a = m[(m["episode"] == "all") & (m[M.N_EVENTS].astype(float) > 0)]
    if a.empty:
        return text
    ratio = a[M.N_INDEPENDENT].astype(float) / a[M.N_EVENTS].astype(float)
    worst = a.loc[ratio.idxmin()]
    return text + (f" Heaviest overlap here: {worst['signal']} ({worst['variant']}) at "
                   f"{worst['horizon']}, {T.count(worst[M.N_EVENTS])} events but "
                   f"{T.count(worst[M.N_INDEPENDENT])} independent.")


def _testing_caveat(m: pd.DataFrame) -> str:
    a = m[m["episode"] == "all"]
    n_var = len(a.drop_duplicates(["signal", "variant"]))
    n_h = a["horizon"].nunique()
    return (f"Multiple testing: {n_var} variants x {n_h} horizons were tried. q-values are "
            "Benjamini–Hochberg adjusted across every variant x horizon in this run, so a "
            "q of 0.05 means about 5% of results at least that strong are expected to be false "
            "discoveries. Picking the best variant per signal still flatters its edge; check "
            "its neighbours in the parameter sweeps.")


def _proxy_caveat(datasets: list, study: Mapping) -> str:
    proxies = [f"{d.get('id')}: {d.get('description')}" for d in datasets
               if "proxy" in f"{d.get('id')} {d.get('description')}".lower()]
    proxies += [f"{s.get('name')}: {s.get('description') or s.get('doc')}"
                for s in study.get("signals") or []
                if "proxy" in str(s.get("description") or s.get("doc") or "").lower()]
    if proxies:
        return "Proxies used: " + "; ".join(p.rstrip(". ") for p in proxies) + "."
    return ("Proxies: no dataset or signal is described as a proxy; where the study stands a "
            "public series in for an unavailable one, its description says so.")


def _nodata_caveat(m: pd.DataFrame) -> str:
    nd = m[m[M.N_DAYS].astype(float) == 0].drop_duplicates(["signal", "episode"])
    if nd.empty:
        return ("Rows with n_days = 0 would mean a signal had no data in an episode; this run "
                "has none.")
    pairs = ", ".join(f"{r.signal} in {r.episode}" for r in nd.itertuples())
    return ("Rows with n_days = 0 mean the signal had no data in that episode (its inputs do "
            f"not cover it); their statistics are blank, not zero: {pairs}.")


def run_info_section(manifest: Mapping) -> Section:
    study = manifest.get("study") or {}
    versions = manifest.get("versions") or {}
    timings = manifest.get("timings") or {}
    items = [
        ("run id", str(manifest.get("run_id", "—"))),
        ("study file", f"{study.get('file', '—')} (sha256 {str(study.get('sha256', '—'))[:16]})"),
        ("command", str(manifest.get("command", "—"))),
        ("engine", f"{manifest.get('engine_version', '—')}, git "
                   f"{str(manifest.get('git_commit') or '—')[:12]}"),
        ("seed / bootstrap draws", f"{manifest.get('seed', '—')} / {manifest.get('n_boot', '—')}"),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items()) or "—"),
        ("timings", ", ".join(f"{k} {T.num(v):.2f} s" for k, v in timings.items()) or "—"),
    ]
    return Section("run-info", "Reproducibility", [Facts(items)])
