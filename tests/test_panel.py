"""Point-in-time panel: a value is never visible before period end + publication lag, and the
as-of join onto the target's trading days carries the last published value over weekends,
holidays and missing observations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import cpi_value, gdp_value, rut_value, trading_days
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data.catalog import Entry
from engine.data.panel import (
    STALE_AFTER_DAYS,
    Panel,
    asof_positions,
    availability,
    load_panel,
    period_end,
)
from engine.errors import DataError


def entry(id_: str, frequency: str, lag: int, columns: tuple[str, ...] = ("value",)) -> Entry:
    return Entry(id=id_, source="fred", file=f"{id_}.csv", frequency=frequency, units="u",
                 description="d", lag_days=lag, columns=columns)


def make_panel(days, series: dict[str, tuple[Entry, pd.DataFrame]], target: str = "t") -> Panel:
    """A panel over ``days`` with a flat target close and the given datasets."""
    index = pd.DatetimeIndex(pd.to_datetime(days), name="date")
    frames = {target: pd.DataFrame({"close": np.arange(1.0, len(index) + 1)}, index=index)}
    entries = {target: entry(target, "daily", 0, ("close",))}
    for id_, (ent, frame) in series.items():
        frames[id_], entries[id_] = frame, ent
    return Panel(index, frames, entries, target)


def frame_of(dates, values) -> pd.DataFrame:
    return pd.DataFrame({"value": np.asarray(values, dtype=np.float64)},
                        index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"))


def on(panel: Panel, ref: str, day: str) -> float:
    return float(panel.daily(ref)[panel.index.get_loc(pd.Timestamp(day))])


# ----------------------------------------------------------------------------- availability


def test_period_end_by_frequency():
    d = pd.DatetimeIndex(["2023-02-01", "2023-03-15", "2024-02-01"])
    assert list(period_end(d, "monthly")) == list(pd.to_datetime(
        ["2023-02-28", "2023-03-31", "2024-02-29"]))
    assert list(period_end(d, "quarterly")) == list(pd.to_datetime(
        ["2023-03-31", "2023-03-31", "2024-03-31"]))
    assert period_end(d, "daily").equals(d) and period_end(d, "weekly").equals(d)


def test_availability_dates():
    monthly = availability(pd.DatetimeIndex(["2023-03-01"]), entry("m", "monthly", 14))
    quarterly = availability(pd.DatetimeIndex(["2023-01-01"]), entry("q", "quarterly", 30))
    weekly = availability(pd.DatetimeIndex(["2023-01-07"]), entry("w", "weekly", 5))
    daily = availability(pd.DatetimeIndex(["2023-06-30"]), entry("d", "daily", 1))
    assert monthly[0] == pd.Timestamp("2023-04-14")   # March 31 + 14
    assert quarterly[0] == pd.Timestamp("2023-04-30")  # March 31 + 30
    assert weekly[0] == pd.Timestamp("2023-01-12")     # Saturday + 5 = Thursday
    assert daily[0] == pd.Timestamp("2023-07-01")


def test_asof_positions_side_right():
    avail = pd.DatetimeIndex(["2023-01-05", "2023-01-10"])
    days = pd.DatetimeIndex(["2023-01-04", "2023-01-05", "2023-01-09", "2023-01-10", "2023-01-11"])
    np.testing.assert_array_equal(asof_positions(avail, days), [-1, 0, 0, 1, 1])


# ----------------------------------------------------------------------------- hand cases


def test_monthly_lag_14_march_visible_only_from_april_14():
    # 2023: April 14 is a Friday (trading day); April 7 is Good Friday (closed)
    days = trading_days()
    days = days[(days >= "2023-03-01") & (days <= "2023-05-31")]
    cpi = frame_of(["2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01"], [1, 2, 3, 4])
    panel = make_panel(days, {"cpi": (entry("cpi", "monthly", 14), cpi)})
    seen = panel.daily("cpi")
    # January (avail Feb 14) before Mar 14, February from Mar 14, March from Apr 14
    assert on(panel, "cpi", "2023-03-13") == 1.0
    assert on(panel, "cpi", "2023-03-14") == 2.0
    assert on(panel, "cpi", "2023-04-13") == 2.0
    assert on(panel, "cpi", "2023-04-14") == 3.0
    assert on(panel, "cpi", "2023-05-12") == 3.0
    assert on(panel, "cpi", "2023-05-15") == 4.0  # May 14 is a Sunday: next trading day
    march = seen == 3.0
    assert panel.index[march][0] == pd.Timestamp("2023-04-14")
    assert not march[panel.index < "2023-04-14"].any()


def test_monthly_lag_14_when_april_14_is_a_weekend():
    days = pd.bdate_range("2024-04-08", "2024-04-19")  # April 14, 2024 is a Sunday
    cpi = frame_of(["2024-02-01", "2024-03-01"], [20, 30])
    panel = make_panel(days, {"cpi": (entry("cpi", "monthly", 14), cpi)})
    got = dict(zip(panel.index.strftime("%m-%d"), panel.daily("cpi"), strict=True))
    assert got["04-12"] == 20.0 and got["04-15"] == 30.0


def test_quarterly_lag_30():
    days = trading_days()
    days = days[(days >= "2023-01-02") & (days <= "2023-08-31")]
    gdp = frame_of(["2022-10-01", "2023-01-01", "2023-04-01"], [100, 200, 300])
    panel = make_panel(days, {"gdp": (entry("gdp", "quarterly", 30), gdp)})
    # Q4 2022: Dec 31 + 30 = Jan 30 (Mon); Q1: Mar 31 + 30 = Apr 30 (Sun) -> May 1;
    # Q2: Jun 30 + 30 = Jul 30 (Sun) -> Jul 31
    assert np.isnan(on(panel, "gdp", "2023-01-27"))
    assert on(panel, "gdp", "2023-01-30") == 100.0
    assert on(panel, "gdp", "2023-04-28") == 100.0
    assert on(panel, "gdp", "2023-05-01") == 200.0
    assert on(panel, "gdp", "2023-07-28") == 200.0
    assert on(panel, "gdp", "2023-07-31") == 300.0


def test_asof_over_weekend_holiday_and_missing_values():
    # Target closed Tue 2023-07-04; the FRED file has a blank row that day (NaN)
    days = ["2023-06-29", "2023-06-30", "2023-07-03", "2023-07-05", "2023-07-06", "2023-07-07"]
    fred = frame_of(["2023-06-28", "2023-06-29", "2023-06-30", "2023-07-03", "2023-07-04",
                     "2023-07-05", "2023-07-06"], [1, 2, 3, 4, np.nan, 5, 6])
    panel = make_panel(days, {"y": (entry("y", "daily", 1), fred)})
    # lag 1: Fri 06-30 -> Sat, seen Mon; Mon 07-03 -> Tue holiday, seen Wed; blank skipped
    np.testing.assert_array_equal(panel.daily("y"), [1, 2, 3, 4, 5, 6])
    same_day = make_panel(days, {"y": (entry("y", "daily", 0), fred)})
    np.testing.assert_array_equal(same_day.daily("y"), [2, 3, 4, 5, 6, 6])


def test_weekly_saturday_dates_lag_5_seen_on_thursday():
    days = pd.bdate_range("2023-01-09", "2023-01-20")
    claims = frame_of(["2023-01-07", "2023-01-14"], [210, 220])
    panel = make_panel(days, {"c": (entry("c", "weekly", 5), claims)})
    got = dict(zip(panel.index.strftime("%m-%d"), panel.daily("c"), strict=True))
    assert np.isnan(got["01-11"]) and got["01-12"] == 210.0
    assert got["01-18"] == 210.0 and got["01-19"] == 220.0


def test_no_value_before_first_publication_is_nan_not_zero():
    days = pd.bdate_range("2023-01-02", "2023-01-06")
    panel = make_panel(days, {"x": (entry("x", "daily", 0), frame_of(["2023-01-04"], [0.5]))})
    np.testing.assert_array_equal(panel.daily("x"), [np.nan, np.nan, 0.5, 0.5, 0.5])


def test_align_two_dimensional_values():
    days = pd.bdate_range("2023-04-10", "2023-04-18")
    cpi = frame_of(["2023-02-01", "2023-03-01"], [2, 3])
    panel = make_panel(days, {"cpi": (entry("cpi", "monthly", 14), cpi)})
    derived = pd.DataFrame({"a": [2.0, 3.0], "b": [20.0, 30.0]}, index=cpi.index)
    out = panel.align(derived, "cpi")
    assert out.shape == (len(days), 2)
    np.testing.assert_array_equal(out[:, 1], [20, 20, 20, 20, 30, 30, 30])
    empty = panel.align(derived.iloc[:0], "cpi")
    assert empty.shape == (len(days), 2) and np.isnan(empty).all()


def test_alignment_reuses_positions_only_for_the_same_dates():
    """A sweep aligns hundreds of statistics of one series on the same dates (the positions
    are worked out once); statistics on other dates (a resampled or shortened series) must
    get their own, in any order, equal to a fresh panel's."""
    days = pd.bdate_range("2023-01-02", "2023-06-30")
    cpi = frame_of(pd.date_range("2022-10-01", periods=9, freq="MS"), np.arange(9.0))
    panel = make_panel(days, {"cpi": (entry("cpi", "monthly", 14), cpi)})
    stats = [cpi["value"] * 2, cpi["value"].iloc[::2], cpi["value"] + 1, cpi["value"].iloc[3:],
             cpi["value"].iloc[::2] * 3]
    for s in stats:
        fresh = make_panel(days, {"cpi": (entry("cpi", "monthly", 14), cpi)})
        np.testing.assert_array_equal(panel.align(s, "cpi"), fresh.align(s, "cpi"))
    short = panel.align(cpi["value"].iloc[3:], "cpi")
    assert np.isnan(short[:20]).all() and not np.isnan(short[-1])  # its own positions


