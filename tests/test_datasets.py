"""Catalog validation, Parquet builds (atomic, incremental, with provenance), staleness and
the custom-CSV import, through the engine API (the CLI layer is in test_cli_data.py)."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import SYNTHETIC_IDS, rut_value, trading_days

from engine.data import dataops, datasets
from engine.data.catalog import Catalog, split_ref
from engine.errors import DataError

CATALOG_HEAD = '[datasets."x.a"]\n'
GOOD_ENTRY = {
    "source": '"fred"', "file": '"fred/DGS10.csv"', "frequency": '"daily"', "units": '"pct"',
    "description": '"d"', "lag_days": "1", "columns": '"value"',
}


def write_catalog(folder: Path, **override: str | None) -> Path:
    """A one-entry catalog.toml; override a key's TOML text, or drop it with None."""
    raw = {**GOOD_ENTRY, **override}
    lines = [CATALOG_HEAD, *(f"{k} = {v}\n" for k, v in raw.items() if v is not None)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.toml").write_text("".join(lines))
    return folder


def leftovers(folder: Path) -> list[str]:
    """Anything in the datasets folder that is not the catalog or a finished Parquet file."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name not in ("catalog.toml", "custom.toml")
                  and not (p.suffix == ".parquet" and not p.name.startswith(".")))


# ----------------------------------------------------------------------------- catalog


def test_catalog_entries_are_well_formed(project):
    catalog = Catalog.load()
    assert len(catalog.entries) == 123
    assert catalog.root == project / "datasets"
    for entry in catalog:
        assert entry.lag_days >= 0 and entry.columns
    rut = catalog.get("index.RUT")
    assert (rut.source, rut.file, rut.frequency, rut.lag_days) == (
        "yahoo", "indices/RUT_ohlcv_to2020.csv.gz", "daily", 0)
    assert rut.splice == ("indices/RUT.csv", "indices/RUT_ohlc_2016-2026-08.csv.gz")
    assert catalog.get("fred.CPIAUCSL").lag_days == 14
    assert catalog.get("fred.GDP").frequency == "quarterly"
    assert catalog.get("fred.GDP").lag_days == 30
    assert catalog.get("shiller.sp500").default_column == "price"


def test_no_two_datasets_hold_the_same_series(project):
    """One dataset per series: the same raw file(s) and column under two ids would show the
    series twice in ``study data list`` (fred2026.DGS10 / .HY_OAS duplicated the spliced
    fred.DGS10 / fred.BAMLH0A0HYM2 and were merged into them)."""
    seen: dict[tuple, str] = {}
    for entry in Catalog.load():
        key = (entry.source, entry.files, entry.columns, entry.value_col, entry.header)
        assert key not in seen, f"{entry.id} duplicates {seen[key]}"
        seen[key] = entry.id
    catalog = Catalog.load()
    assert "fred2026.DGS10" not in catalog and "fred2026.HY_OAS" not in catalog
    assert catalog.get("fred.DGS10").splice == ("fred_2026/rates.csv.gz#DGS10",)
    assert catalog.get("fred.BAMLH0A0HYM2").splice == ("fred_2026/volatility.csv.gz#HY_OAS",)


def test_unknown_id_suggests_close_matches(project):
    with pytest.raises(DataError) as info:
        Catalog.load().get("index.RTU")
    err = info.value
    assert "unknown dataset id 'index.RTU'" in str(err)
    assert err.where == "datasets/catalog.toml"
    assert err.fix.startswith("did you mean index.RUT")


def test_unknown_id_without_close_match_points_to_list(project):
    with pytest.raises(DataError) as info:
        Catalog.load().get("zzzzzz")
    assert info.value.fix == "see `study data list`"


def test_split_ref():
    assert split_ref("shiller.sp500:earnings") == ("shiller.sp500", "earnings")
    assert split_ref("fred.DGS10") == ("fred.DGS10", None)


def test_catalog_missing(tmp_path):
    with pytest.raises(DataError) as info:
        Catalog.load(tmp_path)
    assert info.value.where == str(tmp_path / "catalog.toml")
    assert "STUDY_HOME" in info.value.fix


@pytest.mark.parametrize(
    ("override", "message", "fix"),
    [
        ({"lag_days": None}, "dataset 'x.a' lacks ['lag_days']", "every entry needs"),
        ({"source": '"bloomberg"'}, "unknown source 'bloomberg'",
         "use one of ['aaii', 'bamhi', 'cboe'"),
        ({"frequency": '"hourly"'}, "frequency 'hourly' not allowed", "'daily', 'weekly'"),
        ({"lag_days": "-3"}, "lag_days must be an integer >= 0, got -3", "publication"),
        ({"lag_days": '"14"'}, "lag_days must be an integer >= 0, got '14'", "publication"),
        ({"lag_days": "true"}, "got True", "publication"),
    ],
    ids=["missing-key", "source", "frequency", "negative-lag", "string-lag", "bool-lag"],
)
def test_bad_catalog_entries(tmp_path, override, message, fix):
    folder = write_catalog(tmp_path / "datasets", **override)
    with pytest.raises(DataError) as info:
        Catalog.load(folder)
    assert message in str(info.value)
    assert info.value.where == str(folder / "catalog.toml")
    assert fix in info.value.fix


def test_malformed_toml(tmp_path):
    folder = tmp_path / "datasets"
    folder.mkdir()
    (folder / "catalog.toml").write_text('[datasets."x"]\nsource = \n')
    with pytest.raises(DataError) as info:
        Catalog.load(folder)
    assert "malformed TOML" in str(info.value)
    assert info.value.where == str(folder / "catalog.toml")


# ----------------------------------------------------------------------------- build / load


def test_build_writes_parquet_with_provenance(project, synthetic_mirror):
    catalog = Catalog.load()
    (outcome,) = dataops.build(catalog, ["index.RUT"], synthetic_mirror)
    assert outcome.status == "built"
    path = project / "datasets" / "index.RUT.parquet"
    meta = datasets.read_meta(path)
    parts = [synthetic_mirror / f for f in catalog.get("index.RUT").files]  # spliced files
    src = parts[0]
    n = len(trading_days())
    assert meta == outcome.meta
    assert (meta.rows, meta.first, meta.last) == (n, "2023-01-03", "2024-12-31")
    assert meta.source_sha256 == datasets.sources_sha256(parts)
    assert meta.source_file == str(src)
    used = [p["ranges"] for p in meta.provenance["parts"]]
    assert used == [[["2023-01-03", "2023-09-29", 187], ["2023-10-03", "2023-12-29", 62]],
                    [["2023-10-02", "2023-10-02", 1], ["2024-01-02", "2024-12-31", 252]], []]
    assert meta.entry_sha256 == datasets.entry_sha256(catalog.get("index.RUT"))
    frame, loaded_meta = datasets.load(catalog, "index.RUT", synthetic_mirror)
    assert loaded_meta == meta
    assert meta.content_sha256 == datasets.frame_sha256(frame)
    assert frame.index.equals(pd.DatetimeIndex(trading_days(), name="date"))
    np.testing.assert_array_equal(frame["close"].to_numpy(), [rut_value(i) for i in range(n)])
    assert leftovers(project / "datasets") == []


def test_rows_count_values_but_missing_rows_are_kept(project, synthetic_mirror):
    catalog = Catalog.load()
    (outcome,) = dataops.build(catalog, ["fred.DGS10"], synthetic_mirror)
    frame, _ = datasets.load(catalog, "fred.DGS10")
    assert outcome.meta.first == "2023-01-03"  # 2023-01-02 is a blank holiday row
    assert len(frame) == outcome.meta.rows + 20  # 20 holidays are NaN rows, never zeros
    assert frame["value"].isna().sum() == 20


def test_build_every_synthetic_id(synthetic_catalog):
    cov = dataops.coverage(synthetic_catalog).set_index("id")
    built = cov[cov["built"]]
    assert sorted(built.index) == sorted(SYNTHETIC_IDS)
    assert built.loc["fred.GDP", "first"] == "2021-01-01"
    assert built.loc["fred.GDP", "rows"] == 16
    assert built.loc["french.ff3", "last"] == "2023-12-29"
    assert built.loc["fred.CPIAUCSL", "lag_days"] == 14
    unbuilt = cov.loc["fred.PAYEMS"]
    assert not unbuilt["built"] and pd.isna(unbuilt["rows"]) and pd.isna(unbuilt["first"])


def test_second_build_skips_unchanged(project, synthetic_mirror):
    catalog = Catalog.load()
    path = catalog.parquet_path("fred.CPIAUCSL")
    first = dataops.build(catalog, ["fred.CPIAUCSL"], synthetic_mirror)[0]
    stamp = path.stat().st_mtime_ns
    second = dataops.build(catalog, ["fred.CPIAUCSL"], synthetic_mirror)[0]
    assert (first.status, second.status) == ("built", "up to date")
    assert second.meta == first.meta
    assert path.stat().st_mtime_ns == stamp  # not rewritten
    forced = dataops.build(catalog, ["fred.CPIAUCSL"], synthetic_mirror, force=True)[0]
    assert forced.status == "built"


def test_changed_file_or_entry_triggers_rebuild(project, synthetic_mirror):
    catalog = Catalog.load()
    dataops.build(catalog, ["fred.GDP"], synthetic_mirror)
    src = synthetic_mirror / "fred/GDP.csv"
    src.write_text(src.read_text() + "2025-01-01,99999.0\n")
    (outcome,) = dataops.build(catalog, ["fred.GDP"], synthetic_mirror)
    assert outcome.status == "built" and outcome.meta.last == "2025-01-01"
    text = (project / "datasets/catalog.toml").read_text()
    block = text.index('[datasets."fred.GDP"]')
    edited = text[:block] + text[block:].replace("lag_days = 30", "lag_days = 31", 1)
    (project / "datasets/catalog.toml").write_text(edited)
    catalog = Catalog.load()
    assert catalog.get("fred.GDP").lag_days == 31
    assert dataops.build(catalog, ["fred.GDP"], synthetic_mirror)[0].status == "built"
    assert dataops.build(catalog, ["fred.GDP"], synthetic_mirror)[0].status == "up to date"


def test_build_validates_every_id_before_writing(project, synthetic_mirror):
    catalog = Catalog.load()
    with pytest.raises(DataError, match=r"unknown dataset id 'fred\.DGS11'"):
        dataops.build(catalog, ["index.RUT", "fred.DGS11"], synthetic_mirror)
    assert not catalog.parquet_path("index.RUT").exists()


def test_missing_mirror_file(project, synthetic_mirror):
    (synthetic_mirror / "fred/GDP.csv").unlink()
    with pytest.raises(DataError) as info:
        dataops.build(Catalog.load(), ["fred.GDP"], synthetic_mirror)
    assert "dataset 'fred.GDP': mirror file missing" in str(info.value)
    assert info.value.where == str(synthetic_mirror / "fred/GDP.csv")
    assert "restore the file" in info.value.fix


def test_missing_mirror_directory(project, tmp_path):
    with pytest.raises(DataError) as info:
        dataops.build(Catalog.load(), ["fred.GDP"], tmp_path / "no-such-mirror")
    assert "mirror directory does not exist" in str(info.value)
    assert "--mirror" in info.value.fix


def test_bad_raw_file_writes_nothing(project, synthetic_mirror):
    (synthetic_mirror / "fred/GDP.csv").write_text("date,value\n2024-01-01,1\n2024-01-01,2\n")
    with pytest.raises(DataError, match="duplicate date 2024-01-01"):
        dataops.build(Catalog.load(), ["fred.GDP"], synthetic_mirror)
    assert leftovers(project / "datasets") == []
    assert not (project / "datasets/fred.GDP.parquet").exists()


def test_catalog_columns_not_produced(project, synthetic_mirror):
    text = (project / "datasets/catalog.toml").read_text()
    block = text.index('[datasets."cboe.vix"]')
    text = text[:block] + text[block:].replace('"close,open,high,low"', '"close,volume"', 1)
    (project / "datasets/catalog.toml").write_text(text)
    with pytest.raises(DataError) as info:
        dataops.build(Catalog.load(), ["cboe.vix"], synthetic_mirror)
    assert "columns ['volume'] not produced by the 'cboe' reader" in str(info.value)
    assert "fix `columns`" in info.value.fix


def test_not_built(project):
    with pytest.raises(DataError) as info:
        datasets.load(Catalog.load(), "fred.DGS10")
    assert "dataset 'fred.DGS10' is not built" in str(info.value)
    assert info.value.fix.startswith("run: study data build fred.DGS10")


def corrupt_data_pages(path: Path) -> None:
    """Zero the column data but keep the footer: the metadata reads, the values do not."""
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    data[4:len(data) - 8 - footer] = bytes(len(data) - 12 - footer)
    path.write_bytes(bytes(data))


def test_unreadable_parquet_data(project, synthetic_mirror):
    catalog = Catalog.load()
    dataops.build(catalog, ["fred.GDP"], synthetic_mirror)
    corrupt_data_pages(catalog.parquet_path("fred.GDP"))
    with pytest.raises(DataError) as info:
        datasets.load(catalog, "fred.GDP")
    assert "dataset 'fred.GDP' cannot be read" in str(info.value)
    assert info.value.fix == "rebuild it: study data build fred.GDP --force"


def test_garbage_parquet_is_reported_and_rebuilt(project, synthetic_mirror):
    """A file that is not Parquet at all (e.g. truncated by a crash of another tool)."""
    catalog = Catalog.load()
    path = catalog.parquet_path("fred.GDP")
    path.write_bytes(b"not a parquet file")
    assert datasets.read_meta(path) is None
    assert not dataops.coverage(catalog).set_index("id").loc["fred.GDP", "built"]
    with pytest.raises(DataError) as info:
        datasets.load(catalog, "fred.GDP")
    assert "dataset 'fred.GDP' is unreadable" in str(info.value)
    assert info.value.where == str(path)
    assert info.value.fix == "rebuild it: study data build fred.GDP"
    assert dataops.build(catalog, ["fred.GDP"], synthetic_mirror)[0].status == "built"
    assert datasets.load(catalog, "fred.GDP")[0].loc["2021-01-01", "value"] == 22000.0


# ----------------------------------------------------------------------------- staleness


def test_changed_mirror_file_is_stale_until_rebuilt(project, synthetic_mirror):
    catalog = Catalog.load()
    (built,) = dataops.build(catalog, ["fred.DGS10"], synthetic_mirror)
    src = synthetic_mirror / "fred/DGS10.csv"
    src.write_text(src.read_text() + "2025-01-02,4.44\n")
    with pytest.raises(DataError) as info:
        datasets.load(catalog, "fred.DGS10", synthetic_mirror)
    err = info.value
    assert "dataset 'fred.DGS10' is stale: its mirror file changed since the last build" in str(err)
    assert built.meta.built_at in str(err)
    assert err.where == str(src)
    assert err.fix == "rebuild it: study data build fred.DGS10"
    datasets.load(catalog, "fred.DGS10")  # without a mirror there is nothing to compare
    (rebuilt,) = dataops.build(catalog, ["fred.DGS10"], synthetic_mirror)
    assert rebuilt.status == "built" and rebuilt.meta.last == "2025-01-02"
    frame, _ = datasets.load(catalog, "fred.DGS10", synthetic_mirror)
    assert frame.loc["2025-01-02", "value"] == 4.44


# ----------------------------------------------------------------------------- atomic writes


def partial_then_fail(monkeypatch, exc: BaseException) -> list[Path]:
    """Make pyarrow's writer write part of the file and then raise ``exc``."""
    real = pq.write_table
    seen: list[Path] = []

    def broken(table, where, *args, **kwargs):
        seen.append(Path(where))
        real(table.slice(0, 3), where, *args, **kwargs)  # a real, partial file on disk
        with Path(where).open("r+b") as fh:
            fh.truncate(max(1, Path(where).stat().st_size // 2))
        assert Path(where).exists()
        raise exc

    monkeypatch.setattr(datasets.pq, "write_table", broken)
    return seen


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "interrupt"])
def test_failed_write_keeps_old_parquet_and_no_temp_files(project, synthetic_mirror, monkeypatch,
                                                          exc):
    catalog = Catalog.load()
    path = catalog.parquet_path("index.RUT")
    dataops.build(catalog, ["index.RUT"], synthetic_mirror)
    old_bytes = path.read_bytes()
    old_frame, old_meta = datasets.load(catalog, "index.RUT")
    src = synthetic_mirror / "indices/RUT.csv"
    src.write_text(src.read_text() + "2025-01-02,2000.5\n")
    seen = partial_then_fail(monkeypatch, exc)
    with pytest.raises(type(exc)):
        dataops.build(catalog, ["index.RUT"], synthetic_mirror)
    assert seen and seen[0].parent == path.parent and seen[0] != path  # wrote beside, not over
    assert path.read_bytes() == old_bytes
    frame, meta = datasets.load(catalog, "index.RUT")
    assert meta == old_meta and frame.equals(old_frame)
    assert leftovers(project / "datasets") == []
    monkeypatch.undo()
    (outcome,) = dataops.build(catalog, ["index.RUT"], synthetic_mirror)
    assert outcome.status == "built" and outcome.meta.last == "2025-01-02"


def test_failed_first_write_leaves_nothing(project, synthetic_mirror, monkeypatch):
    catalog = Catalog.load()
    partial_then_fail(monkeypatch, OSError("boom"))
    with pytest.raises(OSError, match="boom"):
        dataops.build(catalog, ["fred.GDP"], synthetic_mirror)
    assert list((project / "datasets").iterdir()) == [project / "datasets/catalog.toml"]


# ----------------------------------------------------------------------------- no mirror


def test_download_without_public_url(project):
    catalog = Catalog.load()
    entry = catalog.get("french.ff3")
    assert not entry.url.startswith("http")
    with pytest.raises(DataError) as info:
        datasets.raw_path(entry, None, project / "datasets/.download")
    assert "has no public download address" in str(info.value)
    assert "--mirror" in info.value.fix


def test_offline_download_fails_cleanly(project, monkeypatch):
    def offline(*_a, **_k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    catalog = Catalog.load()
    with pytest.raises(DataError) as info:
        dataops.build(catalog, ["fred.DGS10"], None)
    assert "download from https://" in str(info.value)
    assert "you seem to be offline" in info.value.fix
    assert [p for p in (project / "datasets").rglob("*") if p.is_file()] == [
        project / "datasets/catalog.toml"]


# ----------------------------------------------------------------------------- import


def write_user_csv(folder: Path, text: str, name: str = "mine.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_import_round_trip(project, tmp_path):
    src = write_user_csv(tmp_path, "month,net_up,other\n2024-01-01,1.5,x\n2024-02-01,,y\n"
                                   "2024-03-01,-0.25,z\n")
    catalog = Catalog.load()
    public = len(catalog.entries)
    outcome = dataops.import_csv(catalog, src, "custom.revisions", "month", "net_up", "monthly",
                                 5, units="net %", description="my revisions")
    assert outcome.status == "built"
    assert (outcome.meta.rows, outcome.meta.first, outcome.meta.last) == (
        2, "2024-01-01", "2024-03-01")
    again = Catalog.load()  # read back from datasets/custom.toml
    entry = again.get("custom.revisions")
    assert (entry.source, entry.frequency, entry.lag_days, entry.units) == (
        "csv", "monthly", 5, "net %")
    assert (entry.date_col, entry.value_col, entry.file) == ("month", "net_up", str(src))
    assert len(again.entries) == public + 1
    frame, _ = datasets.load(again, "custom.revisions")
    assert list(frame.columns) == ["value"]
    np.testing.assert_array_equal(frame["value"].to_numpy(), [1.5, np.nan, -0.25])
    # rebuilding from the catalog reads the same file: up to date
    assert dataops.build(again, ["custom.revisions"], None)[0].status == "up to date"


def test_import_twice_keeps_both_and_date_format(project, tmp_path):
    a = write_user_csv(tmp_path, "d,v\n02/01/2024,1\n03/01/2024,2\n", "a.csv")
    b = write_user_csv(tmp_path, "date,value\n2024-01-05,7\n", "b.csv")
    catalog = Catalog.load()
    dataops.import_csv(catalog, a, "custom.a", "d", "v", "daily", 0, date_format="%d/%m/%Y")
    dataops.import_csv(catalog, b, "custom.b", "date", "value", "weekly", 3)
    again = Catalog.load()
    assert again.get("custom.a").date_format == "%d/%m/%Y"
    frame, _ = datasets.load(again, "custom.a")
    assert list(frame.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert datasets.load(again, "custom.b")[0]["value"].iloc[0] == 7.0


@pytest.mark.parametrize(
    ("kwargs", "message", "where", "fix"),
    [
        ({"id_": "revisions"}, "id 'revisions' not allowed", "--id", "custom.NAME"),
        ({"id_": "custom.a b"}, "id 'custom.a b' not allowed", "--id", "custom.NAME"),
        ({"id_": "fred.DGS10"}, "id 'fred.DGS10' not allowed", "--id", "custom.NAME"),
        ({"freq": "hourly"}, "frequency 'hourly' not allowed", "--freq", "'monthly'"),
        ({"lag": -1}, "lag -1 is negative", "--lag", ">= 0"),
        ({"date_col": "when"}, "missing column 'when'", "FILE", "--date-col"),
        ({"value_col": "nope"}, "missing column 'nope'", "FILE", "--value-col"),
        ({"text": "date,value\n2024-02-30,1\n"}, "cannot parse date '2024-02-30'", "FILE",
         "YYYY-MM-DD"),
        ({"text": "date,value\n2024-01-02,1\n2024-01-01,2\n"}, "dates not sorted", "FILE",
         "sort the file"),
        ({"text": "date,value\n2024-01-02,1\n2024-01-02,2\n"}, "duplicate date 2024-01-02",
         "FILE", "appear once"),
        ({"text": "date,value\n2024-01-02,n/a?\n"}, "non-numeric value 'n/a?'", "FILE",
         "numbers"),
        ({"text": ""}, "file is empty", "FILE", "restore"),
        ({"text": None}, "file not found", "FILE", "mirror"),
    ],
    ids=["id-prefix", "id-space", "id-public", "freq", "lag", "date-col", "value-col", "date",
         "unsorted", "duplicate", "non-numeric", "empty", "missing-file"],
)
def test_import_bad_inputs_write_nothing(project, tmp_path, kwargs, message, where, fix):
    kwargs = dict(kwargs)
    text = kwargs.pop("text", "date,value\n2024-01-02,1\n")
    src = tmp_path / "in.csv"
    if text is not None:
        src.write_text(text)
    args = {"id_": "custom.x", "date_col": "date", "value_col": "value", "freq": "daily",
            "lag": 0, **kwargs}
    with pytest.raises(DataError) as info:
        dataops.import_csv(Catalog.load(), src, **args)
    assert message in str(info.value)
    assert info.value.where == (str(src.resolve()) if where == "FILE" else where)
    assert fix in info.value.fix
    assert not (project / "datasets/custom.toml").exists()
    assert sorted(p.name for p in (project / "datasets").iterdir()) == ["catalog.toml"]


def test_optional_entry_the_mirror_lacks_is_skipped_not_fatal(project, synthetic_mirror):
    """An optional input beside the mirror's own files (fred.DFEDTAR): a mirror without it
    builds everything else, the panel omits it and says so through Panel.has."""
    from engine.data.panel import load_panel

    path = project / "datasets" / "catalog.toml"
    path.write_text(path.read_text() + '\n[datasets."x.extra"]\noptional = true\n'
                    'source = "fred"\nfile = "nowhere/EXTRA.csv"\nfrequency = "daily"\n'
                    'units = "pct"\ndescription = "d"\nlag_days = 0\ncolumns = "value"\n')
    catalog = Catalog.load()
    assert catalog.get("x.extra").optional and not catalog.get("fred.DGS10").optional
    out = dataops.build(catalog, ["x.extra", "index.RUT"], synthetic_mirror)
    assert [(o.id, o.status) for o in out] == [("x.extra", "skipped"), ("index.RUT", "built")]
    assert dataops.build_missing(catalog, ["x.extra"], synthetic_mirror) == []
    panel, metas = load_panel(catalog, ["x.extra"], "index.RUT", mirror=synthetic_mirror)
    assert not panel.has("x.extra") and panel.has("index.RUT") and "x.extra" not in metas
    with pytest.raises(DataError, match="was not loaded"):
        panel.native("x.extra")
    assert not dataops.coverage(catalog).set_index("id").loc["x.extra", "built"]
    # a required entry whose file is missing still fails, naming the file
    path.write_text(path.read_text().replace("optional = true\n", ""))
    with pytest.raises(DataError, match="mirror file missing"):
        dataops.build(Catalog.load(), ["x.extra"], synthetic_mirror)


def test_optional_must_be_a_boolean(tmp_path):
    folder = write_catalog(tmp_path / "datasets", optional='"yes"')
    with pytest.raises(DataError, match="optional must be true or false") as info:
        Catalog.load(folder)
    assert info.value.fix == "write optional = true"
