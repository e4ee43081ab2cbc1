"""The vectorized core: did each signal variant predict forward returns?

Contract (shared with ``engine.evaluate.reference``, the slow reference it is checked against):

* forward return at day t over h days, entered at the next bar's close:
  ``fwd[t, h] = close[t+1+h] / close[t+1] - 1`` (minus the same for the benchmark when set);
* a day is *valid* for a variant when its signal has data (not NaN), the forward window ends
  inside the data and the day lies in the episode; every count below is over valid days;
* events are rising edges (on today, off and known yesterday) in ``events`` mode and every
  on day in ``state`` mode; a signal is "on" when its value is > 0;
* hit rate = share of events with ``fwd > 0``; base rate = the same share over all valid days
  of that variant (so both see exactly the same dates); edge = hit rate - base rate;
* ``n_independent`` counts events kept greedily at least h days apart (non-overlapping
  windows); ``hit_rate_independent`` is their hit rate and ``edge_independent`` its excess
  over the base rate: these are what the binomial ``p_value`` tests, so reports show them
  next to n and q (``hit_rate``/``edge`` over all, overlapping, events are descriptive);
* ``t_hac``/``p_hac``: Newey-West t of the event indicator in a regression of the forward
  return on it over the valid days, with h-1 lags for the overlapping windows; left empty
  (the ``note`` column says why) below 10 independent events or where the lags are 10% or
  more of the days (``stats.hac_usable``), where t is noise that looks like certainty;
* ``ci_low``/``ci_high``: exact (Clopper-Pearson) 95% interval of ``hit_rate_independent``,
  never zero-width (3 of 3 gives 29%-100%); ``boot_low``/``boot_high``: circular
  block-bootstrap interval (block = h) of the all-events ``hit_rate``, and
  ``mean_fwd_low``/``mean_fwd_high`` the same resampling's interval of ``mean_fwd`` (both
  from the event lists, on the same resampled histories); left empty below
  ``MIN_CI_EVENTS`` independent events, where resampling one or two windows gives a
  degenerate interval such as 100%-100%;
* episodes after the first (the full sample) are descriptive unless ``episode_tests`` says
  otherwise: counts, hit rates, means and the exact CI, but no p, q or HAC t (an episode
  holds a handful of independent events and its windows are a large share of its days);
* ``ic``: Spearman correlation of a numeric signal's value with the forward return.

The compiled kernels live in ``engine.evaluate.kernels``: in events mode one streaming read of
the signal matrix extracts each variant's rising edges, and shared prefix sums give everything else;
state mode (and odd columns) take a dense pass per variant. Variants run in parallel over
cores. Nothing loops over variants or dates in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import metrics as M
from engine.evaluate import bootstrap, kernels, stats
from engine.signal_dtype import has_data, known_off, signal_values

METRICS = M.EVALUATED  # the registry's numeric per-variant metrics (engine.metrics)
TEXT_COLUMNS = M.TEXT
COUNT_METRICS = M.COUNTS
MIN_CI_EVENTS = 3
_CHUNK = 256  # variant columns per event-list block (bounds the (T, chunk) temporaries)


@dataclass(frozen=True)
class EvalResult:
    """Metrics as (K variants, H horizons, E episodes) arrays; episode 0 is the full sample."""

    metrics: dict[str, np.ndarray]
    horizons: np.ndarray
    episode_names: list[str]
    episode_tests: list[bool] | None = None  # None: only the first (full sample) is tested
    past_data_end: np.ndarray | None = None  # (H, E): some episode days lack a full window

    def tests(self) -> np.ndarray:
        n_e = len(self.episode_names)
        if self.episode_tests is None:
            return np.arange(n_e) == 0
        return np.asarray(self.episode_tests, dtype=bool)

    def to_frame(self, labels: pd.DataFrame) -> pd.DataFrame:
        """Long table, one row per variant x horizon x episode (variant-major order)."""
        k, h, e = self.metrics[M.N_DAYS].shape
        per_variant = np.repeat(np.arange(k), h * e)
        cols = {c: take_labels(labels[c], per_variant) for c in ("signal", "variant", "params")
                if c in labels}
        cols["horizon_days"] = np.tile(np.repeat(np.asarray(self.horizons, np.int64), e), k)
        cols["episode"] = take_labels(self.episode_names, np.tile(np.arange(e), k * h))
        for name in METRICS:
            values = self.metrics[name].reshape(-1)
            cols[name] = values.astype(np.int64) if name in COUNT_METRICS else values
        m = self.metrics
        cols[M.NOTE] = hac_notes(m[M.N_INDEPENDENT], m[M.N_DAYS], self.horizons,
                                 self.tests()).reshape(-1)
        past = (self.past_data_end if self.past_data_end is not None
                else np.zeros((h, e), dtype=bool))
        past = np.broadcast_to(past[None] & (np.arange(e) > 0)[None, None, :], (k, h, e))
        cols[M.FLAGS] = episode_flags(m[M.BASE_RATE], m[M.N_DAYS], past).reshape(-1)
        return pd.DataFrame(cols)


def take_labels(values, idx: np.ndarray):
    """``values[idx]`` as the column pandas makes of it (same dtype, same Parquet bytes), built
    by taking from the few labels' own array: pandas 3 stores strings in Arrow, and inferring
    a column of 5 million repeated labels string by string (``np.repeat`` of objects) costs
    three times as long as Arrow's take. pandas infers the dtype from the kinds of values
    present, so it is inferred from the labels that ``idx`` uses (none: object, as numpy's)."""
    values = np.asarray(values, dtype=object)
    idx = np.asarray(idx, np.intp)
    used = np.bincount(idx, minlength=len(values)) > 0
    code = np.cumsum(used) - 1
    return pd.Series(values[used]).array.take(code[idx])


DESCRIPTIVE_NOTE = "episode: descriptive (no p, q or HAC t)"


def hac_notes(n_independent: np.ndarray, n_days: np.ndarray, horizons: np.ndarray,
              tested: np.ndarray) -> np.ndarray:
    """(K, H, E) strings: why ``t_hac``/``p_hac`` (and p/q for episodes) are empty, or "".

    An omitted t names its reasons ("t_hac omitted: fewer than 10 independent events; HAC
    lags (h-1 = 20) are 10% or more of the 150 days"). Each distinct text is made once and
    put in place: made cell by cell as fixed-width numpy strings they cost 5 s and 0.6 GB
    for a 20,000-variant sweep's 400,000 cells."""
    n_days = np.asarray(n_days)
    shape = n_days.shape
    lags = np.broadcast_to((np.asarray(horizons, dtype=np.int64) - 1)[None, :, None], shape)
    tested = np.broadcast_to(np.asarray(tested, dtype=bool)[None, None, :], shape)
    has = n_days > 0
    few = tested & has & (np.asarray(n_independent) < stats.MIN_HAC_INDEPENDENT)
    long_lags = tested & has & (lags >= stats.MAX_HAC_LAG_SHARE * n_days)
    out = np.full(shape, "", dtype=object)
    out[~tested & has] = DESCRIPTIVE_NOTE
    cut = few | long_lags
    if not cut.any():
        return out
    # the text depends on (few, long lags, and with long lags the lag and the days)
    f, g = few[cut], long_lags[cut]
    lag, days = lags[cut], n_days[cut]
    key = np.stack([f, g, np.where(g, lag, 0), np.where(g, days, 0)]).astype(np.float64)
    _, first, inverse = np.unique(key, axis=1, return_index=True, return_inverse=True)
    lag_s, days_s = lag[first].astype(str), days[first].astype(str)  # as numpy prints them
    few_text = f"fewer than {stats.MIN_HAC_INDEPENDENT} independent events"
    texts = []
    for j, i in enumerate(first):  # one per distinct text: a few hundred
        parts = ([few_text] if f[i] else []) + (
            [f"HAC lags (h-1 = {lag_s[j]}) are 10% or more of the {days_s[j]} days"]
            if g[i] else [])
        texts.append("t_hac omitted: " + "; ".join(parts))
    out[cut] = np.array(texts, dtype=object)[inverse.ravel()]
    return out


def _join(parts: list[np.ndarray]) -> np.ndarray:
    """Element-wise "; "-join of the non-empty strings of ``parts`` (object array)."""
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        glue = np.where((out != "") & (p != ""), "; ", "")
        out = np.char.add(np.char.add(out, glue), p)
    return out.astype(object)


def episode_flags(base_rate: np.ndarray, n_days: np.ndarray,
                  past_data_end: np.ndarray) -> np.ndarray:
    """(K, H, E) strings flagging rows whose comparison is meaningless or incomplete.

    A base rate of 0% or 100% leaves nothing to beat (or to trail); an episode whose last
    days have no complete forward window (the data ends first) counts fewer days than it
    spans. Empty string when nothing applies.
    """
    return _join([np.where((base_rate == 0) & (n_days > 0), "base rate 0%", ""),
                  np.where((base_rate == 1) & (n_days > 0), "base rate 100%", ""),
                  np.where(past_data_end, "windows run past the data end", "")])


def forward_returns(close: np.ndarray, horizons: np.ndarray,
                    bench_close: np.ndarray | None = None) -> np.ndarray:
    """(T, H) simple forward returns entered at the next close; NaN past the data's end."""
    fwd = _fwd(np.asarray(close, dtype=np.float64), horizons)
    if bench_close is not None:
        fwd = fwd - _fwd(np.asarray(bench_close, dtype=np.float64), horizons)
    return fwd


def _fwd(close: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    n = len(close)
    out = np.full((n, len(horizons)), np.nan)
    for j, h in enumerate(np.asarray(horizons, dtype=np.int64)):  # a handful of horizons
        if h < 1:
            raise ValueError(f"horizons must be >= 1 day, got {h}")
        if n > h + 1:
            with np.errstate(invalid="ignore", divide="ignore"):
                out[: n - 1 - h, j] = close[1 + h:] / close[1: n - h] - 1.0
    out[~np.isfinite(out)] = np.nan
    return out


def event_matrix(signals: np.ndarray, mode: str) -> np.ndarray:
    """(T, K) bool: rising edges of ``signal > 0`` (events mode) or every on day (state)."""
    sig = signal_values(signals)
    on = sig > 0
    if mode == "state":
        return on
    prev_off = np.zeros_like(on)
    prev_off[1:] = known_off(sig[:-1])  # False when yesterday had no data: no edge out of it
    return on & prev_off


def evaluate(
    close: np.ndarray,
    signals: np.ndarray,
    numeric: np.ndarray,
    horizons: np.ndarray,
    episodes: list[tuple[str, np.ndarray]],
    mode: str = "events",
    bench_close: np.ndarray | None = None,
    n_boot: int = 0,
    seed: int = 0,
    episode_tests: list[bool] | None = None,
) -> EvalResult:
    """Every metric for every variant x horizon x episode (see the module docstring).

    An episode mask is (T,) or (T, H): one mask per horizon (``clip = true`` episodes, whose
    days are only those with the whole forward window inside the episode). ``episode_tests``
    says which episodes get p, q and HAC t (default: only the first, the full sample)."""
    if mode not in ("events", "state"):
        raise ValueError(f"mode must be 'events' or 'state', got {mode!r}")
    sig = signal_values(signals)
    if sig.ndim != 2 or sig.shape[0] != len(close):
        raise ValueError(f"signals must be (T={len(close)}, K), got {sig.shape}")
    horizons = np.asarray(horizons, dtype=np.int64)
    fwd = forward_returns(close, horizons, bench_close)
    ep, pick = _expand_episodes([m for _, m in episodes], len(horizons), len(close))
    tests = (np.arange(len(episodes)) == 0 if episode_tests is None
             else np.asarray(episode_tests, dtype=bool))
    if tests.shape != (len(episodes),):
        raise ValueError(f"episode_tests must have {len(episodes)} entries, got {tests.shape}")
    raw = _evaluate_masks(sig, np.asarray(numeric, dtype=bool), fwd, ep, horizons, mode,
                          n_boot, seed)
    m = {name: np.take_along_axis(v, np.broadcast_to(pick[None], (v.shape[0], *pick.shape)),
                                  axis=2) for name, v in raw.items()}
    _apply_tests(m, horizons, tests)
    past_end = np.stack([ep[pick[j], len(close) - 1 - h:].any(axis=-1) if h < len(close)
                         else ep[pick[j]].any(axis=-1) for j, h in enumerate(horizons)])
    return EvalResult(metrics=m, horizons=horizons, episode_names=[n for n, _ in episodes],
                      episode_tests=[bool(t) for t in tests], past_data_end=past_end)


def compile_ahead(close: np.ndarray, signals: np.ndarray, numeric: np.ndarray,
                  horizons: np.ndarray, episodes: list[tuple[str, np.ndarray]],
                  mode: str = "events", bench_close: np.ndarray | None = None,
                  n_boot: int = 0, seed: int = 0) -> None:
    """``evaluate``'s kernels but the sparse one (the dense kernel on every column, then the
    bootstrap), called on ``signals`` as ``evaluate`` calls them, the results dropped: for
    ``engine.warmup``'s child, which compiles them while the parent compiles and runs the
    sparse kernel."""
    sig = signal_values(signals)
    horizons = np.asarray(horizons, dtype=np.int64)
    fwd = forward_returns(close, horizons, bench_close)
    ep, _ = _expand_episodes([m for _, m in episodes], len(horizons), len(close))
    _evaluate_masks(sig, np.asarray(numeric, dtype=bool), fwd, ep, horizons, mode, n_boot,
                    seed, sparse=False)


def _expand_episodes(masks: list[np.ndarray], n_h: int, n_t: int,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(E', T) distinct 1-d masks and the (H, E) index of the mask each horizon uses."""
    rows: list[np.ndarray] = []
    pick = np.zeros((n_h, len(masks)), dtype=np.int64)
    for e, mask in enumerate(masks):  # a handful of episodes
        m = np.asarray(mask, dtype=bool)
        if m.ndim == 1:
            pick[:, e] = len(rows)
            rows.append(m)
        elif m.shape == (n_t, n_h):
            pick[:, e] = len(rows) + np.arange(n_h)
            rows.extend(m.T)
        else:
            raise ValueError(f"episode mask must be ({n_t},) or ({n_t}, {n_h}), got {m.shape}")
    return np.ascontiguousarray(np.stack(rows)), pick


def _apply_tests(m: dict[str, np.ndarray], horizons: np.ndarray, tests: np.ndarray) -> None:
    """Blank p, HAC t where they mean nothing: untested episodes, few events, long lags."""
    usable = stats.hac_usable(m[M.N_INDEPENDENT], m[M.N_DAYS], (horizons - 1)[None, :, None])
    usable &= tests[None, None, :]
    m[M.T_HAC] = np.where(usable, m[M.T_HAC], np.nan)
    m[M.P_HAC] = np.where(usable, m[M.P_HAC], np.nan)
    m[M.P_VALUE] = np.where(tests[None, None, :], m[M.P_VALUE], np.nan)


def _evaluate_masks(sig, numeric, fwd, ep, horizons, mode, n_boot, seed,
                    sparse: bool = True) -> dict:
    """Every metric over (K, H, E') for 1-d episode masks ``ep`` (E', T); ``sparse=False``
    computes every column with the dense kernel (the same numbers: ``compile_ahead``)."""
    n_k, n_h, n_e = sig.shape[1], len(horizons), ep.shape[0]
    counts = np.zeros((n_k, n_h, n_e, 6), dtype=np.int64)
    sums = np.zeros((n_k, n_h, n_e, 2))
    median = np.full((n_k, n_h, n_e), np.nan)
    t_hac = np.full((n_k, n_h, n_e), np.nan)
    fwd_t = np.ascontiguousarray(fwd.T)
    dense_cols = np.arange(n_k)
    edges = None
    if mode == "events" and n_k and sparse:
        fallback = np.zeros(n_k, dtype=np.bool_)
        shared = kernels.shared_sums(fwd_t, ep, horizons)
        edges = kernels.sparse(sig, fwd_t, *shared, horizons, counts, sums, median, t_hac,
                               fallback)
        dense_cols = np.flatnonzero(fallback)
    if len(dense_cols):
        kernels.dense(sig, fwd_t, ep, horizons, mode == "state", dense_cols, counts, sums,
                      median, t_hac, work=sig.shape[0] * len(dense_cols) * n_h * n_e)
    m = _ratios(counts, sums)
    m[M.MEDIAN_FWD] = median
    m[M.T_HAC] = t_hac
    m[M.P_HAC] = stats.two_sided_normal_p(t_hac)
    ind_hits = counts[..., 5]
    m[M.P_VALUE] = stats.binomial_pvalue(ind_hits, m[M.N_INDEPENDENT], m[M.BASE_RATE])
    n_ind = m[M.N_INDEPENDENT]
    with np.errstate(invalid="ignore", divide="ignore"):
        m[M.HIT_RATE_INDEPENDENT] = np.where(n_ind > 0, ind_hits / np.maximum(n_ind, 1), np.nan)
    m[M.EDGE_INDEPENDENT] = m[M.HIT_RATE_INDEPENDENT] - m[M.BASE_RATE]
    m[M.CI_LOW], m[M.CI_HIGH] = stats.exact_binomial_ci(ind_hits, n_ind)
    few = n_ind < MIN_CI_EVENTS
    (m[M.BOOT_LOW], m[M.BOOT_HIGH]), (m[M.MEAN_LOW], m[M.MEAN_HIGH]) = _bootstrap_cis(
        sig, fwd, ep, horizons, mode, n_boot, seed, few, edges)
    m[M.IC] = _ic(sig, numeric, fwd, ep)
    return m


def _ratios(counts: np.ndarray, sums: np.ndarray) -> dict[str, np.ndarray]:
    n_days, n_events, hits, base_hits, n_ind = (counts[..., i] for i in range(5))
    with np.errstate(invalid="ignore", divide="ignore"):
        hit_rate = np.where(n_events > 0, hits / n_events, np.nan)
        base_rate = np.where(n_days > 0, base_hits / n_days, np.nan)
        return {
            M.N_DAYS: n_days, M.N_EVENTS: n_events, M.N_INDEPENDENT: n_ind,
            M.HIT_RATE: hit_rate, M.BASE_RATE: base_rate, M.EDGE: hit_rate - base_rate,
            M.MEAN_FWD: np.where(n_events > 0, sums[..., 0] / n_events, np.nan),
            M.BASE_MEAN_FWD: np.where(n_days > 0, sums[..., 1] / n_days, np.nan),
        }


def _valid(sig: np.ndarray, fwd_col: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.isfinite(sig) & (np.isfinite(fwd_col) & mask)[:, None]


def _bootstrap_cis(sig, fwd, ep, horizons, mode, n_boot, seed, skip, edges=None):
    """Block-bootstrap CIs of the hit rate and of the mean forward return per variant x
    horizon x episode: ((low, high), (low, high)), NaN when off.

    From each variant's event list (``engine.bootstrap``): the same intervals as
    ``stats.block_bootstrap_ci`` on the dense event indicator with hits (or forward returns)
    as weights (block = h), whose resampled histories are drawn once per horizon and shared by
    every variant, episode and both statistics. Cells in ``skip`` (K, H, E) are left NaN
    without being computed. ``edges`` are the (pointers, days) of the rising edges when the
    sparse kernel already found them.
    """
    n_k, n_e = sig.shape[1], ep.shape[0]
    shape = (n_k, len(horizons), n_e)
    out = [np.full(shape, np.nan) for _ in range(4)]
    if not n_boot or n_k == 0:
        return (out[0], out[1]), (out[2], out[3])
    ev_ptr, ev_t = edges if edges is not None else _event_lists(sig, mode)
    ev_t = ev_t.astype(np.int32, copy=False)  # as the sparse kernel's: one compiled ratio_ci
    for j, h in enumerate(horizons):
        if skip[:, j].all():
            continue
        ok = np.isfinite(fwd[:, j])
        counts = bootstrap.replicate_counts(sig.shape[0], int(h), n_boot, seed,
                                            need=ok & ep.any(axis=0))
        weights = np.stack([(fwd[:, j] > 0).astype(np.float64), np.where(ok, fwd[:, j], 0.0)])
        low, high = bootstrap.event_ratio_ci(counts, ev_ptr, ev_t, weights, ok, ep, skip[:, j])
        out[0][:, j], out[1][:, j] = low[0], high[0]  # hit rate
        out[2][:, j], out[3][:, j] = low[1], high[1]  # mean forward return
    return (out[0], out[1]), (out[2], out[3])


def _event_lists(sig: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """CSR (pointers (K+1,), days) of every variant's events, in date order.

    Infinite values are no data, as in the kernels: no event on them or right after them.
    """
    n_k = sig.shape[1]
    counts, days = np.zeros(n_k, dtype=np.int64), []
    for a in range(0, n_k, _CHUNK):  # bounds the (T, chunk) boolean temporaries
        part = sig[:, a:a + _CHUNK]
        ev = event_matrix(part, mode) & has_data(part)
        if mode == "events":
            ev[1:] &= has_data(part[:-1])
        k, t = np.nonzero(ev.T)
        counts[a:a + _CHUNK] = np.bincount(k, minlength=min(_CHUNK, n_k - a))
        days.append(t)
    ptr = np.zeros(n_k + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, np.concatenate(days) if days else np.zeros(0, dtype=np.int64)


def _ic(sig, numeric, fwd, ep):
    """Spearman IC of numeric signals' values against forward returns (NaN for boolean ones)."""
    out = np.full((sig.shape[1], fwd.shape[1], ep.shape[0]), np.nan)
    cols = np.flatnonzero(numeric)
    if len(cols) == 0:
        return out
    part = sig[:, cols]
    for j in range(fwd.shape[1]):
        for e in range(ep.shape[0]):
            x = np.where(_valid(part, fwd[:, j], ep[e]), part, np.nan)
            out[cols, j, e] = stats.spearman_ic(x, fwd[:, j])
    return out


# ----------------------------------------------------------------------------- event lists


def events_in(signals: np.ndarray, mode: str, mask: np.ndarray | None) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """(t, k) of every event on a day inside ``mask``, in date order within each variant
    (``event_matrix``'s events; two compiled passes, ``kernels.event_days``). A run finds them
    once for its event table and its event paths (``at=``)."""
    sig = signal_values(signals)
    keep = (np.ones(sig.shape[0], dtype=np.bool_) if mask is None
            else np.ascontiguousarray(mask, dtype=np.bool_))
    if sig.ndim != 2 or keep.shape != (sig.shape[0],):  # the kernel reads mask[t] unchecked
        raise ValueError(f"mask must be ({sig.shape[0]},) for signals {sig.shape}, "
                         f"got {keep.shape}")
    if sig.shape[1] == 0 or sig.shape[0] == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    return kernels.event_days(sig, keep, mode == "state")


def event_table(
    dates: pd.DatetimeIndex, signals: np.ndarray, numeric: np.ndarray, horizons: np.ndarray,
    mode: str, close: np.ndarray, bench_close: np.ndarray | None = None,
    mask: np.ndarray | None = None, lead: np.ndarray | None = None,
    at: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Every event with its entry date and forward return per horizon (rows with a return).

    ``date`` is the day the signal turned on (the event), ``entry_date`` the close the
    forward return starts from. ``lead`` (K,) says how many rows a column was moved earlier
    for its entry (``signals.matrix.entry_lead``: calendar windows are known in advance and
    enter at the close before the window): its ``date`` is then the window's first day, ``lead``
    rows after the matrix row, while ``entry_date`` stays the close the return starts from.
    ``at``: the events' (t, k) when already found (``events_in`` of the same signals and mask).
    """
    del numeric  # events of numeric signals are rising edges of value > 0, like boolean ones
    horizons = np.asarray(horizons, dtype=np.int64)
    fwd = forward_returns(close, horizons, bench_close)
    t, k = at if at is not None else events_in(signal_values(signals), mode, mask)
    n_h = len(horizons)
    ret = fwd[t].reshape(-1)
    tt, kk = np.repeat(t, n_h), np.repeat(k, n_h)
    hd = np.tile(horizons, len(t))
    keep = np.isfinite(ret)
    tt, kk, hd, ret = tt[keep], kk[keep], hd[keep], ret[keep]
    idx = pd.DatetimeIndex(dates)
    shift = 0 if lead is None else np.asarray(lead, dtype=np.int64)[kk]
    day = np.minimum(tt + shift, len(idx) - 1)
    return pd.DataFrame({
        "k": kk.astype(np.int64), "date": idx[day], "entry_date": idx[tt + 1],
        "horizon_days": hd, "fwd_return": ret, "hit": ret > 0,
    })


def event_paths(
    close: np.ndarray, signals: np.ndarray, numeric: np.ndarray, max_days: int, mode: str,
    bench_close: np.ndarray | None = None, mask: np.ndarray | None = None,
    at: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event study: mean, std and count of the cumulative return d = 0..max_days bars after
    entry (next close), per variant: three (K, max_days + 1) arrays. ``at`` as in
    ``event_table``."""
    del numeric
    sig = signal_values(signals)
    n_k, d = sig.shape[1], int(max_days) + 1
    t, k = at if at is not None else events_in(sig, mode, mask)
    ptr = np.zeros(n_k + 1, dtype=np.int64)
    np.cumsum(np.bincount(k, minlength=n_k), out=ptr[1:])
    count = np.zeros((n_k, d))
    total = np.zeros((n_k, d))
    squares = np.zeros((n_k, d))
    bench = None if bench_close is None else np.asarray(bench_close, dtype=np.float64)
    kernels.path_sums(np.asarray(close, dtype=np.float64), bench, ptr, t.astype(np.int64), d,
                      count, total, squares, work=len(t) * d)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        var = np.where(count > 1, (squares - count * mean * mean) / (count - 1), np.nan)
    return mean, np.sqrt(np.maximum(var, 0.0)), count.astype(np.int64)
