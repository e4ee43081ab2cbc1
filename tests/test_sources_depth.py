"""Readers of the second/third mirror passes: each MANIFEST trap reproduced in a tiny file."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from engine.data.sources import csvfile, yahoo
from engine.errors import DataError


def write(path, text: str, gz: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text)
    return path


# ----------------------------------------------------------------------------- yfinance headers
TAA = ("Price,Price,Close,High,Low,Open,Volume\nTicker,SPY,SPY,SPY,SPY,SPY,SPY\n"
       "Ticker,SPY,SPY,SPY,SPY,SPY,SPY\nDate,,,,,,\n"
       "1993-01-29 00:00:00,24.31,43.9375,43.97,43.75,43.97,1003200\n"
       "1993-02-01 00:00:00,24.49,44.25,44.25,43.97,43.97,480500\n")


def test_taa_header_second_price_column_is_the_adjusted_close(tmp_path):
    """`Price,Price,Close,...`: the 2nd column is dividend+split adjusted, Close split only."""
    frame = yahoo.read(write(tmp_path / "etf/SPY.csv.gz", TAA, gz=True))
    assert list(frame.columns) == ["close", "adj_close"]
    assert frame.index[0] == pd.Timestamp("1993-01-29")  # the 00:00:00 time is dropped
    assert frame["close"].tolist() == [43.9375, 44.25]
    assert frame["adj_close"].tolist() == [24.31, 24.49]


def test_ndx_three_row_header_with_adj_close(tmp_path):
    text = ("Price,Adj Close,Close,High,Low,Open,Volume\nTicker,^NDX,^NDX,^NDX,^NDX,^NDX,^NDX\n"
            "Date,,,,,,\n1985-10-01,112.14,112.14,112.16,110.56,110.62,153160000\n")
    assert csvfile.yfinance_header(write(tmp_path / "n.csv", text)) == (
        3, ["Date", "Adj Close", "Close", "High", "Low", "Open", "Volume"])
    frame = yahoo.read(tmp_path / "n.csv")
    assert frame.loc["1985-10-01", "close"] == 112.14


def test_auto_adjusted_yfinance_close_is_a_total_return_series(tmp_path):
    """`Price,Close` with no Adj Close column (IWD/IWF): saved with auto_adjust=True."""
    text = "Price,Close\nTicker,IWD\nDate,\n2024-06-26,168.21\n2024-06-27,168.24\n"
    frame = yahoo.read(write(tmp_path / "IWD.csv", text))
    assert list(frame.columns) == ["adj_close"]
    assert frame["adj_close"].tolist() == [168.21, 168.24]


def test_plain_header_is_not_taken_for_a_yfinance_one(tmp_path):
    assert csvfile.yfinance_header(write(tmp_path / "p.csv", "Date,^RUT\n2024-01-02,1\n")) is None
    bad = "Price,Close\nTicker,IWD\nDate,5\n2024-06-26,1\n"  # the Date line must be empty
    assert csvfile.yfinance_header(write(tmp_path / "q.csv", bad)) is None


def test_yahoo_ohlcv_null_row_is_a_missing_day(tmp_path):
    text = ("Date,Open,High,Low,Close,Adj Close,Volume\n2020-10-01,1,1,1,1500.5,1500.5,0\n"
            "2020-10-02,null,null,null,null,null,null\n2020-10-05,1,1,1,1510,1510,0\n")
    frame = yahoo.read(write(tmp_path / "r.csv", text))
    assert frame["close"].iloc[0] == 1500.5 and np.isnan(frame.loc["2020-10-02", "close"])


@pytest.mark.parametrize("header", ["date,open,high,low,close,volume",
                                    "date,open,high,low,close,volume,wap,count",
                                    "Date,Close,High,Low,Open,Volume"])
def test_other_price_layouts_give_the_close(tmp_path, header):
    close_at = header.lower().split(",").index("close")
    fields = ["2026-08-21", "1", "2", "3", "4", "0", "", ""][: len(header.split(","))]
    fields[close_at] = "3017.87"
    frame = yahoo.read(write(tmp_path / "x.csv", header + "\n" + ",".join(fields) + "\n"))
    assert frame.loc["2026-08-21", "close"] == 3017.87


def test_bom_before_header_is_ignored(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xef\xbb\xbfdate,close\n2024-01-02,5\n")
    assert yahoo.read(path)["close"].tolist() == [5.0]


def test_unknown_price_layout_names_the_columns(tmp_path):
    with pytest.raises(DataError, match=r"wrong columns \['Date', 'Open', 'Close'\]"):
        yahoo.read(write(tmp_path / "u.csv", "Date,Open,Close\n2024-01-02,1,2\n"))
