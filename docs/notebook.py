# %% [markdown]
# # rally-study from a notebook
#
# A study defined in Python, run without writing anything, its tables as tidy DataFrames and
# its charts on your own axes. Needs the datasets (`study data build`, or `STUDY_DATA_MIRROR`
# set so a run builds what it needs). This file is the source of `docs/notebook.ipynb`
# (`python tests/test_notebook.py --write` regenerates it); CI runs it on the real data.

# %%
import os

from matplotlib.figure import Figure

import engine
from engine.errors import SpecError

print(engine.__version__, [n for n in engine.__all__ if not n.startswith("_")])

# %% [markdown]
# ## Define a study in Python
#
# The same tables as a study file (`studies/*.toml`), checked by the same parser: a typo
# gets the message a file would get. A list is a sweep axis.

# %%
spec = {
    "study": {
        "title": "Credit and trend for small caps",
        "question": "When high-yield spreads tighten, do small caps beat large caps?",
        "target": "index.RUT", "benchmark": "index.GSPC",
        "horizons": ["1m", "3m"], "start": "2000-01-01", "n_boot": 200,
    },
    "signals": [
        {"name": "hy-tightening", "family": "credit.spread_change",
         "params": {"series": "fred.BAMLH0A0HYM2", "lookback": [21, 63],
                    "below": [-0.25, -0.5]}},
        {"name": "rut-above-200d", "family": "trend.above_ma",
         "params": {"series": "@target", "window": 200}},
        {"name": "both", "all": ["hy-tightening", "rut-above-200d"]},
    ],
}
study = engine.define_study(spec, name="notebook-credit")

try:
    engine.define_study({"study": {"title": "t", "question": "q", "target": "index.RUT"},
                         "signals": [{"name": "x", "family": "credit.spread_chnage"}]})
except SpecError as err:
    print(err)

# %% [markdown]
# ## Run it in memory
#
# `write=False`: no run folder, no reports (`write=True`, the default, writes
# `results/notebook-credit/<run>/` like `study run`).

# %%
run = engine.run_study(study, write=False)
ranked = run.ranked()  # evidence first: q, then independent events, then |edge|
cols = ["signal", "variant", "lookback", "below", "horizon", "n_independent",
        "hit_rate_independent", "base_rate", "q_value", "group"]
print(ranked[cols].head(8).to_string())

# %%
best = run.best("3m")  # each signal's best variant by the same ranking
print(best[["signal", "variant", "n_independent", "edge_independent", "q_value"]].to_string())
equity = run.equity  # columns: (signal, variant)
print(equity["hy-tightening"].iloc[-1].round(3).to_string())
print(run.yearly_returns().tail(4).round(3).to_string())  # calendar years vs the benchmark

# %% [markdown]
# ## Charts on your axes
#
# Every `plot_*` takes `ax=` and returns it; signal, variant and horizon default to the best.

# %%
fig = Figure(figsize=(12, 8), layout="constrained")
axes = fig.subplots(2, 2)
run.plot_hit_rates(ax=axes[0, 0])
run.plot_event_study(signal="hy-tightening", horizon="3m", ax=axes[0, 1])
run.plot_equity(signal=["hy-tightening", "rut-above-200d"], ax=axes[1, 0])
run.plot_heatmap(signal="hy-tightening", horizon="3m", ax=axes[1, 1])
if os.environ.get("NOTEBOOK_FIGURE"):
    fig.savefig(os.environ["NOTEBOOK_FIGURE"], dpi=80)
fig

# %% [markdown]
# ## Compare runs, and the rally scorecard

# %%
# the same signals on the S&P 500 alone (absolute returns): compare says which is which
absolute = engine.define_study({**spec, "study": {**spec["study"], "target": "index.GSPC",
                                                  "benchmark": None}}, name="notebook-spx")
absolute = engine.run_study(absolute, write=False, backtest=False, horizons=["3m"])
table = engine.compare_runs(run, absolute, horizon="3m")
print(table.groupby("study").head(3)[["study", "target", "signal", "variant",
                                      "q_value"]].to_string())

# %%
card = engine.rally_scorecard("2025-06-30")
print(f"score {card.score} of {card.n_conditions} on {card.date.date()}")
print(card.conditions[["condition", "status", "tested", "tested_value", "threshold",
                       "as_of"]].to_string())
