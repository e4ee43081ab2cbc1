"""Python API for notebooks: run a study or reopen a run folder as DataFrames.

    >>> import engine
    >>> run = engine.run_study("small-cap-revisions", horizons=["3m"])
    >>> run.ranked().head()        # evidence first, as `study run` prints it
    >>> run.plot_hit_rates()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine import runfolder
from engine.runfolder import Manifest, read_manifest


@dataclass
class Run:
    """A finished run folder; tables load lazily from its Parquet files."""

    path: Path
    manifest: Manifest = field(repr=False)

    def _table(self, name: str) -> pd.DataFrame:
        return runfolder.read_table(self.path, name)

    @property
    def metrics(self) -> pd.DataFrame:
        return self._table("metrics")

    @property
    def events(self) -> pd.DataFrame:
        return self._table("events")

    @property
    def equity(self) -> pd.DataFrame:
        return self._table("equity")

    @property
    def backtest(self) -> pd.DataFrame:
        return self._table("backtest")

    @property
    def paths(self) -> pd.DataFrame:
        return self._table("paths")

    @property
    def validation(self) -> pd.DataFrame:
        """[validation] studies: in-sample pick vs out-of-sample, with the SPA p (else empty)."""
        return self._table("validation")

    def ranked(self, episode: str = "all", min_independent: int | None = None) -> pd.DataFrame:
        """Metric rows of ``episode``, best first by the one ranking
        (:func:`engine.ranking.rank_evidence`; floor: the study's ``min_independent``)."""
        from engine.ranking import DEFAULT_MIN_INDEPENDENT, rank_evidence

        m = self.metrics
        floor = min_independent if min_independent is not None else (
            (self.manifest.get("study") or {}).get("min_independent") or DEFAULT_MIN_INDEPENDENT)
        return rank_evidence(m[m["episode"] == episode], int(floor))

    @property
    def report_path(self) -> Path:
        return self.path / "report.html"

    def plot_hit_rates(self, horizon: str | None = None, episode: str = "all"):
        """Hit rate vs base rate per signal (best variant), as a matplotlib Figure."""
        from engine.report import charts

        return charts.hit_rate_figure(self.metrics, horizon=horizon, episode=episode)

    def plot_event_study(self):
        """Average cumulative (excess) return path after events, with a 95% band."""
        from engine.report import charts

        return charts.event_study_figure(self.paths, self.metrics)

    def plot_equity(self):
        """Equity curves of the backtests against buy-and-hold."""
        from engine.report import charts

        return charts.equity_figure(self.equity, self.backtest)


def load_run(path: str | Path) -> Run:
    """Reopen a run folder written by ``study run``."""
    path = Path(path)
    return Run(path, read_manifest(path))


def run_study(name: str | Path, **overrides) -> Run:
    """Run a study (``horizons``, ``episodes``, ``start``, ``end``, ``out``, ``n_boot``,
    ``executor``, ``reports``, ``backtest`` override the file) and return the ``Run``."""
    from engine.runner import Overrides, run

    if "out" in overrides and overrides["out"] is not None:
        overrides["out"] = Path(overrides["out"])
    result = run(name, Overrides(**overrides))
    return load_run(result.run_dir)


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
