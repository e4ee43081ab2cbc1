"""How a number reads: percent, signed percent, points, q-values, counts.

One place so a number is formatted the same way in the terminal, Markdown, HTML, compare and
the scorecard; the metric registry (``engine.metrics``) names one of these per metric. No
pandas or rendering here, so every layer can use it.
"""

from __future__ import annotations

import math

DASH = "—"  # an empty cell: no data, never a fake zero


def num(x) -> float:
    """A float, NaN for None/NA/missing/non-numbers."""
    if x is None:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def fin(x) -> bool:
    return math.isfinite(num(x))


def _hundred(x, digits: int) -> float:
    """100 * x rounded, without a negative zero ("-0.0%" reads as a loss)."""
    return round(100 * num(x), digits) + 0.0


def pct(x, digits: int = 1) -> str:
    return f"{_hundred(x, digits):.{digits}f}%" if fin(x) else DASH


def spct(x, digits: int = 1) -> str:
    """Signed percent, for returns."""
    return f"{_hundred(x, digits):+.{digits}f}%" if fin(x) else DASH


def ret(x) -> str:
    """Signed percent for a mean return, with the digits a small one needs: +1.9%, +0.45%,
    +0.012% (one-day means are often below 0.1%; rounding them to +0.0% hides them)."""
    v = num(x)
    if not math.isfinite(v):
        return DASH
    a = abs(100 * v)
    digits = 1 if a >= 1 or a == 0 else 2 if a >= 0.1 else 3
    return spct(v, digits)


def pts(x, digits: int = 1) -> str:
    """Percentage points, for differences of rates."""
    return f"{_hundred(x, digits):+.{digits}f}" if fin(x) else DASH


def qfmt(x) -> str:
    q = num(x)
    if not math.isfinite(q):
        return DASH
    if q < 0.001:
        return "< 0.001"
    return f"{q:.2g}" if q < 0.1 else f"{q:.2f}"


def count(x) -> str:
    return str(int(num(x))) if fin(x) else DASH


def ci(lo, hi) -> str:
    return f"{pct(lo)} – {pct(hi)}" if fin(lo) and fin(hi) else DASH


def fnum(x, digits: int = 2) -> str:
    return f"{num(x):.{digits}f}" if fin(x) else DASH
