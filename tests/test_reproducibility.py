"""Reproducibility and concurrency of runs.

* Same study, same inputs: byte-identical ``metrics.parquet`` (and events), same inputs hash.
* A dataset rebuilt from an edited raw file: new content hash in the manifest, new inputs
  hash, and ``study run`` names the dataset that changed since the previous run.
* Two ``study run`` processes at once: two separate, complete run folders.
* ``study data build`` replacing a dataset while a run reads it: both succeed, and the run's
  numbers belong to exactly the dataset version its manifest names (atomic rename).

Runs on the S&P 500 of the real mirror when present (``STUDY_DATA_MIRROR`` or
../shared/data), else on the synthetic mirror of conftest: these properties do not depend on
the numbers, so they are checked in CI either way. The study is calendar-only (no other data)
with the backtest off, so each run takes about a second plus the interpreter start.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, single_file_catalog, write_synthetic_mirror

from engine import runfolder
from engine.data import datasets
from engine.data.catalog import Catalog

STUDY = """[study]
title = "Santa Claus and turn of the month"
question = "Reproducible?"
target = "index.GSPC"
horizons = ["1d", "5d"]
start = "{start}"
mode = "state"
n_boot = 200
seed = 7

[[signals]]
name = "santa-claus"
family = "seasonality.santa_claus"

[[signals]]
name = "turn-of-month"
family = "seasonality.turn_of_month"
params = {{ before = 1, after = [2, 3] }}

[backtest]
enabled = false
"""
GSPC = "indices/GSPC.csv"


def _real_mirror() -> Path | None:
    env = os.environ.get("STUDY_DATA_MIRROR")
    path = Path(env).expanduser() if env else REPO.parent / "shared" / "data"
    return path if (path / GSPC).is_file() else None


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the study, and a private mirror holding a copy of the GSPC file."""
    home = tmp_path / "home"
    (home / "datasets").mkdir(parents=True)
    (home / "studies").mkdir()
    # index.GSPC read from one file (no splice): these tests revise that file's last close,
    # which a splice would rightly refuse as a disagreement with its partner files
    (home / "datasets" / "catalog.toml").write_text(single_file_catalog({"index.GSPC": GSPC}))
    mirror = tmp_path / "mirror"
    real = _real_mirror()
    if real is not None:
        (mirror / "indices").mkdir(parents=True)
        shutil.copy2(real / GSPC, mirror / GSPC)
        start = "2010-01-01"
    else:
        write_synthetic_mirror(mirror)
        start = "2023-01-01"
    (home / "studies" / "repro.toml").write_text(STUDY.format(start=start))
    monkeypatch.setenv("STUDY_HOME", str(home))
    monkeypatch.setenv("STUDY_DATA_MIRROR", str(mirror))
    monkeypatch.chdir(home)
    build(mirror)
    return home


def mirror_of(home: Path) -> Path:
    return home.parent / "mirror"


def build(mirror: Path) -> datasets.DatasetMeta:
    catalog = Catalog.load()
    return datasets.build_one(catalog, catalog.get("index.GSPC"), mirror, force=True).meta


def edit_mirror(mirror: Path, factor: float = 1.01) -> None:
    """Scale the last close in the file: a real revision of the data, same layout."""
    lines = (mirror / GSPC).read_text().splitlines()
    date, value = lines[-1].split(",")
    lines[-1] = f"{date},{float(value) * factor!r}"
    (mirror / GSPC).write_text("\n".join(lines) + "\n")


def cli_env(home: Path, mirror: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("STUDY_DATA_MIRROR", "STUDY_DEBUG")}
    env["STUDY_HOME"] = str(home)
    if mirror:
        env["STUDY_DATA_MIRROR"] = str(mirror_of(home))
    return env


def study_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from engine.cli import main; main()", *args]


def run_folders(home: Path) -> list[Path]:
    return sorted((home / "results" / "repro").iterdir(), key=lambda p: p.name)


def run_cli(cli, *args: str):
    result = cli("run", "repro", "--no-report", *args)
    assert result.exit_code == 0, result.output
    return result


