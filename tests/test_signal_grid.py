"""Grid expansion lives in the signals layer (engine.signals.grid) and runs once per signal:
parsing (the family's check), the dataset refs, the signal matrix and the scorecard share it."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_signals import TARGET, make_panel

from engine.signals import FAMILIES, REQUIRED, grid
from engine.signals.matrix import compute_signals, required_refs
from engine.study.spec import SignalSpec, parse_study


def old_expand_grid(family, params):
    """``engine.study.spec.expand_grid`` as it was before the move (commit 040dce1)."""
    names = [p.name for p in family.params]
    axes = [params[n] if isinstance(params[n], tuple) else (params[n],) for n in names]
    combos = [dict(zip(names, c, strict=True)) for c in itertools.product(*axes)]
    out = {}
    for i, n in enumerate(names):
        col = [c[n] for c in combos]
        kind = family.params[i].kind
        dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}.get(kind, object)
        out[n] = np.array(col, dtype=dtype)
    return out, combos


def sample_params(fam) -> tuple[tuple[str, object], ...]:
    """Defaults, a value for each required parameter, and a sweep on every numeric one."""
    out = []
    for p in fam.params:
        lo = p.min if p.min is not None else 0
        if p.choices:
            value = tuple(p.choices[:2]) if len(p.choices) > 1 else p.choices[0]
        elif p.kind == "int":
            value = (int(lo) + 1, int(lo) + 3)
        elif p.kind == "float":
            value = (float(lo), float(lo) + 0.25)
        elif p.kind == "bool":
            value = (False, True)
        elif p.default is not REQUIRED:
            value = p.default
        else:
            value = "index.GSPC"
        out.append((p.name, value))
    return tuple(out)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_variants_are_the_old_expansion_for_every_family(name):
    fam = FAMILIES[name]
    params = sample_params(fam)
    got = grid.variants(SignalSpec("s", family=name, params=params))
    want_arrays, want_combos = old_expand_grid(fam, dict(params))
    assert got.family is fam
    assert list(got.arrays) == list(want_arrays)
    for key, want in want_arrays.items():
        assert got.arrays[key].dtype == want.dtype
        np.testing.assert_array_equal(got.arrays[key], want)
    assert list(got.combos) == want_combos
    assert [[type(v) for v in c.values()] for c in got.combos] == \
        [[type(v) for v in c.values()] for c in want_combos]
    assert got.swept == tuple(n for n, v in params if isinstance(v, tuple))
    assert len(got) == int(np.prod([len(v) for _, v in params if isinstance(v, tuple)]))
    # the uncached function gives the same numbers
    arrays, combos = grid.expand_grid(fam, dict(params))
    assert combos == want_combos
    for key, want in want_arrays.items():
        np.testing.assert_array_equal(arrays[key], want)


STUDY = {"study": {"title": "t", "question": "q", "target": TARGET, "horizons": ["1d", "5d"]},
         "signals": [
             {"name": "gc", "family": "trend.ma_cross",  # has a check: expanded at parse
              "params": {"fast": [2, 3], "slow": [5, 8]}},
             {"name": "up", "family": "trend.above_ma", "params": {"window": [3, 4, 6]}},
             {"name": "both", "all": ["gc", "up"]}]}


def test_expansion_runs_once_per_signal_for_parse_refs_and_matrix(monkeypatch):
    calls = []
    real = grid.expand_grid

    def counting(family, params):
        calls.append(family.name)
        return real(family, params)

    monkeypatch.setattr(grid, "expand_grid", counting)
    study = parse_study(STUDY, Path("x.toml"))
    assert calls == ["trend.ma_cross"]  # validation needed the grid for the family's check
    assert required_refs(study) == {"@target"}
    close = pd.Series(100 + np.cumsum(np.random.default_rng(0).normal(0, 1, 60)),
                      index=pd.date_range("2024-01-01", periods=60, freq="B"))
    sm = compute_signals(study, make_panel({TARGET: (close, "daily", 0)}))
    compute_signals(study, make_panel({TARGET: (close, "daily", 0)}))  # again: cached
    assert sorted(calls) == ["trend.above_ma", "trend.ma_cross"]
    assert sm.values.shape == (60, 4 + 3 + 12)
    assert list(sm.labels["variant"][:4]) == ["fast=2,slow=5", "fast=2,slow=8",
                                             "fast=3,slow=5", "fast=3,slow=8"]


def test_equal_specs_with_other_value_types_do_not_share_variants():
    """1 == 1.0: a cache keyed on equality alone would print one spec's values for the other."""
    a = SignalSpec("s", family="trend.above_ma", params=(("series", "@target"), ("window", 3)))
    b = SignalSpec("s", family="trend.above_ma", params=(("series", "@target"), ("window", 3.0)))
    assert a == b
    assert type(grid.variants(a).combos[0]["window"]) is int
    assert type(grid.variants(b).combos[0]["window"]) is float
    assert type(grid.variants(a).combos[0]["window"]) is int


def test_shared_arrays_are_read_only_and_each_caller_gets_its_own_dict():
    spec = SignalSpec("s", family="trend.above_ma", params=(("series", "@target"),
                                                            ("window", (3, 4))))
    g = grid.variants(spec)
    with pytest.raises(ValueError):
        g.arrays["window"][0] = 9
    cols = g.columns()
    cols["extra"] = np.zeros(2)
    assert "extra" not in g.columns()
    assert grid.variants(spec) is g
