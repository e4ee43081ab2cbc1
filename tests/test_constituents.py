"""Constituent breadth: splicing on returns, membership mask, traps counted, no look-ahead.

Fixtures are tiny per-ticker CSV folders in the real layout (yfinance ``Date,...,Close[,Adj
Close]``, gzip or plain) and a membership file ``ticker,start_date,end_date``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data.sources import constituents as c
from engine.errors import DataError

DAYS = pd.bdate_range("2020-01-01", periods=300)


def write_prices(folder: Path, ticker: str, dates, close, adj=None, gz: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    head = "Date,Open,High,Low,Close" + (",Adj Close" if adj is not None else "") + ",Volume"
    rows = [head]
    for i, d in enumerate(dates):
        extra = f",{float(adj[i])!r}" if adj is not None else ""
        rows.append(f"{d:%Y-%m-%d},1,1,1,{float(close[i])!r}{extra},100")
    text = ("\n".join(rows) + "\n").encode()
    if gz:
        (folder / f"{ticker}.csv.gz").write_bytes(gzip.compress(text))
    else:
        (folder / f"{ticker}.csv").write_bytes(text)


def write_members(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("ticker,start_date,end_date\n" + "".join(f"{t},{s},{e}\n" for t, s, e in rows))
    return path


def test_splice_on_returns_not_levels(tmp_path):
    """Source B is a different adjustment vintage (levels x0.9): the spliced level keeps
    A's returns, then B's, with no jump where B takes over."""
    a = np.linspace(100, 130, 200)
    b = np.concatenate([a[150:] * 0.9, a[-1] * 0.9 * np.linspace(1.0, 1.2, 101)[1:]])
    write_prices(tmp_path / "A", "X", DAYS[:200], a * 1.1, adj=a)  # Adj Close used
    write_prices(tmp_path / "B", "X", DAYS[150:], b)                # Close used
    prices = c.load_prices([tmp_path / "A", tmp_path / "B"])
    level, _one_day, observed, counts = c.splice_returns(prices)
    lv = level[:, 0]
    r = lv[1:] / lv[:-1] - 1
    np.testing.assert_allclose(r[:199], a[1:] / a[:-1] - 1, rtol=1e-12)
    np.testing.assert_allclose(r[199:], b[50:] / b[49:-1] - 1, rtol=1e-12)
    assert observed.all() and counts == {"gap_days": 0, "suspect_split_days": 0}


def test_gap_is_counted_and_not_filled(tmp_path):
    close = np.linspace(50, 60, 300)
    keep = np.ones(300, bool)
    keep[100] = False
    write_prices(tmp_path / "A", "X", DAYS[keep], close[keep], adj=close[keep])
    write_prices(tmp_path / "A", "Y", DAYS, close, adj=close)
    prices = c.load_prices([tmp_path / "A"])
    level, one_day, observed, counts = c.splice_returns(prices)
    assert counts["gap_days"] == 1
    assert np.isnan(level[100, 0]) and not observed[100, 0]
    # the day after the gap: a two-day return in the level, no one-day advance/decline
    assert np.isnan(one_day[101, 0])
    np.testing.assert_allclose(level[101, 0] / level[99, 0], close[101] / close[99])


def test_split_day_counted_and_not_a_price_move(tmp_path):
    raw = np.full(300, 100.0)
    raw[150:] = 50.0  # a 2:1 split left in the closes
    write_prices(tmp_path / "A", "X", DAYS, raw)
    prices = c.load_prices([tmp_path / "A"])
    level, one_day, _, counts = c.splice_returns(prices)
    assert counts["suspect_split_days"] == 1
    assert np.isnan(one_day[150, 0])
    assert level[150, 0] == pytest.approx(level[149, 0])


def test_membership_mask_dot_dash_and_reused_ticker(tmp_path):
    up = np.linspace(10, 20, 300)
    write_prices(tmp_path / "A", "BRK-B", DAYS, up, adj=up)
    write_prices(tmp_path / "A", "NEW", DAYS[200:], up[200:], adj=up[200:])
    members = write_members(tmp_path / "m.csv", [
        ("BRK.B", f"{DAYS[10]:%Y-%m-%d}", ""),                       # '.' in the list
        ("NEW", f"{DAYS[0]:%Y-%m-%d}", f"{DAYS[50]:%Y-%m-%d}"),      # old company, same ticker
        ("NEW", f"{DAYS[210]:%Y-%m-%d}", ""),                        # the file's company
        ("GONE", f"{DAYS[0]:%Y-%m-%d}", f"{DAYS[100]:%Y-%m-%d}"),     # no price file at all
    ])
    spells = c.read_membership(members)
    prices = c.load_prices([tmp_path / "A"])
    _, _, observed, _ = c.splice_returns(prices)
    mask, members_total, summary = c.membership_mask(spells, prices.dates, prices.tickers,
                                                     observed)
    j = {t: i for i, t in enumerate(prices.tickers)}
    assert not mask[9, j["BRK-B"]] and mask[10, j["BRK-B"]] and mask[-1, j["BRK-B"]]
    assert not mask[:210, j["NEW"]].any() and mask[210:, j["NEW"]].all()
    assert summary["reused_ticker_spells_rejected"] == 1
    assert summary["spells_without_file"] == 1
    # members counts every spell (with or without prices): day 20 has BRK.B, old NEW, GONE
    assert members_total[20] == 3 and members_total[150] == 1


def _universe(tmp_path: Path, n_up: int = 15, n_down: int = 10) -> list[Path]:
    up = np.linspace(10, 20, 300)
    down = np.linspace(20, 10, 300)
    rows = []
    for k in range(n_up):
        write_prices(tmp_path / "A", f"U{k}", DAYS, up * (1 + k / 10), adj=up * (1 + k / 10))
        rows.append((f"U{k}", "2019-01-01", ""))
    for k in range(n_down):
        write_prices(tmp_path / "A", f"D{k}", DAYS, down, adj=down, gz=False)
        rows.append((f"D{k}", "2019-01-01", ""))
    return [write_members(tmp_path / "m.csv", rows), tmp_path / "A"]


def test_breadth_values_hand_computed(tmp_path):
    frame = c.build(_universe(tmp_path), min_counted=5)
    last = frame.iloc[-1]
    assert last["above_ma200"] == pytest.approx(15 / 25)
    assert last["above_ma50"] == pytest.approx(15 / 25)
    assert last["adv_1d"] == pytest.approx(15 / 25)
    assert last["advancers"] == 15 and last["decliners"] == 10
    assert last["net_new_highs"] == pytest.approx(15 / 25 - 10 / 25)
    assert last["members"] == 25 and last["counted"] == 25
    assert frame["ad_line"].iloc[-1] == pytest.approx(5 * 299)
    assert np.isnan(frame["above_ma200"].iloc[198]) and not np.isnan(frame["above_ma200"].iloc[199])
    assert frame["zweig_ema"].iloc[-1] == pytest.approx(0.6)
    assert frame.attrs["summary"]["tickers_with_prices"] == 25


def test_too_few_members_is_no_reading(tmp_path):
    frame = c.build(_universe(tmp_path, 3, 1), min_counted=5)
    assert frame["above_ma50"].isna().all() and frame["advancers"].isna().all()


def test_no_look_ahead_later_rows_do_not_change_earlier_values(tmp_path):
    """Values on day t are identical whether or not the files hold rows after t."""
    full = c.build(_universe(tmp_path / "full"), min_counted=5)
    cut = DAYS[239]
    for p in (tmp_path / "full" / "A").iterdir():
        text = (gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes())
        lines = [ln for ln in text.decode().splitlines()
                 if ln.startswith("Date") or ln[:10] <= f"{cut:%Y-%m-%d}"]
        out = tmp_path / "cut" / "A" / p.name
        out.parent.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode()
        out.write_bytes(gzip.compress(data) if p.name.endswith(".gz") else data)
    members = tmp_path / "full" / "m.csv"
    short = c.build([members, tmp_path / "cut" / "A"], min_counted=5)
    pd.testing.assert_frame_equal(short, full.loc[:cut], check_freq=False)


def test_bad_membership_dates_and_folder(tmp_path):
    bad = write_members(tmp_path / "m.csv", [("X", "2020-13-01", "")])
    with pytest.raises(DataError, match="row 2"):
        c.read_membership(bad)
    back = write_members(tmp_path / "m2.csv", [("X", "2020-02-01", "2020-01-01")])
    with pytest.raises(DataError, match="end_date before start_date"):
        c.read_membership(back)
    with pytest.raises(DataError, match="price folder not found"):
        c.load_prices([tmp_path / "nope"])
    (tmp_path / "E").mkdir()
    (tmp_path / "E" / "X.csv").write_text("Day,Price\n2020-01-01,1\n")
    with pytest.raises(DataError, match="expected Date and Close"):
        c.load_prices([tmp_path / "E"])


def test_survivorship_table(tmp_path):
    frame = c.build(_universe(tmp_path), min_counted=5)
    table = c.survivorship(frame)
    assert list(table.index) == [2020, 2021]
    assert (table["members"] == 25).all() and (table["share"] == 1.0).all()
