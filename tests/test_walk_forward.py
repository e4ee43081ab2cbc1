"""Walk-forward validation ([validation] walk_forward, issue 12): folds purged by the horizon,
the train-window pick and its test-window result against an independent pandas/scipy
computation, no look-ahead, the study-file key and a real-data run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, false_discovery_control

from engine.evaluate import validation as V

H = np.array([5, 21])
HL = {5: "1w", 21: "1m"}


def _data(seed: int = 3, n: int = 2600, k: int = 4):
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2001-01-01", periods=n)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, n)))
    sig = np.zeros((n, k))
    for j in range(k):  # short spells 25+ days apart: events never overlap at h <= 21
        starts = np.arange(5 + j, n - 3, 25)
        starts = starts[rng.random(len(starts)) < 0.5 + 0.1 * j]
        sig[starts, j] = 1.0
        sig[np.minimum(starts + 1, n - 1), j] = 1.0
    sig[:200, 3] = np.nan  # no data early on
    labels = pd.DataFrame({"signal": ["a", "a", "a", "b"], "variant": ["v1", "v2", "v3", "w"],
                           "params": ["{}"] * k})
    return index, close, sig, labels


def test_folds_are_purged_by_the_horizon_and_test_windows_do_not_overlap():
    index = _data()[0]
    window = np.ones(len(index), dtype=bool)
    window[:40] = False
    folds = V.walk_forward_folds(index, window, 36, 12, 12, False, H)
    first = index[window][0]
    # calendar folds: train [first + i y, first + 3 + i y), test the year after, while the
    # test window starts inside the data
    expected = [i for i in range(40) if first + pd.DateOffset(years=3 + i) <= index[-1]]
    assert [f.number for f in folds] == [i + 1 for i in expected]
    spans = {j: [] for j in range(len(H))}
    for f in folds:
        i = f.number - 1
        assert f.train_lo == first + pd.DateOffset(years=i)
        assert f.test_lo == f.train_hi == first + pd.DateOffset(years=3 + i)
        for j, h in enumerate(H):
            tr, te = np.flatnonzero(f.train[:, j]), np.flatnonzero(f.test[:, j])
            # every train window exits (close t+1+h) before the test window starts
            assert (index[tr + 1 + h] < f.test_lo).all() and (index[tr] >= f.train_lo).all()
            # ... and it is the longest such set: the next day's window would reach the test
            last_train = np.flatnonzero((index >= f.train_lo) & (index < f.train_hi))[-1]
            assert tr[-1] + 1 + h == last_train
            assert (index[te] >= f.test_lo).all() and (index[te + 1 + h] < f.test_hi).all()
            spans[j].append((te[0], te[-1] + 1 + h))
    for j in spans:  # the test windows' forward windows never overlap across folds
        ends = [b for _, b in spans[j]]
        starts = [a for a, _ in spans[j]]
        assert all(e < s for e, s in zip(ends[:-1], starts[1:], strict=True))
    anchored = V.walk_forward_folds(index, window, 36, 12, 12, True, H)
    assert {f.train_lo for f in anchored} == {first}
    assert [f.test_lo for f in anchored] == [f.test_lo for f in folds]


def _independent(index, close, sig, labels, train_m, test_m, min_ind, first=None,
                 horizons=H):
    """Plain pandas/scipy: per fold and horizon, each variant's train-window numbers over its
    independent events (kept greedily at least h days apart), BH q
    over the fold's train rows, the pick by (floor group, q, -n, -|edge|, variant), and the
    pick's test-window numbers; then the pooled sums."""
    c = pd.Series(close, index=index)
    first = index[0] if first is None else first
    out, i = [], 0
    while first + pd.DateOffset(months=train_m + i * test_m) <= index[-1]:
        lo = first + pd.DateOffset(months=i * test_m)
        mid = first + pd.DateOffset(months=train_m + i * test_m)
        hi = mid + pd.DateOffset(months=test_m)
        rows = []
        for h in horizons:
            fwd = c.shift(-(1 + h)) / c.shift(-1) - 1
            for side, a, b in (("is", lo, mid), ("oos", mid, hi)):
                inside = (index >= a) & (index < b)
                last = np.flatnonzero(inside)[-1]
                days = inside & (np.arange(len(index)) + 1 + h <= last)
                for j in range(sig.shape[1]):
                    s = pd.Series(sig[:, j], index=index)
                    valid = days & s.notna().to_numpy() & fwd.notna().to_numpy()
                    edge = (s.eq(1) & s.shift(1).eq(0)).to_numpy() & valid
                    kept, last_t = np.zeros_like(edge), -10**9
                    for t in np.flatnonzero(edge):  # greedy: windows at least h days apart
                        if t - last_t >= h:
                            kept[t], last_t = True, t
                    edge = kept
                    up = (fwd > 0).to_numpy()
                    n_ev, k = int(edge.sum()), int((edge & up).sum())
                    base = up[valid].mean() if valid.any() else np.nan
                    rows.append({"side": side, "h": h, "j": j, "n": n_ev, "k": k,
                                 "n_days": int(valid.sum()), "base_k": int(up[valid].sum()),
                                 "base": base, "hit": k / n_ev if n_ev else np.nan,
                                 "p": binomtest(k, n_ev, base).pvalue if n_ev else np.nan})
        r = pd.DataFrame(rows)
        tr = r[r["side"] == "is"].copy()
        ok = tr["p"].notna()
        tr["q"] = np.nan
        tr.loc[ok, "q"] = false_discovery_control(tr.loc[ok, "p"].to_numpy())
        for h in horizons:
            for sname in dict.fromkeys(labels["signal"]):
                cols = [j for j in range(sig.shape[1]) if labels["signal"][j] == sname]
                cand = tr[(tr["h"] == h) & tr["j"].isin(cols)]
                cand = cand.assign(
                    g=np.where(cand["n"] <= 0, 2, np.where(cand["n"] < min_ind, 1, 0)),
                    qq=cand["q"].fillna(np.inf), nn=-cand["n"],
                    ee=-(cand["hit"] - cand["base"]).abs().fillna(-np.inf),
                    name=labels["variant"].to_numpy()[cand["j"]])
                best = cand.sort_values(["g", "qq", "nn", "ee", "name"]).iloc[0]
                if best["n"] == 0:
                    continue
                te = r[(r["side"] == "oos") & (r["h"] == h) & (r["j"] == best["j"])].iloc[0]
                out.append({"fold": str(i + 1), "signal": sname, "h": h,
                            "variant": best["name"], "is_hit": best["hit"], "is_q": best["q"],
                            "n": te["n"], "k": te["k"], "n_days": te["n_days"],
                            "base_k": te["base_k"], "base": te["base"]})
        i += 1
    return pd.DataFrame(out)


