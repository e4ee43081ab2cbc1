"""One plain-language sentence per metrics row, so a reader need not decode the statistics.

Three readings, driven by the q-value and the exact interval of the tested hit rate, always
with the number of independent events:

* "evidence for": q <= 0.05, at least ``min_independent`` (10) independent events, and the
  exact 95% interval of the independent-events hit rate lies wholly above the base rate;
* "evidence against": the same, with the interval wholly below the base rate (the signal
  points down);
* "no evidence": anything else. It means "no evidence either way", not "no better than
  chance": a q of 0.7 on 30 events cannot tell a small edge from none. q <= 0.10 is noted as
  "suggestive".

Below ``min_independent`` independent events the row is "too few to judge" (the ranking puts
those rows in their own group: with 4 non-overlapping windows a 4-of-4 record happens by luck
one time in 16). Episode rows are described, not tested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from engine import metrics as M
from engine.formats import num, qfmt
from engine.ranking import DEFAULT_MIN_INDEPENDENT

# The evidence thresholds: every report, chart and table shading reads them from here.
STRONG_Q = 0.05
WEAK_Q = 0.10
MIN_INDEPENDENT_STRONG = 10

MIN_INDEPENDENT_JUDGE = DEFAULT_MIN_INDEPENDENT
# Overlap is "heavy" when fewer than half of the events are independent: the event count
# then overstates how much evidence there is.
HEAVY_OVERLAP = 0.5


def tested_hit(row: Mapping) -> float:
    """The hit rate the p-value tests (independent events); all events for old run folders."""
    hit = num(row.get(M.HIT_RATE_INDEPENDENT))
    return hit if math.isfinite(hit) else num(row.get(M.HIT_RATE))


def reading(row: Mapping, min_independent: int = MIN_INDEPENDENT_JUDGE) -> str:
    """"evidence for", "evidence against", "no evidence", "too few to judge" or "no data"."""
    n_ev, n_ind = num(row.get(M.N_EVENTS)), num(row.get(M.N_INDEPENDENT))
    if not n_ev > 0:
        return "no data"
    if not n_ind >= min_independent:
        return "too few to judge"
    q, hit, base = num(row.get(M.Q_VALUE)), tested_hit(row), num(row.get(M.BASE_RATE))
    lo, hi = num(row.get(M.CI_LOW)), num(row.get(M.CI_HIGH))
    if not q <= STRONG_Q:
        return "no evidence"
    above = lo > base if math.isfinite(lo) else hit > base
    below = hi < base if math.isfinite(hi) else hit < base
    if above:
        return "evidence for"
    if below:
        return "evidence against"
    return "no evidence"


def verdict(row: Mapping, min_independent: int = MIN_INDEPENDENT_JUDGE) -> str:
    """Plain-language verdict for one metrics row (see the module docstring)."""
    n_days, n_ev, n_ind = (num(row.get(k)) for k in (M.N_DAYS, M.N_EVENTS, M.N_INDEPENDENT))
    hit, base, q = tested_hit(row), num(row.get(M.BASE_RATE)), num(row.get(M.Q_VALUE))
    if n_days == 0 or (math.isnan(n_days) and math.isnan(n_ev) and math.isnan(hit)):
        return "no data in this episode"
    if not n_ev > 0:
        days = f" in {int(n_days)} days with data" if n_days > 0 else ""
        return f"never fired{days}; nothing to judge"
    fired = f"fired {_times(n_ev)} ({_n(n_ind)} independent)"
    if not n_ind >= min_independent:
        return f"too few independent events ({_n(n_ind)}) to judge; {fired}"
    text = f"{fired}; {_comparison(row, hit, base)}"
    kind = reading(row, min_independent)
    if math.isnan(q):
        text += "; described, not tested (no q-value)"
    elif kind == "evidence for":
        text += f"; {_q(q)} — evidence for"
    elif kind == "evidence against":
        text += f"; {_q(q)} — evidence against (the signal points down: worse than the base rate)"
    else:
        text += f"; {_q(q)} — no evidence either way"
        if q <= WEAK_Q:
            text += " (suggestive"
            lo, hi = num(row.get(M.CI_LOW)), num(row.get(M.CI_HIGH))
            if q <= STRONG_Q and math.isfinite(lo) and math.isfinite(hi):
                text += (f", but the 95% CI {round(100 * lo)}%–{round(100 * hi)}% holds the "
                         "base rate")
            text += ")"
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


def row_class(row: Mapping) -> str:
    """A display class: strong evidence (either way), weak (q <= 0.10), no data, or plain."""
    if num(row.get(M.N_DAYS)) == 0:
        return "nodata"
    if reading(row) in ("evidence for", "evidence against"):
        return "strong"
    if num(row.get(M.Q_VALUE)) <= WEAK_Q and num(row.get(M.N_INDEPENDENT)) >= (
            DEFAULT_MIN_INDEPENDENT):
        return "weak"
    return ""