def test_value_goes_stale_after_its_frequency_limit():
    # daily limit 10 days: published Mon 2023-01-02, still shown on 01-12, gone on 01-13
    days = pd.bdate_range("2023-01-02", "2023-01-20")
    panel = make_panel(days, {"x": (entry("x", "daily", 0), frame_of(["2023-01-02"], [7.0]))})
    got = dict(zip(panel.index.strftime("%m-%d"), panel.daily("x"), strict=True))
    assert STALE_AFTER_DAYS["daily"] == 10
    assert got["01-12"] == 7.0 and np.isnan(got["01-13"]) and np.isnan(got["01-20"])


def test_mixed_datetime_units_align_the_same():
    """pandas 3 builds "us" indexes, Parquet loads "ns": alignment must not depend on it."""
    days = pd.bdate_range("2023-03-01", "2023-05-31")
    cpi = frame_of(["2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01"], [1, 2, 3, 4])
    results = []
    for day_unit, value_unit in [("ns", "ns"), ("ns", "us"), ("us", "ns"), ("s", "us")]:
        values = cpi.set_axis(cpi.index.as_unit(value_unit))
        panel = make_panel(days.as_unit(day_unit),
                           {"cpi": (entry("cpi", "monthly", 14), values)})
        results.append(panel.daily("cpi"))
        assert on(panel, "cpi", "2023-04-13") == 2.0 and on(panel, "cpi", "2023-04-14") == 3.0
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])


