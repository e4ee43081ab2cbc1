"""Real data: studies/fomc-windows.toml through the public API, checked against pandas.

The study runs on a throw-away project home holding only the two datasets it reads
(index.GSPC, fomc.decisions), built from the real mirror (skipped without it); nothing is
written outside tmp_path. The reference below reads the built Parquet files with pandas and
applies the entry conventions by hand:

* ``fomc.meeting_window`` is known in advance: a window opening on day w is entered at the
  close of w-1, so with before=1 the 2-day return runs from the close two trading days before
  the decision day to the decision day's close;
* ``fomc.post_decision`` is an ordinary signal: on from the decision day D, entered at the
  close of D+1, so the 1-day return is close(D+2) / close(D+1) - 1.

Both families are NaN before 1994-02-04 (the first statement), so the first decision, on that
day, has no known day before it and opens no event.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

pytestmark = pytest.mark.realdata

FIRST = pd.Timestamp("1994-02-04")


@pytest.fixture(scope="module")
def fomc_run(real_mirror, tmp_path_factory):
    from engine.data import dataops
    from engine.data.catalog import Catalog

    home = tmp_path_factory.mktemp("fomc-home")
    (home / "datasets").mkdir()
    shutil.copy2(REPO / "datasets" / "catalog.toml", home / "datasets" / "catalog.toml")
    (home / "studies").mkdir()
    shutil.copy2(REPO / "studies" / "fomc-windows.toml", home / "studies" / "fomc-windows.toml")
    mp = pytest.MonkeyPatch()
    mp.setenv("STUDY_HOME", str(home))
    mp.setenv("STUDY_DATA_MIRROR", str(real_mirror))
    try:
        dataops.build(Catalog.load(home / "datasets"), ["index.GSPC", "fomc.decisions"],
                      real_mirror)
        import engine

        run = engine.run_study("fomc-windows", write=False, horizons=["1d", "2d"], n_boot=0,
                               backtest=False)
    finally:
        mp.undo()
    close = pd.read_parquet(home / "datasets" / "index.GSPC.parquet")["close"]
    decisions = pd.read_parquet(home / "datasets" / "fomc.decisions.parquet")
    return run, close, decisions


def _row(run, signal: str, horizon: str, **params) -> pd.Series:
    m = run.metrics
    m = m[(m["signal"] == signal) & (m["horizon"] == horizon) & (m["episode"] == "all")]
    for key, value in params.items():
        m = m[m[key] == value]
    assert len(m) == 1, m
    return m.iloc[0]


def _positions(close: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    """Row of the first trading day on or after each decision date (Sunday 2020-03-15 ->
    Monday 16th)."""
    return close.index.searchsorted(days, side="left")


def test_pre_fomc_window_matches_pandas(fomc_run):
    run, close, decisions = fomc_run
    c = close.to_numpy()
    sched = decisions.index[(decisions["meeting"] > 0) & (decisions["scheduled"] == 1.0)]
    sched = sched[sched > FIRST]
    pos = _positions(close, sched)
    ret = c[pos] / c[pos - 2] - 1.0  # entered at the close before the day before D
    row = _row(run, "pre-fomc", "2d", before=1)
    assert row["n_events"] == len(ret) == 259
    assert row["n_independent"] == 259
    assert row["hit_rate"] == pytest.approx((ret > 0).mean(), abs=1e-12)
    assert row["hit_rate"] == pytest.approx(161 / 259, abs=1e-12)
    assert row["mean_fwd"] == pytest.approx(ret.mean(), rel=1e-9)
    # base rate: the 2-day return of every row r from the study start to two rows before
    # the last decision (where the flags, moved two rows earlier, are known): c[r+3] / c[r+1]
    first, last = close.index.searchsorted(FIRST), pos[-1]
    base = c[first + 3:last + 2] / c[first + 1:last] - 1.0
    assert row["n_days"] == len(base) == 8171
    assert row["base_rate"] == pytest.approx((base > 0).mean(), abs=1e-12)
    # the decision day alone: its own close-to-close return
    day = c[pos] / c[pos - 1] - 1.0
    row0 = _row(run, "pre-fomc", "1d", before=0)
    assert row0["n_events"] == 259
    assert row0["hit_rate"] == pytest.approx((day > 0).mean(), abs=1e-12)
    assert row0["mean_fwd"] == pytest.approx(day.mean(), rel=1e-9)


def test_post_decision_enters_the_close_after_the_decision_day(fomc_run):
    run, close, decisions = fomc_run
    c = close.to_numpy()
    every = decisions.index[decisions["meeting"] > 0]
    pos = np.unique(_positions(close, every[every > FIRST]))
    ret = c[pos + 2] / c[pos + 1] - 1.0
    row = _row(run, "post-decision", "1d", skip=0)
    assert row["n_events"] == len(ret) == 263  # 259 scheduled + 2019-10-04 and three in 2020-03
    assert row["hit_rate"] == pytest.approx((ret > 0).mean(), abs=1e-12)
    assert row["mean_fwd"] == pytest.approx(ret.mean(), rel=1e-9)
