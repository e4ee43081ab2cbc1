"""Source readers: each public format read into the tidy form, and every malformed file
rejected with a message naming the file, the column/row and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import (
    HOLIDAYS,
    cpi_value,
    dgs10_value,
    gdp_value,
    rut_value,
    trading_days,
    weekdays,
    xlk_value,
)

from engine.data.sources import (
    MULTI_READERS,
    READERS,
    cboe,
    csvfile,
    fred,
    french,
    ici,
    shiller,
    yahoo,
)
from engine.errors import DataError

# (reader, file in the mirror, expected columns)
FORMATS = [
    (yahoo.read, "indices/RUT.csv", ["close"]),
    (yahoo.read, "sectors/XLK.csv", ["close"]),
    (fred.read, "fred/DGS10.csv", ["value"]),
    (fred.read, "fred/CPIAUCSL.csv", ["value"]),
    (shiller.read, "shiller/sp500_monthly.csv", list(shiller.COLUMNS.values())),
    (cboe.read, "cboe/vix_daily.csv", ["open", "high", "low", "close"]),
    (french.read, "french/ff3_factors_daily.csv", ["mkt_rf", "smb", "hml", "rf"]),
    (ici.read, "ici/flows_monthly.csv", list(ici.COLUMNS.values())),
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def raises_data_error(func, path: Path, *parts: str, fix: str) -> DataError:
    """Call ``func(path)``; assert a DataError naming the file, every part and the fix."""
    with pytest.raises(DataError) as info:
        func(path)
    err = info.value
    assert err.where == str(path)
    for part in parts:
        assert part in str(err), (part, str(err))
    assert err.fix and fix in err.fix, (fix, err.fix)
    assert str(err).startswith(f"{path}: ")
    assert f"Fix: {err.fix}" in str(err)
    return err


# ----------------------------------------------------------------------------- tidy form


def test_registry_names_every_public_source():
    assert set(READERS) == {"fred", "yahoo", "shiller", "cboe", "french", "ici", "fomc",
                            # issue 13: publication-dated and pre-computed sources
                            "bamhi", "shoppa", "gdpnow", "gdp_first", "gdp_second", "gdp_third",
                            "philly_first", "spdji_estimates", "spdji_quarterly", "shiller_ie",
                            "spf_cprof",
                            # issue 11: French blocks, sentiment and risk tables
                            "french_ew", "aaii", "naaim", "putcall", "gpr", "epu", "wide"}
    assert set(MULTI_READERS) == {"constituents", "factset_fwd_eps"}


def test_registry_names_resolve_to_the_readers():
    """Registry values are "module.function" resolved on use (#15): each names a function."""
    from engine.data.sources import COMBINERS, resolve

    assert resolve(READERS["fred"]) is fred.read
    assert resolve(COMBINERS["fomc"]).__name__ == "combine"
    for target in [*READERS.values(), *MULTI_READERS.values(), *COMBINERS.values()]:
        assert callable(resolve(target)), target


@pytest.mark.parametrize(("reader", "rel", "columns"), FORMATS, ids=[f[1] for f in FORMATS])
def test_reader_returns_tidy_frame(synthetic_mirror, reader, rel, columns):
    frame = reader(synthetic_mirror / rel)
    assert list(frame.columns) == columns
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "date"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert all(dtype == np.float64 for dtype in frame.dtypes)


def test_yahoo_values_and_trading_days(synthetic_mirror):
    frame = yahoo.read(synthetic_mirror / "indices/RUT.csv")
    days = trading_days()
    assert frame.index.equals(pd.DatetimeIndex(days, name="date"))
    assert frame["close"].iloc[0] == 1000.0
    assert frame["close"].iloc[37] == rut_value(37)
    assert not frame.index.isin(HOLIDAYS).any()
    xlk = yahoo.read(synthetic_mirror / "sectors/XLK.csv")  # lower-case date,close layout
    assert xlk.index[0] == pd.Timestamp("2023-03-01")
    assert xlk["close"].iloc[10] == xlk_value(10)


def test_fred_blank_is_missing_not_zero(synthetic_mirror):
    frame = fred.read(synthetic_mirror / "fred/DGS10.csv")
    wd = weekdays()
    assert frame.index.equals(pd.DatetimeIndex(wd, name="date"))  # holiday rows kept, as NaN
    missing = frame.index[frame["value"].isna().to_numpy()]
    assert missing.equals(pd.DatetimeIndex(HOLIDAYS, name="date"))
    assert (frame["value"] != 0).all()
    i = wd.get_loc(pd.Timestamp("2023-07-05"))
    assert frame.loc["2023-07-05", "value"] == dgs10_value(i)
    assert np.isnan(frame.loc["2023-07-04", "value"])


def test_fred_monthly_blank_month(synthetic_mirror):
    frame = fred.read(synthetic_mirror / "fred/CPIAUCSL.csv")
    assert len(frame) == 36
    assert frame.loc["2022-01-01", "value"] == cpi_value(0)
    assert frame.loc["2024-09-01", "value"] == cpi_value(32)
    assert np.isnan(frame.loc["2024-10-01", "value"])
    assert frame.loc["2024-11-01", "value"] == cpi_value(34)


def test_fred_quarterly_values(synthetic_mirror):
    frame = fred.read(synthetic_mirror / "fred/GDP.csv")
    assert frame.index[0] == pd.Timestamp("2021-01-01")
    assert frame.loc["2023-04-01", "value"] == gdp_value(9)


@pytest.mark.parametrize("token", ["", ".", "NA", "#N/A", " . "])
def test_fred_dot_and_blank_tokens_are_nan(tmp_path, token):
    path = write(tmp_path / "x.csv", f"date,value\n2024-01-02,1.5\n2024-01-03,{token}\n"
                                     "2024-01-04,0.0\n")
    frame = fred.read(path)
    assert frame["value"].iloc[0] == 1.5
    assert np.isnan(frame["value"].iloc[1])
    assert frame["value"].iloc[2] == 0.0  # a real zero stays zero in FRED data


def test_fred_public_endpoint_header(tmp_path):
    path = write(tmp_path / "DGS10.csv", "observation_date,DGS10\n2024-01-02,3.9\n2024-01-03,.\n")
    frame = fred.read(path)
    assert list(frame.columns) == ["value"]
    assert frame["value"].iloc[0] == 3.9 and np.isnan(frame["value"].iloc[1])


def test_shiller_zero_after_2023_06_is_missing(synthetic_mirror):
    frame = shiller.read(synthetic_mirror / "shiller/sp500_monthly.csv")
    before, after = frame.loc[:"2023-06-01"], frame.loc["2023-07-01":]
    assert before.notna().all().all()
    assert after[["dividend", "earnings", "real_dividend", "real_earnings"]].isna().all().all()
    assert after["price"].notna().all()  # the price is still published
    assert frame.loc["2023-06-01", "earnings"] == 180.0 + 17
    assert frame.loc["2023-09-01", "cpi"] == 290.0 + 20  # CPI lasts until 2023-09
    assert np.isnan(frame.loc["2023-10-01", "cpi"])
    assert not (frame == 0.0).any().any()


def test_french_percent_to_fraction_and_yyyymmdd(synthetic_mirror):
    frame = french.read(synthetic_mirror / "french/ff3_factors_daily.csv")
    assert frame.index[0] == pd.Timestamp("2023-01-03")
    assert frame.index[-1] == pd.Timestamp("2023-12-29")
    # row 0: Mkt-RF = (0 % 5 - 2) * 0.25 = -0.50 percent -> -0.005
    assert frame["mkt_rf"].iloc[0] == pytest.approx(-0.005, abs=1e-15)
    assert frame["rf"].iloc[0] == pytest.approx(0.00017, abs=1e-15)
    # 0.00 is a real zero premium in this file, not a missing value
    assert (frame["smb"] == 0.0).all()


def test_cboe_crlf_and_lower_case_columns(synthetic_mirror):
    raw = (synthetic_mirror / "cboe/vix_daily.csv").read_bytes()
    assert b"\r\n" in raw
    frame = cboe.read(synthetic_mirror / "cboe/vix_daily.csv")
    assert frame.iloc[1].to_dict() == {"open": 21.0, "high": 23.0, "low": 20.0, "close": 22.0}


def test_ici_empty_trailing_columns_are_nan(synthetic_mirror):
    frame = ici.read(synthetic_mirror / "ici/flows_monthly.csv")
    assert frame.loc["2023-01-31", "total"] == 850.0
    late = frame.loc["2024-07-31"]
    assert np.isnan(late["domestic_equity"]) and np.isnan(late["total"])
    assert late["total_equity"] == 1000.0 + 18


# ----------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path):
    raises_data_error(fred.read, tmp_path / "nope.csv", "file not found", fix="mirror directory")


def test_empty_file(tmp_path):
    raises_data_error(fred.read, write(tmp_path / "e.csv", ""), "file is empty",
                      fix="re-download or restore")


def test_header_without_rows(tmp_path):
    raises_data_error(yahoo.read, write(tmp_path / "h.csv", "Date,^RUT\n"),
                      "file has a header but no rows", fix="re-download or restore")


def test_not_text(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xff\xfe\x00\x01binary\x00\xff")
    raises_data_error(fred.read, path, "not a readable CSV", fix="comma-separated")


def test_ragged_rows(tmp_path):
    path = write(tmp_path / "r.csv", "date,value\n2024-01-02,1\n2024-01-03,2,3,4\n")
    raises_data_error(fred.read, path, "not a readable CSV", fix="comma-separated")


WRONG_COLUMNS = [
    (fred.read, "date,val\n2024-01-02,1\n", "wrong columns ['date', 'val']", "FRED"),
    (yahoo.read, "Date,Open,Close\n2024-01-02,1,2\n", "wrong columns ['Date', 'Open', 'Close']",
     "only the date and close"),
    (yahoo.read, "Close,Date\n1,2024-01-02\n", "expected two columns: Date and the close",
     "only the date and close"),
    (cboe.read, "DATE,OPEN,CLOSE\n2024-01-02,1,2\n",
     "expected ['DATE', 'OPEN', 'HIGH', 'LOW', 'CLOSE']", "study data import"),
    (shiller.read, "Date,SP500\n2024-01-01,1\n", "wrong columns ['Date', 'SP500']",
     "as published"),
    (french.read, "Date,Mkt-RF,SMB,HML\n20240102,1,2,3\n", "expected ['Date', 'Mkt-RF'",
     "as published"),
    (ici.read, "Date,Total\n2024-01-31,5\n", "wrong columns ['Date', 'Total']", "as published"),
]


@pytest.mark.parametrize(("reader", "text", "message", "fix"), WRONG_COLUMNS,
                         ids=["fred", "yahoo3", "yahoo-order", "cboe", "shiller", "french", "ici"])
def test_wrong_columns(tmp_path, reader, text, message, fix):
    raises_data_error(reader, write(tmp_path / "w.csv", text), message, fix=fix)


@pytest.mark.parametrize("bad", ["2024-13-01", "01/03/2024", "yesterday", ""])
def test_unparsable_date(tmp_path, bad):
    path = write(tmp_path / "d.csv", f"date,value\n2024-01-02,1\n{bad},2\n")
    raises_data_error(fred.read, path, f"column 'date' row 3: cannot parse date {bad!r}",
                      fix="YYYY-MM-DD")


def test_unparsable_date_with_explicit_format(tmp_path):
    text = "Date,Mkt-RF,SMB,HML,RF\n20240102,1,2,3,4\n2024-01-03,1,2,3,4\n"
    path = write(tmp_path / "f.csv", text)
    raises_data_error(french.read, path, "row 3: cannot parse date '2024-01-03'", fix="%Y%m%d")


def test_duplicate_dates(tmp_path):
    path = write(tmp_path / "u.csv", "Date,^RUT\n2024-01-02,1\n2024-01-03,2\n2024-01-03,3\n")
    raises_data_error(yahoo.read, path, "column 'Date': duplicate date 2024-01-03",
                      fix="each date must appear once")


def test_unsorted_dates(tmp_path):
    path = write(tmp_path / "s.csv", "date,value\n2024-01-02,1\n2024-01-04,2\n2024-01-03,3\n")
    raises_data_error(fred.read, path,
                      "dates not sorted (2024-01-04 comes before 2024-01-03 at row 4)",
                      fix="sort the file by date, oldest first")


@pytest.mark.parametrize("bad", ["abc", "1,5", "12%", "--"])
def test_non_numeric_value(tmp_path, bad):
    path = write(tmp_path / "n.csv", f'date,value\n2024-01-02,1\n2024-01-03,"{bad}"\n')
    raises_data_error(fred.read, path, f"column 'value' row 3: non-numeric value {bad!r}",
                      fix="leave a cell empty for a missing value")


def test_non_numeric_in_second_column_names_that_column(tmp_path):
    text = "DATE,OPEN,HIGH,LOW,CLOSE\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,2,x,1.5\n"
    raises_data_error(cboe.read, write(tmp_path / "v.csv", text), "column 'LOW' row 3",
                      fix="values must be numbers")


def test_all_values_missing(tmp_path):
    path = write(tmp_path / "m.csv", "date,value\n2024-01-02,\n2024-01-03,.\n")
    raises_data_error(fred.read, path, "no numeric values at all", fix="value column")


def test_non_positive_close(tmp_path):
    path = write(tmp_path / "z.csv", "Date,^RUT\n2024-01-02,1\n2024-01-03,0\n")
    raises_data_error(yahoo.read, path, "non-positive close on 2024-01-03",
                      fix="closes must be > 0")


def test_tidy_missing_named_column(tmp_path):
    path = write(tmp_path / "c.csv", "when,level\n2024-01-02,1\n")
    table = csvfile.read_table(path)
    with pytest.raises(DataError) as info:
        csvfile.tidy(path, table, "date", {"level": "value"})
    assert "missing column 'date' (has ['when', 'level'])" in str(info.value)
    assert "--date-col" in info.value.fix


def test_whitespace_around_header_and_cells_is_ignored(tmp_path):
    path = write(tmp_path / "ws.csv", " date , value \n 2024-01-02 , 1.25 \n")
    frame = fred.read(path)
    assert frame["value"].iloc[0] == 1.25
    assert frame.index[0] == pd.Timestamp("2024-01-02")
