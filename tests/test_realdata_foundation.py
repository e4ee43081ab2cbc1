"""The foundation on the real data mirror: every catalog entry builds, coverage matches the
files, the known traps (FRED blanks, Shiller zeros, French percent) are handled, and the
panel's publication lags hold on real dates. Skipped when the mirror is absent.

The mirror is only read, never written: builds go to a temporary project home.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, flat

from engine.data import datasets
from engine.data.catalog import Catalog
from engine.data.panel import STALE_AFTER_DAYS, load_panel

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def built(real_mirror: Path, tmp_path_factory: pytest.TempPathFactory):
    """A project home with every catalog dataset built by ``study data build --mirror``."""
    from typer.testing import CliRunner

    from engine.cli import app

    home = tmp_path_factory.mktemp("real") / "home"
    (home / "datasets").mkdir(parents=True)
    shutil.copy2(REPO / "datasets/catalog.toml", home / "datasets/catalog.toml")
    shutil.copytree(REPO / "studies", home / "studies")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDY_HOME", str(home))
        mp.delenv("STUDY_DATA_MIRROR", raising=False)
        mp.setenv("COLUMNS", "200")  # a wide terminal (not a tty: 80 columns otherwise)
        runner = CliRunner()
        first = runner.invoke(app, ["data", "build", "--mirror", str(real_mirror)])
        second = runner.invoke(app, ["data", "build", "--mirror", str(real_mirror)])
        listing = runner.invoke(app, ["data", "list"])
        shown = runner.invoke(app, ["data", "show", "index.RUT", "--tail", "2",
                                    "--mirror", str(real_mirror)])
        catalog = Catalog.load(home / "datasets")
    return {"home": home, "catalog": catalog, "mirror": real_mirror,
            "first": first, "second": second, "listing": listing, "shown": shown}


def text_of(result) -> str:
    assert result.exit_code == 0, result.output
    return flat(result.output.replace("│", " ").replace("┃", " "))


def _absent(built) -> set[str]:
    """Optional entries this mirror does not hold (e.g. the added fred_target file)."""
    return {i for i, e in built["catalog"].entries.items()
            if datasets.unavailable(e, built["mirror"])}


def test_build_all(built):
    absent = _absent(built)
    assert all(built["catalog"].get(i).optional for i in absent)
    n = len(Catalog.load(REPO / "datasets").entries) - len(absent)
    assert f"{n} built, 0 up to date" in text_of(built["first"])
    assert f"0 built, {n} up to date" in text_of(built["second"])  # hash check: nothing rewritten
    if absent:
        skipped = text_of(built["first"]).split("skipped (optional, not in this mirror): ")[1]
        assert set(skipped.split(", ")) == absent
    parquet = sorted((built["home"] / "datasets").glob("*.parquet"))
    assert len(parquet) == n
    assert {p.name[: -len(".parquet")] for p in parquet} == \
        set(built["catalog"].entries) - absent
    assert not [p for p in (built["home"] / "datasets").iterdir() if p.name.startswith(".")]


RUT_FIRST_CLOSE = 168.970001  # indices/RUT_ohlcv_to2020.csv.gz, 1987-09-10 Close


def test_rut_coverage(built):
    frame, meta = datasets.load(built["catalog"], "index.RUT", built["mirror"])
    # spliced: Yahoo 1987-09-10 .. 2020, first-pass file to 2025-09-24, heliar to 2026-08-21
    assert (meta.first, meta.last) == ("1987-09-10", "2026-08-21")
    assert frame.index[0] == pd.Timestamp("1987-09-10")
    assert frame.index[-1] == pd.Timestamp("2026-08-21")
    assert frame["close"].iloc[0] == pytest.approx(RUT_FIRST_CLOSE)
    assert frame.loc["1999-01-04", "close"] == pytest.approx(421.260009765625)
    assert frame.loc["2025-09-24", "close"] == pytest.approx(2434.97998046875)
    assert frame["close"].iloc[-1] == pytest.approx(3017.87)
    assert meta.rows == len(frame) == frame["close"].notna().sum() == 9811
    assert "1987-09-10 .. 2026-08-21" in text_of(built["shown"])


def test_hy_spread_first_date(built):
    frame, meta = datasets.load(built["catalog"], "fred.BAMLH0A0HYM2", built["mirror"])
    assert meta.first == "1996-12-31"
    assert frame.loc["1996-12-31", "value"] == 3.13
    assert np.isnan(frame.loc["1997-01-01", "value"])  # New Year blank: missing, not zero


def test_list_shows_every_dataset(built):
    text = text_of(built["listing"])
    for id_ in built["catalog"].entries:
        assert id_ in text
    absent = _absent(built)
    assert text.count("not built") == text.count("not built (optional)") == len(absent)
    assert "index.RUT daily 1987-09-10 2026-08-21 9811 yahoo 0" in text
    assert "index.GSPC daily 1927-12-30 2026-08-21 24777 yahoo 0" in text
    assert "fred.BAMLH0A0HYM2 daily 1996-12-31" in text
    assert "french.ff3 daily 1926-07-01 2026-04-30" in text


def _fred_truth(path: Path) -> tuple[int, str, str, int]:
    """Independent reading of a FRED mirror file: value count, first/last valued date, blanks."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    valued = [r[0] for r in rows if r[1].strip() not in ("", ".")]
    return len(valued), valued[0], valued[-1], len(rows) - len(valued)


