"""Turn a study's ``[[signals]]`` into one (T, K) signal matrix with a label row per column.

Families compute every variant of their grid in one call; combinators take the cartesian
product of their inputs' variants. "No data that day" is kept as such: NaN in float columns,
``NODATA`` in the int8 matrix of an all-boolean study (``engine.signal_dtype``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from engine.data.panel import Panel
from engine.lazy import pandas as pd
from engine.signal_dtype import as_float, nodata_of, signal_values, to_signal
from engine.signals.grid import variants as grid_of
from engine.study.spec import SignalSpec, Study


@dataclass(frozen=True)
class SignalMatrix:
    # (T, K): int8 1/0/NODATA when every column is boolean (signal_dtype.BOOL_DTYPE); float64
    # when any is numeric (boolean columns then 1.0/0.0/NaN, numeric ones their values)
    values: np.ndarray
    numeric: np.ndarray  # (K,) bool
    labels: pd.DataFrame  # K rows: signal, variant, params (JSON)
    # (K,) bool: calendar columns already moved by entry_lead (known in advance)
    advance: np.ndarray | None = None

    def first(self, n: int) -> SignalMatrix:
        """The first ``n`` variants, in the matrix's memory layout (C or Fortran order): a
        kernel compiled for one is the kernel for the other (``engine.warmup``)."""
        v = self.values[:, :n]
        if self.values.flags.f_contiguous:
            v = np.asfortranarray(v)
        elif self.values.flags.c_contiguous:
            v = np.ascontiguousarray(v)
        adv = None if self.advance is None else self.advance[:n]
        return SignalMatrix(v, self.numeric[:n], self.labels[:n].reset_index(drop=True), adv)

    def select(self, names: list[str]) -> SignalMatrix:
        keep = self.labels["signal"].isin(names).to_numpy()
        adv = None if self.advance is None else self.advance[keep]
        return SignalMatrix(self.values[:, keep], self.numeric[keep],
                            self.labels[keep].reset_index(drop=True), adv)


ENTRY_LEAD = 2  # rows a known-in-advance signal moves earlier: event t-2, entry close t-1


def entry_lead(values: np.ndarray, advance: np.ndarray) -> np.ndarray:
    """Move the ``advance`` columns ``ENTRY_LEAD`` rows earlier (no data at the end).

    The engine enters at the close after the event day. A calendar window starting on day t
    is known long before, so its event is placed on day t-2 and the entry falls on the close
    of t-1, the close before the window: an h-day horizon then spans the window's first h
    days (Santa Claus: h = 7 is the whole window). In state mode the 1-day return of each
    window day becomes that day's own close-to-close return."""
    cols = np.flatnonzero(np.asarray(advance, dtype=bool))
    if not cols.size:  # nothing moves: no copy of a matrix that can be GBs
        return signal_values(values)
    out = np.array(signal_values(values), copy=True)
    if cols.size:
        moved = np.full((out.shape[0], cols.size), nodata_of(out.dtype), dtype=out.dtype)
        moved[:-ENTRY_LEAD] = out[ENTRY_LEAD:, cols]
        out[:, cols] = moved
    return out


def variant_label(combo: dict, swept: list[str]) -> str:
    """Short label naming only the swept parameters ("default" when nothing is swept)."""
    if not swept:
        return "default"
    return ",".join(f"{k}={_fmt(combo[k])}" for k in swept)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def required_refs(study: Study) -> set[str]:
    """Every dataset reference the study's families read (for loading the panel)."""
    refs: set[str] = set()
    for s in study.signals:
        if s.family:
            grid = grid_of(s)
            refs |= set(grid.family.data(grid.columns()))
    return refs


def _family_block(spec: SignalSpec, panel: Panel,
                  ) -> tuple[np.ndarray, bool, list[str], list[str], bool]:
    grid = grid_of(spec)
    family, combos = grid.family, grid.combos
    raw = family.func(panel, grid.columns())
    values = np.asarray(raw, dtype=np.float64) if family.numeric else to_signal(raw)
    if values.shape != (len(panel.index), len(combos)):
        raise RuntimeError(f"family {family.name} returned shape {values.shape}, "
                           f"expected {(len(panel.index), len(combos))}")
    variants = [variant_label(c, list(grid.swept)) for c in combos]
    params_json = [json.dumps({"family": family.name, **c}, sort_keys=True, default=str)
                   for c in combos]
    return values, family.numeric, variants, params_json, family.known_in_advance


def compute_signals(study: Study, panel: Panel, entry_timing: bool = True) -> SignalMatrix:
    """Evaluate every signal of the study on the panel, in file order.

    ``entry_timing``: move known-in-advance (calendar) columns by ``entry_lead`` so the
    evaluation enters at the close before their window; False gives each day's own state
    (what the scorecard shows for "today")."""
    from engine.signals import combine

    blocks: dict[str, tuple[np.ndarray, bool, list[str], list[str]]] = {}
    advance: dict[str, bool] = {}
    for spec in study.signals:
        if spec.family:
            values, numeric, variants, params, advance[spec.name] = _family_block(spec, panel)
        else:
            advance[spec.name] = all(advance[name] for name in spec.inputs)
            inputs = [blocks[name] for name in spec.inputs]
            arrays = [_as_bool(b[0], b[1]) for b in inputs]
            if spec.combinator == "not":
                values = combine.not_(arrays[0])
                variants, params = inputs[0][2], inputs[0][3]
            else:
                values = (combine.all_of if spec.combinator == "all" else combine.any_of)(arrays)
                variants = combine.product_labels(
                    [[f"{n}[{v}]" if v != "default" else n for v in b[2]]
                     for n, b in zip(spec.inputs, inputs, strict=True)])
                sep = " & " if spec.combinator == "all" else " | "
                variants = [v.replace(" & ", sep) if isinstance(v, str) else sep.join(v)
                            for v in variants]
                params = [json.dumps({"combinator": spec.combinator,
                                      "inputs": list(spec.inputs)}, sort_keys=True)] * len(variants)
            numeric = False
        if spec.persist:
            values = combine.persistence(_as_bool(values, numeric), spec.persist)
            numeric = False
        if spec.cooldown:
            values = combine.cooldown(_as_bool(values, numeric), spec.cooldown)
            numeric = False
        blocks[spec.name] = (values, numeric, variants, params)
    cols, numeric_flags, rows, adv = [], [], [], []
    for name, (values, numeric, variants, params) in blocks.items():
        cols.append(values)
        numeric_flags.extend([numeric] * values.shape[1])
        adv.extend([advance[name]] * values.shape[1])
        rows.extend({"signal": name, "variant": v, "params": p}
                    for v, p in zip(variants, params, strict=True))
    adv_arr = np.array(adv, dtype=bool)
    if any(numeric_flags):  # one float64 matrix: boolean blocks' NODATA becomes NaN
        cols = [as_float(c) for c in cols]
    values = cols[0] if len(cols) == 1 else np.concatenate(cols, axis=1)  # no copy of one
    if entry_timing:
        values = entry_lead(values, adv_arr)
    return SignalMatrix(values, np.array(numeric_flags, dtype=bool), pd.DataFrame(rows),
                        adv_arr if entry_timing else np.zeros_like(adv_arr))


def _as_bool(values: np.ndarray, numeric: bool) -> np.ndarray:
    """Numeric signals are 'on' when > 0; NaN becomes ``NODATA``."""
    return to_signal(values) if numeric else values
