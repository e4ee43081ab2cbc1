"""`study rallies`, `study analogs` and `study case` end to end on the synthetic mirror."""

from __future__ import annotations

import pandas as pd
import pytest

STUDY = """
[study]
title = "synthetic small-cap rallies"
question = "did the small-cap lead last?"
target = "index.RUT"
benchmark = "index.GSPC"
horizons = ["5d", "20d"]

[rallies]
gain = {gain}
low_window = 40
within = 20
min_gap = 30

[rallies.sustained]
horizon = "20d"
max_giveback = 0.05

[analogs]
k = {k}
horizon = "20d"
features = [
  {{ name = "rel-20d", transform = "relative_return", days = 20 }},
  {{ name = "rut-5d", series = "@target", transform = "return", days = 5 }},
]

[case]
scorecard = ""
lookback = 21

[[signals]]
name = "uptrend"
family = "trend.above_ma"
params = {{ series = "@target", window = 20 }}

[[signals]]
name = "january"
family = "seasonality.january"
"""


@pytest.fixture
def rally_study(project, synthetic_mirror, monkeypatch):
    monkeypatch.setenv("STUDY_DATA_MIRROR", str(synthetic_mirror))

    def write(gain: float = 0.02, k: int = 3) -> str:
        path = project / "studies" / f"synthetic-rallies-{k}-{gain}.toml"
        path.write_text(STUDY.format(gain=gain, k=k))
        return str(path)

    return write


def test_rallies_prints_tables_and_writes_reports(project, rally_study, cli):
    res = cli("rallies", "--study", rally_study(), "--out", project / "out")
    assert res.exit_code == 0, res.output
    for text in ("rallies", "drivers at the start vs outcome", "uptrend", "odds ratio",
                 "drivers on at the start"):
        assert text in res.text
    frame = pd.read_parquet(project / "out" / "rallies.parquet")
    assert len(frame) >= 2 and "driver:uptrend" in frame.columns
    html = (project / "out" / "rallies.html").read_text()
    assert "rally-timeline" in html and "<svg" in html
    md = (project / "out" / "rallies.md").read_text()
    assert "rallies-charts/rally-timeline.svg" in md
    assert (project / "out" / "rallies-charts" / "rally-timeline.svg").is_file()


def test_a_rule_that_finds_no_rally_says_so(project, rally_study, cli):
    res = cli("rallies", "--study", rally_study(gain=5.0), "--out", project / "out")
    assert res.exit_code == 0, res.output
    assert "no rally met the rule" in res.text
    assert "no rally met the rule" in (project / "out" / "rallies.md").read_text()


def test_analogs_and_k_larger_than_the_independent_analogs(project, rally_study, cli):
    res = cli("analogs", "--date", "2024-11-01", "--study", rally_study(),
              "--out", project / "out")
    assert res.exit_code == 0, res.output
    assert "nearest analogs" in res.text and "all past days" in res.text
    many = cli("analogs", "--date", "2024-11-01", "--study", rally_study(k=100),
               "--out", project / "out")
    assert many.exit_code == 0, many.output
    assert "independent analog(s) with complete data before this date (k = 100 asked)" \
        in many.text


@pytest.mark.parametrize("date, message", [
    ("1990-01-01", "is before the target's data"),
    ("2030-01-01", "is after the target's data"),
    ("2024-13-45", "not understood"),
])
def test_dates_outside_the_data_exit_2(project, rally_study, cli, date, message):
    for command in ("analogs", "case"):
        res = cli(command, "--date", date, "--study", rally_study())
        assert res.exit_code == 2, res.output
        assert message in res.text and "Fix:" in res.text


def test_case_separates_what_happened_next(project, rally_study, cli):
    res = cli("case", "--date", "2024-06-03", "--study", rally_study(), "--out", project / "out")
    assert res.exit_code == 0, res.output
    text = res.text
    assert text.index("as of 2024-06-03") < text.index("what happened next")
    assert "index.RUT year to date" in text
    page = (project / "out" / "case-2024-06-03.html").read_text()
    assert page.index("drivers-now") < page.index("what-next")
    last = cli("case", "--date", "2024-12-31", "--study", rally_study(), "--out", project / "out")
    assert last.exit_code == 0, last.output
    assert "no data after 2024-12-31 yet" in last.text


