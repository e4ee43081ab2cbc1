"""Hostile run folders: manifests that are not what `study run` writes, tables that are
missing, corrupt or folders, files where folders belong, stale temporary folders, reruns.

Readers (`study report`, `study compare`, `engine.load_run`, the "changed since the previous
run" note of `study run`) refuse a damaged run folder with exit 2 naming the file and the fix,
and never damage the folder or any other run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest
from hostile_kit import Snapshot, ok, refused


def baseline(home: Path) -> Path:
    (run_dir,) = (home / "results" / "good").iterdir()
    return run_dir


MANIFESTS = [
    (b"[1, 2]", "not a JSON object"), (b"null", "not a JSON object"), (b"42", "not a JSON object"),
    (b'"text"', "not a JSON object"), (b"{}", "no run_id"), (b'{"run_id": 5}', "no run_id"),
    (b"{", "corrupt"), (b"", "corrupt"), (b"\xff\xfe{}", "corrupt"),
    (b"[" * 100_000 + b"]" * 100_000, "corrupt"),
    (b'{"run_id": "x", "study": [], "datasets": 5}', "study"),
]
MANIFEST_IDS = ["list", "null", "number", "string", "empty-object", "run-id-int", "truncated",
                "empty-file", "utf16-bytes", "deep-nesting", "wrong-types"]


@pytest.mark.parametrize(("content", "message"), MANIFESTS, ids=MANIFEST_IDS)
@pytest.mark.parametrize("command", ["report", "compare"])
def test_bad_manifest(hostile, cli, command, content, message):
    run_dir = baseline(hostile)
    (run_dir / "manifest.json").write_bytes(content)
    before = Snapshot(hostile)
    refused(cli(command, run_dir), str(run_dir / "manifest.json"), message, fix="re-run")
    before.unchanged()


@pytest.mark.parametrize(("content", "message"), MANIFESTS[:6], ids=MANIFEST_IDS[:6])
def test_bad_previous_manifest_does_not_fail_a_good_run(hostile, cli, content, message):
    """The note "dataset X changed since the previous run" skips an unreadable previous run."""
    run_dir = baseline(hostile)
    (run_dir / "manifest.json").write_bytes(content)
    before = Snapshot(hostile)
    text = ok(cli("run", "good", "--no-report"))
    assert "previous run" not in text or "unreadable" in text
    assert len(before.new_runs()) == 1
    before.unchanged()


def test_manifest_is_a_folder(hostile, cli):
    run_dir = baseline(hostile)
    (run_dir / "manifest.json").unlink()
    (run_dir / "manifest.json").mkdir()
    for args in (("report", run_dir), ("compare", run_dir)):
        refused(cli(*args), str(run_dir), "not a run folder", fix="results/<study>/")


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage", "folder", "wrong-columns"])
@pytest.mark.parametrize("command", ["report", "compare"])
def test_bad_metrics_table(hostile, cli, command, damage):
    run_dir = baseline(hostile)
    path = run_dir / "metrics.parquet"
    if damage == "missing":
        path.unlink()
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "garbage":
        path.write_bytes(b"PAR1" + os.urandom(512) + b"PAR1")
    elif damage == "folder":
        path.unlink()
        path.mkdir()
    else:
        pd.DataFrame({"x": [1, 2]}).to_parquet(path)
    before = Snapshot(hostile)
    refused(cli(command, run_dir), "metrics.parquet", fix="re-run the study")
    before.unchanged()


@pytest.mark.parametrize("table", ["paths", "events", "prices"])
@pytest.mark.parametrize("damage", ["garbage", "folder"])
def test_bad_optional_table_refuses_the_report_and_not_compare(hostile, cli, table, damage):
    """The optional tables are read when first used (``runfolder.RunFolder``): the report,
    which uses them, still refuses a damaged one before writing anything; compare, which
    reads only metrics, ranks the run."""
    run_dir = baseline(hostile)
    path = run_dir / f"{table}.parquet"
    if damage == "garbage":
        path.write_bytes(b"PAR1" + os.urandom(512) + b"PAR1")
    else:
        path.unlink()
        path.mkdir()
    before = Snapshot(hostile)
    refused(cli("report", run_dir), f"{table}.parquet", fix="re-run the study")
    before.unchanged()
    ok(cli("compare", run_dir))


def test_run_folder_path_is_a_file(hostile, cli, tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    refused(cli("report", f), str(f), "not a run folder", fix="results/<study>/")


def test_results_study_path_is_a_file(hostile, cli):
    (hostile / "results" / "other").write_text("not a folder")
    refused(cli("compare", "other"), "no run folder or finished run of study 'other'",
            fix="study run other")


def test_report_target_is_a_folder(hostile, cli):
    run_dir = baseline(hostile)
    (run_dir / "report.html").mkdir()
    before = Snapshot(hostile)
    refused(cli("report", run_dir), "report.html", "is a folder")
    before.unchanged()


def test_load_run_refuses_bad_manifest(hostile):
    import engine
    from engine.errors import StudyError

    run_dir = baseline(hostile)
    (run_dir / "manifest.json").write_text("[]")
    with pytest.raises(StudyError, match="not a JSON object"):
        engine.load_run(run_dir)


def test_load_run_refuses_corrupt_table(hostile):
    import engine
    from engine.errors import StudyError

    run_dir = baseline(hostile)
    (run_dir / "events.parquet").write_bytes(b"PAR1 broken PAR1")
    run = engine.load_run(run_dir)
    with pytest.raises(StudyError, match=r"events\.parquet"):
        _ = run.events


# ----------------------------------------------------------------------------- stale tmp
def _stale(parent: Path, name: str, age_s: float = 0) -> Path:
    tmp = parent / name
    tmp.mkdir(parents=True)
    (tmp / "metrics.parquet").write_bytes(b"PAR1 half")
    if age_s:
        t = time.time() - age_s
        os.utime(tmp, (t, t))
    return tmp


def _dead_pid() -> int:
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.mark.parametrize("kind", ["dead-pid", "old-unnamed"])
def test_stale_tmp_run_folders_are_cleaned_at_start(hostile, cli, kind):
    parent = hostile / "results" / "good"
    if kind == "dead-pid":
        stale = _stale(parent, f".tmp-20240101T000000-deadbeef.p{_dead_pid()}.abcd1234")
    else:
        stale = _stale(parent, ".tmp-20240101T000000-deadbeef-abcd1234", age_s=7200)
    ok(cli("run", "good", "--no-report"))
    assert not stale.exists()
    assert [p.name for p in parent.iterdir() if p.name.startswith(".")] == []


def test_live_tmp_run_folder_of_another_process_is_kept(hostile, cli):
    parent = hostile / "results" / "good"
    live = _stale(parent, f".tmp-20240101T000000-deadbeef.p{os.getppid()}.abcd1234")
    ok(cli("run", "good", "--no-report"))
    assert live.exists()


def test_stale_tmp_dataset_files_are_cleaned_at_build(hostile, cli):
    folder = hostile / "datasets"
    stale = folder / f".index.RUT.parquet.tmp-{_dead_pid()}"
    stale.write_bytes(b"PAR1 half")
    ok(cli("data", "build", "index.RUT", "--force"))
    assert not stale.exists()


# ----------------------------------------------------------------------------- reruns
def test_rerun_is_byte_identical_and_leaves_the_first(hostile, cli):
    first = baseline(hostile)
    before = Snapshot(hostile)
    ok(cli("run", "good", "--no-report"))
    (new,) = before.new_runs()
    before.unchanged()
    a = (first / "metrics.parquet").read_bytes()
    b = (hostile / "results" / new / "metrics.parquet").read_bytes()
    assert a == b