@pytest.mark.parametrize("min_ind", [3, 12])
def test_walk_forward_matches_an_independent_computation(min_ind):
    index, close, sig, labels = _data()
    folds = V.walk_forward_folds(index, np.ones(len(index), bool), 24, 12, 12, False, H)
    got = V.walk_forward(close, sig, np.zeros(4, bool), H, HL, labels, index, folds,
                         "events", min_independent=min_ind)
    ref = _independent(index, close, sig, labels, 24, 12, min_ind)
    per = got[got["fold"] != "pooled"].merge(
        ref, left_on=["fold", "signal", "horizon_days"], right_on=["fold", "signal", "h"],
        suffixes=("", "_ref"), validate="one_to_one")
    assert len(per) == len(ref) == len(got[got["fold"] != "pooled"]) > 20
    assert (per["variant"] == per["variant_ref"]).all()
    np.testing.assert_allclose(per["is_hit_rate_independent"], per["is_hit"], atol=1e-12)
    np.testing.assert_allclose(per["is_q_value"], per["is_q"], atol=1e-12)
    assert (per["oos_n_independent"] == per["n"]).all()
    np.testing.assert_allclose(per["oos_base_rate"], per["base"], atol=1e-12)
    hit = np.where(per["n"] > 0, per["k"] / per["n"].clip(lower=1), np.nan)
    np.testing.assert_allclose(per["oos_hit_rate_independent"], hit, atol=1e-12)
    for r in per[per["n"] > 0].itertuples():
        ci = binomtest(int(r.k), int(r.n)).proportion_ci(method="exact")
        assert (r.oos_ci_low, r.oos_ci_high) == pytest.approx((ci.low, ci.high), abs=1e-9)
    pooled = got[got["fold"] == "pooled"].set_index(["signal", "horizon_days"])
    sums = ref.groupby(["signal", "h"])[["n", "k", "n_days", "base_k"]].sum()
    for (sname, h), s in sums.iterrows():
        row = pooled.loc[(sname, h)]
        base = s["base_k"] / s["n_days"]
        assert row["oos_n_independent"] == s["n"] and row["oos_n_days"] == s["n_days"]
        assert row["oos_hit_rate_independent"] == pytest.approx(s["k"] / s["n"], abs=1e-12)
        assert row["oos_base_rate"] == pytest.approx(base, abs=1e-12)
        assert row["oos_p_value"] == pytest.approx(
            binomtest(int(s["k"]), int(s["n"]), base).pvalue, abs=1e-9)
        ci = binomtest(int(s["k"]), int(s["n"])).proportion_ci(method="exact")
        assert (row["oos_ci_low"], row["oos_ci_high"]) == pytest.approx((ci.low, ci.high),
                                                                          abs=1e-9)
    p = pooled["oos_p_value"].to_numpy()
    np.testing.assert_allclose(pooled["oos_q_value"], false_discovery_control(p), atol=1e-12)
    assert got["variant"].nunique() > 2  # the pick really changes between folds


