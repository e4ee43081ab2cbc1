"""Splicing several raw files into one dataset (engine.data.splice) and the FOMC date-set join.

Tiny hand-written fixtures: every expected date, value and message is written out here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data import datasets, splice
from engine.data.catalog import Catalog
from engine.data.sources import fomc
from engine.errors import DataError


def frame(values: dict[str, float | None], column: str = "close") -> pd.DataFrame:
    index = pd.DatetimeIndex(list(values), name="date")
    data = np.array([np.nan if v is None else v for v in values.values()], dtype=np.float64)
    return pd.DataFrame({column: data}, index=index)


OLD = frame({"2020-01-02": 10.0, "2020-01-03": None, "2020-01-06": 12.0})
NEW = frame({"2020-01-03": 11.0, "2020-01-06": 12.0, "2020-01-07": 13.0, "2020-01-08": 14.0})


def test_later_file_extends_past_the_end_and_fills_listed_holes():
    out, report = splice.splice([("a.csv", OLD), ("b.csv", NEW)], tolerance=1e-6)
    assert list(out.index.strftime("%Y-%m-%d")) == [
        "2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]
    assert out["close"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    a, b = report["parts"]
    assert a["ranges"] == [["2020-01-02", "2020-01-02", 1], ["2020-01-06", "2020-01-06", 1]]
    assert b["ranges"] == [["2020-01-03", "2020-01-03", 1], ["2020-01-07", "2020-01-08", 2]]
    assert b["holes_filled"] == ["2020-01-03"] and b["overlap_rows"] == 1
    assert report["largest_gap"]["relative_gap"] == 0.0
    assert not out.index.has_duplicates


def test_dates_inside_the_earlier_span_are_not_taken():
    later = frame({"2020-01-02": 10.0, "2020-01-04": 99.0, "2020-01-07": 13.0})
    out, report = splice.splice([("a.csv", OLD), ("b.csv", later)], tolerance=1e-6)
    assert pd.Timestamp("2020-01-04") not in out.index  # a Saturday only the later file lists
    assert report["parts"][1]["extra_dates"] == 1
    assert out.loc["2020-01-07", "close"] == 13.0


def test_largest_gap_within_tolerance_is_reported():
    later = frame({"2020-01-06": 12.0006, "2020-01-07": 13.0})
    _, report = splice.splice([("a.csv", OLD), ("b.csv", later)], tolerance=1e-4)
    worst = report["largest_gap"]
    assert worst["date"] == "2020-01-06" and worst["values"] == [12.0, 12.0006]
    assert worst["relative_gap"] == pytest.approx(5e-5)
    assert worst["files"] == ["a.csv", "b.csv"]


def test_disagreement_names_both_files_dates_and_values():
    later = frame({"2020-01-06": 12.5, "2020-01-07": 13.0})
    with pytest.raises(DataError) as info:
        splice.splice([("a.csv", OLD), ("b.csv", later)], tolerance=1e-4)
    msg = str(info.value)
    assert "2020-01-06" in msg and "a.csv has 12.0" in msg and "b.csv has 12.5" in msg
    assert "0.0417 > tolerance 0.0001" in msg and info.value.where == "b.csv"


def test_gaps_listed_longest_first():
    index = pd.DatetimeIndex(["2001-09-07", "2001-09-10", "2001-09-17", "2001-09-18",
                              "2001-10-01"])
    out = splice.gaps(index)
    assert out == {"gaps": [["2001-09-18", "2001-10-01", 13], ["2001-09-10", "2001-09-17", 7]],
                   "gaps_total": 2}
    assert splice.gaps(index, "monthly") == {"gaps": [], "gaps_total": 0}


# ----------------------------------------------------------------------------- build path
def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CATALOG = """
[datasets."index.X"]
source = "yahoo"
file = "idx/old.csv"
splice = ["idx/new.csv"]
frequency = "daily"
units = "points"
description = "test splice"
lag_days = 0
columns = "close"
tolerance = 1e-4

