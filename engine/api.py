"""Python API for notebooks: define and run a study, reopen a run folder, as tidy DataFrames.

    >>> import engine
    >>> study = engine.define_study(
    ...     {"study": {"title": "HY spreads", "question": "Do tightening spreads lead?",
    ...                "target": "index.GSPC", "horizons": ["1m", "3m"], "start": "2000-01-01"},
    ...      "signals": [{"name": "hy-tightening", "family": "credit.spread_change",
    ...                   "params": {"lookback": [21, 63], "below": -0.25}}]},
    ...     name="hy-spreads")           # the same rules and messages as a study file
    >>> run = engine.run_study(study, write=False)   # nothing written to disk
    >>> run.ranked().head()          # evidence first, as `study run` prints it
    >>> ax = run.plot_event_study(signal="hy-tightening", horizon="3m")

Tables are tidy: one column per parameter (``lookback``, ``below``) instead of the run
folder's JSON ``params`` string, and equity curves with ``(signal, variant)`` column levels;
``Run.raw(name)`` gives a table exactly as written. Every ``plot_*`` method takes ``ax=``
(a new Axes on its own Figure when omitted) and returns the Axes it drew on; ``signal``,
``variant`` and ``horizon`` default to the best signal by the one ranking
(:mod:`engine.ranking`: lowest q, then more independent events, then larger |edge|) at the
study's middle horizon.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import metrics as M
from engine.errors import SpecError, StudyError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from engine.runfolder import Manifest
    from engine.scorecard.score import Scorecard
    from engine.study.spec import Study

# (``compare_runs`` and ``rally_scorecard``: ``engine.compare`` and ``engine.scorecard`` are
# the modules behind them)
__all__ = ["Run", "analogs", "case", "compare_runs", "define_study", "load_run", "rallies",
           "rally_drivers", "rally_scorecard", "run_study"]

PYTHON_STUDIES = Path("<python>")  # where a study defined in Python "lives" in messages


# ----------------------------------------------------------------------------- studies
def define_study(spec: Mapping[str, Any] | None = None, /, *, name: str = "notebook",
                 **tables: Any) -> Study:
    """A study defined in Python, validated by the same parser as ``studies/*.toml``.

    ``spec`` is the study file as a dict (``{"study": {...}, "signals": [...],
    "episodes": [...], "backtest": {...}}``); the tables may also be given as keywords
    (``define_study(study={...}, signals=[...])``) or as dataclasses. A list value is a
    sweep axis, as in TOML (tuples count as lists). ``name`` names the run folder
    (``results/NAME/``). Bad input raises ``engine.errors.SpecError`` with the same message
    as the file would get, located at ``<python>/NAME.toml [key]``."""
    from engine.data.catalog import Catalog
    from engine.study.spec import check_stem, parse_study

    raw: dict[str, Any] = {}
    if spec is not None:
        if dataclasses.is_dataclass(spec) and not isinstance(spec, type):
            spec = dataclasses.asdict(spec)
        if not isinstance(spec, Mapping):
            raise StudyError(f"a study must be a dict of tables, got {type(spec).__name__}",
                             where="define_study", fix='define_study({"study": {...}, '
                             '"signals": [...]})')
        raw.update(spec)
    raw.update(tables)
    raw = _toml_like(raw)
    path = PYTHON_STUDIES / f"{name}.toml"
    if not isinstance(name, str) or path.parent != PYTHON_STUDIES or "\\" in name:
        raise SpecError(f"study name {name!r} not allowed (it names the run folder under "
                        "results/)", where="define_study(name=...)",
                        fix="use letters, digits, '-' or '_', e.g. my-study")
    check_stem(path)
    text = json.dumps(raw, sort_keys=True, default=str)
    return parse_study(raw, path, hashlib.sha256(text.encode()).hexdigest(),
                       set(Catalog.load().entries))


def _toml_like(value: Any) -> Any:
    """Python containers as TOML gives them: tuples -> lists, dataclasses -> dicts, numpy
    scalars -> Python numbers (so sweeps and values follow the file rules exactly)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _toml_like(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_toml_like(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value


# ----------------------------------------------------------------------------- runs
@dataclass
class Run:
    """A finished study run: its tables as DataFrames and its charts on any Axes.

    ``path`` is the run folder (``None`` for ``run_study(..., write=False)``); tables load
    lazily from it and are kept once read."""

    path: Path | None
    manifest: Manifest = field(repr=False)
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (f"Run(study={self.study_name!r}, run_id={self.manifest.run_id!r}, "
                f"path={str(self.path) if self.path else None!r})")

    @property
    def study_name(self) -> str:
        """The study's name (its file name, or ``define_study(name=...)``)."""
        return str((self.manifest.get("study") or {}).get("name") or "")

    def raw(self, name: str) -> pd.DataFrame:
        """A table exactly as the run folder holds it (``metrics`` with its JSON ``params``,
        ``equity`` with ``signal|variant`` columns); empty when the run has none."""
        from engine import runfolder

        if name not in runfolder.TABLES:
            raise StudyError(f"no table {name!r} in a run folder", where="Run.raw",
                             fix=f"use one of {', '.join(runfolder.TABLES)}")
        if name not in self._tables:
            if self.path is None:
                import pandas as pd

                return pd.DataFrame()
            self._tables[name] = runfolder.read_table(self.path, name)
        return self._tables[name].copy()

    # --- tables ---------------------------------------------------------------------------
    @property
    def metrics(self) -> pd.DataFrame:
        """One row per signal variant x horizon x episode: the statistics of
        :mod:`engine.metrics`, one column per parameter, ``mean_excess`` and ``row`` (the id
        ``study show-row`` takes)."""
        return self._tidy(self.raw("metrics"))

    @property
    def events(self) -> pd.DataFrame:
        """Every event: signal, variant, date, entry date, horizon, forward return, hit."""
        return self.raw("events")

    @property
    def paths(self) -> pd.DataFrame:
        """Event-study paths: mean cumulative (excess) return ``day`` days after entry, its
        95% band (``low``/``high``) and the number of events ``n``."""
        return self.raw("paths")

    @property
    def prices(self) -> pd.DataFrame:
        """Closes of the target (and benchmark) inside the study window, by date."""
        return _dated(self.raw("prices"))

    @property
    def backtest(self) -> pd.DataFrame:
        """One row per vectorbt strategy (each variant, and buy-and-hold)."""
        return self.raw("backtest")

    @property
    def equity(self) -> pd.DataFrame:
        """Equity curves (start = 1) by date; columns are ``(signal, variant)`` levels
        (``run.equity["my-signal"]``; long form: ``run.equity.stack([0, 1])``)."""
        import pandas as pd

        e = _dated(self.raw("equity"))
        if e.empty:
            return e
        pairs = [tuple(str(c).split("|", 1)) if "|" in str(c) else (str(c), "") for c in e]
        e.columns = pd.MultiIndex.from_tuples(pairs, names=[M.SIGNAL, M.VARIANT])
        return e

    @property
    def validation(self) -> pd.DataFrame:
        """[validation] studies: in-sample pick vs out-of-sample, with the SPA p (else empty)."""
        return self.raw("validation")

    @property
    def walk_forward(self) -> pd.DataFrame:
        """[validation] walk_forward studies: per fold, the train-window pick judged on the
        test window, then the pooled out-of-sample row per signal x horizon (else empty)."""
        return self.raw("walk_forward")

    @property
    def report_path(self) -> Path | None:
        """The HTML report (``None`` for a run kept in memory)."""
        return None if self.path is None else self.path / "report.html"

    def ranked(self, episode: str = "all", min_independent: int | None = None) -> pd.DataFrame:
        """Metric rows of ``episode``, best first by the one ranking
        (:func:`engine.ranking.rank_evidence`; floor: the study's ``min_independent``), with
        a ``group`` column (``ranked`` or too few independent events to judge)."""
        from engine.ranking import rank_evidence

        m = self.raw("metrics")
        floor = self._floor() if min_independent is None else int(min_independent)
        return self._tidy(rank_evidence(m[m[M.EPISODE] == episode], floor))

    def best(self, horizon: str | None = None, episode: str = "all") -> pd.DataFrame:
        """Each signal's best variant per horizon (or at ``horizon``) by the one ranking,
        best first: the rows the report's charts and the backtest pick show."""
        from engine.report import tables as T

        b = T.best_variants(self.raw("metrics"), episode=episode,
                            min_independent=self._floor())
        if horizon is not None:
            self._check(horizon, T.horizons(self.raw("metrics"), self.manifest), "horizon")
            b = b[b[M.HORIZON] == horizon]
        return T.tidy(b)

    def yearly_returns(self, signal: str | Sequence[str] | None = None,
                       variant: str | None = None) -> pd.DataFrame:
        """Calendar-year returns (fractions) of the signals' best variants (default: every
        signal) and the matching benchmark, one row per year; ``partial`` marks a first or
        last year the data cover only in part."""
        from engine.report import charts

        cols, bench, label = self._equity_inputs(signal, variant)
        values = self.raw_equity()[cols]
        values.columns = [str(c).split("|", 1)[0] for c in cols]
        if bench is not None:
            values.insert(0, label, bench.reindex(values.index))
        return charts.calendar_returns(values)

    # --- charts (each takes ax= and returns it) ----------------------------------------
    def plot_hit_rates(self, horizon: str | None = None, episode: str = "all",
                       signals: Sequence[str] | None = None, ax: Axes | None = None) -> Axes:
        """Hit rate with its exact 95% CI vs the base rate of each signal's best variant,
        one colour per horizon (all horizons unless ``horizon``), on a 0-100% axis."""
        from engine.report import charts
        from engine.report import tables as T

        m = self.raw("metrics")
        best = T.best_variants(m, episode=episode, min_independent=self._floor())
        best = best[best[M.N_EVENTS].astype(float) > 0]
        hs = T.horizons(m, self.manifest)
        if horizon is not None:
            self._check(horizon, hs, "horizon")
            hs = [horizon]
        order = T.signal_order(best)
        if signals is not None:
            for s in signals:
                self._check(s, order, "signal")
            order = list(signals)
        best = best[best[M.HORIZON].isin(hs) & best[M.SIGNAL].isin(order)]
        hs = [h for h in hs if (best[M.HORIZON] == h).any()]
        ax = charts.plot_hit_rates(best, order, M.SIGNAL, hs, ax=ax,
                                   title=f"hit rate vs base rate — best variants "
                                   f"(episode {episode})")
        ax.legend(fontsize=6.5, frameon=False, loc="upper center", ncol=min(2 * len(hs), 4),
                  bbox_to_anchor=(0.5, -0.2))
        return ax

    def plot_event_study(self, signal: str | None = None, variant: str | None = None,
                         horizon: str | None = None, ax: Axes | None = None) -> Axes:
        """Mean cumulative (excess) return after ``signal``'s events with its 95% band,
        against the drift after every day; dotted lines mark the horizons."""
        from engine.report import charts

        signal, variant, horizon = self._pick(signal, variant, horizon)
        p = self.paths
        p = p[(p[M.SIGNAL] == signal) & (p[M.VARIANT] == variant)]
        if p.empty:
            raise StudyError(f"no event path for {signal} ({variant})", where="signal",
                             fix="pick a signal that fired (see run.best())")
        relative = self._relative()
        base = charts.base_paths(self._prices_or_none(), int(p["day"].max()), relative)
        days = sorted({int(d) for d in self.raw("metrics")[M.HORIZON_DAYS].dropna()})
        ax = charts.plot_event_path(p, base, ax=ax, title=f"{signal} ({variant})",
                                    horizons=days, relative=relative)
        what = "excess return vs the benchmark" if relative else "return"
        ax.set_xlabel("trading days after entry (dotted: horizons)", fontsize=8)
        ax.set_ylabel(f"mean cumulative {what}, %", fontsize=8)
        ax.legend(fontsize=7, frameon=False)
        return ax

    def plot_equity(self, signal: str | Sequence[str] | None = None,
                    variant: str | None = None, ax: Axes | None = None) -> Axes:
        """Equity (log scale, start = 1) of the signals' best variants (default: every
        signal) against the matching benchmark (the always-on hedge for hedged studies)."""
        from engine.report import charts

        cols, bench, label = self._equity_inputs(signal, variant)
        ax = charts.plot_equity(self.raw_equity(), cols, bench, ax=ax, benchmark_label=label)
        ax.legend(fontsize=7, frameon=False)
        return ax

    def plot_drawdown(self, signal: str | Sequence[str] | None = None,
                      variant: str | None = None, ax: Axes | None = None) -> Axes:
        """Drawdown from the running peak (%) of the signals' best variants, with the
        matching benchmark's shaded."""
        from engine.report import charts

        cols, bench, label = self._equity_inputs(signal, variant)
        return charts.plot_drawdown(self.raw_equity(), cols, bench, ax=ax,
                                    benchmark_label=label)

    def plot_distribution(self, signal: str | None = None, variant: str | None = None,
                          horizon: str | None = None, ax: Axes | None = None) -> Axes:
        """Forward returns at ``horizon`` after ``signal``'s events (bars) against those
        after every day of the window (outline), as densities."""
        from engine.report import charts

        signal, variant, horizon = self._pick(signal, variant, horizon)
        ev = self._events_of(signal, variant, horizon)
        days = self._horizon_days(horizon)
        base = charts.forward_changes(self._prices_or_none(), days, self._relative())
        return charts.plot_distribution(ev["fwd_return"].to_numpy(), base, ax=ax,
                                        title=f"{horizon} · {signal} ({variant})")

    def plot_rolling_hit_rate(self, signal: str | None = None, variant: str | None = None,
                              horizon: str | None = None, window: int = 20,
                              ax: Axes | None = None) -> Axes:
        """Share of the last ``window`` events followed by a positive return, over time,
        against the base rate."""
        from engine.report import charts

        signal, variant, horizon = self._pick(signal, variant, horizon)
        ev = self._events_of(signal, variant, horizon)
        m = self.raw("metrics")
        row = m[(m[M.SIGNAL] == signal) & (m[M.VARIANT] == variant) & (m[M.HORIZON] == horizon)
                & (m[M.EPISODE] == "all")]
        base = float(row[M.BASE_RATE].iloc[0]) if len(row) else float("nan")
        return charts.plot_rolling_hit_rate(ev, base, ax=ax, window=window,
                                            title=f"{horizon} · {signal} ({variant})")

    def plot_heatmap(self, signal: str | None = None, horizon: str | None = None,
                     ax: Axes | None = None) -> Axes:
        """Edge (points) over a signal's first two swept parameters at ``horizon``, with
        independent events per cell (* q <= 0.05); further axes show the chosen value."""
        from engine.report import charts
        from engine.report import tables as T

        signal, _, horizon = self._pick(signal, None, horizon)
        rows, swept = T.sweep(self.raw("metrics"), signal)
        if len(swept) < 2:
            raise StudyError(f"signal {signal!r} sweeps {len(swept)} parameter(s); a heat map "
                             "needs two", where="signal",
                             fix="pick a signal with two list-valued parameters")
        return charts.plot_heatmap(rows, swept, signal, horizon, ax=ax,
                                   min_independent=self._floor())

    # --- helpers ---------------------------------------------------------------------------
    def _tidy(self, metrics: pd.DataFrame) -> pd.DataFrame:
        """``tables.tidy``; damaged text in a readable Parquet file is the user's
        StudyError, like an unreadable one."""
        from engine.report.tables import tidy

        try:
            return tidy(metrics)
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            where = str(self.path / "metrics.parquet") if self.path else "metrics"
            raise StudyError(f"cannot read metrics.parquet ({type(exc).__name__}: "
                             f"{str(exc)[:120]})", where=where,
                             fix="re-run the study to rewrite the run folder") from None

    def raw_equity(self) -> pd.DataFrame:
        """Equity curves by date with the run folder's ``signal|variant`` column names."""
        return _dated(self.raw("equity"))

    def _floor(self) -> int:
        from engine.ranking import DEFAULT_MIN_INDEPENDENT

        study = self.manifest.get("study") or {}
        return int(study.get("min_independent") or DEFAULT_MIN_INDEPENDENT)

    def _relative(self) -> bool:
        return bool((self.manifest.get("study") or {}).get("benchmark"))

    def _prices_or_none(self) -> pd.DataFrame | None:
        p = self.prices
        return None if p.empty else p

    @staticmethod
    def _check(value: str, known: Iterable[str], what: str) -> None:
        known = list(known)
        if value not in known:
            raise StudyError(f"{what} {value!r} not in this run", where=what,
                             fix=f"use one of {', '.join(map(str, known)) or 'none'}")

    def _horizon_days(self, horizon: str) -> int:
        m = self.raw("metrics")
        return int(m.loc[m[M.HORIZON] == horizon, M.HORIZON_DAYS].iloc[0])

    def _pick(self, signal: str | None, variant: str | None,
              horizon: str | None) -> tuple[str, str, str]:
        """(signal, variant, horizon): defaults are the best signal, its best variant and the
        study's middle horizon."""
        from engine.report import tables as T

        m = self.raw("metrics")
        hs = T.horizons(m, self.manifest)
        horizon = horizon or T.middle_horizon(m, self.manifest)
        self._check(horizon, hs, "horizon")
        best = T.best_variants(m, min_independent=self._floor())
        best = best[best[M.HORIZON] == horizon]
        names = list(dict.fromkeys(m[M.SIGNAL].astype(str)))
        if signal is None:
            fired = best[best[M.N_EVENTS].astype(float) > 0]
            signal = str((fired if len(fired) else best)[M.SIGNAL].iloc[0])
        self._check(signal, names, "signal")
        variants = list(dict.fromkeys(m.loc[m[M.SIGNAL] == signal, M.VARIANT].astype(str)))
        if variant is None:
            variant = str(best.loc[best[M.SIGNAL] == signal, M.VARIANT].iloc[0])
        self._check(variant, variants, "variant")
        return signal, variant, horizon

    def _events_of(self, signal: str, variant: str, horizon: str) -> pd.DataFrame:
        e = self.events
        if e.empty:
            return e
        return e[(e[M.SIGNAL] == signal) & (e[M.VARIANT] == variant) & (e[M.HORIZON] == horizon)]

    def _equity_inputs(self, signal, variant):
        from engine.report import charts

        equity = self.raw_equity()
        if equity.empty:
            raise StudyError("this run has no equity curves", where="backtest",
                             fix="run it with the backtest on (backtest=True)")
        if signal is None and variant is None:
            cols = charts.equity_columns(equity, self.raw("backtest"), self.raw("metrics"),
                                         self.manifest)[:charts.MAX_PANELS]
        else:
            signals = [signal] if isinstance(signal, str) or signal is None else list(signal)
            cols = []
            for s in signals:
                s, v, _ = self._pick(s, variant, None)
                col = f"{s}|{v}"
                if col not in equity.columns:
                    raise StudyError(f"no equity curve kept for {s} ({v})", where="variant",
                                     fix="the backtest keeps each signal's best variants; "
                                     "see run.equity.columns")
                cols.append(col)
        bench, label = charts.matching_benchmark(equity, self.raw("backtest"),
                                                 self._prices_or_none(), self.manifest)
        return cols, bench, label


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    if frame.empty:
        return frame
    if not isinstance(frame.index, pd.DatetimeIndex) and "date" in frame.columns:
        frame = frame.set_index("date")
    frame.index = pd.to_datetime(frame.index)
    return frame.sort_index()


def load_run(path: str | Path) -> Run:
    """Reopen a run folder written by ``study run`` or ``run_study``."""
    from engine.runfolder import read_manifest

    path = Path(path)
    return Run(path, read_manifest(path))


OVERRIDES = ("horizons", "episodes", "start", "end", "executor", "scheduler", "n_boot",
             "reports", "backtest", "min_independent")


def run_study(study: str | Path | Mapping[str, Any] | Study, *, write: bool = True,
              out: str | Path | None = None, **overrides: Any) -> Run:
    """Run a study and return its ``Run``.

    ``study``: a name (``studies/NAME.toml``), a path, a dict (see ``define_study``) or a
    ``Study``. ``write=False`` computes everything in a temporary folder that is removed,
    keeps the tables in memory and writes no reports; otherwise the run folder goes under
    ``out`` (default ``results/``). Overrides as on the command line: ``horizons``,
    ``episodes``, ``start``, ``end``, ``n_boot``, ``min_independent``, ``backtest``,
    ``reports``, ``executor``, ``scheduler``."""
    from engine.runner import Overrides, run

    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise StudyError(f"run_study() got unknown option(s) {unknown}", where="run_study",
                         fix=f"use write=, out= or {', '.join(OVERRIDES)}")
    for key in ("horizons", "episodes"):
        if isinstance(overrides.get(key), str):
            overrides[key] = [overrides[key]]
    if isinstance(study, Mapping):
        study = define_study(study)
    if write:
        result = run(study, Overrides(out=Path(out) if out is not None else None, **overrides))
        return load_run(result.run_dir)
    if out is not None or overrides.get("reports"):
        raise StudyError("write=False keeps nothing on disk (no folder, no reports)",
                         where="run_study", fix="drop out=/reports=, or use write=True")
    overrides["reports"] = False
    with tempfile.TemporaryDirectory(prefix="rally-study-") as tmp:
        result = run(study, Overrides(out=Path(tmp), **overrides))
        kept = load_run(result.run_dir)
        from engine import runfolder

        for name in runfolder.TABLES:
            kept.raw(name)  # read every table before the folder goes
    return Run(None, kept.manifest, kept._tables)


# ----------------------------------------------------------------------------- other views
def compare_runs(*runs: str | Path | Run, horizon: str | None = None, episode: str = "all",
            by: str = M.Q_VALUE, min_independent: int = 0) -> pd.DataFrame:
    """Rows of several runs in one table, best first (``by = "q_value"``: the one ranking),
    with ``study``, ``run_id`` and ``target`` (``index.RUT − index.GSPC`` for relative
    studies) columns and one column per parameter. A run is a ``Run`` (also in memory), a
    run folder, or a study name meaning its latest run. Writes nothing."""
    import pandas as pd

    from engine import compare as C
    from engine.report.tables import tidy
    from engine.runfolder import ensure_columns

    if not runs:
        raise StudyError("compare_runs() needs at least one run", where="compare_runs",
                         fix='compare_runs(run_a, run_b) or compare_runs("study-a", "study-b")')
    frames = []
    for r in runs:
        run = r if isinstance(r, Run) else load_run(C.resolve_run(str(r)))
        m = ensure_columns(run.raw("metrics"))
        m.insert(0, "study", run.study_name)
        m.insert(1, "run_id", run.manifest.run_id)
        m.insert(2, "target", C.target_label(run.manifest.get("study") or {}))
        frames.append(m)
    table = C.rank_rows(pd.concat(frames, ignore_index=True), horizon, episode, by,
                        min_independent)
    return tidy(table)


def rally_scorecard(date: str | None = None, study: str = "rally-scorecard") -> Scorecard:
    """The rally scorecard on ``date`` (default: the last day with data), from data
    published by then: ``.conditions`` (each condition's tested quantity, threshold, date
    and status), ``.score``, ``.odds`` (historical forward returns at today's score),
    ``.monotonic``, ``.past`` and ``.score_path``. Writes nothing."""
    from engine.scorecard import score

    return score.compute(study, date)


def rallies(study: str = "small-cap-rallies") -> pd.DataFrame:
    """Every rally of a study with a ``[rallies]`` rule: start, trough, outcomes and each
    driver's state at the start (``driver:NAME`` columns); ``rally_drivers`` has the tests."""
    from engine.anatomy import compute

    return compute.rallies(compute.load(study, needs=("rallies",))).rallies


def rally_drivers(study: str = "small-cap-rallies") -> pd.DataFrame:
    """Per driver: sustained share when on vs off, Fisher odds ratio, exact CI, p and BH q."""
    from engine.anatomy import compute

    return compute.rallies(compute.load(study, needs=("rallies",))).drivers


def analogs(date: str, study: str = "small-cap-rallies") -> pd.DataFrame:
    """The k nearest past analogs of ``date`` (one per non-overlapping window), with distance,
    what followed each and the standardised features (``z:NAME`` columns)."""
    from engine.anatomy import compute

    loaded = compute.load(study, needs=("analogs",))
    return compute.analogs(loaded, compute.parse_date(date)).table


def case(date: str, study: str = "small-cap-rallies", scorecard: bool = True) -> pd.DataFrame:
    """The case replay of ``date`` as one long table (section, item, value,
    knowable_on_date); ``engine.anatomy.case.replay`` returns the full object."""
    from engine.anatomy import case as replay_module

    return replay_module.as_frame(replay_module.replay(date, study, with_scorecard=scorecard))
