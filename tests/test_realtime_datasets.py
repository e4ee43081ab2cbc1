"""Publication-dated datasets end to end: catalog (irregular frequency, timing, several
inputs), builds and staleness over folders, point-in-time visibility in the panel, and the
families reading breadth, GDPNow, first releases and forward EPS (hand-computed)."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from test_signals import assert_same, compute, daily, make_panel

from engine.data import datasets
from engine.data.catalog import Catalog
from engine.errors import DataError
from engine.signals.revisions import change_over

NAN = np.nan


def _breadth_mirror(root, n_days: int = 260):
    days = pd.bdate_range("2021-01-01", periods=n_days)
    (root / "constituents").mkdir(parents=True)
    rows = ["ticker,start_date,end_date"]
    for k in range(25):
        folder = root / ("old" if k % 2 else "new")
        folder.mkdir(exist_ok=True)
        px = np.linspace(10, 20 if k < 15 else 5, n_days)
        text = "Date,Open,High,Low,Close,Volume\n" + "".join(
            f"{d:%Y-%m-%d},1,1,1,{p!r},1\n" for d, p in zip(days, px.tolist(), strict=True))
        (folder / f"T{k}.csv.gz").write_bytes(gzip.compress(text.encode()))
        rows.append(f"T{k},2020-01-01,")
    (root / "constituents/m.csv").write_text("\n".join(rows) + "\n")
    return root


def _catalog(project, extra: str) -> Catalog:
    path = project / "datasets" / "catalog.toml"
    path.write_text(path.read_text() + extra)
    return Catalog.load()


ENTRY = '''
[datasets."breadth.test"]
source = "constituents"
file = "constituents/m.csv"
inputs = ["old", "new"]
frequency = "daily"
units = "share"
description = "test breadth"
lag_days = 0
columns = "above_ma200, counted, members"
'''


def test_multi_input_build_summary_and_staleness(project, tmp_path):
    mirror = _breadth_mirror(tmp_path / "mirror")
    catalog = _catalog(project, ENTRY)
    entry = catalog.get("breadth.test")
    assert entry.files == ("constituents/m.csv", "old", "new")
    assert entry.timing_note == "fixed lag 0 d"
    out = datasets.build_one(catalog, entry, mirror)
    assert out.status == "built" and out.meta.provenance["summary"]["tickers_with_prices"] == 25
    frame, meta = datasets.load(catalog, "breadth.test", mirror)
    assert frame["above_ma200"].iloc[-1] == pytest.approx(15 / 25)
    assert meta.provenance["summary"]["spells"] == 25
    assert datasets.build_one(catalog, entry, mirror).status == "up to date"
    # one file inside one folder changes: the dataset is stale, then rebuilt
    victim = mirror / "new" / "T0.csv.gz"
    lines = gzip.decompress(victim.read_bytes()).decode().splitlines()
    victim.write_bytes(gzip.compress(("\n".join(lines[:-1]) + "\n").encode()))
    with pytest.raises(DataError, match="stale"):
        datasets.load(catalog, "breadth.test", mirror)
    assert datasets.build_one(catalog, entry, mirror).status == "built"


def test_multi_input_needs_mirror_and_every_input(project, tmp_path):
    mirror = _breadth_mirror(tmp_path / "mirror")
    catalog = _catalog(project, ENTRY.replace('"old", "new"', '"old", "new", "gone"'))
    with pytest.raises(DataError, match="mirror input missing") as err:
        datasets.build_one(catalog, catalog.get("breadth.test"), mirror)
    assert err.value.where.endswith("gone")
    with pytest.raises(DataError, match="several mirror inputs"):
        datasets.build_one(catalog, catalog.get("breadth.test"), None)


def test_irregular_frequency_and_bad_timing(project):
    catalog = Catalog.load()
    g = catalog.get("gdpnow.us")
    assert (g.frequency, g.lag_days, g.timing_note) == ("irregular", 0, "release dates")
    assert catalog.get("payrolls.first").timing_note == "vintage dates (month-end bound)"
    bad = ENTRY.replace('lag_days = 0', 'lag_days = 0\ntiming = "whenever"')
    with pytest.raises(DataError, match="timing 'whenever' not allowed"):
        _catalog(project, bad)


def test_publication_dated_value_visible_from_its_day_only():
    idx = pd.bdate_range("2024-01-01", periods=8)
    nowcast = pd.DataFrame({"nowcast": [2.0, 3.5], "change_since_first": [0.0, 1.5]},
                           index=pd.to_datetime(["2024-01-03", "2024-01-06"]))  # a Saturday
    panel = make_panel({"index.GSPC": (daily(range(8), "2024-01-01", "B"), "daily", 0),
                        "gdpnow.us": (nowcast, "irregular", 0)}, index=idx)
    assert_same(panel.daily("gdpnow.us"), [NAN, NAN, 2, 2, 2, 3.5, 3.5, 3.5])
    out = compute("macro.gdpnow", panel, above=[3.0, 1.0])
    assert_same(out[:, 0], [NAN, NAN, 0, 0, 0, 1, 1, 1])
    assert_same(out[:, 1], [NAN, NAN, 1, 1, 1, 1, 1, 1])


def test_gdpnow_vs_trend_uses_first_releases_known_then():
    idx = pd.bdate_range("2024-01-01", periods=6)
    gdp = pd.DataFrame({"growth_saar": [1.0, 3.0, 9.0]},
                       index=pd.to_datetime(["2023-10-26", "2024-01-02", "2024-01-05"]))
    now = pd.DataFrame({"nowcast": [2.5]}, index=pd.to_datetime(["2024-01-01"]))
    panel = make_panel({"index.GSPC": (daily(range(6), "2024-01-01", "B"), "daily", 0),
                        "gdpnow.us": (now, "irregular", 0), "gdp.first": (gdp, "irregular", 0)},
                       index=idx)
    out = compute("macro.gdpnow_vs_trend", panel, quarters=2, above=0.0)
    # trend: NaN (one release), then mean(1, 3) = 2 -> 2.5 > 2; from 01-05 mean(3, 9) = 6
    assert_same(out[:, 0], [NAN, 1, 1, 1, 0, 0])


def test_members_above_thrust_and_ad_line():
    share = [0.5, 0.35, 0.45, 0.55, 0.62, 0.70, 0.30, 0.50, 0.66, 0.60]
    ad = [0, 5, 3, 8, 8, 10, 9, 12, 11, 15]
    idx = pd.bdate_range("2024-01-01", periods=10)
    frame = pd.DataFrame({"above_ma200": share, "zweig_ema": share, "ad_line": ad}, index=idx)
    panel = make_panel({"index.GSPC": (daily(range(10), "2024-01-01", "B"), "daily", 0),
                        "breadth.sp500": (frame, "daily", 0)}, index=idx)
    assert_same(compute("breadth.members_above", panel, above=0.6)[:, 0],
                [0, 0, 0, 0, 1, 1, 0, 0, 1, 1])
    thrust = compute("breadth.members_thrust", panel, low=0.40, high=0.615, days=3)
    # day 4: 0.62 > 0.615, day 3 <= 0.615, min(days 1..3) = 0.35 < 0.40; day 8: min(5..7)=0.30
    assert_same(thrust[:, 0], [NAN, NAN, NAN, 0, 1, 0, 0, 0, 1, 0])
    assert_same(compute("breadth.ad_line_rising", panel, days=2)[:, 0],
                [NAN, NAN, 1, 1, 1, 1, 1, 1, 1, 1])


def test_forward_eps_revision_over_calendar_weeks_with_gaps():
    s = pd.Series([100.0, 101.0, 102.0, 99.0],
                  index=pd.to_datetime(["2024-01-05", "2024-01-19", "2024-02-02", "2024-06-07"]))
    out = change_over(s, 14, 45)
    # 01-19 vs 01-05: +1%; 02-02 vs 01-19: 102/101; 06-07 looks back to 05-24: the last report
    # (02-02) is 112 days older than that -> no revision reading
    np.testing.assert_allclose(out.to_numpy(), [NAN, 1.0, (102 / 101 - 1) * 100, NAN])
    idx = pd.bdate_range("2024-01-01", "2024-02-09")
    panel = make_panel({"index.GSPC": (daily(range(len(idx)), "2024-01-01", "B"), "daily", 0),
                        "earnings.fwd_eps": (s.to_frame("fwd_eps"), "irregular", 0)}, index=idx)
    sig = compute("revisions.forward_eps", panel, weeks=2, above=0.5)[:, 0]
    assert np.isnan(sig[idx < "2024-01-19"]).all()
    assert (sig[(idx >= "2024-01-19") & (idx < "2024-02-02")] == 1).all()
    assert (sig[idx >= "2024-02-02"] == 1).all()   # 0.99% > 0.5%


def test_release_above_reads_first_release_from_release_day():
    idx = pd.bdate_range("2019-02-25", periods=5)
    first = pd.DataFrame({"growth_saar": [2.6]}, index=pd.to_datetime(["2019-02-28"]))
    panel = make_panel({"index.GSPC": (daily(range(5), "2019-02-25", "B"), "daily", 0),
                        "gdp.first": (first, "irregular", 0)}, index=idx)
    assert_same(compute("macro.release_above", panel, above=2.0)[:, 0], [NAN, NAN, NAN, 1, 1])


def test_report_caveats_name_release_dated_series_and_survivorship():
    from engine.report.content import _point_in_time_caveats

    out = _point_in_time_caveats([
        {"id": "index.RUT", "frequency": "daily"}, {"id": "gdpnow.us", "frequency": "irregular"},
        {"id": "breadth.sp500", "frequency": "daily"},
        {"id": "breadth.shoppa", "frequency": "daily"}])
    assert out[0].startswith("Dated by their real release or publication dates") \
        and "gdpnow.us" in out[0] and "index.RUT" not in out[0]
    assert out[1].startswith("Survivorship: breadth.sp500") and "39%" in out[1]
    assert "today's index members" in out[2]
    assert _point_in_time_caveats([{"id": "index.RUT", "frequency": "daily"}]) == []
