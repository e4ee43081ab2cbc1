"""One plain-language sentence per metrics row, so a reader need not decode the statistics.

Thresholds: q <= 0.05 with at least 10 independent events is "evidence holds"; q <= 0.10 (or
q <= 0.05 on fewer independent events) is "suggestive"; anything else is no better than
chance. Fewer than 5 independent events is too few to judge at all: with so few
non-overlapping windows a hit rate of 4 of 4 happens by luck one time in 16.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from engine.report.tables import MIN_INDEPENDENT_STRONG, STRONG_Q, WEAK_Q, num, qfmt

MIN_INDEPENDENT_JUDGE = 5
# Overlap is "heavy" when fewer than half of the events are independent: the event count
# then overstates how much evidence there is.
HEAVY_OVERLAP = 0.5


def verdict(row: Mapping) -> str:
    """Plain-language verdict for one metrics row (see the module docstring)."""
    n_days, n_ev, n_ind = (num(row.get(k)) for k in ("n_days", "n_events", "n_independent"))
    hit, base, q = (num(row.get(k)) for k in ("hit_rate", "base_rate", "q_value"))
    if n_days == 0 or (math.isnan(n_days) and math.isnan(n_ev) and math.isnan(hit)):
        return "no data in this episode"
    if not n_ev > 0:
        days = f" in {int(n_days)} days with data" if n_days > 0 else ""
        return f"never fired{days}; nothing to judge"
    fired = f"fired {_times(n_ev)} ({_n(n_ind)} independent)"
    if not n_ind >= MIN_INDEPENDENT_JUDGE:
        return f"too few independent events ({_n(n_ind)}) to judge; {fired}"
    text = f"{fired}; {_comparison(row, hit, base)}"
    if math.isnan(q):
        text += "; no q-value, not tested"
    elif q <= STRONG_Q and n_ind >= MIN_INDEPENDENT_STRONG:
        text += f"; {_q(q)} — evidence holds"
        if hit < base:
            text += " (the signal points down: worse than the base rate)"
    elif q <= WEAK_Q:
        text += f"; {_q(q)} — suggestive"
        if q <= STRONG_Q:
            text += f", but only {_n(n_ind)} independent events"
    else:
        text += f"; no better than chance ({_q(q)})"
    return text + _overlap(n_ev, n_ind)


def _comparison(row: Mapping, hit: float, base: float) -> str:
    h = row.get("horizon")
    at = f" at {h}" if h is not None and str(h) not in ("", "nan") else ""
    if math.isnan(hit) or math.isnan(base):
        return f"hit rate not available{at}"
    diff = round(100 * hit) - round(100 * base)
    rates = f"(hit {round(100 * hit)}% vs {round(100 * base)}%)"
    if diff > 0:
        return f"beat the base rate by {diff} pts{at} {rates}"
    if diff < 0:
        return f"trailed the base rate by {-diff} pts{at} {rates}"
    return f"matched the base rate{at} {rates}"


def _overlap(n_ev: float, n_ind: float) -> str:
    if n_ind < HEAVY_OVERLAP * n_ev:
        return (f"; caveat: heavy overlap — {_n(n_ev)} events but only {_n(n_ind)} "
                "independent, so the event count overstates the evidence")
    return ""


def _q(q: float) -> str:
    """The q-value as text: q = 0.04, or q < 0.001 for tiny values."""
    text = qfmt(q)
    return f"q {text}" if text.startswith("<") else f"q = {text}"


def _n(x: float) -> str:
    return str(int(x)) if math.isfinite(x) else "?"


def _times(n: float) -> str:
    return "once" if n == 1 else f"{_n(n)} times"
