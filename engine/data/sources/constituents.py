"""S&P 500 breadth from constituent prices, masked by point-in-time index membership.

Inputs: the membership spells (``ticker,start_date,end_date``; empty end = still a member)
and one or more folders of per-ticker daily price files (``<TICKER>.csv[.gz]``) in priority
order. Why each rule:

* **Splice on returns, never levels.** Folders hold different adjustment vintages (adjusted
  vs raw closes differ by the dividends paid since); each folder yields daily returns, the
  first folder with a return for a day supplies it, and the ticker's level is the chained
  product. ``Adj Close`` is used when a file has it, else ``Close``.
* **Membership mask.** A stock counts on day t only inside one of its membership spells,
  so breadth is "share of the members of that date", not of today's members.
* **Re-used tickers.** A file holds the history of the company that has the ticker now; an
  earlier spell of the same ticker is credited to the file only if the file has a price
  within ``REUSE_GRACE_DAYS`` of that spell's start (a recycled ticker's new company starts
  trading later and fails this). ``BRK.B`` and ``BRK-B`` are the same ticker (``.`` -> ``-``).
* **Nothing silently filled.** Gaps inside a file, suspected splits (a one-day return <=
  ``SPLIT_RETURN``, which adjusted closes should never show) and membership spells without
  prices are counted in the build summary. A suspected split is not a price move: that day
  counts neither as an advance nor a decline and adds nothing to the chained level.

The computation is one T x N matrix per statistic (numpy / pandas rolling): no loop over
tickers or dates; only reading the files loops over files.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from engine.data.sources.csvfile import read_table
from engine.errors import DataError

REUSE_GRACE_DAYS = 7
SPLIT_RETURN = -0.45
MIN_COUNTED = 20  # fewer members with prices than this: no breadth reading that day
MIN_FILES_PER_DATE = 20  # a date present in fewer files is a stray row, not a session
ADVANCE_DAYS = (1, 5, 21, 63)
MA_WINDOWS = (50, 200)
HIGH_LOW_DAYS = 252
ZWEIG_SPAN = 10

COLUMNS = ("above_ma200", "above_ma50", "adv_1d", "adv_5d", "adv_21d", "adv_63d",
           "net_new_highs", "advancers", "decliners", "ad_line", "zweig_ema",
           "members", "counted")


def normalize_ticker(ticker: str) -> str:
    """Membership lists write ``BRK.B``, price files ``BRK-B``: one spelling, upper case."""
    return ticker.strip().upper().replace(".", "-")


# ----------------------------------------------------------------------------- reading
def read_membership(path: Path) -> pd.DataFrame:
    """Spells as ``ticker, start, end`` (end = NaT while still a member)."""
    table = read_table(path, expected=["ticker", "start_date", "end_date"])
    start = pd.to_datetime(table["start_date"].str.strip(), format="ISO8601", errors="coerce")
    end_txt = table["end_date"].str.strip()
    end = pd.to_datetime(end_txt.where(end_txt != "", None), format="ISO8601", errors="coerce")
    bad = start.isna() | (end.isna() & (end_txt != ""))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"row {row + 2}: cannot parse start_date/end_date "
                        f"{table['start_date'].iloc[row]!r}/{table['end_date'].iloc[row]!r}",
                        where=str(path), fix="dates must be YYYY-MM-DD; end empty = member")
    if (end < start).any():
        row = int(np.flatnonzero((end < start).to_numpy())[0])
        raise DataError(f"row {row + 2}: end_date before start_date", where=str(path),
                        fix="each spell must end on or after its start")
    return pd.DataFrame({"ticker": table["ticker"].map(normalize_ticker),
                         "start": start.to_numpy(), "end": end.to_numpy()})


def _read_prices(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(dates as datetime64[D], closes) of one file; ``Adj Close`` when present, else ``Close``."""
    try:
        head = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16),
                              convert_options=pacsv.ConvertOptions(
                                  column_types={"Date": pa.date32()},
                                  strings_can_be_null=True,
                                  null_values=["", "null", "NaN", "nan", "NA", "#N/A"]))
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise DataError(f"not a readable price CSV ({exc})", where=str(path),
                        fix="restore the file as published (Date,...,Close[,Adj Close],...)") \
            from None
    names = head.column_names
    col = "Adj Close" if "Adj Close" in names else "Close" if "Close" in names else None
    if "Date" not in names or col is None:
        raise DataError(f"wrong columns {names}; expected Date and Close (or Adj Close)",
                        where=str(path), fix="use the yfinance CSV as published")
    if not (pa.types.is_floating(head.column(col).type)
            or pa.types.is_integer(head.column(col).type)):
        raise DataError(f"column {col!r} is not numeric ({head.column(col).type})",
                        where=str(path), fix="closes must be numbers; leave missing ones empty")
    dates = head.column("Date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    close = head.column(col).to_numpy(zero_copy_only=False).astype(np.float64)
    ok = ~np.isnat(dates) & np.isfinite(close) & (close > 0)
    return dates[ok], close[ok]


def _ticker_of(path: Path) -> str:
    name = path.name
    for ext in (".csv.gz", ".csv"):
        if name.endswith(ext):
            return normalize_ticker(name[: -len(ext)])
    return normalize_ticker(path.stem)


def _price_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DataError("price folder not found", where=str(folder),
                        fix="check the mirror and the catalog's `file` list")
    files = sorted(p for p in folder.iterdir()
                   if p.name.endswith((".csv", ".csv.gz")) and not p.name.startswith("_"))
    if not files:
        raise DataError("price folder has no <TICKER>.csv[.gz] files", where=str(folder),
                        fix="restore the folder's files")
    return files


# ----------------------------------------------------------------------------- matrices
class Prices:
    """Per-source close matrices on one calendar: ``close[s]`` is (T, N), NaN = no row."""

    def __init__(self, dates: pd.DatetimeIndex, tickers: list[str], close: list[np.ndarray],
                 dropped_dates: int):
        self.dates = dates
        self.tickers = tickers
        self.close = close
        self.dropped_dates = dropped_dates


def load_prices(folders: Sequence[Path]) -> Prices:
    """Read every file of every folder into per-folder (T, N) close matrices."""
    per_source: list[list[tuple[str, np.ndarray, np.ndarray]]] = []
    for folder in folders:
        per_source.append([(_ticker_of(p), *_read_prices(p)) for p in _price_files(folder)])
    tickers = sorted({t for src in per_source for t, _, _ in src})
    col_of = {t: j for j, t in enumerate(tickers)}
    all_dates = np.concatenate([d for src in per_source for _, d, _ in src])
    uniq, counts = np.unique(all_dates, return_counts=True)
    keep = counts >= min(MIN_FILES_PER_DATE, max(1, len(tickers) // 2))
    cal = uniq[keep]
    mats = []
    for src in per_source:
        mat = np.full((len(cal), len(tickers)), np.nan)
        if src:
            d = np.concatenate([x[1] for x in src])
            v = np.concatenate([x[2] for x in src])
            j = np.concatenate([np.full(len(x[1]), col_of[x[0]]) for x in src])
            pos = np.searchsorted(cal, d)
            hit = (pos < len(cal)) & (cal[np.clip(pos, 0, len(cal) - 1)] == d)
            mat[pos[hit], j[hit]] = v[hit]
        mats.append(mat)
    return Prices(pd.DatetimeIndex(cal.astype("datetime64[ns]"), name="date"), tickers, mats,
                  int((~keep).sum()))


def _ffill(mat: np.ndarray) -> np.ndarray:
    """Column-wise forward fill of NaN (the last known close, for multi-day returns)."""
    t = np.arange(len(mat))[:, None]
    idx = np.where(np.isnan(mat), 0, t)
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = mat[idx, np.arange(mat.shape[1])[None, :]]
    out[np.isnan(mat[0])[None, :] & (idx == 0)] = np.nan
    return out


def splice_returns(prices: Prices) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Chained level, clean one-day return and observed mask, each (T, N), plus counts.

    For each source: r = close_t / last close before t - 1 (a gap gives one multi-day
    return on the day trading resumes). The first source with a return for a day wins.
    """
    t_n = prices.close[0].shape
    ret = np.full(t_n, np.nan)
    one_day = np.full(t_n, np.nan)
    observed = np.zeros(t_n, dtype=bool)
    gaps = 0
    for mat in prices.close:  # a handful of sources, not tickers
        have = ~np.isnan(mat)
        observed |= have
        prev = np.vstack([np.full((1, t_n[1]), np.nan), _ffill(mat)[:-1]])
        r = mat / prev - 1.0
        r1 = np.where(np.vstack([np.zeros((1, t_n[1]), bool), have[:-1]]), r, np.nan)
        fill = np.isnan(ret) & ~np.isnan(r)
        ret[fill] = r[fill]
        fill1 = np.isnan(one_day) & ~np.isnan(r1)
        one_day[fill1] = r1[fill1]
        # a gap: a missing row strictly between the file's first and last row
        first = np.where(have.any(0), have.argmax(0), t_n[0])
        last = np.where(have.any(0), t_n[0] - 1 - have[::-1].argmax(0), -1)
        rows = np.arange(t_n[0])[:, None]
        gaps += int((~have & (rows > first) & (rows < last)).sum())
    split = one_day <= SPLIT_RETURN
    ret_split = ret <= SPLIT_RETURN
    suspect = split | ret_split
    one_day[suspect] = np.nan
    logr = np.log1p(np.where(np.isnan(ret) | suspect, 0.0, ret))
    level = np.exp(np.cumsum(logr, axis=0))
    level[~observed] = np.nan
    return level, one_day, observed, {"gap_days": gaps,
                                      "suspect_split_days": int(suspect.sum())}


def membership_mask(spells: pd.DataFrame, dates: pd.DatetimeIndex, tickers: list[str],
                    observed: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """(T, N) bool "ticker j was a member on day t", (T,) members of any ticker, counts.

    Difference arrays over the spells: no loop over tickers or days.
    """
    col_of = {t: j for j, t in enumerate(tickers)}
    has_file = spells["ticker"].isin(col_of).to_numpy()
    sp = spells[has_file]
    j = sp["ticker"].map(col_of).to_numpy(np.int64)
    ns = dates.as_unit("ns").asi8
    start = np.searchsorted(ns, pd.DatetimeIndex(sp["start"]).as_unit("ns").asi8, "left")
    end_ts = pd.DatetimeIndex(sp["end"]).as_unit("ns")
    end = np.where(end_ts.isna(), len(dates),
                   np.searchsorted(ns, end_ts.asi8, "right"))
    # re-used tickers: credit a spell to the file only if the file trades near its start
    first_obs = np.where(observed.any(0), observed.argmax(0), len(dates))
    first_date = np.where(first_obs < len(dates),
                          ns[np.clip(first_obs, 0, len(dates) - 1)], np.iinfo(np.int64).max)
    spell_start_ns = pd.DatetimeIndex(sp["start"]).as_unit("ns").asi8
    grace = pd.Timedelta(days=REUSE_GRACE_DAYS).value
    multi = sp["ticker"].duplicated(keep=False).to_numpy()
    latest = ~sp["ticker"].duplicated(keep="last").to_numpy()
    reject = multi & ~latest & (first_date[j] > spell_start_ns + grace)
    # spells wholly outside the calendar contribute nothing
    use = ~reject & (end > start)
    diff = np.zeros((len(dates) + 1, len(tickers)), dtype=np.int32)
    np.add.at(diff, (start[use], j[use]), 1)
    np.add.at(diff, (end[use], j[use]), -1)
    mask = np.cumsum(diff[:-1], axis=0) > 0
    all_start = np.searchsorted(ns, pd.DatetimeIndex(spells["start"]).as_unit("ns").asi8, "left")
    all_end_ts = pd.DatetimeIndex(spells["end"]).as_unit("ns")
    all_end = np.where(all_end_ts.isna(), len(dates),
                       np.searchsorted(ns, all_end_ts.asi8, "right"))
    total = np.zeros(len(dates) + 1, dtype=np.int64)
    np.add.at(total, all_start, 1)
    np.add.at(total, all_end, -1)
    in_cal = spells["end"].isna() | (spells["end"] >= dates[0])
    summary = {
        "spells": int(in_cal.sum()),
        "spells_without_file": int((in_cal & ~pd.Series(has_file, index=spells.index)).sum()),
        "reused_ticker_spells_rejected": int(reject.sum()),
        "member_days_without_price": int((mask & ~observed).sum()),
    }
    return mask, np.cumsum(total[:-1]), summary


# ----------------------------------------------------------------------------- statistics
def _share(hit: np.ndarray, counted: np.ndarray, min_counted: int) -> np.ndarray:
    n = counted.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (hit & counted).sum(axis=1) / n
    return np.where(n >= min_counted, share, np.nan)


def breadth_frame(level: np.ndarray, one_day: np.ndarray, member: np.ndarray,
                  dates: pd.DatetimeIndex, min_counted: int = MIN_COUNTED) -> pd.DataFrame:
    """Daily breadth statistics over the members with a price that day."""
    lv = pd.DataFrame(level)
    live = member & ~np.isnan(level)
    out: dict[str, np.ndarray] = {}
    for w in MA_WINDOWS:
        ma = lv.rolling(w, min_periods=w).mean().to_numpy()
        ok = live & ~np.isnan(ma)
        out[f"above_ma{w}"] = _share(level > ma, ok, min_counted)
    for n in ADVANCE_DAYS:
        past = lv.shift(n).to_numpy()
        ok = live & ~np.isnan(past)
        with np.errstate(invalid="ignore"):
            out[f"adv_{n}d"] = _share(level > past, ok, min_counted)
    hi = lv.rolling(HIGH_LOW_DAYS, min_periods=HIGH_LOW_DAYS).max().to_numpy()
    lo = lv.rolling(HIGH_LOW_DAYS, min_periods=HIGH_LOW_DAYS).min().to_numpy()
    ok = live & ~np.isnan(hi)
    with np.errstate(invalid="ignore"):
        out["net_new_highs"] = (_share(level >= hi, ok, min_counted)
                                - _share(level <= lo, ok, min_counted))
    adv = (live & (one_day > 0)).sum(axis=1).astype(np.float64)
    dec = (live & (one_day < 0)).sum(axis=1).astype(np.float64)
    counted = live.sum(axis=1)
    thin = (counted < min_counted) | (adv + dec == 0)
    adv[thin] = np.nan
    dec[thin] = np.nan
    out["advancers"], out["decliners"] = adv, dec
    out["ad_line"] = np.where(thin, np.nan, np.nancumsum(adv - dec))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = pd.Series(adv / (adv + dec))
    out["zweig_ema"] = ratio.ewm(span=ZWEIG_SPAN, adjust=False, ignore_na=True).mean() \
        .where(ratio.notna()).to_numpy()
    out["members"] = member.sum(axis=1).astype(np.float64)
    out["counted"] = counted.astype(np.float64)
    return pd.DataFrame({c: out[c] for c in COLUMNS}, index=dates)


def build(paths: Sequence[Path], min_counted: int = MIN_COUNTED) -> pd.DataFrame:
    """``paths[0]``: membership CSV; the rest: price folders in splice priority order.

    The frame's ``attrs["summary"]`` holds the build counts and timings.
    """
    if len(paths) < 2:
        raise DataError("constituent breadth needs a membership file and >= 1 price folder",
                        where=", ".join(map(str, paths)),
                        fix="list the membership CSV first, then the price folders")
    t0 = time.perf_counter()
    spells = read_membership(Path(paths[0]))
    prices = load_prices([Path(p) for p in paths[1:]])
    t1 = time.perf_counter()
    level, one_day, observed, counts = splice_returns(prices)
    member, members, msum = membership_mask(spells, prices.dates, prices.tickers, observed)
    frame = breadth_frame(level, one_day, member, prices.dates, min_counted)
    frame["members"] = members.astype(np.float64)
    t2 = time.perf_counter()
    frame.attrs["summary"] = {
        "tickers_with_prices": len(prices.tickers),
        "days": len(prices.dates), "dropped_stray_dates": prices.dropped_dates,
        **counts, **msum,
        "read_seconds": round(t1 - t0, 2), "compute_seconds": round(t2 - t1, 2),
    }
    return frame


def survivorship(frame: pd.DataFrame) -> pd.DataFrame:
    """Per year, on its last session: members of that date and how many have prices."""
    last = frame.groupby(frame.index.year).tail(1)
    table = pd.DataFrame({"date": last.index.date,
                          "members": last["members"].to_numpy().astype(int),
                          "with_prices": last["counted"].to_numpy().astype(int)},
                         index=pd.Index(last.index.year, name="year"))
    table["share"] = (table["with_prices"] / table["members"]).round(3)
    return table