def test_every_fred_series_matches_its_file(built):
    """Each first-pass FRED file is read exactly; spliced entries keep it intact on its span
    and only add dates after its end (or, for FEDFUNDS, the longer fred_2026 history before,
    checked equal on the whole overlap)."""
    fred = [e for e in built["catalog"] if e.source == "fred" and e.id.startswith("fred.")
            and any(f.startswith("fred/") for f in e.files)]
    assert len(fred) == 48
    for entry in fred:
        frame, meta = datasets.load(built["catalog"], entry.id)
        rel = next(f for f in entry.files if f.startswith("fred/"))
        n, first, last, blanks = _fred_truth(built["mirror"] / rel)
        if entry.files == (rel,):
            assert (meta.rows, meta.first, meta.last) == (n, first, last), entry.id
            assert int(frame["value"].isna().sum()) == blanks, entry.id
            continue
        assert int(frame["value"].loc[first:last].notna().sum()) == n, entry.id
        assert int(frame["value"].loc[:last].isna().sum()) == blanks, entry.id
        assert meta.last > last and meta.first <= first, entry.id


def test_dgs10_blanks_are_nan(built):
    frame, _ = datasets.load(built["catalog"], "fred.DGS10")
    assert frame["value"].isna().sum() == 502  # the MANIFEST's count of holiday blanks
    assert np.isnan(frame.loc["2023-07-04", "value"])
    assert frame.loc["2023-07-05", "value"] == 3.95
    assert (frame["value"].dropna() > 0).all()


def test_shiller_zero_is_missing_after_2023_06(built):
    frame, _ = datasets.load(built["catalog"], "shiller.sp500")
    assert frame.loc["2023-06-01", "earnings"] == pytest.approx(181.17)
    assert frame.loc["2023-07-01":, ["dividend", "earnings"]].isna().all().all()
    assert frame.loc["2023-09-01", "cpi"] == pytest.approx(306.13)
    assert np.isnan(frame.loc["2023-10-01", "cpi"])
    assert frame["price"].notna().all() and frame.index[-1] == pd.Timestamp("2026-06-01")
    assert not (frame == 0.0).any().any()


def test_french_factors_are_fractions(built):
    frame, meta = datasets.load(built["catalog"], "french.ff3")
    assert (meta.first, meta.last) == ("1926-07-01", "2026-04-30")  # the 202604 vintage
    assert frame.loc["1926-07-02", "mkt_rf"] == pytest.approx(0.0045)
    # vintage trap: 2024-12-31 SMB is 0.00 in the 2024 file and 0.01 in 202604 (revised)
    assert frame.loc["2024-12-31", "smb"] == pytest.approx(0.0001)
    assert frame.loc["2026-04-07", "smb"] == 0.0  # a real zero, kept
    assert frame["mkt_rf"].abs().max() < 0.25  # 1987-10-19 was about -17%, as a fraction


def test_coverage_ends_differ_by_file(built):
    cat = built["catalog"]
    last = {i: datasets.read_meta(cat.parquet_path(i)).last
            for i in ["sector.XLK", "cboe.vix", "ici.flows_monthly", "ici.flows_weekly"]}
    assert last == {"sector.XLK": "2026-01-02", "cboe.vix": "2026-07-23",
                    "ici.flows_monthly": "2024-11-30", "ici.flows_weekly": "2024-12-31"}


def test_panel_publication_lags_on_real_dates(built):
    panel, _ = load_panel(built["catalog"], ["fred.CPIAUCSL", "fred.GDP"], "index.RUT",
                          "index.GSPC", built["mirror"])
    cpi = datasets.load(built["catalog"], "fred.CPIAUCSL")[0]["value"]
    gdp = datasets.load(built["catalog"], "fred.GDP")[0]["value"]

    def seen(ref: str, day: str) -> float:
        return float(panel.daily(ref)[panel.index.get_loc(pd.Timestamp(day))])

    # March 2024 CPI: Mar 31 + 14 = Sunday Apr 14 -> first seen Monday Apr 15
    assert seen("fred.CPIAUCSL", "2024-04-12") == cpi["2024-02-01"]
    assert seen("fred.CPIAUCSL", "2024-04-15") == cpi["2024-03-01"]
    # 2024Q1 GDP: Mar 31 + 30 = Tuesday Apr 30
    assert seen("fred.GDP", "2024-04-29") == gdp["2023-10-01"]
    assert seen("fred.GDP", "2024-04-30") == gdp["2024-01-01"]
    # every day shows the last value published by then (pandas merge_asof as the reference)
    pub = cpi.dropna().rename("cpi").to_frame()
    pub["avail"] = pub.index + pd.offsets.MonthEnd(0) + pd.Timedelta(days=14)
    days = pd.DataFrame({"day": panel.index})
    ref = pd.merge_asof(days, pub.sort_values("avail"), left_on="day", right_on="avail")
    ref.loc[ref["day"] - ref["avail"] > pd.Timedelta(days=STALE_AFTER_DAYS["monthly"]),
            "cpi"] = np.nan  # a reading older than the staleness limit counts as no data
    np.testing.assert_array_equal(panel.daily("fred.CPIAUCSL"), ref["cpi"].to_numpy())
    assert (ref["avail"].dropna() <= ref.loc[ref["avail"].notna(), "day"]).all()
    assert panel.index[0] == pd.Timestamp("1987-09-10")
    assert panel.index[-1] == pd.Timestamp("2026-08-21")
