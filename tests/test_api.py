"""The notebook API (issue 17): studies defined in Python and validated by the study-file
parser, runs kept in memory, tidy tables, plots on a given Axes, the public names."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import engine
from engine.errors import SpecError, StudyError
from engine.study.spec import load_study

STUDY = {
    "study": {"title": "breakouts", "question": "Do breakouts lead small caps?",
              "target": "index.RUT", "benchmark": "index.GSPC", "horizons": ["5d", "1m"],
              "n_boot": 0},
    "signals": [
        {"name": "brk", "family": "trend.breakout", "params": {"lookback": (20, 60)}},
        {"name": "ma", "family": "trend.above_ma", "params": {"series": "@target",
                                                             "window": [50, 100]}},
        {"name": "both", "all": ["brk", "ma"]},
    ],
    "episodes": [{"name": "late", "start": "2024-01-01", "end": "2024-06-28"}],
}


def _toml(spec: dict) -> str:
    """The same study as a file (tuples become arrays)."""
    lines = []
    for key, table in spec.items():
        rows = table if isinstance(table, list) else [table]
        for row in rows:
            lines.append(f"[[{key}]]" if isinstance(table, list) else f"[{key}]")
            for k, v in row.items():
                lines.append(f"{k} = {_value(v)}")
    return "\n".join(lines) + "\n"


def _value(v) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v)


def test_a_python_study_is_the_same_study_as_its_file(synthetic_catalog, project):
    path = project / "studies" / "breakouts.toml"
    path.write_text(_toml(STUDY))
    assert tomllib.loads(path.read_text())["signals"][0]["params"]["lookback"] == [20, 60]
    from_file = load_study(path, set(synthetic_catalog.entries))
    defined = engine.define_study(STUDY, name="breakouts")
    assert defined.signals == from_file.signals and defined.horizons == from_file.horizons
    assert defined.episodes == from_file.episodes and defined.name == "breakouts"
    # keywords and dataclass-free dicts give the same study
    again = engine.define_study(name="breakouts", **STUDY)
    assert again == defined and len(again.sha256) == 64


@pytest.mark.parametrize(("change", "key"), [
    (lambda s: s["signals"][0]["params"].update(lookback=0), "signals[0].params.lookback"),
    (lambda s: s["signals"][0].update(family="trend.brekout"), "signals[0].family"),
    (lambda s: s["study"].update(horizonz=["1m"]), "study.horizonz"),
    (lambda s: s["signals"][2].update(all=["brk", "nosuch"]), "signals[2].all"),
    (lambda s: s["study"].update(target="index.NOPE"), "study.target"),
    (lambda s: s["episodes"][0].update(end="2020-01-01"), "episodes[0].end"),
])
def test_python_studies_get_the_study_file_messages(synthetic_catalog, project, change, key):
    """Same rules, same message and fix; only the place differs (file vs <python>/NAME)."""
    spec = json.loads(json.dumps(STUDY))
    change(spec)
    path = project / "studies" / "bad.toml"
    path.write_text(_toml(spec))
    with pytest.raises(SpecError) as from_file:
        load_study(path, set(synthetic_catalog.entries))
    with pytest.raises(SpecError) as defined:
        engine.define_study(spec, name="bad")
    assert defined.value.where == f"<python>/bad.toml [{key}]"
    assert from_file.value.where == f"{path} [{key}]"
    assert str(defined.value).split("\n")[0].split("]: ", 1)[1] == \
        str(from_file.value).split("\n")[0].split("]: ", 1)[1]
    assert defined.value.fix == from_file.value.fix


def test_bad_names_and_options_are_refused(synthetic_catalog):
    with pytest.raises(SpecError, match="not allowed"):
        engine.define_study(STUDY, name="../escape")
    with pytest.raises(StudyError, match="unknown option"):
        engine.run_study(STUDY, horizon=["1m"])
    with pytest.raises(StudyError, match="keeps nothing on disk"):
        engine.run_study(STUDY, write=False, reports=True)
    with pytest.raises(StudyError, match="dict of tables"):
        engine.define_study(["not", "a", "study"])


@pytest.fixture
def mem_run(synthetic_catalog, project):
    return engine.run_study(STUDY, write=False)


def test_write_false_keeps_the_run_in_memory_and_writes_nothing(mem_run, project):
    assert mem_run.path is None and mem_run.report_path is None
    assert not (project / "results").exists()
    assert mem_run.study_name == "notebook"
    assert not mem_run.metrics.empty and not mem_run.events.empty


def test_in_memory_and_written_runs_have_identical_tables(mem_run, synthetic_catalog, project,
                                                          tmp_path):
    written = engine.run_study(STUDY, out=tmp_path / "out", reports=False)
    assert written.path.parent == tmp_path / "out" / "notebook"
    for name in ("metrics", "events", "paths", "backtest", "prices"):
        pd.testing.assert_frame_equal(mem_run.raw(name), written.raw(name))
    pd.testing.assert_frame_equal(mem_run.equity, written.equity)
    again = engine.load_run(written.path)
    pd.testing.assert_frame_equal(again.metrics, written.metrics)


def test_tables_are_tidy(mem_run):
    m = mem_run.metrics
    assert "params" not in m.columns
    brk = m[m["signal"] == "brk"]
    assert sorted(brk["lookback"].dropna().unique()) == [20, 60]
    assert str(m["lookback"].dtype) == "Int64"  # integers, blank for the other signals
    assert m.loc[m["signal"] == "ma", "lookback"].isna().all()
    assert set(m.loc[m["signal"] == "ma", "window"]) == {50, 100}
    raw = mem_run.raw("metrics")
    assert json.loads(raw.loc[0, "params"])["lookback"] in (20, 60)
    np.testing.assert_allclose(m["mean_excess"], raw["mean_fwd"] - raw["base_mean_fwd"])
    e = mem_run.equity
    assert isinstance(e.columns, pd.MultiIndex) and e.columns.names == ["signal", "variant"]
    assert ("brk", "lookback=20") in e.columns and isinstance(e.index, pd.DatetimeIndex)
    assert not any("|" in s for s in e.columns.get_level_values("signal"))
    both = [v for s, v in e.columns if s == "both"]
    assert all("&" in v for v in both)
    long = e.stack([0, 1], future_stack=True)
    assert long.index.names == ["date", "signal", "variant"]


def test_ranked_and_best_use_the_one_ranking(mem_run):
    from engine.ranking import best_variants, rank_evidence

    keys = ["signal", "variant", "horizon"]
    raw = mem_run.raw("metrics")
    expect = rank_evidence(raw[raw["episode"] == "all"], 10)
    got = mem_run.ranked()
    assert got[keys].values.tolist() == expect[keys].values.tolist()
    assert list(got["group"]) == list(expect["group"])
    best = mem_run.best("1m")
    ref = best_variants(raw, min_independent=10)
    ref = ref[ref["horizon"] == "1m"]
    assert best[keys].values.tolist() == ref[keys].values.tolist()


PLOTS = ["plot_hit_rates", "plot_event_study", "plot_equity", "plot_drawdown",
         "plot_distribution", "plot_rolling_hit_rate", "plot_heatmap"]


@pytest.mark.parametrize("name", PLOTS)
def test_plots_draw_on_the_given_axes_and_return_it(mem_run, name):
    fig = Figure()
    ax = fig.subplots()
    kwargs = {"signal": "ma"} if name == "plot_heatmap" else {}
    if name == "plot_heatmap":
        with pytest.raises(StudyError, match="needs two"):
            getattr(mem_run, name)(ax=ax, **kwargs)
        return
    out = getattr(mem_run, name)(ax=ax, **kwargs)
    assert out is ax and (ax.lines or ax.collections or ax.patches or ax.images)
    fresh = getattr(mem_run, name)()
    assert fresh is not ax and fresh.figure is not fig


def test_plots_take_signal_variant_and_horizon(mem_run):
    ax = mem_run.plot_event_study(signal="brk", variant="lookback=60", horizon="5d")
    assert "brk (lookback=60)" in ax.get_title()
    ax = mem_run.plot_distribution(signal="ma", horizon="5d")
    assert ax.get_title().startswith("5d · ma")
    ax = mem_run.plot_hit_rates(horizon="1m", signals=["ma", "brk"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ma", "brk"]
    ax = mem_run.plot_equity(signal=["brk", "ma"])
    labels = [line.get_label() for line in ax.lines]
    assert any(lab.startswith("brk") for lab in labels) and any(lab.startswith("ma")
                                                                for lab in labels)
    with pytest.raises(StudyError, match="signal 'nosuch' not in this run") as err:
        mem_run.plot_event_study(signal="nosuch")
    assert "brk" in err.value.fix
    with pytest.raises(StudyError, match="horizon '3m'"):
        mem_run.plot_rolling_hit_rate(horizon="3m")


def test_heatmap_of_a_two_axis_sweep(synthetic_catalog, project):
    spec = json.loads(json.dumps(STUDY))
    spec["signals"] = [{"name": "near", "family": "trend.near_high",
                        "params": {"series": "@target", "lookback": [20, 60],
                                   "within": [0.02, 0.05]}}]
    run = engine.run_study(spec, write=False, backtest=False)
    ax = run.plot_heatmap(horizon="5d")
    assert ax.images and "near: edge (pts) at 5d" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.02", "0.05"]


def test_compare_runs_in_memory_and_on_disk(mem_run, synthetic_catalog, project, tmp_path):
    other = json.loads(json.dumps(STUDY))
    other["study"].pop("benchmark")
    absolute = engine.run_study(other, write=False, backtest=False)
    table = engine.compare_runs(mem_run, absolute, horizon="1m")
    assert set(table["target"]) == {"index.RUT − index.GSPC", "index.RUT"}
    assert "params" not in table.columns and "lookback" in table.columns
    assert set(table["horizon"]) == {"1m"} and not (project / "results").exists()
    from engine.ranking import rank_evidence

    rows = []
    for run in (mem_run, absolute):
        m = run.raw("metrics")
        rows.append(m[(m["episode"] == "all") & (m["horizon"] == "1m")].assign(
            target=run.manifest["study"].get("benchmark") or "abs"))
    expect = rank_evidence(pd.concat(rows, ignore_index=True), 10)
    keys = ["signal", "variant"]
    assert table[keys].values.tolist() == expect[keys].values.tolist()
    with pytest.raises(StudyError, match="at least one run"):
        engine.compare_runs()


def test_public_names_have_docstrings_and_import_engine_is_light():
    assert set(engine.__all__) <= set(dir(engine))
    for name in engine.__all__:
        if name == "__version__":
            continue
        obj = getattr(engine, name)
        assert obj.__doc__ and len(obj.__doc__.strip()) > 20, name
    for name in [n for n in dir(engine.Run) if not n.startswith("_")]:
        assert getattr(engine.Run, name).__doc__, f"Run.{name}"
    code = ("import sys, engine; heavy = [m for m in ('pandas', 'numpy', 'numba', 'vectorbt', "
            "'matplotlib') if m in sys.modules]; print(heavy); engine.define_study")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        _ = engine.nosuch


def test_yearly_returns_by_hand(mem_run):
    years = mem_run.yearly_returns(signal="brk", variant="lookback=20")
    eq = mem_run.raw_equity()
    s = eq["brk|lookback=20"]
    last = s.groupby(s.index.year).last()
    assert list(years.index) == list(last.index)
    np.testing.assert_allclose(years["brk"].iloc[1:], last.iloc[1:].to_numpy()
                               / last.iloc[:-1].to_numpy() - 1)
    assert years["brk"].iloc[0] == pytest.approx(last.iloc[0] / s.iloc[0] - 1)
    assert years.columns[0].startswith("buy-and-hold") and "partial" in years
