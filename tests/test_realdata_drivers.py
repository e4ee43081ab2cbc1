"""Issue-13 datasets on the real mirror: coverage, dated values, the MANIFEST's checks, and
constituent breadth against the pre-computed breadth (figures quoted in docs/validation.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data import datasets
from engine.data.catalog import Catalog
from engine.data.sources.constituents import survivorship

pytestmark = pytest.mark.realdata

IDS = ("breadth.sp500", "breadth.bamhi", "breadth.shoppa", "gdpnow.us", "gdp.first",
       "gdp.second", "gdp.third", "payrolls.first", "ip.first", "unrate.first", "cpi.first",
       "earnings.fwd_eps", "earnings.spdji", "earnings.spdji_actuals", "shiller.ie",
       "spf.cprof")


@pytest.fixture(scope="module")
def built(tmp_path_factory, real_mirror):
    import shutil

    from conftest import REPO

    home = tmp_path_factory.mktemp("depth") / "datasets"
    home.mkdir()
    shutil.copy2(REPO / "datasets" / "catalog.toml", home / "catalog.toml")
    catalog = Catalog.load(home)
    metas = {i: datasets.build_one(catalog, catalog.get(i), real_mirror).meta for i in IDS}
    frames = {i: datasets.load(catalog, i, real_mirror)[0] for i in IDS}
    return metas, frames


def test_constituent_breadth_coverage_and_summary(built):
    metas, frames = built
    b = frames["breadth.sp500"]
    assert str(b.index[0].date()) == "2000-01-03" and b.index[-1] >= pd.Timestamp("2025-12-30")
    s = metas["breadth.sp500"].provenance["summary"]
    assert s["tickers_with_prices"] > 500 and s["spells_without_file"] > 500
    assert s["gap_days"] >= 0 and s["suspect_split_days"] >= 0
    assert s["reused_ticker_spells_rejected"] > 0
    table = survivorship(b)
    assert table.loc[2000, "share"] < 0.5 < 0.95 < table.loc[2025, "share"]
    assert (table.loc[2000:2025, "members"].between(480, 510)).all()


def test_constituent_breadth_tracks_precomputed(built):
    _, frames = built
    mine = frames["breadth.sp500"]["above_ma200"]
    theirs = frames["breadth.bamhi"]["above_ma200"]
    both = pd.concat([mine, theirs], axis=1, join="inner").dropna().loc["2007":"2025"]
    assert len(both) > 4000
    assert both.corr().iloc[0, 1] > 0.99
    assert abs((both.iloc[:, 0] - both.iloc[:, 1]).mean()) < 0.02


def test_release_dates(built):
    _, f = built
    gdp = f["gdp.first"]
    assert gdp.loc["2019-02-28", "quarter"] == 20184      # Q4-2018 delayed by the shutdown
    assert gdp.loc["2025-12-23", "quarter"] == 20253      # Q3-2025 after the 2025 shutdown
    now = f["gdpnow.us"]
    q3 = now[now["quarter"] == 20253]
    assert str(q3.index[-1].date()) == "2025-12-16"
    # MANIFEST check: every quarter's last nowcast is dated on or before its advance release
    last = now.groupby("quarter").tail(1)
    rel = pd.Series(gdp.index, index=gdp["quarter"].to_numpy())
    common = last["quarter"][last["quarter"].isin(rel.index)]
    assert len(common) >= 45
    assert (common.index <= rel.loc[common.to_numpy()].to_numpy()).all()


def test_vintages_and_earnings_values(built):
    _, f = built
    pay = f["payrolls.first"]
    assert (pay.loc["2024-03-31", "value"], pay.loc["2024-03-31", "obs"]) == (157808, 202402)
    ie = f["shiller.ie"]
    assert ie.loc["2024-10-01", "price"] == 5792.32       # "2024.1" is October
    assert ie.loc["2024-12-01", "earnings"] == 210.17
    fe = f["earnings.fwd_eps"]
    assert fe.loc["2017-01-06", "fwd_eps"] == pytest.approx(2276.97998 / 17.1, rel=1e-6)
    assert f["earnings.spdji"].loc["2026-01-01", "op_eps_4q"] == pytest.approx(310.32, abs=0.01)
    assert str(f["spf.cprof"].index[-1].date()) == "2023-02-28"
    act = f["earnings.spdji_actuals"]
    assert act.loc["2025-04-01", "op_eps"] == 64.01 and np.isnan(act.loc["2025-10-01", "op_eps"])
    # MANIFEST check: the workbook's quarter-end prices equal the GSPC close
    assert act.loc["2024-07-01", "price"] == pytest.approx(5762.48, abs=0.01)
    sp600 = f["breadth.shoppa"]["sp600_pct_above_200d"].dropna()
    assert sp600.min() > 0.0 and sp600.max() < 1.0
    assert np.isfinite(f["cpi.first"]["pct_yoy"]).sum() > 100
