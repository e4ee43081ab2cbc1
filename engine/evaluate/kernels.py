"""Compiled kernels behind ``engine.evaluate.core`` (numba; the contract is in its docstring).

Each loop is written once, as plain Python (``dense_python``, ``count_edges_python``, ...),
and the compiled kernels are made from that body (``dense = Kernel(dense_python)``: a
parallel and a serial compilation, ``engine.jit``), as
``arch.univariate.recursions_python`` does; the helpers they call are ``register_jitable``
(plain Python when called from Python, compiled inline when called from a kernel). So the
Python twin is the kernel's source, importable, covered and compared with the compiled one
(``tests/test_kernel_twins.py``); each docstring names the pandas (or statsmodels)
computation it equals, and ``engine.evaluate.reference`` is the slow pandas version itself.

Two ways to the same numbers:

* ``dense`` walks every day of every variant for each horizon and episode: simple, works for
  any signal, and is the reference the sparse kernel is tested against.
* ``sparse`` (events mode) reads the signal matrix once, row block by row block, and keeps
  only each variant's rising edges and the span where it has data. Everything that sums over
  valid days (counts, base rate, the Newey-West long-run variance) then comes from prefix
  sums shared by all variants, and only the events are visited per variant. Persistent
  signals have few edges, so the work per variant drops from O(T) to O(events + lags) and
  the whole job approaches one streaming read of the matrix.

Columns the sparse path cannot take (data with holes in the middle, or so many events that
the event-pair sum would cost more than a dense pass) are flagged and handed to ``dense``.
"""

from __future__ import annotations

import numpy as np
from numba import prange, types
from numba.extending import overload, register_jitable

from engine.evaluate import order_stats
from engine.jit import Kernel
from engine.signal_dtype import NODATA

# _hac_t_sparse: a long-run variance below CANCEL x the size of the terms it is summed from
# has lost more than ~6 of its 16 digits to rounding; it is recomputed as dense sums it
CANCEL = 1e-6


def not_nodata(x) -> bool:
    """False only on an int8 signal's ``NODATA`` (``engine.signal_dtype``); True for every
    float (NaN is told apart by ``_has``, as always). Python here; in a kernel the overload
    below compiles it per element type, so float matrices pay nothing."""
    return not (isinstance(x, np.integer | int) and x == NODATA)


@overload(not_nodata)
def _not_nodata_compiled(x):
    if isinstance(x, types.Integer):
        return lambda x: x != -128
    return lambda x: True


@register_jitable(inline="always")
def _has(x) -> bool:
    """A signal value is data: finite (x - x == 0 is false for NaN and infinities) and not
    ``NODATA``."""
    return (x - x == 0.0) & not_nodata(x)