def test_walk_forward_pick_does_not_look_ahead():
    """Rewriting every price from a fold's test window on changes nothing of that fold's
    train side: the pick, its numbers, its q."""
    index, close, sig, labels = _data(seed=8)
    folds = V.walk_forward_folds(index, np.ones(len(index), bool), 36, 12, 12, False, H)
    base = V.walk_forward(close, sig, np.zeros(4, bool), H, HL, labels, index, folds, "events",
                          min_independent=5)
    f = folds[2]
    later = index >= f.test_lo
    shaken = close.copy()
    shaken[later] *= np.exp(np.random.default_rng(1).normal(0, 0.05, later.sum()))
    after = V.walk_forward(shaken, sig, np.zeros(4, bool), H, HL, labels, index, folds[:3],
                           "events", min_independent=5)
    cols = ["variant", "is_n_independent", "is_hit_rate_independent", "is_base_rate",
            "is_q_value"]
    for fold in ("1", "2", "3"):
        a = base[base["fold"] == fold].reset_index(drop=True)[cols]
        b = after[after["fold"] == fold].reset_index(drop=True)[cols]
        pd.testing.assert_frame_equal(a, b)
    # the test side of fold 3 does see the new prices
    a = base[base["fold"] == "3"]["oos_hit_rate_independent"].to_numpy()
    b = after[after["fold"] == "3"]["oos_hit_rate_independent"].to_numpy()
    assert not np.allclose(a, b, equal_nan=True)


def test_walk_forward_key_parses_and_rejects_bad_values(tmp_path):
    from engine.errors import SpecError
    from engine.study.spec import WalkForward, describe, parse_study

    raw = {"study": {"title": "t", "question": "q", "target": "index.RUT",
                     "start": "1990-01-01", "end": "2020-01-01"},
           "validation": {"walk_forward": {"train": "10y", "test": "18m"}},
           "signals": [{"name": "a", "family": "seasonality.january"}]}
    study = parse_study(raw, tmp_path / "x.toml")
    assert study.validation_split is None
    assert study.walk_forward == WalkForward(120, 18, 18, False, ("10y", "18m", "18m"))
    assert describe(study)["validation"] == {
        "walk_forward": {"train": "10y", "test": "18m", "step": "18m", "anchored": False}}
    raw["validation"] = {"split": "2010-01-01",
                         "walk_forward": {"train": "5y", "test": "2y", "step": "3y",
                                          "anchored": True}}
    both = parse_study(raw, tmp_path / "x.toml")
    assert both.validation_split is not None and both.walk_forward.step_months == 36
    for bad, match in (({"train": "10y"}, "no test"), ({"train": "10", "test": "2y"},
                       "not a length"), ({"train": "10y", "test": "2y", "step": "1y"},
                       "overlap"), ({"train": "10y", "test": "2y", "anchored": "yes"},
                       "true or false"), ({"train": "10y", "tset": "2y"}, "did you mean")):
        raw["validation"] = {"walk_forward": bad}
        with pytest.raises(SpecError, match=match) as err:
            parse_study(raw, tmp_path / "x.toml")
        assert "validation.walk_forward" in str(err.value.where)


