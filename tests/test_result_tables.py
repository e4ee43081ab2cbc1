"""The result tables' label columns are built from integer codes (#15): the same frames,
dtypes and Parquet bytes as building the strings first and sorting them."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate.core import take_labels
from engine.evaluate.frames import label_events


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return buf.getvalue()


@settings(max_examples=30, deadline=None)
@given(labels=st.lists(st.sampled_from(["a", "fast=2,slow=5", "é", "", None]), max_size=6),
       seed=st.integers(0, 2**31 - 1), n=st.integers(0, 40))
def test_take_labels_is_the_column_numpy_indexing_makes(labels, seed, n):
    """The result tables' label columns (``core.take_labels``): the dtype, values and Parquet
    bytes of ``pd.Series(values[idx])``, whatever pandas infers for those values."""
    values = np.array(labels, dtype=object)
    idx = np.random.default_rng(seed).integers(0, len(values), n if len(values) else 0)
    want = pd.DataFrame({"c": values[idx]})
    got = pd.DataFrame({"c": take_labels(values, idx)})
    assert got["c"].dtype == want["c"].dtype
    pd.testing.assert_frame_equal(got, want)
    assert _parquet(got) == _parquet(want)


def _label_events_by_sorting(events, labels, hl):
    """``label_events`` as it was: label every row, then pandas' stable sort."""
    k = events["k"].to_numpy()
    out = pd.DataFrame({
        "signal": labels["signal"].to_numpy()[k], "variant": labels["variant"].to_numpy()[k],
        "date": events["date"].to_numpy(), "entry_date": events["entry_date"].to_numpy(),
        "horizon": events["horizon_days"].map(hl).to_numpy(),
        "horizon_days": events["horizon_days"].to_numpy(),
        "fwd_return": events["fwd_return"].to_numpy(), "hit": events["hit"].to_numpy(),
    })
    order = ["signal", "variant", "horizon_days", "date"]
    return out.sort_values(order, kind="stable").reset_index(drop=True)


NAMES = ["a", "B", "b", "é", "fast=10", "fast=2", "default", "z z"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_k=st.integers(1, 8), n=st.integers(0, 60))
def test_label_events_equals_labelling_then_sorting(seed, n_k, n):
    """Duplicate (signal, variant) pairs, unicode, case, equal dates and every horizon order:
    the frame and its Parquet bytes are the old ones."""
    rng = np.random.default_rng(seed)
    labels = pd.DataFrame({"signal": rng.choice(NAMES[:3], n_k),
                           "variant": rng.choice(NAMES, n_k)})
    dates = pd.date_range("2001-01-01", periods=30, freq="B")
    t = rng.integers(0, 29, n)
    events = pd.DataFrame({"k": rng.integers(0, n_k, n).astype(np.int64), "date": dates[t],
                           "entry_date": dates[t + 1],
                           "horizon_days": rng.choice([1, 5, 21], n).astype(np.int64),
                           "fwd_return": rng.normal(0, 0.01, n), "hit": rng.random(n) > 0.5})
    hl = {1: "1d", 5: "1w", 21: "1m"}
    got, want = label_events(events, labels, hl), _label_events_by_sorting(events, labels, hl)
    pd.testing.assert_frame_equal(got, want)
    assert _parquet(got) == _parquet(want)


def _hac_notes_cell_by_cell(n_independent, n_days, horizons, tested):
    """``core.hac_notes`` as it was (commit 5b23fea): every cell's text as numpy strings."""
    from engine.evaluate import stats
    from engine.evaluate.core import _join

    lags = (np.asarray(horizons, dtype=np.int64) - 1)[None, :, None]
    tested = np.asarray(tested, dtype=bool)[None, None, :]
    few = n_independent < stats.MIN_HAC_INDEPENDENT
    long_lags = lags >= stats.MAX_HAC_LAG_SHARE * n_days
    has = n_days > 0
    lag_text = np.char.add(np.char.add("HAC lags (h-1 = ",
                                       np.broadcast_to(lags, n_days.shape).astype(str)),
                           np.char.add(") are 10% or more of the ", n_days.astype(str)))
    reasons = _join([np.where(tested & has & few,
                              f"fewer than {stats.MIN_HAC_INDEPENDENT} independent events", ""),
                     np.where(tested & has & long_lags, np.char.add(lag_text, " days"), "")])
    reasons = reasons.astype(str)
    omitted = np.where(reasons != "", np.char.add("t_hac omitted: ", reasons), "")
    return np.where(~tested & has, "episode: descriptive (no p, q or HAC t)",
                    omitted).astype(object)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 30), e=st.integers(1, 4),
       floats=st.booleans())
def test_hac_notes_equal_the_cell_by_cell_texts(seed, k, e, floats):
    from engine.evaluate.core import hac_notes

    rng = np.random.default_rng(seed)
    horizons = np.array([1, 5, 21, 63])[: rng.integers(1, 5)]
    shape = (k, len(horizons), e)
    n_days = rng.choice([0, 1, 30, 150, 400, 5000], shape)
    n_ind = rng.integers(0, 60, shape)
    if floats:  # a metrics table read back: counts as floats, NaN where missing
        n_days = n_days.astype(float)
        n_days[rng.random(shape) < 0.1] = np.nan
    tested = rng.random(e) < 0.6
    got = hac_notes(n_ind, n_days, horizons, tested)
    want = _hac_notes_cell_by_cell(n_ind, n_days, horizons, tested)
    assert got.dtype == object and got.shape == want.shape
    assert got.tolist() == want.tolist()
