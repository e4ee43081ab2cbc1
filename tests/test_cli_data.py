"""``study data build|list|show|import`` end to end: good runs print what was done; every
bad input exits 2 with a message naming the file, the field and the fix, and no traceback."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import SYNTHETIC_IDS, cpi_value

from engine.data import datasets
from engine.data.catalog import Catalog


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.text


def bad_input(result, *parts: str) -> str:
    """Exit 2, one ``error:`` message with every part and a ``Fix:``, no traceback."""
    text = result.text
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "internal error" not in text
    assert text.count("error:") == 1
    for part in parts:
        assert part in text, (part, text)
    assert "Fix: " in text
    return text


def fix_of(text: str) -> str:
    return text.split("Fix: ", 1)[1]


def loaded(id_: str):
    return datasets.load(Catalog.load(), id_)[0]


# ----------------------------------------------------------------------------- good runs


def test_build_then_incremental(project, synthetic_mirror, cli):
    ids = ["index.RUT", "fred.CPIAUCSL", "shiller.sp500"]
    text = ok(cli("data", "build", *ids, "--mirror", synthetic_mirror))
    assert f"3 built, 0 up to date in {project / 'datasets'}" in text
    stamps = {i: (project / f"datasets/{i}.parquet").stat().st_mtime_ns for i in ids}
    assert "0 built, 3 up to date" in ok(cli("data", "build", *ids, "--mirror", synthetic_mirror))
    assert stamps == {i: (project / f"datasets/{i}.parquet").stat().st_mtime_ns for i in ids}
    src = synthetic_mirror / "fred/CPIAUCSL.csv"
    src.write_text(src.read_text() + "2025-01-01,400.0\n")
    assert "1 built, 2 up to date" in ok(cli("data", "build", *ids, "--mirror", synthetic_mirror))
    assert "3 built, 0 up to date" in ok(cli("data", "build", *ids, "--mirror", synthetic_mirror,
                                             "--force"))


def test_build_uses_env_mirror(project, synthetic_mirror, cli, monkeypatch):
    monkeypatch.setenv("STUDY_DATA_MIRROR", str(synthetic_mirror))
    assert "1 built" in ok(cli("data", "build", "fred.GDP"))
    assert loaded("fred.GDP")["value"].iloc[0] == 22000.0


def test_list_shows_coverage(project, synthetic_mirror, cli):
    ok(cli("data", "build", *SYNTHETIC_IDS, "--mirror", synthetic_mirror))
    text = ok(cli("data", "list"))
    assert "index.RUT daily 2023-01-03 2024-12-31 502 yahoo 0" in text
    assert "fred.GDP quarterly 2021-01-01 2024-10-01 16 fred 30" in text
    assert "fred.CPIAUCSL monthly 2022-01-01 2024-12-01 35 fred 14" in text
    assert "fred.PAYEMS monthly not built" in text
    assert text.count("not built") == len(Catalog.load().entries) - len(SYNTHETIC_IDS)


def test_show(project, synthetic_mirror, cli):
    ok(cli("data", "build", "fred.CPIAUCSL", "--mirror", synthetic_mirror))
    text = ok(cli("data", "show", "fred.CPIAUCSL", "--tail", "3"))
    assert "fred.CPIAUCSL" in text and "lag 14 days after period end" in text
    assert "35 rows 2022-01-01 .. 2024-12-01" in text
    files = [synthetic_mirror / f.partition("#")[0]
             for f in Catalog.load().get("fred.CPIAUCSL").files]  # fred/ + the fred_2026 panel
    sha = datasets.sources_sha256(files)[:12]
    assert f"source sha256 {sha}" in text
    assert "2024-10-01 NaN" in text  # the blank month shows as missing, never 0
    assert f"2024-12-01 {cpi_value(35)}" in text
    assert "2024-09-01" not in text  # --tail 3


def test_fred_dot_and_blank_become_nan(project, synthetic_mirror, cli):
    (synthetic_mirror / "fred/DGS10.csv").write_text(
        "date,value\n2024-01-02,3.9\n2024-01-03,.\n2024-01-04,\n2024-01-05,4.1\n")
    ok(cli("data", "build", "fred.DGS10", "--mirror", synthetic_mirror))
    values = loaded("fred.DGS10")["value"].to_numpy()
    np.testing.assert_array_equal(values, [3.9, np.nan, np.nan, 4.1])
    meta = datasets.read_meta(project / "datasets/fred.DGS10.parquet")
    assert meta.rows == 2  # rows counts values; the NaN days are kept as NaN, never zeroed
    assert len(values) == 4


def test_shiller_zero_after_2023_06_becomes_nan(project, synthetic_mirror, cli):
    ok(cli("data", "build", "shiller.sp500", "--mirror", synthetic_mirror))
    frame = loaded("shiller.sp500")
    assert frame.loc["2023-06-01", "earnings"] == 197.0
    assert frame.loc["2023-07-01":, "earnings"].isna().all()
    assert frame.loc["2023-07-01":, "dividend"].isna().all()
    assert frame.loc["2024-12-01", "price"] == 4350.0
    assert not (frame == 0.0).any().any()


# ----------------------------------------------------------------------------- bad inputs

GOOD_FRED = "date,value\n2024-01-02,1\n2024-01-03,2\n"
CORRUPTIONS = [
    # (id, file, new content or None to delete, message parts, fix part)
    ("fred.GDP", "fred/GDP.csv", None, ["dataset 'fred.GDP': mirror file missing"],
     "restore the file in the mirror"),
    ("index.RUT", "indices/RUT.csv", "Date,Open,Close\n2024-01-02,1,2\n",
     ["wrong columns ['Date', 'Open', 'Close']"], "only the date and close"),
    ("fred.DGS10", "fred/DGS10.csv", "day,value\n2024-01-02,1\n",
     ["wrong columns ['day', 'value']"], "as downloaded from FRED"),
    ("cboe.vix", "cboe/vix_daily.csv", "DATE,CLOSE\n2024-01-02,1\n",
     ["expected ['DATE', 'OPEN', 'HIGH', 'LOW', 'CLOSE']"], "as published"),
    ("fred.DGS10", "fred/DGS10.csv", "date,value\n2024-01-02,1\n2024/31/01,2\n",
     ["column 'date' row 3: cannot parse date '2024/31/01'"], "YYYY-MM-DD"),
    ("french.ff3", "french/F-F_Research_Data_Factors_daily_202604.csv.gz",
     "preamble\r\n,Mkt-RF,SMB,HML,RF\r\n20240102,1,1,1,1\r\n2024-01-03,1,1,1,1\r\n",
     ["column 'date' row 3: cannot parse date '2024-01-03'"], "%Y%m%d"),
    ("fred.DGS10", "fred/DGS10.csv", GOOD_FRED + "2024-01-03,3\n",
     ["column 'date': duplicate date 2024-01-03"], "each date must appear once"),
    ("index.RUT", "indices/RUT.csv", "Date,^RUT\n2024-01-03,1\n2024-01-02,2\n",
     ["dates not sorted (2024-01-03 comes before 2024-01-02 at row 3)"], "sort the file"),
    ("fred.DGS10", "fred/DGS10.csv", GOOD_FRED + "2024-01-04,n.a.\n",
     ["column 'value' row 4: non-numeric value 'n.a.'"], "leave a cell empty"),
    ("shiller.sp500", "shiller/sp500_monthly.csv", "", ["file is empty"], "restore"),
    ("fred.GDP", "fred/GDP.csv", "date,value\n", ["file has a header but no rows"], "restore"),
    ("fred.GDP", "fred/GDP.csv", "date,value\n2024-01-01,\n", ["no numeric values at all"],
     "value column"),
    ("fred.DGS10", "fred/DGS10.csv", GOOD_FRED + "[/b],3\n",
     ["cannot parse date '[/b]'"], "YYYY-MM-DD"),
]


@pytest.mark.parametrize(
    ("id_", "rel", "content", "parts", "fix"), CORRUPTIONS,
    ids=["missing-file", "wrong-columns-yahoo", "wrong-columns-fred", "wrong-columns-cboe",
         "bad-date", "bad-date-format", "duplicate", "unsorted", "non-numeric", "empty",
         "header-only", "all-missing", "markup-in-cell"],
)
def test_build_bad_mirror_file(project, synthetic_mirror, cli, id_, rel, content, parts, fix):
    path = synthetic_mirror / rel
    if content is None:
        path.unlink()
    elif path.suffix == ".gz":  # the mirror's compressed files
        path.write_bytes(gzip.compress(content.encode(), mtime=0))
    else:
        path.write_text(content)
    text = bad_input(cli("data", "build", id_, "--mirror", synthetic_mirror), str(path), *parts)
    assert text.startswith(f"error: {path}: ")
    assert fix in fix_of(text)
    assert not (project / f"datasets/{id_}.parquet").exists()


def test_unknown_id_with_suggestion(project, synthetic_mirror, cli):
    bad_input(cli("data", "build", "index.RTU", "--mirror", synthetic_mirror),
              "datasets/catalog.toml: unknown dataset id 'index.RTU'",
              "Fix: did you mean index.RUT")
    bad_input(cli("data", "show", "fred.DGS1O"), "unknown dataset id 'fred.DGS1O'",
              "did you mean fred.DGS10")
    assert sorted(p.name for p in (project / "datasets").iterdir()) == ["catalog.toml"]


def test_mirror_directory_missing(project, tmp_path, cli):
    bad_input(cli("data", "build", "fred.GDP", "--mirror", tmp_path / "nowhere"),
              f"{tmp_path / 'nowhere'}: mirror directory does not exist", "--mirror DIR")


def test_show_not_built(project, cli):
    bad_input(cli("data", "show", "fred.DGS10"), "dataset 'fred.DGS10' is not built",
              "Fix: run: study data build fred.DGS10")


def test_malformed_catalog(project, cli):
    (project / "datasets/catalog.toml").write_text('[datasets."x"\n')
    bad_input(cli("data", "list"), f"{project / 'datasets/catalog.toml'}: malformed TOML",
              "fix the syntax")


def test_stale_dataset_then_rebuild(project, synthetic_mirror, cli):
    ok(cli("data", "build", "fred.CPIAUCSL", "--mirror", synthetic_mirror))
    ok(cli("data", "show", "fred.CPIAUCSL", "--mirror", synthetic_mirror))
    src = synthetic_mirror / "fred/CPIAUCSL.csv"
    src.write_text(src.read_text().replace("2024-12-01,315.0", "2024-12-01,316.0"))
    bad_input(cli("data", "show", "fred.CPIAUCSL", "--mirror", synthetic_mirror), str(src),
              "dataset 'fred.CPIAUCSL' is stale: its mirror file changed since the last build",
              "Fix: rebuild it: study data build fred.CPIAUCSL")
    assert "1 built" in ok(cli("data", "build", "fred.CPIAUCSL", "--mirror", synthetic_mirror))
    text = ok(cli("data", "show", "fred.CPIAUCSL", "--mirror", synthetic_mirror, "--tail", "1"))
    assert "2024-12-01 316.0" in text


def test_stale_check_reads_env_mirror(project, synthetic_mirror, cli, monkeypatch):
    ok(cli("data", "build", "fred.GDP", "--mirror", synthetic_mirror))
    src = synthetic_mirror / "fred/GDP.csv"
    src.write_text(src.read_text() + "2025-01-01,1.0\n")
    monkeypatch.setenv("STUDY_DATA_MIRROR", str(synthetic_mirror))
    bad_input(cli("data", "show", "fred.GDP"), "is stale")


@pytest.mark.parametrize(("exc", "code", "note"),
                         [(OSError(28, "No space left on device"), 2,
                           "nothing half-written was kept"),
                          (KeyboardInterrupt(), 130, "interrupted; nothing was written")],
                         ids=["disk-full", "interrupt"])
def test_failure_mid_write_keeps_old_parquet(project, synthetic_mirror, cli, monkeypatch,
                                             exc, code, note):
    ok(cli("data", "build", "fred.GDP", "--mirror", synthetic_mirror))
    path = project / "datasets/fred.GDP.parquet"
    old = path.read_bytes()
    src = synthetic_mirror / "fred/GDP.csv"
    src.write_text(src.read_text() + "2025-01-01,1.0\n")
    real = pq.write_table

    def half_then_fail(table, where, *args, **kwargs):
        real(table, where, *args, **kwargs)
        Path(where).write_bytes(Path(where).read_bytes()[:100])  # half-written file on disk
        raise exc

    monkeypatch.setattr(datasets.pq, "write_table", half_then_fail)
    result = cli("data", "build", "fred.GDP", "--mirror", synthetic_mirror)
    assert result.exit_code == code, result.output
    assert note in result.text and "Traceback" not in result.output
    assert path.read_bytes() == old
    assert sorted(p.name for p in (project / "datasets").iterdir()) == [
        "catalog.toml", "fred.GDP.parquet"]
    assert loaded("fred.GDP").index[-1].year == 2024


def test_offline_without_mirror(project, cli, monkeypatch):
    import urllib.error

    def offline(*_a, **_k):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    text = bad_input(cli("data", "build", "fred.GDP"), "download from", "you seem to be offline")
    assert "no --mirror or STUDY_DATA_MIRROR" in text


# ----------------------------------------------------------------------------- import


def test_import_round_trip(project, tmp_path, cli):
    src = tmp_path / "revisions.csv"
    src.write_text("month,net_up\n2024-01-01,1.5\n2024-02-01,\n2024-03-01,-0.25\n")
    text = ok(cli("data", "import", src, "--id", "custom.revisions", "--date-col", "month",
                  "--value-col", "net_up", "--freq", "monthly", "--lag", "5",
                  "--units", "net %"))
    assert "imported custom.revisions: 2 rows 2024-01-01 .. 2024-03-01" in text
    custom = (project / "datasets/custom.toml").read_text()
    assert '[datasets."custom.revisions"]' in custom and "lag_days = 5" in custom
    assert "custom.revisions monthly 2024-01-01 2024-03-01 2 csv 5" in ok(cli("data", "list"))
    shown = ok(cli("data", "show", "custom.revisions"))
    assert "units net %" in shown and "lag 5 days" in shown
    assert "2024-02-01 NaN" in shown and "2024-03-01 -0.25" in shown
    np.testing.assert_array_equal(loaded("custom.revisions")["value"].to_numpy(),
                                  [1.5, np.nan, -0.25])


IMPORT_BAD = [
    (["--id", "revisions"], "--id: id 'revisions' not allowed", "custom.NAME"),
    (["--id", "custom.x", "--freq", "yearly"], "--freq: frequency 'yearly' not allowed",
     "'quarterly'"),
    (["--id", "custom.x", "--lag", "-2"], "--lag: lag -2 is negative", ">= 0"),
    (["--id", "custom.x", "--date-col", "when"], "missing column 'when' (has ['date', 'value'])",
     "--date-col/--value-col"),
    (["--id", "custom.x", "--value-col", "level"], "missing column 'level'", "--value-col"),
]


@pytest.mark.parametrize(("args", "message", "fix"), IMPORT_BAD,
                         ids=["id", "freq", "lag", "date-col", "value-col"])
def test_import_bad_options(project, tmp_path, cli, args, message, fix):
    src = tmp_path / "in.csv"
    src.write_text("date,value\n2024-01-02,1\n")
    bad_input(cli("data", "import", src, *args), message, fix)
    assert not (project / "datasets/custom.toml").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("", "file is empty"),
        ("date,value\n2024-01-02,1\n2024-01-02,2\n", "duplicate date 2024-01-02"),
        ("date,value\n2024-01-03,1\n2024-01-02,2\n", "dates not sorted"),
        ("date,value\n03.01.2024,1\n", "cannot parse date '03.01.2024'"),
        ("date,value\n2024-01-02,abc\n", "non-numeric value 'abc'"),
    ],
    ids=["missing", "empty", "duplicate", "unsorted", "date", "number"],
)
def test_import_bad_files(project, tmp_path, cli, content, message):
    src = tmp_path / "in.csv"
    if content is not None:
        src.write_text(content)
    bad_input(cli("data", "import", src, "--id", "custom.x"), f"{src}: ", message)
    assert sorted(p.name for p in (project / "datasets").iterdir()) == ["catalog.toml"]


def test_import_option_type_error_is_usage_error(project, tmp_path, cli):
    src = tmp_path / "in.csv"
    src.write_text("date,value\n2024-01-02,1\n")
    result = cli("data", "import", src, "--id", "custom.x", "--lag", "two")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--lag" in result.text
