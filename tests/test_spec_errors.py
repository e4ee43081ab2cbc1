"""The bad-input catalogue: every mistake a user can make gets exit code 2, one message naming
the file, the key and the fix, no traceback, and nothing written under results/.

Three groups: study files that are wrong on their own (checked by ``load_study``, by
``study validate FILE`` and by ``study run FILE``); study files that are valid but do not fit
the data (checked by ``study run`` on the synthetic mirror); awkward datasets (gaps, NaNs at
the start, a constant series, a single row) imported as custom series, where the engine must
either compute the right numbers or refuse clearly; and an unwritable or full disk.
"""

from __future__ import annotations

import errno
import os
import pathlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import rut_value, trading_days
from hostile_kit import HEAD, NO_BACKTEST, SIG  # one minimal study text for both suites

from engine import runfolder
from engine.data import dataops
from engine.data.catalog import Catalog
from engine.errors import SpecError
from engine.study.spec import load_study


def sig(name: str, family: str, params: str) -> str:
    return f'\n[[signals]]\nname = "{name}"\nfamily = "{family}"\nparams = {{ {params} }}\n'


# (case id, file text, key named in the message, message parts, part of the fix)
SPEC_CASES = [
    ("malformed-toml", HEAD + SIG + "\n[backtest\nfees = 0.001\n", None,
     ["malformed TOML", "(at line 13, column 10)"], "fix the syntax at the line and column shown"),
    ("unclosed-string", HEAD.replace('"t"', '"t'), None,
     ["malformed TOML", "line 2"], "fix the syntax"),
    ("nested-too-deep", HEAD + "x = " + "[" * 3000 + "\n" + SIG, None,
     ["malformed TOML", "nested too deeply"], "at most a few levels"),
    ("not-utf8", (HEAD + SIG).replace('"t"', '"caf\udce9"'), None,
     ["file is not UTF-8 text"], "save it as UTF-8"),
    ("unknown-top-key", HEAD + SIG + '\n[signal]\nname = "x"\n', "[signal]",
     ["unknown key 'signal'"], "did you mean 'signals'?"),
    ("unknown-study-key", HEAD.replace("horizons", "horizon") + SIG, "[study.horizon]",
     ["unknown key 'horizon'"], "did you mean 'horizons'?"),
    ("missing-study-table", SIG, "[study]", ["missing [study] table"], "start the file with"),
    ("missing-title", HEAD.replace('title = "t"\n', "") + SIG, "[study.title]",
     ["'title' must be a non-empty string"], 'set title = "..."'),
    ("no-signals", HEAD, "[signals]", ["no [[signals]] defined"], "add at least one"),
    ("unknown-family", HEAD + SIG.replace("trend.breakout", "trend.breakuot"),
     "[signals[0].family]", ["unknown signal family 'trend.breakuot'"],
     "did you mean trend.breakout"),
    ("unknown-parameter", HEAD + SIG.replace("lookback", "lookbak"),
     "[signals[0].params.lookbak]", ["unknown key 'lookbak'"], "did you mean 'lookback'?"),
    ("missing-parameter", HEAD + SIG.replace("params = { lookback = 20 }", ""),
     "[signals[0].params.lookback]", ["family 'trend.breakout' needs parameter 'lookback'"],
     "add lookback = ..."),
    ("wrong-type-str", HEAD + SIG.replace("20", '"twenty"'), "[signals[0].params.lookback]",
     ["parameter 'lookback' = 'twenty' is not a valid int"], "give lookback a int"),
    ("wrong-type-float", HEAD + SIG.replace("20", "2.5"), "[signals[0].params.lookback]",
     ["parameter 'lookback' = 2.5 is not a valid int"], "give lookback a int"),
    ("wrong-type-bool", HEAD + sig("n", "trend.near_high", "lookback = 20, within = true"),
     "[signals[0].params.within]", ["parameter 'within' = True is not a valid float"],
     "give within a float"),
    ("float-overflow", HEAD + sig("c", "credit.spread_change",
                                  "lookback = 21, below = 1" + "0" * 400),
     "[signals[0].params.below]", ["is not a valid float"], "give below a float"),
    ("series-not-string", HEAD + SIG.replace("lookback = 20", "lookback = 20, series = 5"),
     "[signals[0].params.series]", ["parameter 'series' = 5 is not a valid series"],
     "give series a series"),
    ("negative-lookback", HEAD + SIG.replace("20", "-5"), "[signals[0].params.lookback]",
     ["parameter 'lookback' = -5 is below its minimum 1"], "use lookback >= 1"),
    ("negative-in-sweep", HEAD + SIG.replace("20", "[10, -5]"), "[signals[0].params.lookback]",
     ["parameter 'lookback' = -5 is below its minimum 1"], "use lookback >= 1"),
    ("fraction-above-max", HEAD + sig("n", "trend.near_high", "lookback = 20, within = 1.5"),
     "[signals[0].params.within]", ["parameter 'within' = 1.5 is above its maximum 1.0"],
     "use within <= 1.0"),
    ("choice-not-allowed", HEAD + sig("m", "macro.above_trend",
                                      'series = "fred.CPIAUCSL", trend = 12, transform = "log"'),
     "[signals[0].params.transform]", ["parameter 'transform' = 'log' not allowed"],
     "use one of ['level', 'pct_change', 'diff']"),
    ("horizon-0d", HEAD.replace('"5d"', '"0d"') + SIG, "[study.horizons]",
     ["horizon '0d' gives 0 days"], "between 1 and 2520 trading days"),
    ("horizon-0-int", HEAD.replace('"5d"', "0") + SIG, "[study.horizons]",
     ["horizon 0 gives 0 days"], "between 1 and 2520"),
    ("horizon-unit", HEAD.replace('"5d"', '"5x"') + SIG, "[study.horizons]",
     ["horizon '5x' not understood"], "months ('3m'=63d)"),
    ("horizon-repeated", HEAD.replace('"5d", "1m"', '"1m", "21d"') + SIG, "[study.horizons]",
     ["two horizons have the same length in days"], "list each horizon once"),
    ("fast-above-slow", HEAD + sig("x", "trend.ma_cross", "fast = 50, slow = 20"),
     "[signals[0].params]", ["fast must be < slow in every variant (got fast=50, slow=20)"],
     "every variant of a sweep must be valid"),
    ("fast-equals-slow-in-sweep", HEAD + sig("x", "trend.ma_cross",
                                             "fast = [10, 50], slow = [50, 200]"),
     "[signals[0].params]", ["fast must be < slow in every variant (got fast=50, slow=50)"],
     "every variant of a sweep must be valid"),
    ("sweep-past-max-variants", HEAD + "max_variants = 10\n"
     + SIG.replace("20", str(list(range(2, 14)))), "[signals[0].params]",
     ["the sweeps of signal 'brk' expand to 12 variants, above max_variants = 10"],
     "shorten the parameter lists, or raise [study] max_variants if you mean it"),
    ("sweeps-together-past-max-variants", HEAD + "max_variants = 10\n"
     + SIG.replace("20", "[5, 10, 20]") + SIG.replace('"brk"', '"b2"').replace("20", "[5, 10]")
     + '\n[[signals]]\nname = "both"\nall = ["brk", "b2"]\n', "[signals]",
     ["the sweeps expand to 11 variants (largest: 'both' with 6), above max_variants = 10"],
     "shorten the parameter lists, or raise [study] max_variants if you mean it"),
    ("huge-sweep-refused-before-expanding", HEAD + sig(
        "t", "breadth.sectors_thrust",
        f"window = {list(range(2, 1000))}, low = [0.1, 0.2, 0.3], high = [0.7, 0.8, 0.9], "
        f"days = {list(range(1, 253))}"),
     "[signals[0].params]", ["expand to 2263464 variants, above max_variants = 5000"],
     "shorten the parameter lists"),
    ("empty-sweep", HEAD + SIG.replace("20", "[]"), "[signals[0].params.lookback]",
     ["an empty list sweeps nothing"], "give at least one value"),
    ("repeated-sweep-value", HEAD + SIG.replace("20", "[20, 20]"),
     "[signals[0].params.lookback]", ["sweep [20, 20] repeats a value"], "list each value once"),
    ("duplicate-signal", HEAD + SIG + SIG, "[signals[1].name]",
     ["duplicate signal name 'brk'"], "unique name"),
    ("episode-end-before-start", HEAD + SIG
     + '\n[[episodes]]\nname = "e"\nstart = "2020-05-01"\nend = "2020-01-01"\n',
     "[episodes[0].end]", ["episode 'e' ends (2020-01-01) before it starts (2020-05-01)"],
     "swap or fix the dates"),
    ("episode-named-all", HEAD + SIG
     + '\n[[episodes]]\nname = "all"\nstart = "2020-01-01"\nend = "2020-05-01"\n',
     "[episodes[0].name]", ["episode name 'all' is reserved or repeated"], "full sample"),
    ("episode-without-end", HEAD + SIG + '\n[[episodes]]\nname = "e"\nstart = "2020-01-01"\n',
     "[episodes[0].end]", ["episode 'e' has no end"], 'end = "YYYY-MM-DD"'),
    ("bad-date", HEAD + 'start = "2020/01/31"\n' + SIG, "[study.start]",
     ["'2020/01/31' is not a date"], 'write dates as "YYYY-MM-DD"'),
    ("study-end-before-start", HEAD + 'start = "2020-01-01"\nend = "2019-01-01"\n' + SIG,
     "[study.end]", ["end 2019-01-01 is not after start 2020-01-01"], "fix the dates"),
    ("unknown-mode", HEAD + 'mode = "evnts"\n' + SIG, "[study.mode]",
     ["mode 'evnts' not allowed"], "use one of ['events', 'state']"),
    ("combinator-unknown-signal", HEAD + SIG + '\n[[signals]]\nname = "c"\nall = ["brk", "nope"]\n',
     "[signals[1].all]", ["'nope' is not a signal defined above"],
     "combine only signals defined earlier in the file: brk"),
    ("combinator-later-signal", HEAD + '\n[[signals]]\nname = "c"\nany = ["brk", "b2"]\n'
     + SIG + SIG.replace('"brk"', '"b2"'), "[signals[0].any]",
     ["'brk' is not a signal defined above"], "defined earlier in the file: none yet"),
    ("combinator-with-one-input", HEAD + SIG + '\n[[signals]]\nname = "c"\nall = ["brk"]\n',
     "[signals[1].all]", ["'all' needs at least two signals"], "list two or more"),
    ("family-and-combinator", HEAD + SIG.replace('name = "brk"', 'name = "brk"\nnot = "x"'),
     "[signals[0]]", ["must have exactly one of family/all/any/not"], "family = "),
    ("unknown-target", HEAD.replace("index.RUT", "index.RTU") + SIG, "[study.target]",
     ["unknown dataset 'index.RTU'"], "did you mean index.RUT"),
    ("unknown-series", HEAD + SIG.replace("lookback = 20", 'lookback = 20, series = "fred.DGS01"'),
     "[signals[0].params.series]", ["unknown dataset 'fred.DGS01'"], "did you mean fred.DGS"),
    ("unknown-benchmark", HEAD + 'benchmark = "index.SPX"\n' + SIG, "[study.benchmark]",
     ["unknown dataset 'index.SPX'"], "see `study data list`"),
    ("benchmark-is-target", HEAD + 'benchmark = "index.RUT"\n' + SIG, "[study.benchmark]",
     ["benchmark equals target"], "choose a different benchmark"),
    ("hedge-without-benchmark", HEAD + SIG + "\n[backtest]\nhedge = true\n", "[backtest.hedge]",
     ["hedge = true needs a benchmark to short"], "set [study] benchmark or hedge = false"),
    ("fees-out-of-range", HEAD + SIG + "\n[backtest]\nfees = 0.5\n", "[backtest.fees]",
     ["fees = 0.5 not allowed"], "a per-side fraction from 0 to 0.1"),
    ("seed-negative", HEAD + "seed = -1\n" + SIG, "[study.seed]",
     ["seed = -1 not allowed"], "use an integer from 0 to"),
]


