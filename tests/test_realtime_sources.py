"""GDPNow, ALFRED GDP releases and Philadelphia Fed vintages: format traps, dating, no
look-ahead. Fixtures reproduce each trap of the real files (see the mirror's MANIFEST)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data.sources import gdpnow, realtime
from engine.errors import DataError


def write_gdpnow(path: Path, rows: list[str]) -> Path:
    # UTF-8 BOM, CRLF, M/D/YY and no newline after the last line, as exported
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(
        ["Forecast Date,Quarter being forecasted,GDP Nowcast", *rows]).encode())
    return path


ROWS = ["5/1/14,6/30/14,3.9", "5/2/14,6/30/14,4.2", "7/29/14,6/30/14,2.9",
        "7/31/14,9/30/14,2.4", "8/1/14,9/30/14,2.0"]


def test_gdpnow_traps_and_change_since_first(tmp_path):
    frame = gdpnow.read(write_gdpnow(tmp_path / "g.csv", ROWS))
    assert list(frame.index) == list(pd.to_datetime(
        ["2014-05-01", "2014-05-02", "2014-07-29", "2014-07-31", "2014-08-01"]))
    assert frame["nowcast"].tolist() == [3.9, 4.2, 2.9, 2.4, 2.0]
    np.testing.assert_allclose(frame["change_since_first"], [0.0, 0.3, -1.0, 0.0, -0.4])
    assert frame["quarter"].tolist() == [20142, 20142, 20142, 20143, 20143]
    assert frame["nowcasts_in_quarter"].tolist() == [1, 2, 3, 1, 2]


def test_gdpnow_no_look_ahead(tmp_path):
    full = gdpnow.read(write_gdpnow(tmp_path / "a.csv", ROWS))
    short = gdpnow.read(write_gdpnow(tmp_path / "b.csv", ROWS[:3]))
    pd.testing.assert_frame_equal(short, full.iloc[:3])


@pytest.mark.parametrize("rows,match", [
    (["2014-05-01,6/30/14,3.9"], "cannot parse date"),
    (["5/1/14,6/15/14,3.9"], "not a quarter's last day"),
    (["5/1/14,6/30/14,n/a"], "non-numeric"),
    (["5/1/14,6/30/14"], "expected 3 fields"),
])
def test_gdpnow_bad_input(tmp_path, rows, match):
    with pytest.raises(DataError, match=match):
        gdpnow.read(write_gdpnow(tmp_path / "g.csv", rows))


def test_gdpnow_wrong_header(tmp_path):
    (tmp_path / "g.csv").write_text("date,value\n2014-05-01,3.9\n")
    with pytest.raises(DataError, match="wrong header"):
        gdpnow.read(tmp_path / "g.csv")


GDP_HEADER = ("observation_date,first_release_date,first_release,alfred_prev_level_first,"
              "qoq_saar_growth_alfred_first_pct,second_release_date,second_release,"
              "alfred_prev_level_second,qoq_saar_growth_alfred_second_pct,third_release_date,"
              "third_release,alfred_prev_level_third,qoq_saar_growth_alfred_third_pct")


def gdp_file(path: Path) -> Path:
    rows = [  # 1991Q1-Q2 backfilled on ALFRED's first vintage, then real releases
        "1991-01-01,1991-12-04,4800,,1.0,1991-12-20,4801,,1.1,1992-01-29,4802,,1.2",
        "1991-04-01,1991-12-04,4810,4800,0.8,1991-12-20,4811,4801,0.9,1992-01-29,4812,4802,0.9",
        "1991-07-01,1991-12-04,4820,4810,0.9,1991-12-20,4821,4811,0.9,1992-01-29,4822,4812,0.9",
        "2018-10-01,2019-02-28,18784.6,18665,2.6,2019-03-28,18800,18665,2.2,2019-04-26,18810,18665,2.2",
        "2025-07-01,2025-12-23,24025,23771,4.3,2026-01-22,24027,23771,4.4,,,,",
    ]
    path.write_text(GDP_HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def test_gdp_release_dates_backfill_and_missing_third(tmp_path):
    path = gdp_file(tmp_path / "gdp.csv")
    first = realtime.read_gdp_release(path, "first")
    # 1991Q1 (337 days after the quarter began) is a backfill: dropped; 1991Q2 and Q3 share
    # the vintage date: only the newest quarter is a release that day
    assert list(first.index) == list(pd.to_datetime(["1991-12-04", "2019-02-28", "2025-12-23"]))
    assert first["quarter"].tolist() == [19913, 20184, 20253]
    assert first.loc["2019-02-28", "growth_saar"] == 2.6   # Q4-2018: 59 days, not 30
    third = realtime.read_gdp_release(path, "third")
    assert third["quarter"].max() == 20184                # 2025Q3 third release not out yet


def test_gdp_release_no_look_ahead(tmp_path):
    full = realtime.read_gdp_release(gdp_file(tmp_path / "a.csv"), "first")
    text = (tmp_path / "a.csv").read_text().splitlines()
    (tmp_path / "b.csv").write_text("\n".join(text[:-1]) + "\n")
    short = realtime.read_gdp_release(tmp_path / "b.csv", "first")
    pd.testing.assert_frame_equal(short, full.iloc[:-1])


def philly_sheet(n_vintages: int = 3) -> pd.DataFrame:
    sheet = pd.DataFrame({
        "DATE": ["2023:10", "2023:11", "2023:12", "2024:01", "2024:02"],
        "EMPLOY23M12": [100.0, 101.0, "#N/A", "#N/A", "#N/A"],
        "EMPLOY24M1": [100.0, 101.5, 102.0, "#N/A", "#N/A"],
        "EMPLOY24M2": [100.0, 101.5, 102.5, 103.0, np.nan],
    })
    return sheet.iloc[:, : 1 + n_vintages]


def test_philly_vintages_first_release_within_vintage():
    v = realtime.vintages_from_sheet(philly_sheet(), Path("employ.xlsx"))
    assert list(v.dates) == list(pd.to_datetime(["2023-12-31", "2024-01-31", "2024-02-29"]))
    first = realtime.first_release(v)
    assert first["value"].tolist() == [101.0, 102.0, 103.0]
    assert first["change"].tolist() == [1.0, 0.5, 0.5]   # vs the same vintage's prior month
    assert first["obs"].tolist() == [202311, 202312, 202401]
    # as-of loader: on 2024-02-15 the January vintage is the newest public one
    asof = v.as_of("2024-02-15")
    assert asof.tolist() == [100.0, 101.5, 102.0]
    assert v.as_of("2023-12-30").empty


def test_philly_no_look_ahead():
    full = realtime.first_release(realtime.vintages_from_sheet(philly_sheet(3), Path("x")))
    short = realtime.first_release(realtime.vintages_from_sheet(philly_sheet(2), Path("x")))
    pd.testing.assert_frame_equal(short, full.iloc[:2])


def test_philly_quarterly_vintage_dates_and_quarter_rows():
    assert realtime.vintage_date("CPI24Q1", "x") == pd.Timestamp("2024-02-29")
    assert realtime.vintage_date("RUC65Q4", "x") == pd.Timestamp("1965-11-30")
    idx = realtime.obs_dates(pd.Series(["1947:Q1", "1947:Q2"]), "x")
    assert list(idx) == list(pd.to_datetime(["1947-01-01", "1947-04-01"]))


@pytest.mark.parametrize("change,match", [
    ({"DATE": ["2024-01", "2024:02"]}, "not YYYY:MM"),
    ({"EMPLOY24M2": ["x", 1, 2, 3, 4]}, "non-numeric"),
])
def test_philly_bad_cells(change, match):
    sheet = philly_sheet()
    for k, vals in change.items():
        sheet = sheet.iloc[: len(vals)].copy()
        sheet[k] = vals
    with pytest.raises(DataError, match=match):
        realtime.vintages_from_sheet(sheet, Path("employ.xlsx"))


def test_philly_bad_vintage_name():
    sheet = philly_sheet().rename(columns={"EMPLOY24M1": "EMPLOY_JAN"})
    with pytest.raises(DataError, match="not a vintage name"):
        realtime.vintages_from_sheet(sheet, Path("employ.xlsx"))
