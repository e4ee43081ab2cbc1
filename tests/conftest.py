"""Shared fixtures: a tiny synthetic data mirror, a throw-away project home, the real mirror.

The synthetic mirror copies the *layout and format* of the real one (../shared/data, see its
MANIFEST.md): same relative paths, headers, missing-value conventions (FRED blanks on
holidays, Shiller 0.0 after 2023-06, French percent values as YYYYMMDD with padded numbers,
CBOE with CRLF line ends, ICI with empty trailing columns). Its values follow simple formulas
(see the ``*_value`` helpers) so tests can assert exact numbers without reading the files.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]

# Every report in the tests is drawn (a cache hit would hide a chart that no longer renders
# the same); tests/test_chart_cache.py turns the cache on where it is the subject.
os.environ["STUDY_CHART_CACHE"] = "off"

# Holidays on which the synthetic market is closed (NYSE, 2023-2024).
HOLIDAYS = pd.DatetimeIndex([
    "2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19",
    "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25", "2024-01-01", "2024-01-15",
    "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19", "2024-07-04", "2024-09-02",
    "2024-11-28", "2024-12-25",
])
START, END = "2023-01-02", "2024-12-31"

# Catalog ids whose raw files the synthetic mirror holds (one or more per source reader).
SYNTHETIC_IDS = (
    "index.RUT", "index.GSPC", "sector.XLK",
    "fred.DGS10", "fred.BAMLH0A0HYM2", "fred.CPIAUCSL", "fred.GDP", "fred.ICSA",
    "shiller.sp500", "cboe.vix", "french.ff3", "ici.flows_monthly",
)


def weekdays() -> pd.DatetimeIndex:
    """Every Monday-Friday in the synthetic span (FRED daily files list holidays too)."""
    return pd.bdate_range(START, END)


def trading_days() -> pd.DatetimeIndex:
    """Weekdays minus exchange holidays: the dates of the index and ETF files."""
    return weekdays().difference(HOLIDAYS)


def rut_value(i: int) -> float:
    """Close of index.RUT on the i-th trading day (0-based)."""
    return round(1000.0 + i + 50.0 * math.sin(i / 10.0), 6)


def gspc_value(i: int) -> float:
    return round(4000.0 + 2.0 * i + 80.0 * math.sin(i / 15.0), 6)


def xlk_value(i: int) -> float:
    return round(150.0 + 0.1 * i, 4)


def dgs10_value(i: int) -> float:
    """DGS10 on the i-th weekday (blank on holidays)."""
    return round(4.0 + 0.5 * math.sin(i / 20.0), 2)


def hy_value(i: int) -> float:
    return round(4.5 - 0.002 * i, 3)


def cpi_value(k: int) -> float:
    """CPIAUCSL for month k counted from 2022-01 (2024-10 is blank, as in the real file)."""
    return 280.0 + k


def gdp_value(k: int) -> float:
    """GDP for quarter k counted from 2021Q1."""
    return 22000.0 + 250.0 * k


def _csv(path: Path, lines: Iterable[str], newline: str = "\n", final_newline: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = newline.join(lines) + (newline if final_newline else "")
    path.write_bytes(text.encode())


def _d(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


def write_synthetic_mirror(root: Path) -> Path:
    """Write the synthetic mirror under ``root`` and return it (usable outside fixtures)."""
    days = trading_days()
    _csv(root / "indices/RUT.csv",
         ["Date,^RUT", *(f"{_d(t)},{rut_value(i)!r}" for i, t in enumerate(days))])
    _csv(root / "indices/GSPC.csv",
         ["Date,^GSPC", *(f"{_d(t)},{gspc_value(i)!r}" for i, t in enumerate(days))])
    _write_index_splice_parts(root, days)
    xlk = days[days >= "2023-03-01"]
    _csv(root / "sectors/XLK.csv",
         ["date,close", *(f"{_d(t)},{xlk_value(i)}" for i, t in enumerate(xlk))])

    wd = weekdays()
    hol = set(HOLIDAYS)
    _csv(root / "fred/DGS10.csv",
         ["date,value", *(f"{_d(t)}," + ("" if t in hol else str(dgs10_value(i)))
                          for i, t in enumerate(wd))])
    _csv(root / "fred/BAMLH0A0HYM2.csv",
         ["date,value", *(f"{_d(t)}," + ("" if t in hol else str(hy_value(i)))
                          for i, t in enumerate(wd))])
    months = pd.date_range("2022-01-01", "2024-12-01", freq="MS")
    _csv(root / "fred/CPIAUCSL.csv",
         ["date,value", *(f"{_d(t)}," + ("" if _d(t) == "2024-10-01" else str(cpi_value(k)))
                          for k, t in enumerate(months))])
    quarters = pd.date_range("2021-01-01", "2024-10-01", freq="QS")
    _csv(root / "fred/GDP.csv",
         ["date,value", *(f"{_d(t)},{gdp_value(k)}" for k, t in enumerate(quarters))])
    saturdays = pd.date_range("2023-01-07", "2024-12-28", freq="W-SAT")
    _csv(root / "fred/ICSA.csv",
         ["date,value", *(f"{_d(t)},{200000.0 + 1000.0 * (k % 20)}"
                          for k, t in enumerate(saturdays))])
    # the fred_2026 panels the catalog splices after the first-pass files. Here their rows
    # predate the first-pass files, so a splice takes none of them (only dates after the
    # earlier end are) and the spliced series equal the first-pass files; tests/test_splice.py
    # covers extension and overlap checks. Most cells are empty, as in the real panels.
    _gz(root / "fred_2026/rates.csv.gz",
        ["date,FEDFUNDS,DGS10,DGS2", "2022-06-01,1.21,,", "2022-06-02,,2.91,2.6"])
    _gz(root / "fred_2026/volatility.csv.gz",
        ["date,VIX,HY_OAS,IG_OAS", "2022-06-02,25.7,4.5,1.4"])
    _gz(root / "fred_2026/inflation.csv.gz", ["date,CPI,CORE_CPI", "2021-06-01,271.7,"])
    _csv(root / "fred/_series_coverage.csv",
         ["series_id,name,category,freq,start_date,end_date,rows"])

    _write_shiller(root / "shiller/sp500_monthly.csv", months)
    _csv(root / "cboe/vix_daily.csv",
         ["DATE,OPEN,HIGH,LOW,CLOSE",
          *(f"{_d(t)},{20 + i % 7:.6f},{22 + i % 7:.6f},{19 + i % 7:.6f},{21 + i % 7:.6f}"
            for i, t in enumerate(days))],
         newline="\r\n")
    y2023 = days[days.year == 2023]  # French factors end a year before the rest, as in reality
    _csv(root / "french/ff3_factors_daily.csv",
         ["Date,Mkt-RF,SMB,HML,RF",
          *(f"{t.strftime('%Y%m%d')},{(i % 5 - 2) * 0.25:8.2f},{0.0:8.2f},"
            f"{(i % 3 - 1) * 0.1:8.2f},{0.017:8.3f}" for i, t in enumerate(y2023))],
         final_newline=False)
    # the same factors in the 202604 library layout the catalog reads: preamble, CRLF,
    # ",Mkt-RF,..." header, then a blank line and the copyright trailer
    _gz(root / "french/F-F_Research_Data_Factors_daily_202604.csv.gz",
        ["This file was created by using the 202604 CRSP database.",
         "The Tbill return is the simple daily rate.", "",
         ",Mkt-RF,SMB,HML,RF",
         *(f"{t.strftime('%Y%m%d')},{(i % 5 - 2) * 0.25:8.2f},{0.0:8.2f},"
           f"{(i % 3 - 1) * 0.1:8.2f},{0.017:8.3f}" for i, t in enumerate(y2023)),
         "", "Copyright 2026 Eugene F. Fama and Kenneth R. French"], newline="\r\n")
    month_ends = pd.date_range("2023-01-31", "2024-11-30", freq="ME")
    _csv(root / "ici/flows_monthly.csv",
         ["Date,Total Equity,Domestic Equity,World Equity,Hybrid,Total Bond,Taxable Bond,"
          "Municipal Bond,Total",
          *(_ici_row(k, t) for k, t in enumerate(month_ends))])
    (root / "MANIFEST.md").write_text("# synthetic test mirror (see tests/conftest.py)\n")
    return root


def _write_index_splice_parts(root: Path, days: pd.DatetimeIndex) -> None:
    """The other files the index splices read, with the same closes as the first-pass files:
    the long Yahoo OHLCV files (here 2023, with one all-``null`` row as in the real RUT file)
    and the newer feeds (here from 2024-07), so the spliced series equals RUT.csv / GSPC.csv."""
    ohlcv = "Date,Open,High,Low,Close,Adj Close,Volume"
    modern = "date,open,high,low,close,volume"
    for name, value in (("RUT", rut_value), ("GSPC", gspc_value)):
        old = [(i, t) for i, t in enumerate(days) if t.year == 2023]
        rows = [f"{_d(t)},{value(i)!r},{value(i)!r},{value(i)!r},{value(i)!r},{value(i)!r},0"
                if _d(t) != "2023-10-02" else f"{_d(t)},null,null,null,null,null,null"
                for i, t in old]
        _gz(root / f"indices/{name}_ohlcv_to2020.csv.gz", [ohlcv, *rows])
        new = [(i, t) for i, t in enumerate(days) if t >= pd.Timestamp("2024-07-01")]
        rows = [f"{_d(t)},{value(i)!r},{value(i)!r},{value(i)!r},{value(i)!r},0,," for i, t in new]
        feed = "RUT_ohlc_2016-2026-08" if name == "RUT" else "SPX_ohlc_2016-2026-08"
        _gz(root / f"indices/{feed}.csv.gz", [modern + ",wap,count", *rows])
    rows = [f"{_d(t)},{gspc_value(i)!r},{gspc_value(i)!r},{gspc_value(i)!r},{gspc_value(i)!r},0"
            for i, t in enumerate(days)]
    _gz(root / "indices/GSPC_ohlcv_1927-2026-08.csv.gz", [modern, *rows])


def _gz(path: Path, lines: Iterable[str], newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress((newline.join(lines) + newline).encode(), mtime=0))


def _write_shiller(path: Path, months: pd.DatetimeIndex) -> None:
    """Shiller layout: 0.0 for not-yet-published values, as in the real file: dividend and
    earnings are 0.0 after 2023-06, CPI, rate, real price and PE10 after 2023-09."""
    lines = ["Date,SP500,Dividend,Earnings,Consumer Price Index,Long Interest Rate,Real Price,"
             "Real Dividend,Real Earnings,PE10"]
    for k, t in enumerate(months):
        price = 4000.0 + 10.0 * k
        rest = [60.0 + 0.1 * k, 180.0 + k, 290.0 + k, 3.5, price * 1.01, 61.0, 181.0, 28.0]
        if t > pd.Timestamp("2023-06-01"):
            rest[0] = rest[1] = rest[5] = rest[6] = 0.0
        if t > pd.Timestamp("2023-09-01"):
            rest = [0.0] * 8
        lines.append(",".join([_d(t), repr(price), *(repr(round(v, 4)) for v in rest)]))
    _csv(path, lines)


def _ici_row(k: int, t: pd.Timestamp) -> str:
    vals = [1000 + k, 400.0 + k, 600 + k, 50.0, -200 + k, -150.0, -50 + k, 850.0 + k]
    if t >= pd.Timestamp("2024-07-01"):  # later rows leave some columns empty, as the real file
        vals[1] = vals[3] = vals[5] = vals[7] = ""
    return ",".join([_d(t), *(str(v) for v in vals)])


def single_file_catalog(files: dict[str, str]) -> str:
    """The project's catalog text with the named spliced entries read from one file each.

    For tests pinned to one file's span (replications of figures stated for 1999-2025, or
    edits of a file that its splice partners would rightly reject as a disagreement).
    """
    text = (REPO / "datasets" / "catalog.toml").read_text()
    for id_, file in files.items():
        pattern = (rf'\[datasets\."{re.escape(id_)}"\]\nsource = "(\w+)"\nfile = "[^"]+"\n'
                   r'splice = [^\n]+\n')
        text, n = re.subn(pattern, rf'[datasets."{id_}"]\nsource = "\1"\nfile = "{file}"\n',
                          text)
        assert n == 1, f"{id_} is not a spliced entry of the catalog"
    return text


@pytest.fixture
def synthetic_mirror(tmp_path: Path) -> Path:
    """A tiny mirror directory with the real layout for the ids in ``SYNTHETIC_IDS``."""
    return write_synthetic_mirror(tmp_path / "mirror")


@pytest.fixture
def synthetic_ids() -> tuple[str, ...]:
    return SYNTHETIC_IDS


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary project home (``STUDY_HOME``) with the catalog and the studies folder.

    The working directory moves there too, and ``STUDY_DATA_MIRROR`` is unset so nothing
    reaches the real mirror or the network unless a test passes a mirror explicitly.
    """
    home = tmp_path / "home"
    (home / "datasets").mkdir(parents=True)
    shutil.copy2(REPO / "datasets" / "catalog.toml", home / "datasets" / "catalog.toml")
    shutil.copytree(REPO / "studies", home / "studies")
    monkeypatch.setenv("STUDY_HOME", str(home))
    monkeypatch.delenv("STUDY_DATA_MIRROR", raising=False)
    monkeypatch.chdir(home)
    return home


