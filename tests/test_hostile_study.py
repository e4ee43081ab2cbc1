"""Hostile study files: odd file names, rich markup in user text, targets that are not daily
prices, horizons and windows the data cannot fill, sweeps too big for memory.

Each case: exit 2 with what is wrong and the fix (or exit 0 with the literal text shown), no
traceback, nothing half-written, and no other dataset or run folder touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_kit import GOOD, HEAD, NO_BACKTEST, Snapshot, no_tmp, ok, refused, write_study


# ----------------------------------------------------------------------------- file names
@pytest.mark.parametrize("stem", ["..", "...", ".hidden", "a\nb", "tab\there", "esc\x1b[31m"],
                         ids=["dotdot", "dotdotdot", "hidden", "newline", "tab", "escape"])
def test_study_file_name_that_would_escape_results_is_refused(hostile, cli, stem):
    path = hostile / "studies" / f"{stem}.toml"
    path.write_text(GOOD)
    before = Snapshot(hostile)
    refused(cli("run", path, "--no-report"), "study file name", "not allowed",
            fix="rename the file")
    before.unchanged()
    assert before.new_runs() == []
    # nothing appeared beside results/ either
    assert sorted(p.name for p in hostile.iterdir()) == ["datasets", "results", "studies"]


def test_study_file_in_another_folder_writes_under_results(hostile, cli, tmp_path):
    """The control: a path outside studies/ is fine; its run lands in results/<stem>/."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    path = write_study(hostile, "tmp", GOOD)
    path = path.rename(other / "mine.toml")
    ok(cli("run", path, "--no-report"))
    assert len(list((hostile / "results" / "mine").iterdir())) == 1


@pytest.mark.parametrize("name", ["..", "../evil", ".x", "a/b", "", "UPPER"],
                         ids=["dotdot", "parent", "hidden", "slash", "empty", "upper"])
def test_new_refuses_odd_names(hostile, cli, name):
    before = Snapshot(hostile)
    refused(cli("new", name), "not allowed", fix="use lowercase letters")
    before.unchanged()
    assert sorted(p.name for p in (hostile / "studies").iterdir()) == ["good.toml"]


# ----------------------------------------------------------------------------- markup
MARKUP = ["[/bold]", "[red]x", "[/]", "[link=file:///etc/passwd]x[/link]", "[bold]open"]


def _with(field: str, value: str) -> str:
    text = GOOD
    if field == "title":
        return text.replace('title = "t"', f'title = "{value}"')
    if field == "question":
        return text.replace('question = "q"', f'question = "{value}"')
    if field == "episode":
        return text + (f'\n[[episodes]]\nname = "{value}"\nstart = "2023-06-01"\n'
                       'end = "2023-12-29"\n')
    if field == "description":
        return text.replace('family = "trend.breakout"',
                            f'family = "trend.breakout"\ndescription = "{value}"')
    raise AssertionError(field)


@pytest.mark.parametrize("value", MARKUP, ids=["close-bold", "red", "close-all", "link", "open"])
@pytest.mark.parametrize("command", ["show", "list"])
def test_markup_in_title_is_shown_literally(hostile, cli, command, value):
    write_study(hostile, "good", _with("title", value))
    text = ok(cli(command, *(["good"] if command == "show" else [])))
    assert value in text


@pytest.mark.parametrize(("field", "value"), [
    ("title", "[/bold]"), ("question", "[/]"), ("episode", "[/b]"), ("description", "[/i]"),
    ("episode", "[bold]e"),
], ids=["title", "question", "episode-close", "description", "episode-open"])
def test_markup_in_run_output_is_literal(hostile, cli, field, value):
    write_study(hostile, "good", _with(field, value))
    if field in ("question", "episode", "description"):
        assert value in ok(cli("show", "good"))
    before = Snapshot(hostile)
    text = ok(cli("run", "good", "--no-report"))
    if field in ("title", "episode"):  # what `run` prints of the study
        assert value in text
    assert len(before.new_runs()) == 1
    no_tmp(hostile)


# ----------------------------------------------------------------------------- not a price
@pytest.mark.parametrize(("key", "id_", "why"), [
    ("target", "fred.GDP", "quarterly"),
    ("target", "fred.CPIAUCSL", "monthly"),
    ("target", "fred.DGS10", "percent"),
    ("benchmark", "fred.GDP", "quarterly"),
    ("benchmark", "fred.DGS10", "percent"),
], ids=["target-quarterly", "target-monthly", "target-yield", "bench-quarterly", "bench-yield"])
def test_target_must_be_a_daily_price_series(hostile, cli, key, id_, why):
    text = GOOD.replace('target = "index.RUT"', f'target = "{id_}"') if key == "target" else \
        GOOD.replace('target = "index.RUT"', f'target = "index.RUT"\nbenchmark = "{id_}"')
    path = write_study(hostile, "notprice", text)
    before = Snapshot(hostile)
    refused(cli("run", path, "--no-report"), f"[study.{key}]", id_, "not a daily price series",
            why, fix="price")
    before.unchanged()
    assert before.new_runs() == []