def case_ids(cases) -> list[str]:
    return [c[0] for c in cases]


def write_study(project: Path, name: str, text: str) -> Path:
    path = project / "studies" / f"{name}.toml"
    if "\udce9" in text:  # a Latin-1 byte where UTF-8 is expected
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    else:
        path.write_text(text)
    return path


def bad_input(result, *parts: str) -> str:
    """Exit 2, one ``error:`` message with every part and a ``Fix:``, no traceback."""
    text = result.text
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in text, result.output
    assert text.count("error:") == 1, text
    for part in parts:
        assert " ".join(part.split()) in text, (part, text)
    assert "Fix: " in text, text
    return text


def nothing_written(project: Path) -> None:
    results = project / "results"
    files = [p for p in results.rglob("*") if p.is_file()] if results.exists() else []
    hidden = [p for p in results.rglob(".tmp-*")] if results.exists() else []
    assert files == [] and hidden == [], files + hidden


def no_results_folder(project: Path) -> None:
    assert not (project / "results").exists()


# ----------------------------------------------------------------------------- study files
@pytest.mark.parametrize(("case", "text", "key", "parts", "fix"), SPEC_CASES,
                         ids=case_ids(SPEC_CASES))
def test_bad_study_file_message(project, case, text, key, parts, fix):
    path = write_study(project, case, text)
    with pytest.raises(SpecError) as info:
        load_study(path, set(Catalog.load().entries))
    message = str(info.value)
    first, _, fix_text = message.partition("\nFix: ")
    assert first.startswith(str(path)), message  # names the file
    assert first.count(":") <= 2 + first.count("(at line"), message  # one "where: message"
    if key:
        assert f"{path} {key}:" in first, message  # ... and the key
    for part in parts:
        assert part in first, (part, message)
    assert fix in fix_text, (fix, message)  # ... and what to do


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("case", "text", "key", "parts", "fix"), SPEC_CASES,
                         ids=case_ids(SPEC_CASES))