@pytest.fixture
def synthetic_catalog(project: Path, synthetic_mirror: Path):
    """The project's catalog with every synthetic id built from the synthetic mirror."""
    from engine.data import dataops
    from engine.data.catalog import Catalog

    catalog = Catalog.load()
    dataops.build(catalog, SYNTHETIC_IDS, synthetic_mirror)
    return catalog


# An optional addition beside the mirror's own files (catalog: optional = true); tests that pin
# what it changes skip, or check the documented fallback, on a mirror without it.
DFEDTAR_FILE = "fred_target/DFEDTAR_1982-2008.csv"


@pytest.fixture(scope="session")
def real_mirror() -> Path:
    """The real data mirror (``STUDY_DATA_MIRROR`` or ../shared/data beside the checkout)."""
    env = os.environ.get("STUDY_DATA_MIRROR")
    path = Path(env).expanduser() if env else REPO.parent / "shared" / "data"
    if not (path.is_dir() and (path / "indices").is_dir()):
        pytest.skip("real data mirror not found: set STUDY_DATA_MIRROR")
    return path.resolve()


def flat(text: str) -> str:
    """Collapse whitespace so messages wrapped by rich still match as one line."""
    return " ".join(text.split())


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run ``study ARGS...`` in-process.

    The result's ``text`` is stdout+stderr without colours, table borders or line wrapping,
    so ``"index.RUT daily 1999-01-04"`` matches a table row and long messages match whole.
    """
    from typer.testing import CliRunner

    from engine.cli import app

    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        # a wide terminal unless a test sets COLUMNS (output is not a tty: 80 by default)
        kwargs["env"] = {"COLUMNS": "200", **(kwargs.get("env") or {})}
        result = runner.invoke(app, [str(a) for a in args], **kwargs)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
        result.text = flat(re.sub("[\u2500-\u257f]", " ", plain))  # drop table borders
        return result

    return invoke


# ----------------------------------------------------------------------------- slow tests
# Slow tests (``@pytest.mark.slow``: fault injection with real processes) run as a fixed
# sample by default so CI stays in budget; ``--all-slow`` or STUDY_TEST_ALL=1 runs all of them.
SLOW_SAMPLE_EVERY = 4


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--all-slow", action="store_true", default=False,
                     help="run every @pytest.mark.slow test (default: every 4th, deterministic)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--all-slow") or os.environ.get("STUDY_TEST_ALL") == "1":
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    skip = pytest.mark.skip(reason="slow sample: run all with --all-slow or STUDY_TEST_ALL=1")
    for i, item in enumerate(slow):
        if i % SLOW_SAMPLE_EVERY and not item.get_closest_marker("slow").kwargs.get("always"):
            item.add_marker(skip)


# ----------------------------------------------------------------------------- hostile suite
@pytest.fixture(scope="session")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: a home with synthetic datasets and one finished run of studies/good.toml."""
    import subprocess

    from hostile_kit import cli_env, make_home, study_cmd

    root = tmp_path_factory.mktemp("hostile")
    home = make_home(root)
    res = subprocess.run(study_cmd("run", "good", "--no-report"),
                         env=cli_env(home, root / "mirror"), capture_output=True, text=True,
                         timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return root


@pytest.fixture
def hostile(hostile_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the hostile template (home + mirror); returns the home folder."""
    shutil.copytree(hostile_template / "mirror", tmp_path / "mirror")
    shutil.copytree(hostile_template / "home", tmp_path / "home")
    home = tmp_path / "home"
    monkeypatch.setenv("STUDY_HOME", str(home))
    monkeypatch.setenv("STUDY_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.delenv("STUDY_DEBUG", raising=False)
    monkeypatch.chdir(home)
    return home
