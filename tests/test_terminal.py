"""The terminal table at 80 and 120 columns, honest widths, and the machine formats."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from engine.report import print_table, rank_table
from engine.report import tables as T
from engine.report.output import Out, emit, label_widths, terminal_width

try:
    from tests.test_report import write_run
except ImportError:
    from test_report import write_run

SIGNALS = ["inflation-not-accelerating", "earnings-revision-upturn", "hy-spreads-tightening",
           "fed-easing"]
HORIZONS = [("1d", 1), ("1w", 5), ("3m", 63), ("12m", 252)]


def long_metrics() -> pd.DataFrame:
    """Real-length names: 26-character signals, compound 67-character variants."""
    rng = np.random.default_rng(3)
    rows = []
    for i, signal in enumerate(SIGNALS):
        for k in (21, 63):
            variant = (f"hy-spreads-tightening[lookback={k},below=-0.5] & activity-above-trend"
                       if i == 0 else f"lookback={k},below=-0.25")
            for h, days in HORIZONS:
                hit = float(rng.uniform(0.4, 0.7))
                rows.append({"signal": signal, "variant": variant,
                             "params": json.dumps({"lookback": k, "series": "fred.X"}),
                             "horizon": h, "horizon_days": days, "episode": "all",
                             "n_days": 6000, "n_events": 1234, "n_independent": 567,
                             "hit_rate": hit, "base_rate": 0.55, "edge": hit - 0.55,
                             "mean_fwd": 0.0004 * days, "base_mean_fwd": 0.0003 * days,
                             "q_value": float(rng.uniform(0, 1)), "ci_low": 0.001,
                             "ci_high": 1.0, "median_fwd": 0.0, "p_value": 0.5})
    return pd.DataFrame(rows)


def render(frame: pd.DataFrame, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO())
    print_table(frame, "ranked by q", console)
    return console.export_text(styles=False).splitlines()


def row_lines(lines: list[str], row_id: int) -> list[str]:
    """The lines of one row: its table line, or its block in the stacked layout."""
    for i, line in enumerate(lines):
        if re.match(rf"^\s*#?{row_id}\s", line):
            block = [line]
            for nxt in lines[i + 1:]:
                if not nxt.startswith("   ") or re.match(r"^\s*#?\d+\s", nxt):
                    break
                block.append(nxt)
            return block
    raise AssertionError(f"row {row_id} not found")


@pytest.mark.parametrize("width", [80, 120])
def test_every_row_shows_its_signal_and_horizon_at_width(width):
    m = long_metrics()
    ranked = rank_table(m)
    lines = render(ranked, width)
    assert all(len(x.rstrip()) <= width for x in lines), max(map(len, lines))
    for row in ranked.itertuples():
        block = row_lines(lines, int(row.row))
        first = block[0]
        assert row.signal in first, (width, row.signal, first)  # the signal, whole
        assert re.search(rf"(^|\s){row.horizon}(\s|$)", first), (width, row.horizon, first)
        assert T.events(row._asdict()) in " ".join(block)
        assert T.qfmt(row.q_value) in " ".join(block)


def test_120_is_a_table_and_80_is_stacked_with_full_variants():
    m = rank_table(long_metrics())
    wide, narrow = render(m, 120), render(m, 80)
    assert any(re.match(r"^\s*#\s+horizon\s+n/indep", x) for x in wide)  # one header line
    compound = "hy-spreads-tightening[lookback=21,below=-0.5] & activity-above-trend"
    assert compound in "\n".join(narrow)  # stacked: the variant on its own line, in full
    assert "…" in "\n".join(wide)  # the table cuts it, the row id finds it again


def test_small_mean_returns_keep_their_digits():
    assert T.ret(0.00012) == "+0.012%"
    assert T.ret(-0.0045) == "-0.45%"
    assert T.ret(0.019) == "+1.9%"
    assert T.ret(0.0) == "+0.0%"
    assert T.ret(float("nan")) == "—"
    lines = render(rank_table(long_metrics(), horizon="1d"), 120)
    assert "+0.010%" in "\n".join(lines)  # 1-day: 0.04% - 0.03%, not "+0.0%"


def test_label_widths_give_the_signal_its_full_width_first():
    assert label_widths([26, 67], 200) == [26, 67]
    assert label_widths([26, 67], 45) == [26, 19]
    assert label_widths([26, 67], 20) == [10, 10]  # never below the minimum


def test_terminal_width_honours_columns_and_pipes(monkeypatch):
    monkeypatch.setenv("COLUMNS", "97")
    assert terminal_width(io.StringIO()) == 97
    monkeypatch.delenv("COLUMNS")
    assert terminal_width(io.StringIO()) == 80  # a pipe is not silently widened

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert terminal_width(Tty()) is None  # ask the terminal


def _compare(cli, run, *extra, columns="120"):
    return cli("compare", str(run), "--out", str(run.parent / "cmp"), *extra,
               env={"COLUMNS": columns})


@pytest.mark.parametrize("columns", ["80", "120", ""])
def test_cli_compare_fits_columns(tmp_path, project, cli, columns):
    run = write_run(tmp_path / "run")
    res = _compare(cli, run, columns=columns)
    assert res.exit_code == 0, res.output
    width = int(columns or 80)  # no COLUMNS and not a tty: 80, never a silent 160
    lines = [x for x in res.stdout.splitlines() if not x.startswith("wrote ")]  # paths whole
    assert lines and all(len(x.rstrip()) <= width for x in lines), [
        x for x in lines if len(x.rstrip()) > width]
    assert any(re.match(r"^#15 alpha · 3m", x) for x in lines) == (width == 80)
    assert any(re.match(r"^\s*15 .*alpha", x) for x in lines) == (width == 120)


def test_cli_formats_are_machine_readable(tmp_path, project, cli):
    run = write_run(tmp_path / "run")
    csv = _compare(cli, run, "--format", "csv")
    assert csv.exit_code == 0, csv.output
    frame = pd.read_csv(io.StringIO(csv.stdout))
    assert {"row", "study", "target", "signal", "variant", "horizon", "hit_rate",
            "q_value", "lookback"} <= set(frame.columns)  # parameters as columns
    assert "params" not in frame.columns
    assert frame["hit_rate"].dtype == float
    judged = frame[frame["group"] == "ranked"]  # the evidence-first order (engine.ranking)
    assert len(judged) and judged["q_value"].is_monotonic_increasing
    assert "wrote" not in csv.stdout  # notes go to stderr
    js = json.loads(_compare(cli, run, "-f", "json").stdout)
    assert list(js) == ["compare"] and len(js["compare"]) == len(frame)
    assert js["compare"][0]["hit_rate"] == pytest.approx(frame["hit_rate"][0])
    md = _compare(cli, run, "--format", "markdown").stdout
    assert md.startswith("## compare") and "| # |" in md and "---:" in md
    bad = _compare(cli, run, "--format", "xml")
    assert bad.exit_code == 2 and "table, csv, json, markdown" in bad.text


def test_show_row_prints_the_row_in_full(tmp_path, project, cli):
    run = write_run(tmp_path / "run")
    m = pd.read_parquet(run / "metrics.parquet")
    row = int(np.flatnonzero((m["variant"] == "lookback=20,below=-0.5")
                             & (m["horizon"] == "3m") & (m["episode"] == "all"))[0])
    res = cli("show-row", str(run), str(row), env={"COLUMNS": "60"})
    assert res.exit_code == 0, res.output
    for text in ("alpha", "lookback=20,below=-0.5", "3m", "24/12", "71.4%", "0.012",
                 "evidence for"):
        assert text in res.text
    js = json.loads(cli("show-row", str(run), str(row), "-f", "json").stdout)
    assert js["row"][0]["lookback"] == 20 and js["row"][0]["row"] == row
    bad = cli("show-row", str(run), "99999")
    assert bad.exit_code == 2 and "the # column" in bad.text


def test_emit_json_turns_nan_into_null():
    out = io.StringIO()
    emit([Out("t", pd.DataFrame({"a": [1.0, np.nan], "d": pd.to_datetime(["2024-01-02",
                                                                          None])}))],
         "json", Console(file=out))
    assert json.loads(out.getvalue()) == {"t": [{"a": 1.0, "d": "2024-01-02T00:00:00"},
                                                {"a": None, "d": None}]}


def test_records_converts_by_column_as_plain_did_cell_by_cell():
    """The column-at-a-time ``records`` gives the values of ``_plain`` on every cell of
    ``to_dict("records")`` (its former body), for each kind of column a table holds."""
    from engine.report.output import _plain, records

    frame = pd.DataFrame({
        "f": [1.5, np.nan, np.inf, -np.inf, 0.1 + 0.2],
        "f32": np.array([0.1, np.nan, 2.0, 3.0, 4.0], dtype=np.float32),
        "i": np.arange(5, dtype=np.int64),
        "u": np.arange(5, dtype=np.uint8),
        "b": [True, False, True, False, True],
        "Int": pd.array([21, None, 3, 4, 5], dtype="Int64"),
        "s": ["a", None, "c", "d", "e"],
        "obj": [{"x": 1.0}, [np.float64(2.0), np.nan], None, np.int64(7), float("nan")],
        "when": pd.to_datetime(["2024-01-02", None, "2025-06-30", "2026-01-01", "1927-12-30"]),
        "day": [pd.Timestamp("2024-01-02").date()] * 5,
        "cat": pd.Categorical(["x", "y", "x", None, "y"]),
    })
    frame[3] = [np.nan, 1.0, 2.0, 3.0, 4.0]  # a non-string column name
    old = [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    new = records(frame)
    assert json.dumps(new) == json.dumps(old)
    assert [[type(v) for v in r.values()] for r in new] == \
        [[type(v) for v in r.values()] for r in old]
    assert new[1]["f"] is None and new[2]["f"] is None and new[0]["f"] == 1.5
    assert new[0]["f32"] == float(np.float32(0.1)) and new[1]["when"] is None
    assert records(frame.iloc[:, :0]) == [{}] * 5 and records(frame.iloc[:0]) == []