def dense_python(sig, fwd, ep, horizons, state, cols, counts, sums, median, t_hac):
    """One pass per column over its valid days for each horizon and episode.

    pandas: ``engine.evaluate.reference.naive_metrics`` per column (forward returns
    ``close.shift(-(1 + h)) / close.shift(-1) - 1`` on the valid days, grouped by event),
    and for ``t_hac`` statsmodels ``OLS(y, [1, event]).fit(cov_type="HAC",
    cov_kwds={"maxlags": h - 1})`` with dropped days kept in place (``stats.newey_west_tstat``).
    ``cols`` selects the columns of ``sig`` (T, K) to evaluate; outputs are indexed the same.
    counts[k, h, e] = (n_days, n_events, hits, base_hits, n_independent, independent hits);
    sums[k, h, e] = (sum of event returns, sum of all valid returns).
    """
    n_t = sig.shape[0]
    n_h, n_e = fwd.shape[0], ep.shape[0]
    for i in prange(len(cols)):
        k = cols[i]
        s = np.empty(n_t)
        for t in range(n_t):  # one strided read of the column into a contiguous buffer
            x = sig[t, k]
            s[t] = x if not_nodata(x) else np.nan
        has = np.isfinite(s)
        event = np.zeros(n_t, dtype=np.bool_)
        for t in range(n_t):
            if has[t] and s[t] > 0:
                event[t] = state or (t > 0 and has[t - 1] and s[t - 1] <= 0)
        buf = np.empty(n_t)
        u = np.empty(n_t)
        for j in range(n_h):
            y = fwd[j]
            h = horizons[j]
            for e in range(n_e):
                mask = ep[e]
                nd = ne = hits = bhits = nind = ihits = 0
                s_ev = s_all = 0.0
                last = -(1 << 62)
                for t in range(n_t):
                    if not (mask[t] and has[t] and np.isfinite(y[t])):
                        continue
                    nd += 1
                    s_all += y[t]
                    up = y[t] > 0
                    if up:
                        bhits += 1
                    if event[t]:
                        buf[ne] = y[t]
                        ne += 1
                        s_ev += y[t]
                        if up:
                            hits += 1
                        if t - last >= h:
                            nind += 1
                            last = t
                            if up:
                                ihits += 1
                c = counts[k, j, e]
                c[0], c[1], c[2], c[3], c[4], c[5] = nd, ne, hits, bhits, nind, ihits
                sums[k, j, e, 0] = s_ev
                sums[k, j, e, 1] = s_all
                if ne > 0:
                    median[k, j, e] = order_stats.median(buf[:ne])
                if nd >= 3 and 0 < ne < nd:
                    t_hac[k, j, e] = _hac_t_dense(y, event, has, mask, nd, ne, s_ev, s_all,
                                                  h - 1, u)


dense = Kernel(dense_python)


@register_jitable
def _hac_t_dense(y, event, has, mask, nd, ne, s_ev, s_all, lags, u):
    """Newey-West t of b in y = a + b * event over valid days (stats.newey_west_tstat with the
    0/1 regressor's moments in closed form). Invalid days contribute a zero score but keep
    their place in time, so lag l is always l rows apart."""
    n_t = len(y)
    xbar = ne / nd
    ybar = s_all / nd
    slope = s_ev / ne - (s_all - s_ev) / (nd - ne)
    sxx = ne * (1.0 - xbar)
    for t in range(n_t):
        if mask[t] and has[t] and np.isfinite(y[t]):
            dx = (1.0 if event[t] else 0.0) - xbar
            u[t] = dx * ((y[t] - ybar) - slope * dx)
        else:
            u[t] = 0.0
    window = 0.0
    lrv = 0.0
    for t in range(n_t + lags):
        if t < n_t:
            window += u[t]
        old = t - lags - 1
        if old >= 0:
            window -= u[old]
        lrv += window * window
    return _t_from(slope, lrv, lags, sxx)


@register_jitable(inline="always")
def _t_from(slope, lrv, lags, sxx):
    if lrv <= 0:
        return np.nan
    return slope / np.sqrt(lrv / (lags + 1.0) / (sxx * sxx))


# --------------------------------------------------------------------------- sparse path


def shared_sums(fwd: np.ndarray, ep: np.ndarray, horizons: np.ndarray) -> tuple:
    """Prefix sums over days shared by every variant, per horizon and episode.

    v = day has a forward return and is in the episode. P* are prefix sums over days of
    v, v*y and v*(y > 0) (length T+1). For the Newey-West sum, SV/SY are the sums of v and
    v*y over the h days ending at j (j = 0 .. T+h-2, zero padded past the data), and Q* are
    prefix sums over j of SV^2, SV*SY, SY^2, SV and SY.
    """
    n_h, n_t = fwd.shape
    n_e = ep.shape[0]
    width = n_t + int(horizons.max()) + 1
    valid = np.isfinite(fwd)[:, None, :] & ep[None, :, :]  # (H, E, T)
    y = np.where(valid, fwd[:, None, :], 0.0)
    pv = np.zeros((n_h, n_e, n_t + 1))
    py, pu = np.zeros_like(pv), np.zeros_like(pv)
    pv[..., 1:] = np.cumsum(valid, axis=-1)
    py[..., 1:] = np.cumsum(y, axis=-1)
    pu[..., 1:] = np.cumsum(valid & (y > 0), axis=-1)
    q = np.zeros((5, n_h, n_e, width + 1))
    j = np.arange(width)
    for i, h in enumerate(horizons):  # a handful of horizons
        hi = np.minimum(j, n_t - 1) + 1
        lo = np.clip(j - (h - 1), 0, n_t)
        sv = np.where(hi > lo, pv[i][:, hi] - pv[i][:, lo], 0.0)
        sy = np.where(hi > lo, py[i][:, hi] - py[i][:, lo], 0.0)
        for n, term in enumerate((sv * sv, sv * sy, sy * sy, sv, sy)):
            q[n, i, :, 1:] = np.cumsum(term, axis=-1)
    return valid, pv, py, pu, q