def test_bad_study_file_cli(project, cli, command, case, text, key, parts, fix):
    path = write_study(project, case, text)
    out = bad_input(cli(command, path), str(path), *parts)
    assert fix.split("(")[0].strip() in out.split("Fix: ", 1)[1]
    if key:
        assert key in out
    no_results_folder(project)


def test_bad_study_name_suggests(project, cli):
    bad_input(cli("run", "santa-claus-raly"), "no study named 'santa-claus-raly'",
              "did you mean santa-claus-rally")
    bad_input(cli("validate", project / "nope.toml"), "study file not found")
    no_results_folder(project)


@pytest.mark.parametrize(("args", "parts"), [
    (["--horizon", "0d"], ["--horizon", "horizon '0d' gives 0 days"]),
    (["--horizon", "soon"], ["horizon 'soon' not understood"]),
    (["--episode", "gfc"], ["--episode", "unknown episode(s) ['gfc']"]),
    (["--start", "2020-13-01"], ["--start", "'2020-13-01' is not a date"]),
    (["--start", "2024-01-01", "--end", "2023-01-01"], ["--start/--end",
                                                         "end 2023-01-01 is not after start"]),
    (["--executor", "ray"], ["--executor", "executor 'ray' not allowed"]),
], ids=["horizon-0", "horizon-text", "episode", "start", "start-after-end", "executor"])
def test_bad_command_line_overrides(project, cli, args, parts):
    path = write_study(project, "ok", HEAD + SIG + NO_BACKTEST)
    bad_input(cli("run", path, *args), *parts)
    no_results_folder(project)


