"""Readers of the second/third mirror passes: each MANIFEST trap reproduced in a tiny file."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from engine.data.sources import csvfile, french, sentiment, yahoo
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


# ----------------------------------------------------------------------------- French library
LIBRARY = ("This file was created by using the 202604 CRSP database.\r\n"
           "The Tbill return is the simple daily rate.\r\n\r\n"
           ",Mkt-RF,SMB,HML,RF\r\n"
           "19260701,    0.09,   -0.25,   -0.27,    0.01\r\n"
           "19260702,    0.45,   -0.33,   -0.06,    0.01\r\n\r\n"
           "Copyright 2026 Eugene F. Fama and Kenneth R. French\r\n")


def test_french_library_file_preamble_crlf_percent_and_trailer(tmp_path):
    frame = french.read(write(tmp_path / "f.csv.gz", LIBRARY, gz=True))
    assert list(frame.columns) == ["mkt_rf", "smb", "hml", "rf"]
    assert list(frame.index.strftime("%F")) == ["1926-07-01", "1926-07-02"]
    assert frame.loc["1926-07-02", "mkt_rf"] == pytest.approx(0.0045, abs=1e-15)
    assert frame.loc["1926-07-01", "smb"] == pytest.approx(-0.0025, abs=1e-15)


SIZE = (",<= 0,Lo 30,Med 40,Hi 30,Lo 20,Qnt 2,Qnt 3,Qnt 4,Hi 20,Lo 10,Dec 2,Dec 3,Dec 4,"
        "Dec 5,Dec 6,Dec 7,Dec 8,Dec 9,Hi 10\n"
        "192607,-99.99," + ",".join(["1.00"] * 8) + ",5.00," + ",".join(["2.00"] * 8) + ",3.00\n"
        "192608,-99.99," + ",".join(["1.50"] * 18) + "\n\n"
        "  Equal Weight Returns -- Monthly\n"
        ",<= 0,Lo 30,Med 40,Hi 30,Lo 20,Qnt 2,Qnt 3,Qnt 4,Hi 20,Lo 10,Dec 2,Dec 3,Dec 4,"
        "Dec 5,Dec 6,Dec 7,Dec 8,Dec 9,Hi 10\n"
        "192607,-99.99," + ",".join(["4.00"] * 18) + "\n\n"
        "  Value Weight Returns -- Annual from January to December\n"
        ",<= 0,Lo 30,Med 40,Hi 30,Lo 20,Qnt 2,Qnt 3,Qnt 4,Hi 20,Lo 10,Dec 2,Dec 3,Dec 4,"
        "Dec 5,Dec 6,Dec 7,Dec 8,Dec 9,Hi 10\n"
        "  1927,-99.99," + ",".join(["30.0"] * 18) + "\n")


def test_french_size_portfolios_value_and_equal_weight_blocks(tmp_path):
    """The first block (its title removed by the uploader) is value-weighted; -99.99 = NaN."""
    path = write(tmp_path / "me.csv", SIZE)
    vw = french.read(path)
    assert list(vw.index.strftime("%F")) == ["1926-07-01", "1926-08-01"]
    assert np.isnan(vw.loc["1926-07-01", "neg"])
    assert vw.loc["1926-07-01", "d01"] == pytest.approx(0.05)
    assert vw.loc["1926-07-01", "d10"] == pytest.approx(0.03)
    assert vw.loc["1926-07-01", "q5"] == pytest.approx(0.01)
    ew = french.read_equal_weight(path)
    assert len(ew) == 1 and ew.loc["1926-07-01", "d05"] == pytest.approx(0.04)


def test_french_resaved_file_with_other_columns_is_refused(tmp_path):
    with pytest.raises(DataError, match="expected \\['Date', 'Mkt-RF'"):
        french.read(write(tmp_path / "r.csv", "Date,Mkt-RF,SMB\n20240102,1,2\n"))


# ----------------------------------------------------------------------------- sentiment, risk
def test_naaim_repeated_date_kept_once_when_values_agree(tmp_path):
    text = ("Date,NAAIM,NAAIM_MA20,SP500_Price\n2006-07-05,19.44,,1270.9\n"
            "2006-07-05,19.444444444444443,,1270.9\n2006-07-12,30.5,,1260.0\n")
    frame = sentiment.read_naaim(write(tmp_path / "n.csv", text))
    assert frame["naaim"].tolist() == [19.444444444444443, 30.5]
    bad = text.replace("19.444444444444443", "25.0")
    with pytest.raises(DataError, match="2006-07-05 listed twice with different values"):
        sentiment.read_naaim(write(tmp_path / "b.csv", bad))


def test_aaii_drops_the_merged_price_columns(tmp_path):
    text = ("Date,Bullish,Neutral,Bearish,Spread,Spread_MA20,SP500_Price_x,SP500_Price\n"
            "2000-01-06,75.0,11.66,13.33,61.67,,1403.4,1403.4\n")
    frame = sentiment.read_aaii(write(tmp_path / "a.csv", text))
    assert list(frame.columns) == ["bullish", "neutral", "bearish", "spread"]
    assert frame.loc["2000-01-06", "spread"] == 61.67


def test_epu_day_month_year_columns(tmp_path):
    text = "day,month,year,daily_policy_index\n1,1,1985,103.83\n2,1,1985,296.43\n"
    frame = sentiment.read_epu(write(tmp_path / "e.csv", text))
    assert list(frame.index.strftime("%F")) == ["1985-01-01", "1985-01-02"]
    with pytest.raises(DataError, match="row 3: day/month/year is not a date"):
        sentiment.read_epu(write(tmp_path / "x.csv", text.replace("2,1,1985", "31,2,1985")))


def test_putcall_zero_is_a_day_without_data(tmp_path):
    text = "date,spx,pc_equity_raw,pc_index_raw\n2010-01-04,1132.9,0.52,1.07\n2010-01-05,1,0,1.1\n"
    frame = sentiment.read_putcall(write(tmp_path / "p.csv", text))
    assert frame.loc["2010-01-04", "equity"] == 0.52
    assert np.isnan(frame.loc["2010-01-05", "equity"]) and frame.loc["2010-01-05", "index"] == 1.1


def test_wide_table_lowercases_and_keeps_blanks_missing(tmp_path):
    text = "date,VIX,VIX1D,VIX_TERM_SLOPE\n1990-01-02,17.24,,\n2023-05-01,16.1,12.0,2.5\n"
    frame = sentiment.read_wide(write(tmp_path / "v.csv", text))
    assert list(frame.columns) == ["vix", "vix1d", "vix_term_slope"]
    assert np.isnan(frame.loc["1990-01-02", "vix1d"]) and frame.loc["2023-05-01", "vix1d"] == 12.0


# ----------------------------------------------------------------------------- importer options
def test_import_yfinance_header_and_zero_means_missing(project, tmp_path):
    from engine.data import dataops, datasets
    from engine.data.catalog import Catalog

    src = write(tmp_path / "mine.csv", "Price,Close,Volume\nTicker,ABC,ABC\nDate,,\n"
                "2024-01-02,10.5,100\n2024-01-03,0,0\n2024-01-04,11.0,90\n")
    catalog = Catalog.load()
    out = dataops.import_csv(catalog, src, "custom.abc", "Date", "Close", "daily", 0,
                             header="yfinance", zero_missing=True)
    assert (out.meta.rows, out.meta.first, out.meta.last) == (2, "2024-01-02", "2024-01-04")
    again = Catalog.load()  # options survive the round trip through custom.toml
    entry = again.get("custom.abc")
    assert (entry.header, entry.zero_missing) == ("yfinance", True)
    frame, _ = datasets.load(again, "custom.abc")
    assert frame["value"].tolist()[0] == 10.5 and np.isnan(frame["value"].iloc[1])
    with pytest.raises(DataError, match="missing column 'Date'"):  # plain: header is 'Price'

        dataops.import_csv(catalog, src, "custom.abd", "Date", "Close", "daily", 0)
