"""The study-level commands: help, list, show, validate and new."""

from __future__ import annotations

import tomllib

COMMANDS = ("run", "list", "show", "validate", "compare", "report", "new", "scorecard", "data",
            "families", "rallies", "analogs", "case")
STUDIES = ("small-cap-revisions", "breadth-thrust", "fed-pivot", "falling-yields",
           "credit-spreads", "santa-claus-rally", "technical-breakout", "macro-momentum",
           "sector-leadership", "rally-scorecard", "small-cap-rallies", "fomc-windows")


def test_help_lists_every_command_with_a_line(cli):
    res = cli("--help")
    assert res.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in res.text


def test_list_shows_every_study_with_its_variant_count(project, cli):
    res = cli("list")
    assert res.exit_code == 0, res.output
    for name in STUDIES:
        assert name in res.text
    assert "invalid" not in res.text


def test_show_prints_question_signals_and_family_docs(project, cli):
    res = cli("show", "small-cap-revisions")
    assert res.exit_code == 0, res.output
    for text in ("index.RUT", "hy-spreads-tightening", "credit.spread_change", "2019", "2025"):
        assert text in res.text


def test_every_shipped_study_validates(project, cli):
    for name in STUDIES:
        res = cli("validate", name)
        assert res.exit_code == 0, (name, res.output)
        assert "ok" in res.text


def test_new_scaffolds_a_valid_commented_study(project, cli):
    res = cli("new", "my-study")
    assert res.exit_code == 0, res.output
    path = project / "studies" / "my-study.toml"
    text = path.read_text()
    assert text.count("#") > 10  # commented
    assert tomllib.loads(text)["study"]["target"]
    assert cli("validate", "my-study").exit_code == 0
    again = cli("new", "my-study")
    assert again.exit_code == 2 and "exists" in again.text
    assert cli("new", "my-study", "--force").exit_code == 0


def test_unknown_study_suggests_a_name(project, cli):
    res = cli("show", "small-cap-revision")
    assert res.exit_code == 2
    assert "did you mean small-cap-revisions" in res.text


def test_families_lists_every_family_and_documents_one(cli):
    from engine.signals import FAMILIES

    res = cli("families")
    assert res.exit_code == 0
    for name in FAMILIES:
        assert name in res.text
    one = cli("families", "credit.spread_change")
    assert one.exit_code == 0
    assert "lookback" in one.text and "required" in one.text and "Lag" in one.text
    bad = cli("families", "credit.spread_chang")
    assert bad.exit_code == 2 and "did you mean credit.spread_change" in bad.text