# ----------------------------------------------------------------------------- study vs data
DATA_CASES = [
    ("episode-outside-data", HEAD + SIG
     + '\n[[episodes]]\nname = "old"\nstart = "1990-01-01"\nend = "1990-12-31"\n',
     ["[episodes]", "episode 'old' (1990-01-01 .. 1990-12-31) is outside the data of target "
      "index.RUT in the study window (2023-01-03 .. 2024-12-31)"],
     "move the episode inside the data"),
    ("episode-outside-window", HEAD + 'start = "2024-01-01"\n' + SIG
     + '\n[[episodes]]\nname = "e23"\nstart = "2023-02-01"\nend = "2023-03-31"\n',
     ["episode 'e23' (2023-02-01 .. 2023-03-31) is outside the data", "(2024-01-02 .. 2024-12-31)"],
     "move the episode inside the data"),
    ("window-after-data", HEAD + 'start = "2030-01-01"\n' + SIG,
     ["[study.start/end]", "the study window 2030-01-01 .. … has no overlap with target index.RUT "
      "(2023-01-03 .. 2024-12-31)"], "move the window inside the data"),
    ("window-before-data", HEAD + 'start = "1999-01-01"\nend = "2000-01-01"\n' + SIG,
     ["the study window 1999-01-01 .. 2000-01-01 has no overlap with target index.RUT"],
     "move the window inside the data"),
    ("signals-without-data-in-window", HEAD + 'start = "2023-01-03"\nend = "2023-02-20"\n'
     + sig("xlk", "trend.above_ma", 'series = "sector.XLK", window = 5'),
     ["[signals]", "no signal has any data inside the study window for target index.RUT"],
     "check the signals' series coverage"),
    ("dataset-not-built", HEAD + sig("dgs2", "rates.yield_change",
                                     'series = "fred.DGS2", lookback = 5, below = 0.0'),
     ["fred.DGS2", "mirror file missing"], "restore the file in the mirror"),
]