def test_a_study_without_rally_tables_exits_2(project, rally_study, cli):
    res = cli("rallies", "--study", "small-cap-revisions")
    assert res.exit_code == 2
    assert "[rallies]" in res.text and "Fix:" in res.text


def test_api_returns_dataframes(project, rally_study):
    import engine

    path = rally_study()
    rallies = engine.rallies(path)
    assert isinstance(rallies, pd.DataFrame) and {"start", "trough", "outcome"} <= set(rallies)
    drivers = engine.rally_drivers(path)
    assert list(drivers["driver"]) == ["uptrend", "january"]
    analogs = engine.analogs("2024-11-01", path)
    assert list(analogs["rank"]) == [1, 2, 3] and (analogs["date"] < "2024-11-01").all()
    case = engine.case("2024-06-03", path)
    assert set(case["section"]) >= {"facts", "driver", "analog", "what happened next"}
    assert not case.loc[case["section"] == "what happened next", "knowable_on_date"].any()
    assert case.loc[case["section"] != "what happened next", "knowable_on_date"].all()


def test_a_date_with_no_history_gives_a_labelled_empty_answer(project, rally_study, cli):
    res = cli("analogs", "--date", "2023-01-05", "--study", rally_study(),
              "--out", project / "out")
    assert res.exit_code == 0, res.output
    assert "no feature has a value on this date: no analogs" in res.text
    case = cli("case", "--date", "2023-01-05", "--study", rally_study(), "--out", project / "out")
    assert case.exit_code == 0, case.output
    assert "no rally under way" in case.text and "what happened next" in case.text


def test_rallies_and_analogs_take_format(project, rally_study, cli):
    """Issue 17: --format csv|json|markdown on the anatomy commands, through the same
    emitter as run/compare/scorecard: CSV/JSON carry raw values and nothing else on stdout."""
    import io
    import json

    study = rally_study()
    csv = cli("rallies", "--study", study, "--out", project / "out", "--format", "csv")
    assert csv.exit_code == 0, csv.output
    frame = pd.read_csv(io.StringIO(csv.stdout))
    api = pd.read_parquet(project / "out" / "rallies.parquet")
    assert list(frame["rally"]) == list(api["rally"])
    assert frame["gain_at_start"].to_numpy() == pytest.approx(api["gain_at_start"].to_numpy())
    assert "driver:uptrend" in frame.columns and "wrote" not in csv.stdout
    assert "wrote" in csv.stderr
    js = cli("rallies", "--study", study, "--out", project / "out", "--format", "json")
    doc = json.loads(js.stdout)
    assert set(doc) == {"rallies", "drivers", "counts"}
    assert [d["driver"] for d in doc["drivers"]] == ["uptrend", "january"]
    assert len(doc["rallies"]) == len(api)
    md = cli("rallies", "--study", study, "--out", project / "out", "--format", "markdown")
    assert "## drivers at the start vs outcome" in md.stdout and "| driver |" in md.stdout
    an = cli("analogs", "--date", "2024-11-01", "--study", study, "--out", project / "out",
             "--format", "json")
    assert an.exit_code == 0, an.output
    doc = json.loads(an.stdout)
    assert set(doc) == {"analogs", "distribution"} and len(doc["analogs"]) == 3
    assert all(isinstance(r["distance"], float) for r in doc["analogs"])
    assert {r["group"] for r in doc["distribution"]} == {"analogs", "all past days"}
    bad = cli("analogs", "--date", "2024-11-01", "--study", study, "--format", "xml")
    assert bad.exit_code == 2 and "table, csv, json, markdown" in bad.text


def test_rallies_table_fits_80_columns(project, rally_study, cli):
    res = cli("rallies", "--study", rally_study(), "--out", project / "out",
              env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines if not line.startswith("wrote")) <= 80
    frame = pd.read_parquet(project / "out" / "rallies.parquet")
    for r in frame.itertuples():  # each rally identifiable: its number, start and outcome
        assert f"#{r.rally} {r.start.date()} · {r.outcome}" in res.stdout
