"""Help, version and the small things a first-time user trips over."""

from __future__ import annotations

import re

import pytest

from engine import __version__

SUBCOMMANDS = (("run",), ("compare",), ("scorecard",), ("new",), ("families",),
               ("data", "build"), ("data", "show"), ("report",), ("show",))


def test_version(cli):
    for flag in ("--version", "-V"):
        res = cli(flag)
        assert res.exit_code == 0
        assert res.text == f"rally-study {__version__}"


@pytest.mark.parametrize("cmd", [(), *SUBCOMMANDS, ("data",)])
def test_dash_h_is_help_and_flags_have_no_value_hint(cli, cmd):
    res = cli(*cmd, "-h")
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output
    assert "<bool>" not in res.output  # flags take no value


def test_compare_by_help_and_error_list_the_same_choices(cli, project):
    from engine.cli.compare import BY_CHOICES
    from engine.compare import SORT_KEYS

    assert set(BY_CHOICES) == set(SORT_KEYS)
    help_text = cli("compare", "-h").text
    for key in BY_CHOICES:
        assert key in help_text
    res = cli("compare", "x", "--by", "nope")
    assert res.exit_code == 2
    listed = re.findall(r"'([a-z_]+)'", res.text.split("use one of", 1)[1])
    assert set(listed) == set(BY_CHOICES)


def test_template_points_to_study_families():
    from pathlib import Path

    import engine

    text = (Path(engine.__file__).parent / "templates").glob("*.toml")
    body = "\n".join(p.read_text() for p in text)
    assert "`study families`" in body
    assert "`study show` and README for all families" not in body


@pytest.mark.parametrize("doc, want", [
    ("One line.", "One line."),
    ("A sentence that is wrapped\n    over two lines. Then more.",
     "A sentence that is wrapped over two lines."),
    ("mean(x_{n-k} .. x_{n-1}) > 0.\n\nDetails.", "mean(x_{n-k} .. x_{n-1}) > 0."),
    ("Uses e.g. the 10y yield. More.", "Uses e.g. the 10y yield."),
    ("No period at all", "No period at all"),
    ("", ""),
])
def test_doc_summary_is_a_whole_sentence(doc, want):
    from engine.cli.families import doc_summary

    assert doc_summary(doc) == want


def test_families_list_never_cuts_a_description(cli):
    from engine.cli.families import doc_summary
    from engine.signals import FAMILIES

    res = cli("families")
    assert res.exit_code == 0
    for name, fam in FAMILIES.items():
        summary = doc_summary(fam.doc)
        assert summary.endswith(".") or summary == " ".join((fam.doc or "").split()), name
        assert " ".join(summary.split()) in res.text, name