@pytest.mark.parametrize(("case", "text", "parts", "fix"), DATA_CASES,
                         ids=case_ids(DATA_CASES))
def test_study_that_does_not_fit_the_data(synthetic_catalog, synthetic_mirror, project, cli,
                                          monkeypatch, case, text, parts, fix):
    monkeypatch.setenv("STUDY_DATA_MIRROR", str(synthetic_mirror))  # fred.DGS2 is not in it
    path = write_study(project, case, text + NO_BACKTEST)
    out = bad_input(cli("run", path, "--no-report"), *parts)
    assert fix in out.split("Fix: ", 1)[1]
    no_results_folder(project)


# ----------------------------------------------------------------------------- awkward datasets
DAYS = trading_days()
GAP = ("2023-06-01", "2023-08-31")


def custom_csv(folder: Path, name: str, dates, values) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    cells = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else repr(float(v))
             for v in values]
    path.write_text("date,value\n" + "".join(f"{d:%Y-%m-%d},{c}\n" for d, c in
                                             zip(dates, cells, strict=True)))
    return path


@pytest.fixture
def custom_data(synthetic_catalog, project, tmp_path):
    """Synthetic market data plus four awkward user series imported as custom.*."""
    folder = tmp_path / "user-data"
    keep = (GAP[0] > DAYS) | (GAP[1] < DAYS)
    full = [rut_value(i) for i in range(len(DAYS))]
    files = {
        "custom.gappy": custom_csv(folder, "gappy", DAYS[keep], np.array(full)[keep]),
        "custom.nanstart": custom_csv(folder, "nanstart", DAYS,
                                      [None] * 40 + full[40:]),
        "custom.flat": custom_csv(folder, "flat", DAYS, [100.0] * len(DAYS)),
        "custom.one": custom_csv(folder, "one", DAYS[100:101], [5.0]),
    }
    for id_, file in files.items():
        dataops.import_csv(Catalog.load(), file, id_, "date", "value", "daily", 0)
    assert 'file = "' in (project / "datasets" / "custom.toml").read_text()
    return files