@settings(max_examples=60, deadline=None)
@given(
    obs=st.lists(st.integers(0, 400), min_size=1, max_size=30, unique=True),
    lag=st.integers(0, 60),
    freq=st.sampled_from(["daily", "weekly", "monthly", "quarterly"]),
    nan_at=st.sets(st.integers(0, 29), max_size=5),
)
def test_never_visible_before_availability(obs, lag, freq, nan_at):
    """Brute force: each day shows the latest observation whose availability is <= that day
    (and no older than the staleness limit for its frequency), else NaN."""
    base = pd.Timestamp("2022-01-03")
    dates = pd.DatetimeIndex(sorted(base + pd.Timedelta(days=d) for d in obs))
    if freq == "monthly":  # period dates at the start of their month, as FRED writes them
        dates = dates.to_period("M").to_timestamp().unique()
    elif freq == "quarterly":
        dates = dates.to_period("Q").to_timestamp().unique()
    values = np.arange(1.0, len(dates) + 1)
    values[[i for i in nan_at if i < len(values)]] = np.nan
    ent = entry("s", freq, lag)
    days = pd.bdate_range("2021-12-01", "2023-06-30")
    panel = make_panel(days, {"s": (ent, frame_of(dates, values))})
    got = panel.daily("s")
    avail = availability(dates, ent)
    max_age = pd.Timedelta(days=STALE_AFTER_DAYS[freq])
    for t, value in zip(days, got, strict=True):
        known = [(a, v) for a, v in zip(avail, values, strict=True) if a <= t and not np.isnan(v)]
        if known and t - known[-1][0] <= max_age:
            assert value == known[-1][1]
            assert avail[int(value) - 1] <= t  # the value shown was already published
        else:
            assert np.isnan(value)


# ----------------------------------------------------------------------------- references


