"""Hostile datasets: built Parquet files changed after the build (still decodable or not),
hostile catalog entries, and mirror files that turned into something else.

A dataset whose bytes changed since its build is never used: `study run` and `study data show`
refuse it naming the file and the fix, and `study data build ID` repairs it (it is not
"up to date"). No other dataset is touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile_kit import Snapshot, ok, refused

RUT = "index.RUT.parquet"


def rewrite(path: Path, change) -> None:
    """Rewrite a Parquet table with ``change(table) -> table``, keeping its schema metadata."""
    table = pq.read_table(path)
    meta = table.schema.metadata
    table = change(table)
    pq.write_table(table.replace_schema_metadata(meta), path)


def _dates_to_2199(t: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    i = t.schema.get_field_index("date")
    shifted = pc.add(t.column(i).cast(pa.timestamp("ns")), pa.scalar(176 * 365 * 86400 * 10**9,
                                                                       pa.duration("ns")))
    return t.set_column(i, t.schema.field(i).with_type(pa.timestamp("ns")), shifted)


def _scale_values(t: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    i = next(n for n in t.column_names if n != "date")
    j = t.column_names.index(i)
    return t.set_column(j, i, pc.multiply(t.column(j), 1.5))


def _drop_rows(t: pa.Table) -> pa.Table:
    return t.slice(0, t.num_rows - 40)


def _dup_rows(t: pa.Table) -> pa.Table:
    return pa.concat_tables([t, t.slice(t.num_rows - 5)])


def _one_value(t: pa.Table) -> pa.Table:
    i = next(n for n in t.column_names if n != "date")
    j = t.column_names.index(i)
    vals = t.column(j).to_pylist()
    vals[100] = vals[100] + 0.01
    return t.set_column(j, i, pa.array(vals, pa.float64()))


def _rename(t: pa.Table) -> pa.Table:
    return t.rename_columns(["other" if n != "date" else n for n in t.column_names])


DECODABLE = [_dates_to_2199, _scale_values, _drop_rows, _dup_rows, _one_value, _rename]


@pytest.mark.parametrize("change", DECODABLE, ids=["dates-2199", "scaled", "rows-dropped",
                                                   "rows-duplicated", "one-value", "renamed"])
def test_changed_parquet_that_still_decodes_is_never_used(hostile, cli, change):
    path = hostile / "datasets" / RUT
    rewrite(path, change)
    before = Snapshot(hostile)
    for args in (("run", "good", "--no-report"), ("data", "show", "index.RUT")):
        refused(cli(*args), str(path), "index.RUT", "changed since it was built",
                fix="study data build index.RUT")
    before.unchanged()
    assert before.new_runs() == []
    assert "1 built" in ok(cli("data", "build", "index.RUT"))
    ok(cli("run", "good", "--no-report"))


def _meta(path: Path) -> dict:
    return json.loads(pq.read_schema(path).metadata[b"rally_study"])


@pytest.mark.parametrize("edit", [
    lambda m: {**m, "content_sha256": "0" * 64},
    lambda m: {**m, "rows": "many"},
    lambda m: [m],
    lambda m: {**m, "extra": 1},
    lambda m: None,
], ids=["hash-forged", "rows-text", "not-object", "extra-key", "null"])
def test_forged_metadata_is_refused_then_rebuilt(hostile, cli, edit):
    path = hostile / "datasets" / RUT
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    meta[b"rally_study"] = json.dumps(edit(_meta(path))).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)
    before = Snapshot(hostile)
    refused(cli("data", "show", "index.RUT"), str(path), "index.RUT",
            fix="study data build index.RUT")
    before.unchanged()
    assert "1 built" in ok(cli("data", "build", "index.RUT"))
    ok(cli("run", "good", "--no-report"))


@pytest.mark.parametrize("damage", [
    lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    lambda p: p.write_bytes(b""),
    lambda p: p.write_bytes(b"PAR1" + bytes(range(256)) * 8 + b"PAR1"),
    lambda p: (p.unlink(), p.mkdir()),
], ids=["truncated", "empty", "garbage", "folder"])
def test_undecodable_parquet(hostile, cli, damage):
    path = hostile / "datasets" / RUT
    damage(path)
    before = Snapshot(hostile)
    refused(cli("data", "show", "index.RUT"), str(path), "index.RUT",
            fix="study data build index.RUT")
    before.unchanged(except_datasets=(RUT,))
    if path.is_dir():
        path.rmdir()
    assert "1 built" in ok(cli("data", "build", "index.RUT"))


# ----------------------------------------------------------------------------- catalog
CATALOG_EDITS = [
    (b"\n# caf\xe9\n", "not UTF-8", "save it as UTF-8"),
    (b"=datasets = 5\n", "'datasets' must be a table", "[datasets."),
    (b'\n[datasets."x.y"]\nsource = ["csv"]\n', "x.y", ""),
    (b'\n[datasets."x.y"]\nsource = "fred"\nfile = "f.csv"\nfrequency = "daily"\nunits = "u"\n'
     b'description = "d"\nlag_days = 1.5\ncolumns = "value"\n', "lag_days must be an integer",
     "lag_days"),
    (b'\n[datasets."x.y"]\nsource = "fred"\nfile = "f.csv"\nfrequency = "daily"\nunits = "u"\n'
     b'description = "d"\nlag_days = 0\ncolumns = ""\n', "columns", ""),
]


@pytest.mark.parametrize(("edit", "message", "fix"), CATALOG_EDITS,
                         ids=["non-utf8", "datasets-not-table", "source-list", "lag-float",
                              "no-columns"])
def test_hostile_catalog(hostile, cli, edit, message, fix):
    cat = hostile / "datasets" / "catalog.toml"
    original = cat.read_bytes()
    cat.write_bytes(edit[1:] if edit.startswith(b"=") else original + edit)
    before = Snapshot(hostile)
    for args in (("data", "list"), ("run", "good", "--no-report")):
        refused(cli(*args), str(cat), message, fix=fix)
    before.unchanged()


def test_mirror_file_replaced_by_folder(hostile, cli):
    mirror = Path(hostile.parent / "mirror")
    (mirror / "indices" / "RUT.csv").unlink()
    (mirror / "indices" / "RUT.csv").mkdir()
    before = Snapshot(hostile)
    refused(cli("data", "build", "index.RUT", "--force"), "RUT.csv", "mirror file missing",
            fix="restore the file")
    before.unchanged()


def test_mirror_file_with_infinity(hostile, cli):
    mirror = Path(hostile.parent / "mirror")
    f = mirror / "fred" / "DGS10.csv"
    lines = f.read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",inf"
    f.write_text("\n".join(lines) + "\n")
    before = Snapshot(hostile)
    refused(cli("data", "build", "fred.DGS10"), str(f), "row 6", "not a finite number")
    before.unchanged()


def test_failed_build_leaves_the_others(hostile, cli):
    mirror = Path(hostile.parent / "mirror")
    (mirror / "fred" / "GDP.csv").write_text("date,value\n2024-01-01,abc\n")
    before = Snapshot(hostile)
    refused(cli("data", "build", "fred.GDP", "--force"), "GDP.csv", "non-numeric value 'abc'")
    before.unchanged()  # the old fred.GDP too