[datasets."fred.P"]
source = "fred"
file = "fred/P.csv"
splice = ["panel/growth.csv#GDP"]
frequency = "quarterly"
units = "USD"
description = "real GDP"
lag_days = 30
columns = "value"
"""


@pytest.fixture
def tiny(tmp_path):
    home = tmp_path / "datasets"
    _write(home / "catalog.toml", CATALOG)
    mirror = tmp_path / "mirror"
    _write(mirror / "idx/old.csv", "Date,^X\n2020-01-02,10\n2020-01-03,11\n")
    _write(mirror / "idx/new.csv",
           "date,open,high,low,close,volume\n2020-01-03,0,0,0,11,0\n2020-01-06,0,0,0,12,0\n")
    _write(mirror / "fred/P.csv", "date,value\n2020-01-01,100\n2020-04-01,101\n")
    _write(mirror / "panel/growth.csv",
           "date,GDP,INDPRO\n2020-03-01,,5\n2020-04-01,101,\n2020-07-01,102,\n")
    return Catalog.load(home), mirror


def test_build_splices_files_and_records_provenance(tiny):
    catalog, mirror = tiny
    meta = datasets.build_one(catalog, catalog.get("index.X"), mirror).meta
    assert (meta.first, meta.last, meta.rows) == ("2020-01-02", "2020-01-06", 3)
    parts = meta.provenance["parts"]
    assert [p["file"] for p in parts] == ["idx/old.csv", "idx/new.csv"]
    assert parts[1]["ranges"] == [["2020-01-06", "2020-01-06", 1]]
    frame, loaded = datasets.load(catalog, "index.X", mirror)
    assert frame["close"].tolist() == [10.0, 11.0, 12.0]
    assert loaded.provenance == meta.provenance


def test_wide_panel_column_extends_a_fred_series(tiny):
    catalog, mirror = tiny
    datasets.build_one(catalog, catalog.get("fred.P"), mirror)
    frame, meta = datasets.load(catalog, "fred.P")
    assert frame["value"].dropna().tolist() == [100.0, 101.0, 102.0]
    assert meta.last == "2020-07-01"
    assert meta.provenance["parts"][1]["file"] == "panel/growth.csv#GDP"


def test_disagreeing_mirror_file_leaves_the_old_parquet_untouched(tiny):
    catalog, mirror = tiny
    datasets.build_one(catalog, catalog.get("index.X"), mirror)
    dest = catalog.parquet_path("index.X")
    before = dest.read_bytes()
    _write(mirror / "idx/new.csv",
           "date,open,high,low,close,volume\n2020-01-03,0,0,0,11.5,0\n2020-01-06,0,0,0,12,0\n")
    with pytest.raises(DataError) as info:
        datasets.build_one(catalog, catalog.get("index.X"), mirror)
    assert "2020-01-03" in str(info.value) and "11.0" in str(info.value)
    assert "11.5" in str(info.value)
    assert dest.read_bytes() == before
    with pytest.raises(DataError, match="stale"):
        datasets.load(catalog, "index.X", mirror)  # a changed splice part is noticed too


def test_mislabelled_gdp_column_cannot_extend_nominal_gdp(tiny, tmp_path):
    """fred_2026 growth#GDP is real GDP: spliced onto nominal GDP the overlap check fails."""
    catalog, mirror = tiny
    _write(mirror / "fred/P.csv", "date,value\n2020-01-01,21700\n2020-04-01,19500\n")
    _write(mirror / "panel/growth.csv", "date,GDP\n2020-04-01,17300\n2020-07-01,18600\n")
    with pytest.raises(DataError, match=r"2020-04-01.*19500\.0.*17300\.0"):
        datasets.build_one(catalog, catalog.get("fred.P"), mirror)


# ----------------------------------------------------------------------------- FOMC dates
def _events(*days: str) -> pd.DataFrame:
    return pd.DataFrame({"meeting": np.ones(len(days))}, index=pd.DatetimeIndex(days))


def test_fomc_statements_replace_the_meeting_list_on_their_span():
    old = _events("2019-12-11", "2020-01-29", "2020-03-03", "2020-03-19", "2020-04-29")
    statements = _events("2020-01-29", "2020-03-03", "2020-04-29", "2022-03-16")
    calendar = _events("2020-04-29", "2022-03-16")
    out, report = fomc.combine([("old", old), ("st", statements), ("cal", calendar)])
    assert list(out.index.strftime("%Y-%m-%d")) == [
        "2019-12-11", "2020-01-29", "2020-03-03", "2020-04-29", "2022-03-16"]
    assert report["parts"][1]["dropped_from_earlier"] == ["2020-03-19"]  # a conference call
    assert report["parts"][0]["ranges"] == [["2019-12-11", "2019-12-11", 1]]


