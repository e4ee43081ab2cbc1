"""Smoke test of the benchmark harness (tiny size, in-process) and of its reference code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import bandwidth, data, peers
from benchmarks.run import run_benchmarks
from engine.evaluate import reference as naive

CASE_KEYS = {"status", "times_s", "median_s", "warmup_s", "compile_or_load_s", "rss_before_mib",
             "peak_rss_mib", "peak_method", "columns_timed", "columns_full", "extrapolated",
             "full_s"}


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    run_benchmarks(sizes=["tiny"], repeat=1, out=out, peer_names=["naive"], isolate=False,
                   bandwidth_mib=16, compile_case=False)
    return json.loads(out.read_text())


def test_json_has_expected_layout(tiny_results):
    assert {"meta", "bandwidth", "sizes", "targets", "checks_ok"} <= set(tiny_results)
    assert tiny_results["meta"]["repeat"] == 1
    tiny = tiny_results["sizes"]["tiny"]
    assert set(tiny) == {"size", "cases", "floor", "ratios"}
    assert set(tiny["cases"]) == {"ours", "ours_boot200", "naive"}
    for rec in tiny["cases"].values():
        assert rec["status"] == "ok"
        assert set(rec) >= CASE_KEYS
        assert len(rec["times_s"]) == 1 and rec["median_s"] > 0
        assert rec["peak_rss_mib"] >= 0.9 * rec["rss_before_mib"] > 0
    assert tiny["cases"]["ours"]["columns_full"] == 20
    assert tiny["cases"]["naive"]["extrapolated"] is False  # 20 of 20 columns
    assert tiny["size"]["horizons"] == [5, 21]
    assert tiny_results["targets"] == []  # targets are judged at medium only


def test_ratios_and_floor_follow_their_definitions(tiny_results):
    tiny = tiny_results["sizes"]["tiny"]
    ours, ref = tiny["cases"]["ours"], tiny["cases"]["naive"]
    r = tiny["ratios"]
    assert r["speedup_vs_naive"] == pytest.approx(ref["full_s"] / ours["median_s"])
    # 500 days x 20 variants x 2 horizons x 1 episode: int8 signals, 8-byte floats else, 15 metrics
    expected_bytes = 500 * 20 * 1 + 500 * 8 + 2 * 500 * 2 * 8 + 20 * 2 * 1 * 15 * 8
    assert tiny["floor"]["bytes"] == expected_bytes
    gbps = tiny_results["bandwidth"]["read_gbps"]
    assert tiny["floor"]["seconds"] == pytest.approx(expected_bytes / (gbps * 1e9))
    assert r["ours_over_floor"] == pytest.approx(ours["median_s"] / tiny["floor"]["seconds"])
    assert r["speedup_vs_vectorbt"] is None  # peer not run


def test_ours_matches_naive_in_harness(tiny_results):
    match = tiny_results["sizes"]["tiny"]["cases"]["naive"]["match"]
    assert match["ok"] is True
    assert set(match["max_abs_diff"]) == set(naive.METRICS)
    assert tiny_results["checks_ok"] is True


@pytest.mark.parametrize("mode", ["events", "state"])
def test_kernel_equals_naive_reference_on_tiny_data(mode):
    from engine.evaluate.core import evaluate

    size = data.SIZES["tiny"]
    close = data.make_closes(size.n_days)[:, 0]
    sig = data.make_signals(close, size.n_variants, size.family)
    res = evaluate(close, sig, np.zeros(sig.shape[1], dtype=bool), np.array(size.horizons),
                   data.all_episode(size.n_days), mode=mode, n_boot=0, seed=0)
    ref = naive.naive_metrics(close, sig, size.horizons, mode)
    assert np.nansum(ref["n_events"]) > 20  # the data really has events to compare
    for m in naive.METRICS:
        np.testing.assert_allclose(res.metrics[m][:, :, 0], ref[m], rtol=1e-10, atol=1e-13,
                                   equal_nan=True, err_msg=m)


def test_naive_reference_hand_computed():
    close = np.array([100.0, 101, 99, 102, 103, 101, 104, 105])
    sig = np.array([[0.0, 1, 1, 0, 1, 0, 0, np.nan]]).T
    ref = naive.naive_metrics(close, sig, [1])
    # fwd[t] = close[t+2]/close[t+1]-1 exists for t = 0..5; the signal has data on all of them
    fwd = close[2:] / close[1:-1] - 1
    assert ref["n_days"][0, 0] == 6
    assert ref["base_rate"][0, 0] == pytest.approx(4 / 6) == np.mean(fwd > 0)
    assert ref["base_mean_fwd"][0, 0] == pytest.approx(fwd.mean())
    # rising edges at t = 1 and t = 4 (t = 2 is a continuation)
    assert ref["n_events"][0, 0] == 2
    assert ref["hit_rate"][0, 0] == 1.0  # 102/99 and 104/101 both up
    assert ref["mean_fwd"][0, 0] == pytest.approx(fwd[[1, 4]].mean())
    assert ref["median_fwd"][0, 0] == pytest.approx(np.median(fwd[[1, 4]]))
    state = naive.naive_metrics(close, sig, [1], "state")
    assert state["n_events"][0, 0] == 3


def test_compare_flags_a_wrong_number():
    ref = {m: np.array([[0.5, np.nan]]) for m in naive.METRICS}
    assert naive.compare(ref, ref)["ok"] is True
    bad = {**ref, "hit_rate": np.array([[0.5 + 1e-6, np.nan]])}
    assert naive.compare(bad, ref)["ok"] is False
    nan_moved = {**ref, "median_fwd": np.array([[np.nan, 0.5]])}
    assert naive.compare(nan_moved, ref)["max_abs_diff"]["median_fwd"] == "NaN pattern differs"


def test_vectorbt_entries_are_bar_after_rising_edge():
    sig = np.array([[np.nan, 1, 0, 1, 1, 0, 0, 1]]).T
    np.testing.assert_array_equal(peers.rising_edges(sig)[:, 0],
                                  [0, 0, 0, 1, 0, 0, 0, 1])  # NaN -> 1 is not an edge
    np.testing.assert_array_equal(peers.vectorbt_entries(sig)[:, 0], [0, 0, 0, 0, 1, 0, 0, 0])


def test_subset_and_panel_generation_are_consistent():
    close = data.make_closes(400, 3)
    full = data.make_signals(close[:, 0], 40, "mixed")
    cols = data.subset_columns(40, 7)
    assert len(cols) == 7 and cols[0] == 0 and cols[-1] == 39
    np.testing.assert_array_equal(data.make_signals(close[:, 0], 40, "mixed", cols), full[:, cols])
    codes = data.panel_codes(close, 12)
    for j in range(3):
        np.testing.assert_array_equal(data.decode(codes[j]),
                                      data.make_signals(close[:, j], 12, "above_ma"))
    sig = data.make_signals(close[:, 1], 12, "above_ma")
    assert np.isnan(sig[:4, 0]).all() and not np.isnan(sig[4:, 0]).any()  # 5-day MA warm-up
    assert 0.2 < np.nanmean(sig) < 0.9  # persistent states, not all-on or all-off


def test_job_bytes_formula():
    assert bandwidth.job_bytes(2, 10, 3, 4, 1) == 2 * (10 * 3 * 1 + 10 * 8 + 2 * 10 * 4 * 8
                                                       + 3 * 4 * 1 * 15 * 8)
    assert bandwidth.floor_seconds(10**9, 20.0) == pytest.approx(0.05)


def test_e2e_sweep_studies_have_the_stated_sizes(tmp_path):
    from benchmarks import e2e
    from engine.study.spec import load_study, variant_count

    for n in e2e.SIZES:
        path = tmp_path / f"sweep-{n}.toml"
        path.write_text(e2e.sweep_toml(n))
        st = load_study(path)
        assert sum(variant_count(st.signals).values()) == n
        assert [h.days for h in st.horizons] == [21, 63, 126, 252]


def test_e2e_summary_ratios_and_goals():
    from benchmarks import e2e

    rec = {"run 1000": [{"s": 2.0, "gib": 0.5}, {"s": 4.0, "gib": 0.7}],
           "run 1000 metrics-only": [{"s": 1.0, "gib": 0.3}],
           "expert 1000": [{"s": 30.0, "gib": 1.0}], "pandas 1000": [{"s": 150.0, "gib": 1.0}],
           "baseline run 1000": [{"s": 60.0, "gib": 1.5}],
           "light --help": [{"s": 0.2, "gib": 0.1}], "light list": [{"s": 0.5, "gib": 0.1}]}
    out = e2e.summarize(rec, [1000])
    assert out["run_1000_s"] == 3.0 and out["run_1000_gib"] == 0.7  # median time, max memory
    assert out["x_expert"] == 10.0 and out["x_pandas"] == 150.0 and out["x_before_1000"] == 20.0
    assert out["light_max_ratio"] == 2.5
    goals = {g["goal"]: g["result"] for g in out["goals"]}
    assert goals["light commands <= 2x study --help"] == "FAIL"
    assert goals["vs column-vectorized pandas >= 100x (metrics only)"] == "PASS"
    assert goals["20,000-variant default run < 20 s"] == "n/a"


def test_e2e_a_failed_run_fails_its_goals():
    """A run that crashed (rc != 0) after 1 s with little memory is not fast or lean: its
    time, its memory and the ratios against it must fail the goals, not pass them."""
    from benchmarks import e2e

    rec = {"run 20000": [{"s": 1.0, "gib": 0.2, "rc": 2, "err": "boom"}],
           "run 5000": [{"s": 1.0, "gib": 0.2}, {"s": 1.5, "gib": 0.3, "rc": 137, "err": ""}],
           "expert 5000": [{"s": 30.0, "gib": 1.0}]}
    out = e2e.summarize(rec, [5000, 20000])
    goals = {g["goal"]: g["result"] for g in out["goals"]}
    assert goals["20,000-variant default run < 20 s"] == "FAIL"
    assert goals["20,000-variant default run < 2 GiB peak"] == "FAIL"
    assert goals["5,000-variant default run < 8 s"] == "FAIL"
    assert goals["vs expert peer >= 5x (default run, 1k and 5k)"] == "FAIL"