def test_resolve_references_and_errors():
    days = pd.bdate_range("2023-01-02", "2023-01-06")
    multi = pd.DataFrame({"price": [1.0], "earnings": [2.0]},
                         index=pd.DatetimeIndex(["2022-01-01"], name="date"))
    panel = make_panel(days, {"sh": (entry("sh", "monthly", 90, ("price", "earnings")), multi)})
    assert panel.resolve("@target") == ("t", "close")
    assert panel.resolve("sh") == ("sh", "price")
    assert panel.resolve("sh:earnings") == ("sh", "earnings")
    with pytest.raises(DataError) as info:
        panel.resolve("@benchmark")
    assert "no benchmark" in str(info.value) and "benchmark" in info.value.fix
    with pytest.raises(DataError) as info:
        panel.resolve("sh:dividend")
    assert "dataset 'sh' has no column 'dividend'" in str(info.value)
    assert info.value.fix == "use one of ['price', 'earnings']"
    with pytest.raises(DataError) as info:
        panel.resolve("fred.NOPE")
    assert "'fred.NOPE' was not loaded" in str(info.value)


# ----------------------------------------------------------------------------- from disk


def test_load_panel_from_built_datasets(synthetic_catalog):
    panel, metas = load_panel(synthetic_catalog, ["fred.CPIAUCSL", "fred.GDP", "@target",
                                                  "shiller.sp500:earnings", "sector.XLK"],
                              "index.RUT", "index.GSPC")
    assert set(metas) == {"index.RUT", "index.GSPC", "fred.CPIAUCSL", "fred.GDP",
                          "shiller.sp500", "sector.XLK"}
    assert panel.index.equals(pd.DatetimeIndex(trading_days(), name="date"))
    close = panel.close()
    assert close[0] == rut_value(0) and close[-1] == rut_value(len(close) - 1)
    assert panel.resolve("@benchmark") == ("index.GSPC", "close")
    # CPI, lag 14 (month k counted from 2022-01): Feb 2023 = k 13, Mar 2023 = k 14
    assert on(panel, "fred.CPIAUCSL", "2023-04-13") == cpi_value(13)
    assert on(panel, "fred.CPIAUCSL", "2023-04-14") == cpi_value(14)
    # Oct 2024 is blank: at its availability (Nov 14) September stays; Nov 2024 from Dec 16
    assert on(panel, "fred.CPIAUCSL", "2024-11-14") == cpi_value(32)
    assert on(panel, "fred.CPIAUCSL", "2024-12-13") == cpi_value(32)
    assert on(panel, "fred.CPIAUCSL", "2024-12-16") == cpi_value(34)
    # GDP quarter k from 2021Q1: 2023Q1 is k 8, seen from May 1 2023
    assert on(panel, "fred.GDP", "2023-04-28") == gdp_value(7)
    assert on(panel, "fred.GDP", "2023-05-01") == gdp_value(8)
    # Shiller earnings (lag 90): June 2023 is the last published, seen from 2023-09-28
    assert on(panel, "shiller.sp500:earnings", "2023-09-27") == 180.0 + 16
    assert on(panel, "shiller.sp500:earnings", "2023-09-28") == 180.0 + 17
    # ...and is no longer "the latest reading" 95 days after that (2024-01-01): no data
    assert on(panel, "shiller.sp500:earnings", "2023-12-29") == 180.0 + 17
    assert np.isnan(on(panel, "shiller.sp500:earnings", "2024-01-02"))
    # an ETF that starts later: NaN on the days before its first close
    xlk = panel.close("sector.XLK")
    assert np.isnan(xlk[panel.index < "2023-03-01"]).all()
    assert xlk[panel.index.get_loc(pd.Timestamp("2023-03-01"))] == 150.0


def test_load_panel_errors(synthetic_catalog, synthetic_mirror):
    with pytest.raises(DataError, match="is not built"):
        load_panel(synthetic_catalog, ["fred.PAYEMS"], "index.RUT")
    with pytest.raises(DataError, match="unknown dataset id"):
        load_panel(synthetic_catalog, ["fred.CPIAUCSLX"], "index.RUT")
    src = synthetic_mirror / "fred/GDP.csv"
    src.write_text(src.read_text() + "2025-01-01,1.0\n")
    with pytest.raises(DataError, match="is stale"):
        load_panel(synthetic_catalog, ["fred.GDP"], "index.RUT", mirror=synthetic_mirror)


def test_load_panel_target_needs_two_prices(project, tmp_path):
    from engine.data import dataops
    from engine.data.catalog import Catalog

    src = tmp_path / "one.csv"
    src.write_text("date,value\n2024-01-02,5\n")
    catalog = Catalog.load()
    dataops.import_csv(catalog, src, "custom.one", "date", "value", "daily", 0)
    with pytest.raises(DataError) as info:
        load_panel(catalog, [], "custom.one")
    assert "target 'custom.one' has fewer than 2 prices" in str(info.value)
