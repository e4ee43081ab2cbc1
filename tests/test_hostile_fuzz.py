"""Property tests of the two readers of user-made files: the CSV importer and the run-folder
reader. Whatever the bytes, they either succeed with sane output or raise ``StudyError``
(exit 2 at the CLI) — never another exception, never a catalog that no longer loads.
"""

from __future__ import annotations

import contextlib
import json
import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import StudyError

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

DATES = st.one_of(
    st.dates(min_value=pd.Timestamp("1900-01-01").date(),
             max_value=pd.Timestamp("2030-01-01").date()).map(str),
    st.sampled_from(["9999-12-31", "0001-01-01", "2024-02-30", "2024-01-02T00:00:00+05:00",
                     "2024-01-02T00:00:00Z", "2024-01-02 10:30", "20240102", "", " ", "NaT",
                     "2024-13-01", "1e5", "-2024-01-01"]),
    st.text(max_size=12),
)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["", ".", "NA", "nan", "inf", "-inf", "Infinity", "1e999", "1,5", "0x1A",
                     "١٢", "+-1", "--1", "1_000", " 1 "]),
    st.text(max_size=8),
)
CELL_SAFE = st.text(st.characters(blacklist_characters=",\n\r\""), max_size=10)


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.sampled_from(["date,value", "Date,Value", "date,value,extra", "value,date",
                                   "date", "\ufeffdate,value", "date;value", ""]))
    rows = draw(st.lists(st.tuples(DATES, VALUES, CELL_SAFE), max_size=25))
    lines = [header] + [f"{d.replace(',', ' ')},{v.replace(',', ' ')}"
                        + (f",{x}" if header.count(",") == 2 else "") for d, v, x in rows]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # sometimes a few raw bytes anywhere
        pos = draw(st.integers(0, len(raw)))
        raw = raw[:pos] + draw(st.binary(max_size=4)) + raw[pos:]
    return raw


@pytest.fixture
def fuzz_home(tmp_path_factory, monkeypatch):
    import shutil

    from conftest import REPO

    home = tmp_path_factory.mktemp("fuzz") / "home"
    (home / "datasets").mkdir(parents=True)
    shutil.copy2(REPO / "datasets" / "catalog.toml", home / "datasets" / "catalog.toml")
    monkeypatch.setenv("STUDY_HOME", str(home))
    return home


@SETTINGS
@given(raw=csv_files(), freq=st.sampled_from(["daily", "monthly"]),
       units=st.text(max_size=12), description=st.text(max_size=20))
def test_csv_import_only_raises_study_error(fuzz_home, raw, freq, units, description):
    from engine.data import dataops
    from engine.data.catalog import Catalog

    src = fuzz_home.parent / "in.csv"
    src.write_bytes(raw)
    custom = fuzz_home / "datasets" / "custom.toml"
    before = custom.read_bytes() if custom.exists() else None
    try:
        outcome = dataops.import_csv(Catalog.load(), src, "custom.fz", "date", "value", freq, 0,
                                     units, description)
    except StudyError:
        assert (custom.read_bytes() if custom.exists() else None) == before  # untouched
        return
    frame = pd.read_parquet(fuzz_home / "datasets" / "custom.fz.parquet")
    values = frame["value"].to_numpy()
    assert not any(math.isinf(v) for v in values)
    assert frame.index.is_monotonic_increasing and not frame.index.has_duplicates
    assert outcome.meta.rows == int(frame["value"].notna().sum())
    entry = tomllib.loads(custom.read_text())["datasets"]["custom.fz"]
    assert entry["units"] == (units or "unknown") and entry["file"] == str(src.resolve())
    assert "custom.fz" in Catalog.load()


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _good_manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


@pytest.fixture
def run_copy(hostile) -> Path:
    (run_dir,) = (hostile / "results" / "good").iterdir()
    return run_dir


@SETTINGS
@given(data=st.data())
def test_run_folder_reader_only_raises_study_error(run_copy, data):
    """Mutate one manifest key (or replace the whole manifest) and read the folder."""
    from engine.api import load_run
    from engine.compare import compare

    good = _good_manifest(run_copy)
    keys = sorted(good)
    choice = data.draw(st.sampled_from(["whole", "key", "drop", "bytes"]))
    if choice == "whole":
        text = json.dumps(data.draw(JSONISH))
    elif choice == "key":
        bad = dict(good)
        bad[data.draw(st.sampled_from(keys))] = data.draw(JSONISH)
        text = json.dumps(bad)
    elif choice == "drop":
        bad = dict(good)
        bad.pop(data.draw(st.sampled_from(keys)))
        text = json.dumps(bad)
    else:
        text = None
    path = run_copy / "manifest.json"
    original = path.read_bytes()
    try:
        if text is None:
            path.write_bytes(data.draw(st.binary(max_size=64)))
        else:
            path.write_text(text)
        for read in (lambda: load_run(run_copy),
                     lambda: compare([str(run_copy)], out=run_copy.parent / "_cmp")):
            with contextlib.suppress(StudyError):
                read()
    finally:
        path.write_bytes(original)


@SETTINGS
@given(data=st.data())
def test_run_table_reader_only_raises_study_error(run_copy, data):
    """Flip, cut or append bytes of metrics.parquet: reading it is a table or a StudyError."""
    from engine.api import load_run

    path = run_copy / "metrics.parquet"
    original = path.read_bytes()
    how = data.draw(st.sampled_from(["cut", "flip", "append"]))
    if how == "cut":
        raw = original[: data.draw(st.integers(0, len(original) - 1))]
    elif how == "flip":
        pos = data.draw(st.integers(0, len(original) - 1))
        raw = original[:pos] + bytes([original[pos] ^ data.draw(st.integers(1, 255))]) \
            + original[pos + 1:]
    else:
        raw = original + data.draw(st.binary(min_size=1, max_size=32))
    try:
        path.write_bytes(raw)
        try:
            table = load_run(run_copy).metrics
            assert isinstance(table, pd.DataFrame)
        except StudyError:
            pass
    finally:
        path.write_bytes(original)
