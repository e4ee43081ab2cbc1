"""Hostile imports (`study data import`): options that would break datasets/custom.toml,
CSV content that would give silently wrong numbers, and sources edited or deleted after import.

After every case — refused or accepted — the catalog must still load: `study data list`,
`study list` and `study validate` keep working, and no other dataset is touched.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hostile_kit import GOOD, Snapshot, ok, refused, write_study

ROWS = "date,value\n2024-01-02,1.5\n2024-01-03,2.5\n2024-01-04,3.5\n"


def csv(tmp_path: Path, text: str = ROWS, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


def catalog_still_loads(cli, home: Path) -> None:
    ok(cli("data", "list"))
    ok(cli("list"))
    ok(cli("validate", "good"))
    custom = home / "datasets" / "custom.toml"
    if custom.exists():
        tomllib.loads(custom.read_text())


# ----------------------------------------------------------------------------- custom.toml
CONTROL = [
    ("--units", "per\ncent"), ("--units", "a\rb"), ("--units", "nul\x00"),
    ("--description", "line one\nline two"), ("--description", "esc \x1b[31m red"),
    ("--description", "del \x7f"), ("--description", "bell \x07"),
    ("--date-format", "%Y-%m-%d\n"), ("--date-col", "da\nte"), ("--value-col", "val\tue"),
]


@pytest.mark.parametrize(("opt", "value"), CONTROL,
                         ids=["units-lf", "units-cr", "units-nul", "desc-lf", "desc-esc",
                              "desc-del", "desc-bell", "format-lf", "datecol-lf", "valuecol-tab"])
def test_control_characters_in_options_are_refused(hostile, cli, tmp_path, opt, value):
    before = Snapshot(hostile)
    refused(cli("data", "import", csv(tmp_path), "--id", "custom.x", opt, value), opt,
            "control character", fix="plain text")
    before.unchanged()
    assert not (hostile / "datasets" / "custom.toml").exists()
    catalog_still_loads(cli, hostile)


@pytest.mark.parametrize("id_", ["custom.x\n", "custom.x\n[datasets.evil]", "custom.", "custom.a b",
                                 "custom.x/../../y", "custom.ünï"],
                         ids=["trailing-lf", "injected-table", "empty-name", "space", "slash",
                              "non-ascii"])
def test_odd_ids_are_refused(hostile, cli, tmp_path, id_):
    before = Snapshot(hostile)
    refused(cli("data", "import", csv(tmp_path), "--id", id_), "--id", "not allowed",
            fix="custom.NAME")
    before.unchanged()
    assert not (hostile / "datasets" / "custom.toml").exists()
    catalog_still_loads(cli, hostile)


@pytest.mark.parametrize(("opt", "value"), [
    ("--units", 'say "quoted"'), ("--units", "back\\slash"), ("--description", "'''"),
    ("--description", '"""x"""'), ("--description", "unicode ✓ € 中"),
    ("--description", "[/bold] markup"), ("--units", "# not a comment"),
], ids=["quote", "backslash", "single-triple", "double-triple", "unicode", "markup", "hash"])
def test_odd_but_printable_text_round_trips(hostile, cli, tmp_path, opt, value):
    ok(cli("data", "import", csv(tmp_path), "--id", "custom.x", opt, value))
    catalog_still_loads(cli, hostile)
    assert value in ok(cli("data", "show", "custom.x"))


@pytest.mark.parametrize("name", ['we"ird.csv', "new\nline.csv", "back\\slash.csv",
                                  "[bold]x.csv"], ids=["quote", "newline", "backslash", "markup"])
def test_odd_file_names_round_trip(hostile, cli, tmp_path, name):
    src = csv(tmp_path, name=name)
    ok(cli("data", "import", src, "--id", "custom.x"))
    catalog_still_loads(cli, hostile)
    raw = tomllib.loads((hostile / "datasets" / "custom.toml").read_text())
    assert raw["datasets"]["custom.x"]["file"] == str(src.resolve())
    ok(cli("data", "build", "custom.x", "--force"))


def test_second_import_keeps_the_first(hostile, cli, tmp_path):
    ok(cli("data", "import", csv(tmp_path, name="a.csv"), "--id", "custom.a",
           "--description", 'has "quotes" and \\'))
    ok(cli("data", "import", csv(tmp_path, name="b.csv"), "--id", "custom.b"))
    raw = tomllib.loads((hostile / "datasets" / "custom.toml").read_text())
    assert sorted(raw["datasets"]) == ["custom.a", "custom.b"]
    assert raw["datasets"]["custom.a"]["description"] == 'has "quotes" and \\'


# ----------------------------------------------------------------------------- CSV content
CONTENT = [
    ("date,value\n2024-01-02,inf\n2024-01-03,1\n", "row 2", "not a finite number 'inf'"),
    ("date,value\n2024-01-02,1\n2024-01-03,-inf\n", "row 3", "not a finite number '-inf'"),
    ("date,value\n2024-01-02,Infinity\n", "row 2", "not a finite number 'Infinity'"),
    ("date,value\n2024-01-02,1e999\n", "row 2", "not a finite number '1e999'"),
    ("date,value\n2024-01-02,-1e400\n", "row 2", "not a finite number '-1e400'"),
    ("date,value\n2024-01-02T00:00:00+00:00,1\n2024-01-03T00:00:00+05:00,2\n", "'date'",
     "mixed time-zone offsets"),
    ("date,value\n2024-01-02T00:00:00Z,1\n2024-01-03T00:00:00-05:00,2\n", "'date'",
     "mixed time-zone offsets"),
    ("date,value\n2024-01-02,1\n9999-12-31,2\n", "row 3", "outside the dates this tool handles"),
    ("date,value\n0001-01-01,1\n2024-01-02,2\n", "row 2", "outside the dates this tool handles"),
    ("date,value\n2024-01-02,1\n2199-01-02,2\n", "row 3", "in the future"),
    ("d\xe9te,value\n2024-01-02,1\n", "", "not a readable CSV"),
    ("date,value\n2024-01-02,1\n2024-01-03,caf\udce9\n", "", "not a readable CSV"),
]


@pytest.mark.parametrize(("content", "where", "message"), CONTENT,
                         ids=["inf", "minus-inf", "infinity", "overflow", "neg-overflow",
                              "mixed-offsets", "mixed-z", "year-9999", "year-1", "year-2199",
                              "latin1-header", "latin1-value"])
def test_bad_csv_content_is_refused(hostile, cli, tmp_path, content, where, message):
    src = csv(tmp_path, content.replace("\xe9", "\udce9"))
    before = Snapshot(hostile)
    refused(cli("data", "import", src, "--id", "custom.x"), str(src), where, message)
    before.unchanged()
    assert not (hostile / "datasets" / "custom.toml").exists()
    catalog_still_loads(cli, hostile)


def test_uniform_offset_keeps_the_calendar_date(hostile, cli, tmp_path):
    src = csv(tmp_path, "date,value\n2024-01-02T00:00:00-05:00,1\n2024-01-03T00:00:00-05:00,2\n")
    text = ok(cli("data", "import", src, "--id", "custom.x"))
    assert "2 rows 2024-01-02 .. 2024-01-03" in text


def test_bom_and_crlf_are_fine(hostile, cli, tmp_path):
    src = tmp_path / "bom.csv"
    src.write_bytes(b"\xef\xbb\xbfdate,value\r\n2024-01-02,1\r\n2024-01-03,2\r\n")
    assert "2 rows" in ok(cli("data", "import", src, "--id", "custom.x"))


@pytest.mark.parametrize(("args", "message", "fix"), [
    (["--lag", "1000000000"], "lag 1000000000 not allowed", "0 to 3660"),
    (["--lag", "3661"], "lag 3661 not allowed", "0 to 3660"),
    (["--date-format", "%Q"], "--date-format", "strftime"),
    (["--date-format", "%d/%m/%Y"], "cannot parse date '2024-01-02'", "%d/%m/%Y"),
], ids=["lag-huge", "lag-over", "format-bad-directive", "format-mismatch"])
def test_bad_import_options(hostile, cli, tmp_path, args, message, fix):
    before = Snapshot(hostile)
    refused(cli("data", "import", csv(tmp_path), "--id", "custom.x", *args), message, fix=fix)
    before.unchanged()
    catalog_still_loads(cli, hostile)


# ----------------------------------------------------------------------------- after import
DAILY = "date,value\n" + "".join(f"2023-{m:02d}-{d:02d},{100 + m + d / 100}\n"
                                 for m in range(1, 13) for d in range(2, 28))


def test_edited_source_is_not_used_in_its_old_form(hostile, cli, tmp_path):
    src = csv(tmp_path, DAILY)
    ok(cli("data", "import", src, "--id", "custom.mine"))
    path = write_study(hostile, "mine", GOOD.replace(
        "params = { lookback = 20 }", 'params = { lookback = 20, series = "custom.mine" }'))
    ok(cli("run", path, "--no-report"))
    src.write_text(DAILY.replace("2023-06-10,106.1", "2023-06-10,999.0"))
    before = Snapshot(hostile)
    for args in (("run", path, "--no-report"), ("data", "show", "custom.mine")):
        refused(cli(*args), "custom.mine", "changed since", str(src),
                fix="study data build custom.mine")
    before.unchanged()
    ok(cli("data", "build", "custom.mine"))
    assert "999.0" in ok(cli("data", "show", "custom.mine", "--tail", "300"))
    ok(cli("run", path, "--no-report"))


def test_deleted_source_on_rebuild(hostile, cli, tmp_path):
    src = csv(tmp_path)
    ok(cli("data", "import", src, "--id", "custom.x"))
    src.unlink()
    before = Snapshot(hostile)
    refused(cli("data", "build", "custom.x", "--force"), "custom.x", str(src),
            "imported file is missing", fix="study data import")
    before.unchanged()
    assert "3 rows" in ok(cli("data", "show", "custom.x"))  # the built copy still serves


def test_source_replaced_by_a_folder(hostile, cli, tmp_path):
    src = csv(tmp_path)
    ok(cli("data", "import", src, "--id", "custom.x"))
    src.unlink()
    src.mkdir()
    refused(cli("data", "build", "custom.x", "--force"), str(src), "imported file is missing",
            fix="study data import")


@pytest.mark.parametrize(("edit", "message"), [
    (b'\n[datasets."custom.y"]\nsource = "csv"\ndescription = "caf\xe9"\n', "not UTF-8"),
    (b'\n[datasets."custom.y"\n', "malformed TOML"),
    (b'\n[datasets."custom.y"]\nsource = "csv"\nfile = "/x.csv"\nfrequency = "daily"\n'
     b'units = "u"\ndescription = "d"\nlag_days = 100000000000\ncolumns = "value"\n',
     "lag_days = 100000000000 is above 3660"),
    (b'\n[datasets."custom.y"]\nsource = ["csv"]\nfile = "/x.csv"\nfrequency = "daily"\n'
     b'units = "u"\ndescription = "d"\nlag_days = 0\ncolumns = "value"\n', "source"),
    (b'\n[datasets."custom.y"]\nsource = "csv"\nfile = "/x.csv"\nfrequency = 5\n'
     b'units = "u"\ndescription = "d"\nlag_days = 0\ncolumns = "value"\n', "frequency"),
    (b'\n[datasets]\n"custom.y" = 5\n', "must be a table"),
], ids=["non-utf8", "malformed", "lag-huge", "source-list", "frequency-int", "entry-not-table"])
def test_hand_edited_custom_toml(hostile, cli, tmp_path, edit, message):
    ok(cli("data", "import", csv(tmp_path), "--id", "custom.x"))
    custom = hostile / "datasets" / "custom.toml"
    custom.write_bytes(custom.read_bytes() + edit)
    before = Snapshot(hostile)
    for args in (("data", "list"), ("validate", "good"), ("run", "good", "--no-report")):
        refused(cli(*args), str(custom), message, fix="")
    before.unchanged()