def run_ok(cli, project: Path, name: str, text: str) -> Path:
    path = write_study(project, name, text + NO_BACKTEST)
    result = cli("run", path, "--no-report")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    (run_dir,) = (project / "results" / name).iterdir()
    return run_dir


def metrics_all(run_dir: Path) -> pd.DataFrame:
    m = pd.read_parquet(run_dir / "metrics.parquet")
    return m[m["episode"] == "all"].set_index("horizon")


def test_gaps_are_no_data_not_carried_forward(custom_data, project, cli):
    """A value more than 10 days old (daily series) is "no data": no signal inside the gap."""
    text = HEAD.replace('"5d", "1m"', '"5d"') + 'mode = "state"\n' + sig(
        "gappy", "trend.above_ma", 'series = "custom.gappy", window = 5')
    run_dir = run_ok(cli, project, "gaps", text)
    keep = (GAP[0] > DAYS) | (GAP[1] < DAYS)
    g = pd.Series([rut_value(i) for i in range(len(DAYS))], index=DAYS)[keep]
    stat = (g - g.rolling(5).mean()).rename("stat").rename_axis("obs").reset_index()
    days = pd.DataFrame({"day": DAYS})
    seen = pd.merge_asof(days, stat, left_on="day", right_on="obs",
                         tolerance=pd.Timedelta(days=10))["stat"].to_numpy()
    valid = ~np.isnan(seen) & (np.arange(len(DAYS)) <= len(DAYS) - 7)  # 5d ends inside data
    m = metrics_all(run_dir).loc["5d"]
    assert m["n_days"] == valid.sum()
    assert m["n_events"] == (valid & (seen > 0)).sum()
    events = pd.read_parquet(run_dir / "events.parquet")
    stale = (events["date"] > pd.Timestamp("2023-05-31") + pd.Timedelta(days=10)) & (
        events["date"] <= pd.Timestamp(GAP[1]))
    assert len(events) == m["n_events"] and not stale.any()
    # the gap holds ~60 trading days the signal must not have seen
    assert len(DAYS) - 6 - m["n_days"] > 55


def test_nans_at_the_start_delay_the_signal(custom_data, project, cli):
    text = HEAD.replace('"5d", "1m"', '"5d"') + sig(
        "late", "trend.breakout", 'series = "custom.nanstart", lookback = 10')
    run_dir = run_ok(cli, project, "nanstart", text)
    m = metrics_all(run_dir).loc["5d"]
    # first value on day 40, first breakout test (10 prior closes) on day 50
    assert m["n_days"] == (len(DAYS) - 7) - 50 + 1
    events = pd.read_parquet(run_dir / "events.parquet")
    assert len(events) and events["date"].min() > DAYS[50]


def test_constant_signal_series_gives_no_events(custom_data, project, cli):
    text = HEAD + sig("flat", "trend.breakout", 'series = "custom.flat", lookback = [10, 20]')
    run_dir = run_ok(cli, project, "flat-signal", text)
    m = pd.read_parquet(run_dir / "metrics.parquet")
    assert len(m) == 4 and (m["n_events"] == 0).all()
    assert m["hit_rate"].isna().all() and m["mean_fwd"].isna().all()
    assert m["base_rate"].notna().all()  # the base rate is still measured
    assert len(pd.read_parquet(run_dir / "events.parquet")) == 0


def test_constant_target_has_zero_returns(custom_data, project, cli):
    text = HEAD.replace("index.RUT", "custom.flat") + sig(
        "brk", "trend.breakout", 'series = "index.RUT", lookback = 20')
    run_dir = run_ok(cli, project, "flat-target", text)
    m = metrics_all(run_dir)
    assert (m["n_events"] > 0).all()
    assert (m["hit_rate"] == 0).all() and (m["base_rate"] == 0).all() and (m["edge"] == 0).all()
    assert (m["mean_fwd"] == 0).all() and (m["base_mean_fwd"] == 0).all()