def test_fomc_decision_missing_from_the_earlier_list_fails():
    old = _events("2020-01-29", "2020-04-29")
    statements = _events("2020-01-29", "2020-03-15", "2020-04-29")
    with pytest.raises(DataError, match=r"\['2020-03-15'\]"):
        fomc.combine([("old", old), ("st", statements)])


def test_fomc_scheduled_flag_from_eight_meetings_a_year():
    days = pd.DatetimeIndex(
        [f"1979-{m:02d}-15" for m in range(1, 9)]  # eight, but before 1981: cannot be told
        + [f"1994-{m:02d}-15" for m in range(1, 9)]  # eight: all scheduled
        + [f"2019-{m:02d}-15" for m in range(1, 9)] + ["2019-10-04"]  # + a listed call
        + [f"2001-{m:02d}-15" for m in range(1, 9)] + ["2001-01-03"])  # + an unlisted extra
    flag = pd.Series(fomc.scheduled_from_counts(days), index=days)
    assert flag["1979"].isna().all()
    assert (flag["1994"] == 1.0).all()
    assert (flag["2019"].drop(pd.Timestamp("2019-10-04")) == 1.0).all()
    assert flag[pd.Timestamp("2019-10-04")] == 0.0
    assert flag["2001"].isna().all()  # nine with no listed call: which one is extra is unknown


def test_fomc_statements_flag_unscheduled_and_check_the_list(tmp_path):
    head = "id,date,title,url,body,kind\n"
    rows = ["a,20200129,s,u,b,statement", "b,20200303,s,u,b,statement",
            "c,20200315,s,u,b,statement", "d,20200323,s,u,b,statement",
            "e,20200429,s,u,b,statement", "f,20200408,m,u,b,minutes"]
    (tmp_path / "st.csv").write_text(head + "\n".join(rows) + "\n")
    out = fomc.read(tmp_path / "st.csv")
    assert list(out.columns) == ["meeting", "scheduled"]
    assert out["scheduled"].to_dict() == {
        pd.Timestamp("2020-01-29"): 1.0, pd.Timestamp("2020-03-03"): 0.0,
        pd.Timestamp("2020-03-15"): 0.0, pd.Timestamp("2020-03-23"): 0.0,
        pd.Timestamp("2020-04-29"): 1.0}
    # a statements file without the 2020-03-15 statement contradicts the unscheduled list
    (tmp_path / "bad.csv").write_text(head + "\n".join(rows[:2] + rows[3:]) + "\n")
    with pytest.raises(DataError, match=r"unscheduled FOMC statements \['2020-03-15'\]"):
        fomc.read(tmp_path / "bad.csv")
    (tmp_path / "cal.csv").write_text("event_date,event_name,event_type\n2024-01-31,F,fomc\n")
    assert fomc.read(tmp_path / "cal.csv")["scheduled"].tolist() == [1.0]


def test_fomc_readers_accept_the_three_layouts_only(tmp_path):
    (tmp_path / "a.csv").write_text("1936-03-19\n1936-05-25\n")
    (tmp_path / "b.csv").write_text("event_date,event_name,event_type\n2024-01-31,FOMC,fomc\n")
    (tmp_path / "c.csv").write_text(
        'id,date,title,url,body,kind\nm1,20240131,s,u,"text, with comma",statement\n'
        "m2,20240221,m,u,b,minutes\n")
    (tmp_path / "d.csv").write_text("when,what\n2024-01-31,x\n")
    assert list(fomc.read(tmp_path / "a.csv").index.strftime("%F")) == ["1936-03-19",
                                                                        "1936-05-25"]
    assert fomc.read(tmp_path / "b.csv").index[0] == pd.Timestamp("2024-01-31")
    assert list(fomc.read(tmp_path / "c.csv").index) == [pd.Timestamp("2024-01-31")]
    with pytest.raises(DataError, match="unknown FOMC file layout"):
        fomc.read(tmp_path / "d.csv")