STUDY = """
[study]
title = "walk-forward on the S&P 500"
question = "Do new closing highs lead to gains, judged fold by fold out of sample?"
target = "index.GSPC"
horizons = ["3m", "12m"]
start = "1931-01-01"
mode = "events"
n_boot = 0

[validation]
walk_forward = { train = "20y", test = "5y" }

[[signals]]
name = "new-high"
family = "trend.breakout"
params = { series = "@target", lookback = [126, 252] }

[backtest]
enabled = false
"""


@pytest.mark.realdata
def test_walk_forward_on_the_real_sp500_matches_an_independent_computation(real_mirror,
                                                                           tmp_path):
    """End to end: a study with [validation] walk_forward writes walkforward.parquet whose
    every fold pick and pooled figure equals a pandas recomputation from the close series
    (signal: close above the prior N-day high, written here from the formula)."""
    from engine.data.catalog import Catalog
    from engine.data.panel import load_panel
    from engine.runfolder import read_run
    from engine.runner import Overrides, run

    path = tmp_path / "wf-gspc.toml"
    path.write_text(STUDY)
    res = run(path, Overrides(out=tmp_path / "out"))
    folder = read_run(res.run_dir)
    wf = folder.walk_forward
    assert wf is not None and "Walk-forward validation" in (res.run_dir / "report.md").read_text()
    panel, _ = load_panel(Catalog.load(), [], "index.GSPC")
    close = panel.close("@target")
    c = pd.Series(close, index=panel.index)
    sig = np.column_stack([np.where(c.shift(1).rolling(n).max().notna(),
                                    (c > c.shift(1).rolling(n).max()).astype(float), np.nan)
                           for n in (126, 252)])
    labels = pd.DataFrame({"signal": ["new-high"] * 2,
                           "variant": ["lookback=126", "lookback=252"]})
    first = panel.index[panel.index >= "1931-01-01"][0]
    ref = _independent(panel.index, close, sig, labels, 240, 60, 10, first=first,
                       horizons=np.array([63, 252]))
    per = wf[wf["fold"] != "pooled"].merge(
        ref, left_on=["fold", "signal", "horizon_days"], right_on=["fold", "signal", "h"],
        validate="one_to_one")
    assert len(per) == len(ref) == len(wf[wf["fold"] != "pooled"]) >= 2 * 15
    assert (per["variant_x"] == per["variant_y"]).all()
    assert (per["oos_n_independent"] == per["n"]).all()
    np.testing.assert_allclose(per["oos_base_rate"], per["base"], atol=1e-12)
    pooled = wf[wf["fold"] == "pooled"].set_index("horizon_days")
    sums = ref.groupby("h")[["n", "k"]].sum()
    for h, s in sums.iterrows():
        assert pooled.loc[h, "oos_n_independent"] == s["n"]
        assert pooled.loc[h, "oos_hit_rate_independent"] == pytest.approx(s["k"] / s["n"])
    # the figures docs/validation.md quotes
    assert pooled.loc[252, "oos_n_independent"] == 46
    assert round(pooled.loc[252, "oos_hit_rate_independent"] * 46) == 42
    assert pooled.loc[63, "oos_n_independent"] == 157
    assert round(pooled.loc[63, "oos_hit_rate_independent"] * 157) == 109
    # folds tile the test years 1951 .. 2026 without a gap
    folds = wf[(wf["fold"] != "pooled") & (wf["horizon_days"] == 63)]
    assert str(folds["test_start"].min().date()) == "1951-01-02"
    assert (folds["test_start"].iloc[1:].to_numpy() > folds["test_end"].iloc[:-1].to_numpy()).all()