def test_single_row_series_is_refused(custom_data, project, cli):
    path = write_study(project, "one-signal", HEAD + sig(
        "one", "trend.above_ma", 'series = "custom.one", window = 2') + NO_BACKTEST)
    bad_input(cli("run", path, "--no-report"), "no signal has any data inside the study window")
    path = write_study(project, "one-target", HEAD.replace("index.RUT", "custom.one") + SIG
                       + NO_BACKTEST)
    bad_input(cli("run", path, "--no-report"), "target 'custom.one' has fewer than 2 prices",
              "choose a target with daily price history")
    no_results_folder(project)


# ----------------------------------------------------------------------------- unwritable disk
GOOD = HEAD + SIG + NO_BACKTEST


@pytest.fixture
def good_study(synthetic_catalog, project) -> Path:
    return write_study(project, "good", GOOD)


def test_results_folder_not_writable(good_study, project, cli):
    results = project / "results"
    results.mkdir()
    results.chmod(0o500)
    try:
        if os.access(results, os.W_OK):
            pytest.skip("running as root: chmod does not block writes")
        bad_input(cli("run", good_study, "--no-report"), "cannot create the run folder",
                  "Permission denied", "choose a writable folder with --out DIR")
        assert list(results.iterdir()) == []
    finally:
        results.chmod(0o700)


def test_results_path_is_a_file(good_study, project, cli):
    (project / "results").write_text("not a folder")
    bad_input(cli("run", good_study, "--no-report"), "cannot create the run folder",
              str(project / "results" / "good"), "choose a writable folder with --out DIR")
    assert (project / "results").read_text() == "not a folder"


def test_permission_denied_simulated(good_study, project, cli, monkeypatch):
    """The chmod case for root too: mkdir under results/ fails with EACCES."""
    real_mkdir = pathlib.Path.mkdir

    def mkdir(self, *args, **kwargs):
        if "results" in self.parts:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    bad_input(cli("run", good_study, "--no-report"), "cannot create the run folder "
              "(Permission denied)", "choose a writable folder with --out DIR")
    no_results_folder(project)


def enospc(path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@pytest.mark.parametrize("bare", [False, True], ids=["oserror", "bare-errno"])
def test_disk_full_mid_write(good_study, project, cli, monkeypatch, bare):
    """The second Parquet file fails half-way: exit 2, clear message, no run folder left."""
    real = runfolder.write_parquet
    calls = []

    def write(frame, path):
        calls.append(Path(path).name)
        if len(calls) == 2:
            Path(path).write_bytes(b"PAR1 half a file")
            raise OSError(errno.ENOSPC) if bare else enospc(path)
        real(frame, path)

    monkeypatch.setattr(runfolder, "write_parquet", write)
    bad_input(cli("run", good_study, "--no-report"),
              "writing events.parquet failed (No space left on device); nothing was kept",
              "free disk space or choose another folder with --out DIR")
    assert calls == ["metrics.parquet", "events.parquet"]
    nothing_written(project)


def test_disk_full_while_writing_reports(good_study, project, cli, monkeypatch):
    from engine.report import files

    def write_atomic(path, *args, **kwargs):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("<svg")
        raise enospc(path)

    monkeypatch.setattr(files, "write_atomic", write_atomic)
    out = bad_input(cli("run", good_study), "No space left on device", "free disk space",
                    f"error: {project / 'results' / 'good'}: No space left on device")
    assert ".tmp-" not in out  # the temporary folder is gone: the message names its parent
    nothing_written(project)


def test_good_study_still_runs(good_study, project, cli):
    """The control: the same study and folder work when nothing is wrong."""
    run_dir = run_ok(cli, project, "good", GOOD.replace(NO_BACKTEST, ""))
    assert (run_dir / "metrics.parquet").is_file() and (run_dir / "manifest.json").is_file()
    assert [p.name for p in (project / "results" / "good").iterdir()] == [run_dir.name]

