"""Statistical tests for the evaluation engine, each vectorized over many signal variants.

Conventions shared by every function here:

* Time runs along axis 0; variants (signal columns) along the trailing axis. A (T,) input
  where a (T, K) one is expected is broadcast against every column.
* NaN is "no data": it never raises. Results that are undefined for a column (too few rows,
  no variance, no events) come back as NaN so one bad variant cannot sink a whole run.
* Programming errors (wrong shapes, negative lags, p-values outside [0, 1]) raise
  ``ValueError``; these are never caused by a study file, so they are not ``StudyError``.

Each function's docstring states the assumptions under which its p-value or interval is
valid; the report should not claim more than those.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable
from scipy import special

from engine.evaluate import dists  # scipy.stats binom/beta without importing scipy.stats
from engine.evaluate.bootstrap import BOOT_CHUNK
from engine.evaluate.bootstrap import block_counts as _block_counts  # one owner

__all__ = [
    "bh_qvalues",
    "binomial_pvalue",
    "block_bootstrap_ci",
    "deflated_sharpe_ratio",
    "exact_binomial_ci",
    "expected_max_sharpe",
    "hac_usable",
    "newey_west_tstat",
    "probabilistic_sharpe_ratio",
    "spearman_ic",
    "two_sided_normal_p",
]

EULER_GAMMA = 0.5772156649015329
_BINOM_RERR = 1 + 1e-7  # scipy.stats.binomtest's relative tolerance for "as likely as k"
_NW_CHUNK_BYTES = 64 * 2**20  # Newey-West input slice processed per kernel call
_IC_CHUNK_BYTES = 4 * 2**20  # Spearman slice: small enough for the allocator to reuse


def two_sided_normal_p(t: np.ndarray) -> np.ndarray:
    """Two-sided p-value ``2 * P(Z > |t|)`` for a standard normal Z (NaN stays NaN).

    Uses ``ndtr(-|t|)`` rather than ``1 - ndtr(|t|)`` so tiny p-values do not round to 0.
    """
    t = np.asarray(t, dtype=np.float64)
    return 2.0 * special.ndtr(-np.abs(t))


# --------------------------------------------------------------------------- binomial test


def binomial_pvalue(k: np.ndarray, n: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """Exact two-sided binomial test of ``k`` successes in ``n`` trials against ``p0``.

    Same definition as ``scipy.stats.binomtest(k, n, p0).pvalue``: the total probability of
    all outcomes no more likely than ``k`` (with scipy's 1e-7 relative tolerance), found
    with scipy's binary search on the far side of the mode, but run for all elements at
    once (the loop is over the ~log2(n) bisection steps, never over elements).

    Inputs broadcast against each other. Returns NaN where ``n < 1``, ``k`` is outside
    ``0..n`` or not an integer, ``p0`` is outside [0, 1], or any input is NaN. For
    ``p0`` of exactly 0 or 1 the outcome is deterministic: p = 1 if ``k == n * p0`` else 0.

    Assumptions: the ``n`` trials are independent with a common success probability. Use
    it on non-overlapping events only (overlapping forward windows are not independent;
    use ``newey_west_tstat`` for those).
    """
    k_arr, n_arr, p_arr = np.broadcast_arrays(
        np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64),
        np.asarray(p0, dtype=np.float64),
    )
    out = np.full(k_arr.shape, np.nan)
    with np.errstate(invalid="ignore"):
        valid = ((n_arr >= 1) & (k_arr >= 0) & (k_arr <= n_arr) & (p_arr >= 0) & (p_arr <= 1)
                 & (k_arr == np.floor(k_arr)) & (n_arr == np.floor(n_arr)))
    edge = valid & ((p_arr == 0) | (p_arr == 1))
    out[edge] = np.where(k_arr[edge] == p_arr[edge] * n_arr[edge], 1.0, 0.0)
    inner = valid & ~edge
    if inner.any():
        out[inner] = _binom_two_sided(k_arr[inner], n_arr[inner], p_arr[inner])
    return out


def _binom_two_sided(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """scipy's two-sided binomtest for 1-d arrays with 0 < p < 1 and valid k, n."""
    d = dists.binom_pmf(k, n, p)
    target = d * _BINOM_RERR
    mean = n * p
    pval = np.ones_like(d)  # k == n * p: p-value is exactly 1
    low = k < mean
    if low.any():
        kl, nl, pl, tl = k[low], n[low], p[low], target[low]
        ix = _bisect_pmf(nl, pl, -1.0, -tl, np.ceil(pl * nl), nl)
        y = nl - ix + (tl == dists.binom_pmf(ix, nl, pl))
        pval[low] = dists.binom_cdf(kl, nl, pl) + dists.binom_sf(nl - y, nl, pl)
    high = k > mean
    if high.any():
        kh, nh, ph, th = k[high], n[high], p[high], target[high]
        ix = _bisect_pmf(nh, ph, 1.0, th, np.zeros_like(kh), np.floor(ph * nh))
        pval[high] = dists.binom_cdf(ix, nh, ph) + dists.binom_sf(kh - 1, nh, ph)
    return np.minimum(pval, 1.0)


def _bisect_pmf(n: np.ndarray, p: np.ndarray, sign: float, d: np.ndarray,
                lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Vectorized copy of scipy's ``_binary_search_for_binom_tst`` on ``sign * pmf``.

    Returns, per element, the i in [lo-1, hi] with a(i) <= d < a(i+1) where
    a(x) = sign * pmf(x; n, p) is ascending on [lo, hi]. Step-for-step identical to
    scipy's loop (including its ``hi = mid - 1`` quirk) so ties resolve the same way.
    """
    lo, hi = lo.copy(), hi.copy()
    found = np.full(lo.shape, np.nan)
    active = np.flatnonzero(lo < hi)
    while active.size:
        a_lo, a_hi = lo[active], hi[active]
        mid = a_lo + np.floor((a_hi - a_lo) / 2)
        val = sign * dists.binom_pmf(mid, n[active], p[active])
        below, above = val < d[active], val > d[active]
        lo[active[below]] = mid[below] + 1
        hi[active[above]] = mid[above] - 1
        hit = ~below & ~above
        found[active[hit]] = mid[hit]
        active = active[~hit]
        active = active[lo[active] < hi[active]]
    rest = np.isnan(found)
    val = sign * dists.binom_pmf(lo[rest], n[rest], p[rest])
    found[rest] = np.where(val <= d[rest], lo[rest], lo[rest] - 1)
    return found


# --------------------------------------------------------------------------- exact interval


def exact_binomial_ci(k: np.ndarray, n: np.ndarray, alpha: float = 0.05,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson ("exact") interval for a proportion of ``k`` successes in ``n`` trials.

    lower = Beta(alpha/2; k, n-k+1) quantile (0 when k = 0), upper = Beta(1-alpha/2; k+1, n-k)
    quantile (1 when k = n): the same numbers as ``scipy.stats.binomtest(k, n)
    .proportion_ci(method="exact")``, for all elements at once. Chosen over Wilson because its
    coverage is never below the nominal level, whatever n: with 3 to 11 independent events a
    too-narrow interval is the error that misleads. Never zero-width for n >= 1 (0 of 3 gives
    0%-70.8%, 11 of 11 gives 71.5%-100%). NaN where ``n < 1`` or ``k`` is not in 0..n.

    Assumptions: the n trials are independent (non-overlapping windows) with one common
    success probability; for overlapping events use the block bootstrap instead.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    k_arr, n_arr = np.broadcast_arrays(np.asarray(k, dtype=np.float64),
                                       np.asarray(n, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        ok = (n_arr >= 1) & (k_arr >= 0) & (k_arr <= n_arr)
    kk, nn = np.where(ok, k_arr, 0.0), np.where(ok, n_arr, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(kk > 0, dists.beta_ppf(alpha / 2, np.maximum(kk, 1e-300), nn - kk + 1), 0.0)
        high = np.where(kk < nn, dists.beta_ppf(1 - alpha / 2, kk + 1, np.maximum(nn - kk, 1e-300)),
                        1.0)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


# --------------------------------------------------------------------------- HAC rule

MIN_HAC_INDEPENDENT = 10
MAX_HAC_LAG_SHARE = 0.1


def hac_usable(n_independent: np.ndarray, n_days: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Where a Newey-West t means something: at least ``MIN_HAC_INDEPENDENT`` (10) independent
    events and lags below ``MAX_HAC_LAG_SHARE`` (10%) of the days in the fit.

    Why: with one event the regression slope is one window's return minus the mean and the
    HAC variance has a single term, so |t| reaches 13 on noise; with lags near the sample
    length the Bartlett estimate of the long-run variance is biased towards zero (it cannot
    see autocorrelation longer than the sample), which also inflates t. Inputs broadcast.
    """
    n_ind, n_d, lag = np.broadcast_arrays(np.asarray(n_independent, dtype=np.float64),
                                          np.asarray(n_days, dtype=np.float64),
                                          np.asarray(lags, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        return (n_ind >= MIN_HAC_INDEPENDENT) & (lag < MAX_HAC_LAG_SHARE * n_d)


# --------------------------------------------------------------------------- Newey-West


def newey_west_tstat(y: np.ndarray, x: np.ndarray,
                     lags: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """t-statistic of ``b`` in ``y_t = a + b x_t + e_t`` with Newey-West (Bartlett) HAC errors.

    Fitted separately for each column of ``x`` (T, K) (a (T,) ``x`` gives 0-d results);
    ``y`` is (T,) shared by all columns or (T, K). Returns ``(t, p)`` with the two-sided
    normal p-value. With an event indicator as ``x`` and h-day forward returns as ``y``,
    ``b`` is mean return on event days minus mean on other days; pass ``lags = h - 1``
    because consecutive h-day windows overlap by h-1 days. ``lags`` may be an int or a
    (K,) array of per-column lags.

    Matches statsmodels ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": L})``, whose
    default ``use_correction=False`` applies no small-sample factor; neither do we (the
    ``n/(n-2)`` factor would only matter for a handful of rows, where HAC is unreliable
    anyway). p-values use the normal distribution, as statsmodels does for HAC.

    Gaps: a row where ``y`` or that column's ``x`` is NaN is dropped from the fit (means,
    slope and the valid-row count). In the HAC sum its residual is zero but it keeps its
    place in time, so lag l always means l calendar rows apart. This is what overlapping
    windows need (a missing day does not make the windows either side of it independent)
    and equals statsmodels' "drop rows" result when the NaNs sit only at the ends.

    Undefined (NaN): fewer than 3 valid rows, ``x`` constant over the valid rows, or a
    zero HAC variance (perfect fit).

    Assumptions: the regression errors are weakly stationary with autocorrelation dying
    out after ``lags`` periods; with few events the normal approximation is rough.
    """
    x_arr = np.asarray(x)
    squeeze = x_arr.ndim == 1
    x2 = x_arr[:, None] if squeeze else x_arr
    if x2.ndim != 2:
        raise ValueError(f"newey_west_tstat: x must be (T,) or (T, K), got shape {x_arr.shape}")
    n_rows, n_cols = x2.shape
    y2 = _as_column_matrix(np.asarray(y, dtype=np.float64), n_rows, n_cols, "y")
    lag_arr = _lags_per_column(lags, n_cols)
    if x2.dtype.kind not in "biuf":
        raise ValueError(f"newey_west_tstat: x must be numeric or bool, got {x2.dtype}")
    if x2.dtype.kind == "b":
        x2 = x2.view(np.uint8)  # same bytes; numba's float() does not take bools
    t_stat = np.empty(n_cols)
    step = max(1, _NW_CHUNK_BYTES // max(1, n_rows * x2.itemsize))
    for start in range(0, n_cols, step):  # memory-bounded column slices, not a loop per variant
        cols = slice(start, start + step)
        y_part = y2 if y2.shape[1] == 1 else y2[:, cols]
        t_stat[cols] = nw_kernel(np.ascontiguousarray(x2[:, cols]),
                                  np.ascontiguousarray(y_part), lag_arr[cols])
    p_val = two_sided_normal_p(t_stat)
    if squeeze:
        return t_stat[0].reshape(()), p_val[0].reshape(())
    return t_stat, p_val


def _as_column_matrix(y: np.ndarray, n_rows: int, n_cols: int, name: str) -> np.ndarray:
    """(T,) -> (T, 1); (T, K) kept; anything else is a programming error."""
    y2 = y[:, None] if y.ndim == 1 else y
    if y2.ndim != 2 or y2.shape[0] != n_rows or y2.shape[1] not in (1, n_cols):
        raise ValueError(f"{name} must be ({n_rows},) or ({n_rows}, {n_cols}), got {y.shape}")
    return y2


def _lags_per_column(lags: int | np.ndarray, n_cols: int) -> np.ndarray:
    lag_arr = np.asarray(lags)
    if lag_arr.dtype.kind not in "iu" and not (
        lag_arr.dtype.kind == "f" and np.all(lag_arr == np.floor(lag_arr))
    ):
        raise ValueError(f"lags must be whole numbers, got {lags!r}")
    try:
        lag_arr = np.broadcast_to(lag_arr.astype(np.int64), (n_cols,))
    except ValueError:
        raise ValueError(f"lags must be an int or have shape ({n_cols},), got "
                         f"{lag_arr.shape}") from None
    if (lag_arr < 0).any():
        raise ValueError(f"lags must be >= 0, got min {int(lag_arr.min())}")
    return np.ascontiguousarray(lag_arr)


def nw_kernel_python(x, y, lags):
    """HAC t-stat of the slope per column; rows outer, columns inner (contiguous reads).

    Var(b) = sum_{s,t} w(|s-t|) u_s u_t / Sxx^2 with u_t = (x_t - xbar) e_t and Bartlett
    weights w(l) = 1 - l/(L+1). Because the Bartlett kernel is a box filter convolved with
    itself, sum_{s,t} (L+1-|s-t|)_+ u_s u_t = sum_j W_j^2 with W_j the running sum of u over
    the L+1 rows ending at j. So all lags cost one pass, whatever L is. statsmodels:
    ``OLS(y, add_constant(x)).fit(cov_type="HAC", cov_kwds={"maxlags": L}).tvalues[1]`` per
    column (see ``newey_west_tstat``). Compiled as ``nw_kernel``.
    """
    n_rows, n_cols = x.shape
    shared_y = y.shape[1] == 1
    cnt = np.zeros(n_cols)
    sx = np.zeros(n_cols)
    sy = np.zeros(n_cols)
    xmin = np.full(n_cols, np.inf)
    xmax = np.full(n_cols, -np.inf)
    for t in range(n_rows):
        for k in range(n_cols):
            xv = float(x[t, k])
            yv = y[t, 0] if shared_y else y[t, k]
            if np.isfinite(xv) and np.isfinite(yv):
                cnt[k] += 1.0
                sx[k] += xv
                sy[k] += yv
                xmin[k] = min(xmin[k], xv)
                xmax[k] = max(xmax[k], xv)
    xbar = sx / np.maximum(cnt, 1.0)
    ybar = sy / np.maximum(cnt, 1.0)
    sxx = np.zeros(n_cols)
    sxy = np.zeros(n_cols)
    for t in range(n_rows):
        for k in range(n_cols):
            xv = float(x[t, k])
            yv = y[t, 0] if shared_y else y[t, k]
            if np.isfinite(xv) and np.isfinite(yv):
                dx = xv - xbar[k]
                sxx[k] += dx * dx
                sxy[k] += dx * (yv - ybar[k])
    slope = sxy / np.where(sxx > 0, sxx, 1.0)
    window = np.zeros(n_cols)
    lrv = np.zeros(n_cols)
    max_lag = lags.max() if n_cols else 0
    for t in range(n_rows + max_lag):
        for k in range(n_cols):
            if t < n_rows:
                window[k] += _score(x, y, t, k, shared_y, xbar, ybar, slope)
            old = t - lags[k] - 1
            if 0 <= old < n_rows:
                window[k] -= _score(x, y, old, k, shared_y, xbar, ybar, slope)
            if t < n_rows + lags[k]:
                lrv[k] += window[k] * window[k]
    out = np.full(n_cols, np.nan)
    for k in range(n_cols):
        if cnt[k] >= 3 and xmax[k] > xmin[k] and sxx[k] > 0 and lrv[k] > 0:
            out[k] = slope[k] / np.sqrt(lrv[k] / (lags[k] + 1.0) / (sxx[k] * sxx[k]))
    return out


nw_kernel = njit(cache=True)(nw_kernel_python)


@register_jitable  # not inline="always": numba then warns (NumbaIRAssumptionWarning)
def _score(x, y, t, k, shared_y, xbar, ybar, slope):
    """u_t = (x_t - xbar) * residual_t, or 0 for a dropped row."""
    xv = float(x[t, k])
    yv = y[t, 0] if shared_y else y[t, k]
    if not (np.isfinite(xv) and np.isfinite(yv)):
        return 0.0
    dx = xv - xbar[k]
    return dx * ((yv - ybar[k]) - slope[k] * dx)


# --------------------------------------------------------------------------- bootstrap


def block_bootstrap_ci(num: np.ndarray, den: np.ndarray, block: int, n_boot: int, seed: int,
                       alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Circular block bootstrap percentile CI for ``sum(num) / sum(den)`` per column.

    ``num`` and ``den`` are (T, K) daily contributions (or (T,) for one column, giving 0-d
    results): den = event indicator and num = event & hit gives a hit rate; num =
    event * forward return gives a mean. Each replicate glues together blocks of ``block``
    consecutive days (wrapping from the end to the start) at uniformly random starts until
    it has T days. One set of block starts, drawn from ``numpy.random.default_rng(seed)``,
    is shared by all K columns (common random numbers: variants are compared on the same
    resampled histories, and a column's interval does not depend on the other columns, up
    to rounding), and the replicate sums are two matrix products of a (n_boot, T) day-count
    matrix with ``num`` and ``den``. Deterministic given ``seed``.

    NaN handling: a day where ``num`` or ``den`` is not finite is dropped for that column
    (both contributions count as 0), so callers may pass NaN for "no data".
    Returns NaN for a column whose ``den`` sums to 0. A replicate whose resampled ``den``
    sums to 0 (no events drawn) has no ratio and is left out of the percentiles, so the
    interval is conditional on at least one event; it is NaN if no replicate has one.

    Assumptions: the series is stationary and dependence dies out within ``block`` days
    (use at least the forward horizon for overlapping windows); percentile intervals are
    rough with few events or few replicates.
    """
    num2, den2, squeeze = _bootstrap_inputs(num, den)
    if int(block) != block or block < 1 or int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"block and n_boot must be positive integers, got {block}, {n_boot}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    n_rows = num2.shape[0]
    rng = np.random.default_rng(seed)
    ratios = np.empty((int(n_boot), num2.shape[1]))
    for start in range(0, int(n_boot), BOOT_CHUNK):  # bounds the count matrix's memory
        size = min(BOOT_CHUNK, int(n_boot) - start)
        counts = _block_counts(rng, n_rows, int(block), size)
        with np.errstate(invalid="ignore", divide="ignore"):
            bd = counts @ den2
            ratios[start:start + size] = np.where(bd != 0, (counts @ num2) / bd, np.nan)
    low, high = _nan_quantiles(ratios, alpha / 2), _nan_quantiles(ratios, 1 - alpha / 2)
    no_events = den2.sum(axis=0) == 0
    low[no_events] = np.nan
    high[no_events] = np.nan
    if squeeze:
        return low[0].reshape(()), high[0].reshape(())
    return low, high


def _bootstrap_inputs(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Float64 (T, K) copies with non-finite days zeroed in both arrays."""
    num_a = np.asarray(num, dtype=np.float64)
    den_a = np.asarray(den, dtype=np.float64)
    if num_a.shape != den_a.shape or num_a.ndim not in (1, 2) or num_a.shape[0] == 0:
        raise ValueError(f"num and den must share a (T,) or (T, K) shape, got "
                         f"{num_a.shape} and {den_a.shape}")
    squeeze = num_a.ndim == 1
    if squeeze:
        num_a, den_a = num_a[:, None], den_a[:, None]
    bad = ~(np.isfinite(num_a) & np.isfinite(den_a))
    if bad.any():  # copy only when something must be zeroed
        num_a, den_a = np.where(bad, 0.0, num_a), np.where(bad, 0.0, den_a)
    return num_a, den_a, squeeze


def _nan_quantiles(values: np.ndarray, q: float) -> np.ndarray:
    """Column-wise ``np.nanquantile(values, q, axis=0)`` (linear), without a per-column loop."""
    ordered = np.sort(values, axis=0)  # NaN sorts last
    n_valid = np.isfinite(values).sum(axis=0)
    pos = (np.maximum(n_valid, 1) - 1) * q
    below = np.floor(pos).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(n_valid - 1, 0))
    lo_val = np.take_along_axis(ordered, below[None, :], axis=0)[0]
    hi_val = np.take_along_axis(ordered, above[None, :], axis=0)[0]
    out = lo_val + (pos - below) * (hi_val - lo_val)
    out[n_valid == 0] = np.nan
    return out


# --------------------------------------------------------------------------- multiple testing


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values over every finite entry of ``p`` (any shape; NaN stays NaN).

    q_(i) = min_{j >= i} p_(j) m / j, capped at 1, where m counts the finite p-values: the
    smallest false discovery rate at which each hypothesis would be rejected.

    Assumptions: the tests are independent or positively dependent (PRDS). Variants of one
    signal on one target are typically positively correlated, which BH tolerates.
    """
    p_arr = np.asarray(p, dtype=np.float64)
    out = np.full(p_arr.shape, np.nan)
    finite = np.isfinite(p_arr)
    vals = p_arr[finite]
    if vals.size == 0:
        return out
    if vals.min() < 0 or vals.max() > 1:
        raise ValueError(f"p-values must lie in [0, 1], got range [{vals.min()}, {vals.max()}]")
    order = np.argsort(vals, kind="stable")
    scaled = vals[order] * vals.size / np.arange(1, vals.size + 1)
    q_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    q_vals = np.empty_like(vals)
    q_vals[order] = q_sorted
    out[finite] = q_vals
    return out


# --------------------------------------------------------------------------- Sharpe ratios


def expected_max_sharpe(n_trials: int, sr_var: float) -> float:
    """Expected maximum Sharpe of ``n_trials`` independent zero-skill trials.

    sqrt(sr_var) * ((1 - gamma) Z^-1(1 - 1/N) + gamma Z^-1(1 - 1/(N e))), gamma the
    Euler-Mascheroni constant (Bailey & López de Prado 2014, eq. for SR_0). N = 1 gives 0.
    """
    if int(n_trials) != n_trials or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials}")
    if not sr_var >= 0:
        raise ValueError(f"sr_var must be >= 0, got {sr_var}")
    if n_trials == 1:
        return 0.0
    z = ((1 - EULER_GAMMA) * special.ndtri(1 - 1 / n_trials)
         + EULER_GAMMA * special.ndtri(1 - 1 / (n_trials * np.e)))
    return float(np.sqrt(sr_var) * z)


def probabilistic_sharpe_ratio(sr: np.ndarray, n_obs: int | np.ndarray, skew: np.ndarray,
                               kurt: np.ndarray, sr_benchmark: float | np.ndarray = 0.0,
                               ) -> np.ndarray:
    """P(true Sharpe > ``sr_benchmark``) given an observed per-period Sharpe ``sr``.

    Z[(SR - SR*) sqrt(n - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR^2)] (Bailey & López de
    Prado 2012), which corrects the Sharpe's standard error for non-normal returns. ``kurt``
    is non-excess (3 for normal). NaN where n_obs < 2 or the variance term is not positive.
    Assumes i.i.d. returns (serial correlation would need a further adjustment).
    """
    sr_a, n_a, sk_a, ku_a, bm_a = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (sr, n_obs, skew, kurt, sr_benchmark))
    )
    var_term = 1 - sk_a * sr_a + (ku_a - 1) / 4 * sr_a**2
    ok = (n_a >= 2) & (var_term > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (sr_a - bm_a) * np.sqrt(n_a - 1) / np.sqrt(var_term)
    return np.where(ok, special.ndtr(z), np.nan)


def deflated_sharpe_ratio(sr: np.ndarray, n_obs: int | np.ndarray, skew: np.ndarray,
                          kurt: np.ndarray, n_trials: int, sr_var: float) -> np.ndarray:
    """Deflated Sharpe ratio (Bailey & López de Prado 2014).

    The probabilistic Sharpe ratio against the Sharpe the best of ``n_trials`` independent
    zero-skill trials would show by luck (``expected_max_sharpe(n_trials, sr_var)``), so a
    backtest picked from a sweep is judged against the sweep's size. All Sharpes are
    per period (not annualized); ``sr_var`` is the variance of the Sharpe across trials in
    the same units; ``kurt`` is non-excess. ``n_trials == 1`` gives PSR against 0.

    Assumptions: trials are independent (for correlated variants pass the effective number
    of independent trials), returns are i.i.d. within a trial.
    """
    sr0 = expected_max_sharpe(n_trials, sr_var)
    return probabilistic_sharpe_ratio(sr, n_obs, skew, kurt, sr_benchmark=sr0)


# --------------------------------------------------------------------------- rank IC


def spearman_ic(signal: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Spearman rank correlation per column between ``signal`` (T, K) and ``fwd``.

    ``fwd`` is (T,) shared by all columns or (T, K). Each column uses only the rows where
    both values are finite; ties get average ranks (as scipy.stats.spearmanr). NaN with
    fewer than 3 such rows or when either side is constant over them. A (T,) ``signal``
    gives a 0-d result.

    Assumptions (when read as evidence): with overlapping forward windows the rows are not
    independent, so the IC's sampling error is far larger than 1/sqrt(T).
    """
    sig = np.asarray(signal, dtype=np.float64)
    squeeze = sig.ndim == 1
    sig2 = sig[:, None] if squeeze else sig
    if sig2.ndim != 2:
        raise ValueError(f"signal must be (T,) or (T, K), got {sig.shape}")
    fwd2 = _as_column_matrix(np.asarray(fwd, dtype=np.float64), *sig2.shape, "fwd")
    ic = np.empty(sig2.shape[1])
    step = max(1, _IC_CHUNK_BYTES // (8 * max(1, sig2.shape[0])))
    for start in range(0, sig2.shape[1], step):  # small slices keep temporaries in cache
        cols = slice(start, start + step)
        ic[cols] = _spearman_block(sig2[:, cols], fwd2 if fwd2.shape[1] == 1 else fwd2[:, cols])
    return ic[0].reshape(()) if squeeze else ic


def _spearman_block(sig: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Spearman IC for a (T, k) slice; ``fwd`` is (T, 1) shared or (T, k)."""
    both = np.isfinite(sig) & np.isfinite(fwd)
    rank_s = _masked_ranks(sig, both)
    if fwd.shape[1] == 1:  # one shared series: sort it once, not once per column
        rank_f = _masked_ranks_shared(fwd[:, 0], both)
    else:
        rank_f = _masked_ranks(fwd, both)
    n_valid = both.sum(axis=0)
    centre = (n_valid + 1) / 2.0  # ranks 1..n average (n + 1) / 2, ties included
    ds = np.where(both, rank_s - centre, 0.0)
    df = np.where(both, rank_f - centre, 0.0)
    sxx, syy, sxy = (ds * ds).sum(axis=0), (df * df).sum(axis=0), (ds * df).sum(axis=0)
    ok = (n_valid >= 3) & (sxx > 0) & (syy > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, sxy / np.sqrt(sxx * syy), np.nan)


def _masked_ranks(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average (tie-aware) ranks 1..n per column over the masked-in rows; 0 elsewhere.

    Sorts the transpose so each column is contiguous in memory. Masked-out rows become +inf
    and sort after every real (finite) value, so they never share a tie group with one.
    Several times faster than ``rankdata(nan_policy="omit")`` on wide input.
    """
    vals = np.ascontiguousarray(np.where(mask, values, np.inf).T)  # (K, T)
    order = np.argsort(vals, axis=1)  # stability is irrelevant: ties are averaged
    ordered = np.take_along_axis(vals, order, axis=1)
    n_rows = vals.shape[1]
    pos = np.arange(n_rows)
    new_group = np.ones(ordered.shape, dtype=bool)
    new_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(new_group, pos, 0), axis=1)
    next_first = np.full(ordered.shape, n_rows)
    next_first[:, :-1] = np.where(new_group[:, 1:], pos[1:], n_rows)
    last = np.ascontiguousarray(next_first[:, ::-1])
    last = np.minimum.accumulate(last, axis=1)[:, ::-1] - 1
    ranks = np.empty(ordered.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    return np.where(mask, ranks.T, 0.0)


def _masked_ranks_shared(series: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Ranks of one (T,) series within each column's masked-in rows, from a single sort.

    In the series' sorted order, a row's rank among column k's rows is the number of
    masked-in rows before its tie group plus the average position inside the group, so a
    cumulative count of the mask replaces K separate sorts.
    """
    order = np.argsort(np.where(np.isfinite(series), series, np.inf), kind="stable")
    ordered = series[order]
    n_rows = series.size
    new_group = np.ones(n_rows, dtype=bool)
    new_group[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(new_group)
    group = np.cumsum(new_group) - 1
    first, after = starts[group], np.append(starts[1:], n_rows)[group]
    counts = np.zeros((n_rows + 1, mask.shape[1]))
    np.cumsum(mask[order], axis=0, out=counts[1:])
    before = counts[first]
    ranks_sorted = before + (counts[after] - before + 1) / 2.0
    ranks = np.empty_like(ranks_sorted)
    ranks[order] = ranks_sorted
    return np.where(mask, ranks, 0.0)