def sparse(sig, fwd, valid, pv, py, pu, q, horizons, counts, sums, median, t_hac,
           fallback, python: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Events-mode metrics from each column's rising edges and data span (see module doc).

    Sets ``fallback[k]`` (and leaves that column's outputs alone) when the column's data has
    holes or its events are too dense for the pair sum to pay off. Returns every column's
    rising edges as CSR (pointers (K+1,), days), fallback columns included. ``python``: run
    the plain-Python twins of the three loops (tests; same numbers, far slower).
    """
    count, write, per_column = ((count_edges_python, write_edges_python, sparse_columns_python)
                                if python else (k.pick(sig.size) for k in
                                                (count_edges, write_edges, sparse_columns)))
    n_t = sig.shape[0]
    n_chunks = max(1, min(64, n_t // 64))
    ev_cnt, tr_cnt = count(sig, n_chunks)
    ev_ptr, ev_off = _offsets(ev_cnt)
    tr_ptr, tr_off = _offsets(tr_cnt)
    ev_t = np.empty(ev_ptr[-1], dtype=np.int32)
    tr_t = np.empty(tr_ptr[-1], dtype=np.int64)
    write(sig, n_chunks, ev_off, tr_off, ev_t, tr_t)
    per_column(ev_ptr, ev_t, tr_ptr, tr_t, n_t, fwd, valid, pv, py, pu, q, horizons, counts,
               sums, median, t_hac, fallback)
    return ev_ptr, ev_t


def _offsets(cnt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR pointers per column, and where each (row chunk, column) starts writing."""
    per_col = cnt.sum(axis=0)
    ptr = np.zeros(cnt.shape[1] + 1, dtype=np.int64)
    np.cumsum(per_col, out=ptr[1:])
    before = np.cumsum(cnt, axis=0) - cnt  # earlier chunks come first: times stay sorted
    return ptr, ptr[:-1][None, :] + before


@register_jitable(inline="always")
def _edge(x, p):
    """0: nothing; 1: rising edge (on, known and off yesterday); 2: data starts; 3: data stops.

    "Data" means finite and not ``NODATA`` (``_has``), as in ``dense``."""
    fx = _has(x)
    fp = _has(p)
    if fx and fp and x > 0 and p <= 0:
        return 1
    if fx != fp:
        return 2 if fx else 3
    return 0


def count_edges_python(sig, n_chunks):
    """Pass 1, parallel over row chunks, rows read contiguously: edges per chunk and column.

    pandas, per column with ``s = col.where(np.isfinite(col))``: rising edges
    ``(s.gt(0) & s.shift().le(0)).sum()``, data starts/stops
    ``s.notna().astype(int).diff().fillna(s.notna().iloc[0]).ne(0).sum()``, per row chunk."""
    n_t, n_k = sig.shape
    step = (n_t + n_chunks - 1) // n_chunks
    ev = np.zeros((n_chunks, n_k), dtype=np.int64)
    tr = np.zeros((n_chunks, n_k), dtype=np.int64)
    for ch in prange(n_chunks):
        ev_c, tr_c = ev[ch], tr[ch]
        for t in range(ch * step, min(n_t, (ch + 1) * step)):
            for k in range(n_k):
                x = sig[t, k]
                code = _edge(x, sig[t - 1, k]) if t > 0 else (2 if _has(x) else 0)
                if code == 1:
                    ev_c[k] += 1
                elif code > 1:
                    tr_c[k] += 1
    return ev, tr


count_edges = Kernel(count_edges_python)


def write_edges_python(sig, n_chunks, ev_off, tr_off, ev_t, tr_t):
    """Pass 2: the edges' days, column by column in time order (CSR).

    pandas: ``np.flatnonzero`` of the two masks of ``count_edges`` per column; column k's
    edges are ``ev_t[ev_ptr[k]:ev_ptr[k + 1]]``, its transitions 2t (start) / 2t + 1 (stop)."""
    n_t, n_k = sig.shape
    step = (n_t + n_chunks - 1) // n_chunks
    for ch in prange(n_chunks):
        ev_pos, tr_pos = ev_off[ch].copy(), tr_off[ch].copy()
        for t in range(ch * step, min(n_t, (ch + 1) * step)):
            for k in range(n_k):
                x = sig[t, k]
                code = _edge(x, sig[t - 1, k]) if t > 0 else (2 if _has(x) else 0)
                if code == 1:
                    ev_t[ev_pos[k]] = t
                    ev_pos[k] += 1
                elif code > 1:
                    tr_t[tr_pos[k]] = 2 * t + (code - 2)
                    tr_pos[k] += 1


write_edges = Kernel(write_edges_python)


@register_jitable(inline="always")
def _is_event(sig, t, k, state):
    """``core.event_matrix``'s test: on (> 0), and in events mode off (<= 0) the day before;
    NaN and ``NODATA`` are neither (infinities compare as numbers, as there)."""
    if not sig[t, k] > 0:
        return False
    if state:
        return True
    return t > 0 and sig[t - 1, k] <= 0 and not_nodata(sig[t - 1, k])


def count_events_python(sig, mask, state, n_chunks):
    """Events per (row chunk, column) on ``mask`` days, rows read contiguously.

    numpy: ``(core.event_matrix(sig, mode) & mask[:, None])`` summed per row chunk."""
    n_t, n_k = sig.shape
    step = (n_t + n_chunks - 1) // n_chunks
    cnt = np.zeros((n_chunks, n_k), dtype=np.int64)
    for ch in prange(n_chunks):
        c = cnt[ch]
        for t in range(ch * step, min(n_t, (ch + 1) * step)):
            if mask[t]:
                for k in range(n_k):
                    if _is_event(sig, t, k, state):
                        c[k] += 1
    return cnt


count_events = Kernel(count_events_python)


def write_events_python(sig, mask, state, n_chunks, off, out_t):
    """The days of ``count_events``' events, column by column in time order (CSR).

    numpy: ``np.nonzero((event_matrix(sig, mode) & mask[:, None]).T)[1]``."""
    n_t, n_k = sig.shape
    step = (n_t + n_chunks - 1) // n_chunks
    for ch in prange(n_chunks):
        pos = off[ch].copy()
        for t in range(ch * step, min(n_t, (ch + 1) * step)):
            if mask[t]:
                for k in range(n_k):
                    if _is_event(sig, t, k, state):
                        out_t[pos[k]] = t
                        pos[k] += 1


write_events = Kernel(write_events_python)


def event_days(sig, mask, state: bool, python: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(t, k) of every event on a ``mask`` day, ordered by column then day (as
    ``np.nonzero(events.T)``), in two streaming passes over the matrix and no (T, K)
    temporaries. ``python``: the plain-Python twins (tests)."""
    count, write = ((count_events_python, write_events_python) if python
                    else (k.pick(sig.size) for k in (count_events, write_events)))
    n_chunks = max(1, min(64, sig.shape[0] // 64))
    cnt = count(sig, mask, state, n_chunks)
    ptr, off = _offsets(cnt)
    t = np.empty(ptr[-1], dtype=np.intp)
    write(sig, mask, state, n_chunks, off, t)
    k = np.repeat(np.arange(sig.shape[1], dtype=np.intp), np.diff(ptr))
    return t, k


def sparse_columns_python(ev_ptr, ev_t, tr_ptr, tr_t, n_t, fwd, valid, pv, py, pu, q, horizons,
                          counts, sums, median, t_hac, fallback):
    """Per column: its data span from the transitions, then the statistics from its edges.

    pandas: the numbers of ``dense`` (``reference.naive_metrics``, statsmodels HAC t) for a
    column whose data is one unbroken span; other columns are flagged in ``fallback``."""
    n_k = len(ev_ptr) - 1
    max_h = 0
    for h in horizons:  # not horizons.max(): numba's array max compiles for 0.6 s
        max_h = max(max_h, h)
    for k in prange(n_k):
        trs = tr_t[tr_ptr[k]:tr_ptr[k + 1]]
        if len(trs) == 0:
            continue  # no data at all: every count stays 0
        ne_all = ev_ptr[k + 1] - ev_ptr[k]
        starts_once = trs[0] % 2 == 0 and (len(trs) == 1 or (len(trs) == 2 and trs[1] % 2))
        # event pairs within the lag window cost ~ ne^2 * h / T: beyond ~16 T, dense is cheaper
        if not starts_once or ne_all * ne_all * max_h > 16 * n_t * n_t:
            fallback[k] = True
            continue
        t0 = trs[0] // 2
        t1 = trs[1] // 2 - 1 if len(trs) == 2 else n_t - 1
        buf = np.empty(ne_all)
        d = np.empty(ne_all)
        evs = np.empty(ne_all, dtype=np.int64)
        _sparse_column(ev_t[ev_ptr[k]:ev_ptr[k + 1]], t0, t1, fwd, valid, pv, py, pu, q,
                       horizons, counts[k], sums[k], median[k], t_hac[k], buf, d, evs)


sparse_columns = Kernel(sparse_columns_python)


@register_jitable
def _sparse_column(events, t0, t1, fwd, valid, pv, py, pu, q, horizons, counts, sums, median,
                   t_hac, buf, d, evs):
    n_h, n_e = valid.shape[0], valid.shape[1]
    for j in range(n_h):
        y = fwd[j]
        h = horizons[j]
        for e in range(n_e):
            v = valid[j, e]
            nd = pv[j, e, t1 + 1] - pv[j, e, t0]
            s_all = py[j, e, t1 + 1] - py[j, e, t0]
            bhits = pu[j, e, t1 + 1] - pu[j, e, t0]
            ne = hits = nind = ihits = 0
            s_ev = 0.0
            prev = -(1 << 62)
            for t in events:
                if not v[t]:
                    continue
                buf[ne] = y[t]
                evs[ne] = t
                ne += 1
                s_ev += y[t]
                up = y[t] > 0
                if up:
                    hits += 1
                if t >= prev + h:  # not t - prev: events are int32 in the Python twin
                    nind += 1
                    prev = t
                    if up:
                        ihits += 1
            c = counts[j, e]
            c[0], c[1], c[2], c[3], c[4], c[5] = int(nd), ne, hits, int(bhits), nind, ihits
            sums[j, e, 0] = s_ev
            sums[j, e, 1] = s_all
            if ne > 0:
                median[j, e] = order_stats.median(buf[:ne])
            if nd >= 3 and 0 < ne < nd:
                t_hac[j, e] = _hac_t_sparse(evs[:ne], y, t0, t1, nd, ne, s_ev, s_all, h - 1,
                                            pv[j, e], py[j, e], q[:, j, e], d)
                if np.isnan(t_hac[j, e]):  # cancelled (see _hac_t_sparse): the dense sum
                    t_hac[j, e] = _hac_t_direct(evs[:ne], y, v, t0, t1, nd, ne, s_ev, h - 1)


@register_jitable
def _window(p, jj, lags, t0, t1):
    """Sum over the days in [jj - lags, jj] ∩ [t0, t1] of the series whose prefix sum is p."""
    lo = max(jj - lags, t0)
    hi = min(jj, t1)
    return p[hi + 1] - p[lo] if hi >= lo else 0.0


@register_jitable
def _direct_a(lo, hi, skip_lo, skip_hi, xbar, c0, lags, t0, t1, pv, py, squared):
    """Sum (or sum of squares) of A_j = -xbar * SY_j + c0 * SV_j for j in [lo, hi] outside
    [skip_lo, skip_hi] (the part already taken from the shared prefix sums)."""
    total = 0.0
    if skip_lo <= skip_hi:
        a_hi, b_lo = min(hi, skip_lo - 1), max(lo, skip_hi + 1)
    else:
        a_hi, b_lo = hi, hi + 1
    for jj in range(lo, a_hi + 1):
        a = -xbar * _window(py, jj, lags, t0, t1) + c0 * _window(pv, jj, lags, t0, t1)
        total += a * a if squared else a
    for jj in range(b_lo, hi + 1):
        a = -xbar * _window(py, jj, lags, t0, t1) + c0 * _window(pv, jj, lags, t0, t1)
        total += a * a if squared else a
    return total


@register_jitable
def _hac_t_sparse(evs, y, t0, t1, nd, ne, s_ev, s_all, lags, pv, py, q, d):
    """The dense Newey-West t from prefix sums: with W_j = A_j + B_j (non-event scores, event
    corrections), sum_j W_j^2 = sum A^2 + 2 sum A B + sum B^2 where A_j is linear in the
    windowed sums of v and v*y (shared prefix sums where the window lies inside the column's
    data span [t0, t1], direct sums near its edges) and B is non-zero only after events.

    The three sums and the prefix-sum differences inside them can be far larger than the
    long-run variance they add up to (a near-perfect fit: few valid days, lags longer than
    the data), and their rounding (~1e-16 of their size) is then no longer small next to it.
    ``scale`` adds up the magnitudes involved; when the variance is below ``CANCEL`` times
    that scale this returns NaN and the caller takes ``_hac_t_direct`` (dense's own sum)."""
    xbar = ne / nd
    ybar = s_all / nd
    slope = s_ev / ne - (s_all - s_ev) / (nd - ne)
    sxx = ne * (1.0 - xbar)
    c0 = xbar * ybar - slope * xbar * xbar  # non-event score: -xbar * y + c0
    for i in range(ne):
        yt = y[evs[i]]
        d[i] = (1.0 - xbar) * (yt - ybar - slope * (1.0 - xbar)) - (c0 - xbar * yt)
    # windows fully inside the data span; past the last day the shared sums are clipped at
    # the data end too, so a span that reaches it covers the tail as well
    f_lo, f_hi = t0 + lags, (t1 if t1 < len(y) - 1 else t1 + lags)
    a2 = 0.0
    scale = 0.0
    if f_lo <= f_hi:
        a2 = (xbar * xbar * (q[2, f_hi + 1] - q[2, f_lo])
              - 2.0 * xbar * c0 * (q[1, f_hi + 1] - q[1, f_lo])
              + c0 * c0 * (q[0, f_hi + 1] - q[0, f_lo]))
        scale += (xbar * xbar * (abs(q[2, f_hi + 1]) + abs(q[2, f_lo]))
                  + 2.0 * abs(xbar * c0) * (abs(q[1, f_hi + 1]) + abs(q[1, f_lo]))
                  + c0 * c0 * (abs(q[0, f_hi + 1]) + abs(q[0, f_lo])))
    direct = _direct_a(t0, t1 + lags, f_lo, f_hi, xbar, c0, lags, t0, t1, pv, py, True)
    a2 += direct
    scale += direct  # a sum of squares
    ab = 0.0
    for i in range(ne):
        lo, hi = evs[i], evs[i] + lags
        s = 0.0
        size = 0.0
        m_lo, m_hi = max(lo, f_lo), min(hi, f_hi)
        if m_lo <= m_hi:
            s += -xbar * (q[4, m_hi + 1] - q[4, m_lo]) + c0 * (q[3, m_hi + 1] - q[3, m_lo])
            size += (abs(xbar) * (abs(q[4, m_hi + 1]) + abs(q[4, m_lo]))
                     + abs(c0) * (abs(q[3, m_hi + 1]) + abs(q[3, m_lo])))
        s += _direct_a(lo, hi, m_lo, m_hi, xbar, c0, lags, t0, t1, pv, py, False)
        ab += d[i] * s
        scale += 2.0 * abs(d[i]) * (size + abs(s))
    b2 = 0.0
    for i in range(ne):
        b2 += d[i] * d[i] * (lags + 1.0)
        scale += d[i] * d[i] * (lags + 1.0)
        for m in range(i + 1, ne):
            gap = evs[m] - evs[i]
            if gap > lags:
                break
            b2 += 2.0 * d[i] * d[m] * (lags + 1.0 - gap)
            scale += 2.0 * abs(d[i] * d[m]) * (lags + 1.0 - gap)
    lrv = a2 + 2.0 * ab + b2
    if lrv < CANCEL * scale:
        return np.nan
    return _t_from(slope, lrv, lags, sxx)


@register_jitable
def _hac_t_direct(evs, y, v, t0, t1, nd, ne, s_ev, lags):
    """``_hac_t_dense`` for one sparse column (data on [t0, t1], events ``evs`` on valid days
    ``v``): the same sums in the same order, so the same number, at O(T + lags) for a cell."""
    n_t = len(y)
    s_all = 0.0
    for t in range(t0, t1 + 1):
        if v[t]:
            s_all += y[t]
    xbar = ne / nd
    ybar = s_all / nd
    slope = s_ev / ne - (s_all - s_ev) / (nd - ne)
    sxx = ne * (1.0 - xbar)
    window = 0.0
    lrv = 0.0
    i_new = i_old = 0
    for t in range(n_t + lags):
        if t < n_t:
            window += _score_at(t, evs, y, v, t0, t1, xbar, ybar, slope, i_new)
            while i_new < ne and evs[i_new] <= t:
                i_new += 1
        old = t - lags - 1
        if old >= 0:
            window -= _score_at(old, evs, y, v, t0, t1, xbar, ybar, slope, i_old)
            while i_old < ne and evs[i_old] <= old:
                i_old += 1
        lrv += window * window
    return _t_from(slope, lrv, lags, sxx)


@register_jitable
def _score_at(t, evs, y, v, t0, t1, xbar, ybar, slope, i):
    """Day t's score (dense's ``u[t]``); ``evs[i]`` is the first event on or after t."""
    if t < t0 or t > t1 or not v[t]:
        return 0.0
    dx = (1.0 if i < len(evs) and evs[i] == t else 0.0) - xbar
    return dx * ((y[t] - ybar) - slope * dx)


def path_sums_python(close, bench, ptr, ev_t, n_steps, count, total, squares):
    """Event-study sums per variant k and step d, events ``ev_t[ptr[k]:ptr[k + 1]]``.

    The path of an event on day t is ``close[t+1+d] / close[t+1] - 1`` (minus the same for
    ``bench`` when given), NaN past the data or where not finite; count/total/squares add
    its finite values in event order (what ``np.add.at`` over the event rows did, without
    the (events x steps) temporaries). pandas, for step d:
    ``p = close.shift(-(1 + d)) / close.shift(-1) - 1``, then ``p.iloc[events]`` ``.count()``,
    ``.sum()`` and ``(p ** 2).sum()``.
    """
    n = len(close)
    for k in prange(len(ptr) - 1):
        for i in range(ptr[k], ptr[k + 1]):
            entry = ev_t[i] + 1
            if entry >= n:
                continue
            base = close[entry]
            base_b = bench[entry] if bench is not None else 0.0
            for step in range(min(n_steps, n - entry)):
                v = close[entry + step] / base - 1.0
                if bench is not None:
                    v = v - (bench[entry + step] / base_b - 1.0)
                if v - v == 0.0:  # finite
                    count[k, step] += 1.0
                    total[k, step] += v
                    squares[k, step] += v * v


path_sums = Kernel(path_sums_python, error_model="numpy")
