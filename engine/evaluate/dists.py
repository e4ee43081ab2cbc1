"""``scipy.stats.binom.pmf/cdf/sf`` and ``scipy.stats.beta.ppf`` without importing scipy.stats.

Why: ``import scipy.stats`` costs about half a second of every run (its whole namespace of
tests and distributions), while the evaluation needs four functions. Those are thin wrappers
over compiled ufuncs in ``scipy.special`` (boost's binomial and beta); this module repeats the
wrappers' argument checks and edge values over the same ufuncs, so the numbers are scipy's
bit for bit (``tests/test_stats.py`` compares them on random and edge inputs, also against
the older scipy of ``.ci/alt-deps``). The ufuncs are private names: should a scipy release
drop them, every function falls back to scipy.stats itself (same numbers, slower import).
"""

from __future__ import annotations

import numpy as np

try:
    from scipy.special import _ufuncs as _scu

    _UFUNCS = (_scu._binom_pmf, _scu._binom_cdf, _scu._binom_sf, _scu._beta_ppf)
except (ImportError, AttributeError):  # a scipy release without them: scipy.stats itself
    _UFUNCS = None

__all__ = ["beta_ppf", "binom_cdf", "binom_pmf", "binom_sf"]


def _binom_args(k, n, p):
    k, n, p = np.broadcast_arrays(np.asarray(k), np.asarray(n), np.asarray(p))
    with np.errstate(invalid="ignore"):
        valid = (n >= 0) & (n == np.round(n)) & (p >= 0) & (p <= 1)  # binom._argcheck
    return k, n, p, valid


def _scalar(out: np.ndarray):
    return out[()] if out.ndim == 0 else out


def _scipy_stats(name: str):
    """The scipy.stats function itself (``"binom.cdf"``), when the ufuncs are not there."""
    from scipy import stats

    dist, fn = name.split(".")
    return getattr(getattr(stats, dist), fn)


def binom_pmf(k, n, p):
    """``scipy.stats.binom.pmf(k, n, p)``: 0 off the support (and for non-integer k)."""
    if _UFUNCS is None:
        return _scipy_stats("binom.pmf")(k, n, p)
    k, n, p, valid = _binom_args(k, n, p)
    with np.errstate(invalid="ignore"):
        cond = valid & (k >= 0) & (k <= n) & (np.floor(k) == k)
    out = np.zeros(k.shape)
    out[~valid | np.isnan(k)] = np.nan
    if cond.any():
        out[cond] = np.clip(_UFUNCS[0](k[cond], n[cond], p[cond]), 0, 1)
    return _scalar(out)


def _binom_tail(ufunc, k, n, p, one_below: bool):
    """cdf (``one_below=False``: 1 from k = n on) or sf (1 below k = 0) as scipy.stats: the
    ufunc at floor(k) inside [0, n), NaN for invalid n, p or NaN k."""
    k, n, p, valid = _binom_args(k, n, p)
    with np.errstate(invalid="ignore"):
        cond = valid & (k >= 0) & (k < n) & np.isfinite(k)
        out = np.zeros(k.shape)
        out[((k < 0) & valid) if one_below else (k >= n)] = 1.0
    out[~valid | np.isnan(k)] = np.nan
    if cond.any():
        out[cond] = np.clip(ufunc(np.floor(k[cond]), n[cond], p[cond]), 0, 1)
    return _scalar(out)


def binom_cdf(k, n, p):
    """``scipy.stats.binom.cdf(k, n, p)``: P(X <= floor(k))."""
    if _UFUNCS is None:
        return _scipy_stats("binom.cdf")(k, n, p)
    return _binom_tail(_UFUNCS[1], k, n, p, one_below=False)


def binom_sf(k, n, p):
    """``scipy.stats.binom.sf(k, n, p)``: P(X > floor(k))."""
    if _UFUNCS is None:
        return _scipy_stats("binom.sf")(k, n, p)
    return _binom_tail(_UFUNCS[2], k, n, p, one_below=True)


def beta_ppf(q, a, b):
    """``scipy.stats.beta.ppf(q, a, b)``: 0 at q = 0, 1 at q = 1, NaN for a or b <= 0."""
    if _UFUNCS is None:
        return _scipy_stats("beta.ppf")(q, a, b)
    q, a, b = np.broadcast_arrays(np.asarray(q), np.asarray(a), np.asarray(b))
    with np.errstate(invalid="ignore"):
        valid = (a > 0) & (b > 0)
        cond = valid & (q > 0) & (q < 1)
        out = np.full(q.shape, np.nan)
        out[valid & (q == 0)] = 0.0
        out[valid & (q == 1)] = 1.0
    if cond.any():
        # scipy scales by 1 and adds loc = 0 (which turns -0.0 into 0.0)
        out[cond] = _UFUNCS[3](q[cond], a[cond], b[cond]) * 1 + 0
    return _scalar(out)