def _import(cli, tmp_path: Path, name: str, rows: list[tuple[str, float]], *opts: str) -> None:
    src = tmp_path / f"{name}.csv"
    src.write_text("date,value\n" + "".join(f"{d},{v}\n" for d, v in rows))
    ok(cli("data", "import", src, "--id", f"custom.{name}", *opts))


def test_quarterly_data_imported_as_daily_is_not_a_target(hostile, cli, tmp_path):
    """The default --freq is daily: quarterly values under it must not become '1m = 21 rows'."""
    import pandas as pd

    q = pd.date_range("2000-01-01", "2024-10-01", freq="QS")
    _import(cli, tmp_path, "gdpq", [(f"{d:%Y-%m-%d}", 100.0 + i) for i, d in enumerate(q)])
    path = write_study(hostile, "q", GOOD.replace("index.RUT", "custom.gdpq"))
    refused(cli("run", path, "--no-report"), "custom.gdpq", "not a daily price series",
            "days apart", fix="price")


def test_returns_series_is_not_a_target(hostile, cli, tmp_path):
    import pandas as pd

    days = pd.bdate_range("2023-01-02", "2024-12-31")
    _import(cli, tmp_path, "rets", [(f"{d:%Y-%m-%d}", (-1) ** i * 0.01)
                                    for i, d in enumerate(days)])
    path = write_study(hostile, "r", GOOD.replace("index.RUT", "custom.rets"))
    refused(cli("run", path, "--no-report"), "custom.rets", "not a daily price series",
            "not positive", fix="price")


# ----------------------------------------------------------------------------- too little data
@pytest.mark.parametrize(("text", "args", "parts"), [
    (GOOD.replace('["5d", "1m"]', '["10y"]'), [], ["horizon 10y", "longer than"]),
    (GOOD.replace('["5d", "1m"]', '["5d", "3y"]'), [], ["horizon 3y", "longer than"]),
    (GOOD, ["--horizon", "5y"], ["horizon 5y", "longer than"]),
    (GOOD.replace("n_boot = 0", 'n_boot = 0\nstart = "2024-12-02"\nend = "2024-12-31"'), [],
     ["horizon 1m", "longer than"]),
    (GOOD, ["--start", "2024-12-16"], ["horizon 1m", "longer than"]),
], ids=["10y", "3y-of-two", "cli-5y", "short-window", "cli-short-window"])
def test_horizon_longer_than_the_data_is_refused(hostile, cli, text, args, parts):
    path = write_study(hostile, "short", text)
    before = Snapshot(hostile)
    refused(cli("run", path, "--no-report", *args), *parts, fix="shorter horizon")
    before.unchanged()
    assert before.new_runs() == []


# ----------------------------------------------------------------------------- memory
BIG = HEAD + "max_variants = 10000000\n" + f"""
[[signals]]
name = "brk"
family = "trend.breakout"
params = {{ lookback = {list(range(2, 3002))} }}
""" + NO_BACKTEST


def test_sweep_too_big_for_memory_is_refused_before_allocating(hostile, cli, monkeypatch):
    monkeypatch.setenv("STUDY_MEMORY_LIMIT", "4MiB")
    path = write_study(hostile, "big", BIG)
    ok(cli("validate", path))  # the file itself is fine
    before = Snapshot(hostile)
    text = refused(cli("run", path, "--no-report"), "[signals]", "3000 variants",
                   "need about", "memory limit 4.0 MiB", fix="STUDY_MEMORY_LIMIT")
    assert "MiB" in text
    before.unchanged()
    assert before.new_runs() == []


@pytest.mark.parametrize("value", ["lots", "-5G", "0"], ids=["word", "negative", "zero"])
def test_bad_memory_limit_setting(hostile, cli, monkeypatch, value):
    monkeypatch.setenv("STUDY_MEMORY_LIMIT", value)
    refused(cli("run", "good", "--no-report"), "STUDY_MEMORY_LIMIT", fix="like 8GiB")


def test_good_study_runs_under_the_memory_limit(hostile, cli, monkeypatch):
    monkeypatch.setenv("STUDY_MEMORY_LIMIT", "2GiB")
    ok(cli("run", "good", "--no-report"))
