"""Earnings-expectation and pre-computed breadth readers: traps, dating, no look-ahead."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.data.sources import breadth_files, earnings
from engine.errors import DataError


def factset_files(tmp_path: Path, pe_rows: list[str]) -> list[Path]:
    pe = tmp_path / "pe.csv"
    pe.write_text("date,fwd_pe_12m,avg_5y,avg_10y\n" + "\n".join(pe_rows) + "\n")
    px = tmp_path / "gspc.csv.gz"
    days = pd.bdate_range("2024-01-01", "2024-03-29")
    lines = ["date,open,high,low,close,volume",
             *(f"{d:%Y-%m-%d},0,0,0,{4000 + i},0" for i, d in enumerate(days))]
    px.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return [pe, px]


def test_factset_implied_eps_dated_at_report(tmp_path):
    paths = factset_files(tmp_path, ["2024-01-05,20.0,18.1,16.5", "2024-01-13,21.0,,",
                                     "2024-06-07,19.0,,"])
    frame = earnings.read_factset(paths)
    # 2024-01-05 is session 4 (close 4004); 2024-01-13 is a Saturday: Friday's close 4009
    assert frame.loc["2024-01-05", "fwd_eps"] == pytest.approx(4004 / 20.0)
    assert frame.loc["2024-01-13", "price"] == 4009
    # a report after the last close gets no price (never a stale one)
    assert np.isnan(frame.loc["2024-06-07", "fwd_eps"])


def test_factset_no_look_ahead_and_bad_pe(tmp_path):
    rows = ["2024-01-05,20.0,,", "2024-02-02,20.5,,", "2024-03-01,21.0,,"]
    full = earnings.read_factset(factset_files(tmp_path, rows))
    (tmp_path / "s").mkdir()
    short = earnings.read_factset(factset_files(tmp_path / "s", rows[:2]))
    pd.testing.assert_frame_equal(short, full.iloc[:2])
    with pytest.raises(DataError, match="not positive"):
        earnings.read_factset(factset_files(tmp_path, ["2024-01-05,0,,"]))


def estimates_parquet(path: Path, vintages: list[str]) -> Path:
    def cell(q: str, eps: float) -> dict:
        return {"date": "", "op_eps": eps / 4, "rep_eps": eps / 4.4, "op_pe": 1.0,
                "rep_pe": 1.0, "12m_op_eps": eps, "12m_rep_eps": eps * 0.9, "yr_qtr": q}

    def later(v: str, k: int) -> str:
        y, q = int(v[:4]), int(v[-1]) - 1 + k
        return f"{y + q // 4}-Q{q % 4 + 1}"

    cols = {v: [cell(later(v, k), 200.0 + 10 * i + k) for k in range(4, -2, -1)]
            for i, v in enumerate(vintages)}
    pq.write_table(pa.table(cols), path)
    return path


def test_spdji_nested_structs_forward_estimate(tmp_path):
    frame = earnings.read_spdji_estimates(
        estimates_parquet(tmp_path / "e.parquet", ["2024-Q1", "2024-Q2"]))
    # vintage 2024-Q1: the 4 quarters ending 2024-Q4 (k = 3)
    assert list(frame.index) == list(pd.to_datetime(["2024-01-01", "2024-04-01"]))
    assert frame["op_eps_4q"].tolist() == [203.0, 213.0]
    assert frame["rep_eps_4q"].tolist() == pytest.approx([203.0 * 0.9, 213.0 * 0.9])


def test_spdji_no_look_ahead_and_bad_column(tmp_path):
    full = earnings.read_spdji_estimates(
        estimates_parquet(tmp_path / "a.parquet", ["2024-Q1", "2024-Q2", "2024-Q3"]))
    short = earnings.read_spdji_estimates(
        estimates_parquet(tmp_path / "b.parquet", ["2024-Q1", "2024-Q2"]))
    pd.testing.assert_frame_equal(short, full.iloc[:2])
    pq.write_table(pa.table({"2024-Q1": [1.0, 2.0]}), tmp_path / "c.parquet")
    with pytest.raises(DataError, match="expected a struct"):
        earnings.read_spdji_estimates(tmp_path / "c.parquet")
    pq.write_table(pa.table({"Q1-2024": [1.0]}), tmp_path / "d.parquet")
    with pytest.raises(DataError, match="not a quarter"):
        earnings.read_spdji_estimates(tmp_path / "d.parquet")


IE_TITLE = "\ufeff" + ",,,,\n" * 6
IE_HEADER = "Date,P,D,E,CPI,Fraction,Rate GS10,CAPE\n"


def test_ie_data_october_is_yyyy_dot_1(tmp_path):
    body = ['2024.09,5621.26,73.4,200.27,315.3,2024.71,3.72,35.66',
            '2024.1,"5,792.32",73.88,203.57,315.66,2024.79,4.1,36.59',
            '2024.11,5929.92,74.35,206.87,315.49,2024.87,4.36,NA',
            ',,,,,,,']
    path = tmp_path / "ie.csv"
    path.write_text(IE_TITLE + IE_HEADER + "\n".join(body) + "\n")
    frame = earnings.read_ie_data(path)
    assert list(frame.index) == list(pd.to_datetime(["2024-09-01", "2024-10-01", "2024-11-01"]))
    assert frame.loc["2024-10-01", "price"] == 5792.32          # thousands separator
    assert np.isnan(frame.loc["2024-11-01", "cape"])
    (tmp_path / "bad.csv").write_text(IE_TITLE + IE_HEADER + "2024.13,1,1,1,1,1,1,1\n")
    with pytest.raises(DataError, match=r"not YYYY\.MM"):
        earnings.read_ie_data(tmp_path / "bad.csv")


def test_spf_cprof_dated_end_of_middle_month():
    sheet = pd.DataFrame({"YEAR": [2022, 2023], "QUARTER": [4, 1], "CPROF1": [1, 1],
                          "CPROF2": [2000.0, 2100.0], "CPROF6": [2100.0, 2100.0]})
    frame = earnings.cprof_from_sheet(sheet, Path("meanLevel.xlsx"))
    assert list(frame.index) == list(pd.to_datetime(["2022-11-30", "2023-02-28"]))
    assert frame["cprof_growth_4q"].tolist() == pytest.approx([5.0, 0.0])
    with pytest.raises(DataError, match="lacks"):
        earnings.cprof_from_sheet(sheet.drop(columns="CPROF6"), Path("meanLevel.xlsx"))


def test_bamhi_warmup_zeros_are_missing(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("date,value,breadth_200,breadth_50\n2007-01-05,1409.7,0.0,0.0\n"
                    "2007-10-17,1540.0,64.0,77.0\n2007-10-18,1500.6,0.0,55.0\n")
    frame = breadth_files.read_bamhi(path)
    assert np.isnan(frame["above_ma200"].iloc[0]) and np.isnan(frame["above_ma50"].iloc[0])
    assert frame["above_ma200"].tolist()[1:] == [0.64, 0.0]   # a later 0 is a reading


def test_shoppa_partial_last_row_dropped(tmp_path):
    cols = [f"{g}_{f}" for g in breadth_files.SHOPPA_GROUPS for f in breadth_files.SHOPPA_FIELDS]
    rows = []
    for i, (adv, dec) in enumerate([(800, 750), (900, 700), (850, 760), (200, 170)]):
        vals = {c: 10.0 for c in cols}
        vals.update({"nyse_advancers": adv, "nyse_decliners": dec})
        if i == 0:
            vals.update({c: 0.0 for c in cols if "pct_above" in c})
        rows.append(f"2024-01-0{i + 2}," + ",".join(str(vals[c]) for c in cols))
    path = tmp_path / "ad.csv"
    path.write_text("date," + ",".join(cols) + "\n" + "\n".join(rows) + "\n")
    frame = breadth_files.read_shoppa(path)
    assert len(frame) == 3                                     # 370 issues < half of ~1,600
    assert np.isnan(frame["sp600_pct_above_200d"].iloc[0])     # warm-up zero
    assert frame["sp600_pct_above_200d"].iloc[1] == pytest.approx(0.10)


def test_no_look_ahead_ie_bamhi_shoppa_spf(tmp_path):
    """Dropping later rows never changes earlier values (every reader's rules look back)."""
    body = ['2024.09,5621.26,73.4,200.27,315.3,2024.71,3.72,35.66',
            '2024.1,"5,792.32",73.88,203.57,315.66,2024.79,4.1,36.59',
            '2024.11,5929.92,74.35,206.87,315.49,2024.87,4.36,37.0']
    for n, name in [(3, "a"), (2, "b")]:
        (tmp_path / f"ie_{name}.csv").write_text(IE_TITLE + IE_HEADER + "\n".join(body[:n]) + "\n")
    full, short = (earnings.read_ie_data(tmp_path / f"ie_{k}.csv") for k in "ab")
    pd.testing.assert_frame_equal(short, full.iloc[:2])

    rows = ["2007-01-05,1.0,0.0,0.0", "2007-10-17,1.0,64.0,77.0", "2007-10-18,1.0,60.0,70.0"]
    for n, name in [(3, "a"), (2, "b")]:
        (tmp_path / f"b_{name}.csv").write_text(
            "date,value,breadth_200,breadth_50\n" + "\n".join(rows[:n]) + "\n")
    full, short = (breadth_files.read_bamhi(tmp_path / f"b_{k}.csv") for k in "ab")
    pd.testing.assert_frame_equal(short, full.iloc[:2])

    cols = [f"{g}_{f}" for g in breadth_files.SHOPPA_GROUPS for f in breadth_files.SHOPPA_FIELDS]
    lines = [f"2024-01-{i + 2:02d}," + ",".join(
        str(800 + 10 * i if c in ("nyse_advancers", "nyse_decliners") else 5.0) for c in cols)
        for i in range(6)]
    for n, name in [(6, "a"), (4, "b")]:
        (tmp_path / f"s_{name}.csv").write_text("date," + ",".join(cols) + "\n"
                                                + "\n".join(lines[:n]) + "\n")
    full, short = (breadth_files.read_shoppa(tmp_path / f"s_{k}.csv") for k in "ab")
    pd.testing.assert_frame_equal(short, full.iloc[:4])

    sheet = pd.DataFrame({"YEAR": [2022, 2022, 2023], "QUARTER": [3, 4, 1],
                          "CPROF2": [1.0, 2.0, 3.0], "CPROF6": [2.0, 2.0, 2.0]})
    full = earnings.cprof_from_sheet(sheet, Path("x"))
    short = earnings.cprof_from_sheet(sheet.iloc[:2], Path("x"))
    pd.testing.assert_frame_equal(short, full.iloc[:2])


def spdji_sheet(rows: list[list]) -> pd.DataFrame:
    head = [["S&P Dow Jones Indices"] + [None] * 8, ["S&P 500 QUARTERLY DATA"] + [None] * 8,
            [None] * 9, [None, "OPERATING", "AS REPORTED", "CASH", "SALES", "BOOK VAL",
                         "CAPITAL", None, None],
            ["QUARTER", "EARNINGS", "EARNINGS", "DIVIDENDS", "PER", "PER", "EXPENDITURE", None,
             None],
            ["END", "PER SHR", "PER SHR", "PER SHR", "SHARE", "SHARE", "PER SHARE", "PRICE",
             "DIVISOR"]]
    return pd.DataFrame(head + rows + [[None] * 9, ["notes", *[None] * 8]], dtype=object)


def _q(date, op, rep, price):
    return [date, op, rep, 1.0, None, None, None, price, 8500.0]


def test_spdji_quarterly_serial_dates_and_blank_actuals():
    sheet = spdji_sheet([
        _q(46022, None, None, 6845.5),                       # 2025-12-31 as a serial number
        _q(pd.Timestamp("2025-09-30"), None, None, 6688.5),  # blank: still an estimate
        _q(pd.Timestamp("2025-06-30"), 64.01, 58.96, 6205.0),
        _q(45747, 57.51, 53.89, 5611.9),                     # 2025-03-31
        _q(pd.Timestamp("2024-12-31"), 61.21, 57.69, 5881.6),
        _q(pd.Timestamp("2024-09-30"), 60.0, 55.0, 5762.5),
    ])
    frame = earnings.quarterly_from_sheet(sheet, Path("sp-eps.xlsx"))
    assert list(frame.index) == list(pd.to_datetime(
        ["2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01"]))
    assert frame.loc["2025-04-01", "op_eps_12m"] == pytest.approx(60.0 + 61.21 + 57.51 + 64.01)
    assert frame["op_eps"].isna().tolist() == [False] * 4 + [True, True]
    assert np.isnan(frame.loc["2025-07-01", "op_eps_12m"])      # never filled by an estimate
    assert earnings.excel_date(46022) == pd.Timestamp("2025-12-31")
    assert earnings.excel_date("Q4 2025") is None


def test_spdji_quarterly_no_look_ahead_and_bad_sheet():
    rows = [_q(pd.Timestamp(f"20{y}-12-31"), 10.0 + y, 9.0, 100.0) for y in range(24, 18, -1)]
    full = earnings.quarterly_from_sheet(spdji_sheet(rows), Path("x"))
    short = earnings.quarterly_from_sheet(spdji_sheet(rows[2:]), Path("x"))  # drop the newest
    pd.testing.assert_frame_equal(short, full.iloc[:-2])
    with pytest.raises(DataError, match="no 'QUARTER END' header"):
        earnings.quarterly_from_sheet(pd.DataFrame([[1] * 9]), Path("x"))
    with pytest.raises(DataError, match="no quarter-end dates"):
        earnings.quarterly_from_sheet(spdji_sheet([["2025Q4", *[None] * 8]]), Path("x"))