# ----------------------------------------------------------------------------- same inputs
def test_same_inputs_give_byte_identical_metrics(home, cli):
    run_cli(cli)
    first = run_cli(cli)
    a, b = run_folders(home)
    assert a != b  # two folders, the first is not overwritten
    for name in ("metrics.parquet", "events.parquet", "paths.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    assert ma["inputs_sha256"] == mb["inputs_sha256"]
    assert ma["datasets"] == mb["datasets"]
    assert "changed since the previous run" not in first.text
    metrics = pd.read_parquet(a / "metrics.parquet")
    assert len(metrics) == 3 * 2 and metrics["ci_low"].notna().all()  # bootstrap ran (seeded)


# ----------------------------------------------------------------------------- changed data
def test_changed_dataset_is_named_since_previous_run(home, cli):
    run_cli(cli)
    edit_mirror(mirror_of(home))
    stale = cli("run", "repro", "--no-report")  # the build is now older than its raw file
    assert stale.exit_code == 2 and "dataset 'index.GSPC' is stale" in stale.text
    assert "study data build index.GSPC" in stale.text
    new_meta = build(mirror_of(home))
    second = run_cli(cli)
    before, after = run_folders(home)
    mb, ma = (json.loads((d / "manifest.json").read_text()) for d in (before, after))
    (db,), (da,) = mb["datasets"], ma["datasets"]
    assert db["id"] == da["id"] == "index.GSPC"
    assert db["sha256"] != da["sha256"] == new_meta.content_sha256
    assert db["source_sha256"] != da["source_sha256"]
    assert mb["inputs_sha256"] != ma["inputs_sha256"]
    expected = (f"dataset index.GSPC changed since the previous run {mb['run_id']} "
                f"(content sha256 {db['sha256'][:12]} -> {da['sha256'][:12]})")
    assert runfolder.previous_run_changes(after) == [expected]
    assert expected in second.text
    assert runfolder.previous_run_changes(before) == []


def test_same_second_runs_keep_their_order(tmp_path):
    """Run names have one-second resolution and a hash suffix, which is no order: a run made
    in the same second as the previous one must still compare against that one."""
    folder = tmp_path / "study"
    for name, sha in [("20250101T000000-ffffffff", "old"), ("20250101T000000-00000000", "new")]:
        (folder / name).mkdir(parents=True)
        manifest = {"run_id": name, "study": {"sha256": "s"},
                    "datasets": [{"id": "index.GSPC", "sha256": sha * 8}]}
        (folder / name / "manifest.json").write_text(json.dumps(manifest))
        time.sleep(0.01)
    new = folder / "20250101T000000-00000000"
    assert runfolder.latest_run(folder) == new
    (line,) = runfolder.previous_run_changes(new)
    assert line.startswith("dataset index.GSPC changed since the previous run "
                           "20250101T000000-ffffffff")
    assert runfolder.previous_run_changes(folder / "20250101T000000-ffffffff") == []


# ----------------------------------------------------------------------------- concurrency
def test_two_runs_at_once_write_two_complete_folders(home):
    procs = [subprocess.Popen(study_cmd("run", "repro", "--no-report"), cwd=home,
                              env=cli_env(home), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    folders = run_folders(home)
    assert len(folders) == 2 and not any(p.name.startswith(".") for p in folders)
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["run_id"] == folder.name.removesuffix("-1")
        for name in ("metrics.parquet", "events.parquet", "paths.parquet", "prices.parquet"):
            assert (folder / name).stat().st_size > 0
    a, b = folders
    assert (a / "metrics.parquet").read_bytes() == (b / "metrics.parquet").read_bytes()
    # each process printed its own folder
    assert {o.split("run folder: ")[1].split()[0] for o in outputs} == {str(a), str(b)}


def test_same_name_commit_gets_a_suffix(tmp_path):
    """The clash itself (two runs of the same inputs in the same second), deterministically."""
    writers = [runfolder.RunWriter(tmp_path / "study", "20250101T000000-abcdef12")
               for _ in range(2)]
    for i, w in enumerate(writers):
        w.json("manifest.json", {"i": i})
    finals = [w.commit() for w in writers]
    assert [p.name for p in finals] == ["20250101T000000-abcdef12", "20250101T000000-abcdef12-1"]
    assert [json.loads((p / "manifest.json").read_text())["i"] for p in finals] == [0, 1]
    assert sorted(p.name for p in (tmp_path / "study").iterdir()) == [p.name for p in finals]


def test_data_build_while_a_run_reads(home):
    """Rebuild index.GSPC over and over (two versions, alternating) while a run loads it."""
    mirror_a = mirror_of(home)
    mirror_b = home.parent / "mirror-b"
    shutil.copytree(mirror_a, mirror_b)
    edit_mirror(mirror_b, factor=1.5)
    catalog = Catalog.load()
    entry = catalog.get("index.GSPC")
    versions = {}
    for mirror in (mirror_b, mirror_a):  # ends with A built
        meta = datasets.build_one(catalog, entry, mirror, force=True).meta
        versions[meta.content_sha256] = datasets.load(catalog, "index.GSPC")[0]["close"]
    # the run reads whatever is built (no mirror: no stale check against one raw file)
    run = subprocess.Popen(study_cmd("run", "repro", "--no-report"), cwd=home,
                           env=cli_env(home, mirror=False), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    builder = subprocess.Popen(study_cmd("data", "build", "index.GSPC", "--force"), cwd=home,
                               env=cli_env(home), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    n_builds = 0
    while run.poll() is None:
        datasets.build_one(catalog, entry, (mirror_a, mirror_b)[n_builds % 2], force=True)
        n_builds += 1
    output = run.communicate()[0]
    build_output = builder.communicate(timeout=60)[0]
    assert run.returncode == 0, output
    assert builder.returncode == 0 and "1 built" in build_output, build_output
    assert n_builds >= 3
    # the dataset on disk is whole and self-consistent
    frame, meta = datasets.load(catalog, "index.GSPC")
    assert meta.content_sha256 == datasets.frame_sha256(frame) and meta.content_sha256 in versions
    # the run used one whole version, and its manifest names that version
    (folder,) = run_folders(home)
    manifest = json.loads((folder / "manifest.json").read_text())
    (used,) = manifest["datasets"]
    prices = pd.read_parquet(folder / "prices.parquet")["target"]
    assert used["sha256"] in versions
    expected = versions[used["sha256"]].reindex(prices.index)
    pd.testing.assert_series_equal(prices, expected, check_names=False)
