"""Hostile command-line options: every user mistake is exit 2 naming the option and the fix.

Exit 1 is kept for real bugs, so each case also checks "internal error" never appears.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from hostile_kit import Snapshot, ok, refused

RUN = ("run", "good", "--no-report")

HORIZONS = [
    ("²", "horizon '²' not understood"),
    ("1.5m", "horizon '1.5m' not understood"),
    ("-1m", "horizon '-1m' not understood"),
    ("1e3d", "horizon '1e3d' not understood"),
    ("99999999999999999999d", "gives 99999999999999999999 days"),
    ("0x10", "horizon '0x10' not understood"),
    ("", "horizon '' not understood"),
    ("٣", "not understood"),
]


@pytest.mark.parametrize(("value", "message"), HORIZONS,
                         ids=["superscript", "fraction", "negative", "exponent", "huge", "hex",
                              "empty", "arabic-digit"])
def test_odd_horizon_option(hostile, cli, value, message):
    before = Snapshot(hostile)
    refused(cli(*RUN, "--horizon", value), "--horizon", message, fix="trading days")
    before.unchanged()
    assert before.new_runs() == []


@pytest.mark.parametrize("pair", [("1m", "21d"), ("1m", "1m"), ("5", "5d")],
                         ids=["same-days", "same-label", "int-and-label"])
def test_repeated_horizon_option(hostile, cli, pair):
    args = [a for h in pair for a in ("--horizon", h)]
    refused(cli(*RUN, *args), "--horizon", "same length in days", fix="each horizon once")


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "n_boot = -1 not allowed"), ("-1000", "n_boot = -1000 not allowed"),
    ("100001", "n_boot = 100001 not allowed"), ("1000000000000", "not allowed"),
], ids=["minus-one", "negative", "above-max", "huge"])
def test_bad_n_boot_option(hostile, cli, value, message):
    before = Snapshot(hostile)
    refused(cli(*RUN, "--n-boot", value), "--n-boot", message, fix="an integer from 0 to 100000")
    before.unchanged()
    assert before.new_runs() == []


@pytest.mark.parametrize("address", [
    "notanaddress", "tcp://", "tcp://127.0.0.1:notaport", "http://[::1", "tcp://127.0.0.1:99999",
    "tcp://exa mple:8786", "tcp://127.0.0.1:8786/path\n",
], ids=["word", "no-host", "port-word", "bracket", "port-range", "space", "newline"])
def test_malformed_scheduler_address(hostile, cli, address):
    start = time.monotonic()
    refused(cli(*RUN, "--executor", "dask", "--scheduler", address), "--scheduler",
            "not a scheduler address", fix="tcp://HOST:PORT")
    assert time.monotonic() - start < 10


def test_scheduler_without_dask_executor(hostile, cli):
    refused(cli(*RUN, "--scheduler", "tcp://127.0.0.1:8786"), "--scheduler",
            "only used with --executor dask", fix="--executor dask")


def test_scheduler_that_never_answers_times_out(hostile, cli, monkeypatch):
    """A socket that accepts the connection but never speaks: refused within the timeout."""
    pytest.importorskip("distributed")
    monkeypatch.setenv("STUDY_DASK_TIMEOUT", "2")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = srv.getsockname()[1]
        start = time.monotonic()
        refused(cli(*RUN, "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}"),
                "--scheduler", "did not answer", fix="STUDY_DASK_TIMEOUT")
        assert time.monotonic() - start < 30
    finally:
        stop.set()
        thread.join()
        for c in held:
            c.close()
        srv.close()
    assert not (hostile / "results" / "good").exists() or Snapshot(hostile).new_runs() == []


@pytest.mark.parametrize(("args", "parts", "fix"), [
    (("run", "good", "--top", "-1"), ["--top", "-1"], ">= 1"),
    (("run", "good", "--top", "0"), ["--top", "0"], ">= 1"),
    (("data", "show", "index.RUT", "--tail", "-3"), ["--tail", "-3"], ">= 0"),
    (("compare", "good", "--top", "-2"), ["--top", "-2"], ">= 1"),
    (("compare", "good", "--min-independent", "-1"), ["--min-independent", "-1"], ">= 0"),
], ids=["run-top-neg", "run-top-zero", "show-tail-neg", "compare-top-neg", "compare-min-neg"])
def test_negative_counts(hostile, cli, args, parts, fix):
    refused(cli(*args, *(["--no-report"] if args[0] == "run" else [])), *parts, fix=fix)


@pytest.mark.parametrize(("opt", "value", "message"), [
    ("--start", "0001-01-01", "outside the dates this tool handles"),
    ("--end", "9999-12-31", "outside the dates this tool handles"),
    ("--start", "1677-09-20", "outside the dates this tool handles"),
    ("--start", "2024-02-30", "'2024-02-30' is not a date"),
    ("--start", "2024-01-01T00:00", "'2024-01-01T00:00' is not a date"),
], ids=["year-1", "year-9999", "before-ns", "feb-30", "with-time"])
def test_out_of_range_dates(hostile, cli, opt, value, message):
    refused(cli(*RUN, opt, value), opt, message, fix="YYYY-MM-DD")


@pytest.mark.parametrize(("args", "parts", "fix"), [
    (("compare", "good", "--by", "luck"), ["--by 'luck' not allowed"], "use one of"),
    (("compare", "nosuch"), ["no run folder or finished run of study 'nosuch'"],
     "study run nosuch"),
    (("compare", "good", "--horizon", "7q"), ["no rows", "horizon '7q'"], "horizons available"),
    (("report", "results/nosuch"), ["not a run folder"], "results/<study>/"),
    (("scorecard", "--study", "nosuch"), ["no study named 'nosuch'"], "study list"),
    (("data", "build", "fred.NOPE"), ["unknown dataset id 'fred.NOPE'"], "did you mean"),
    (("data", "build", "--mirror", "/nonexistent/mirror", "index.RUT"),
     ["mirror directory does not exist"], "--mirror DIR"),
    (("data", "show", "nope.x"), ["unknown dataset id 'nope.x'"], "study data list"),
    (("families", "trend.nope"), ["trend.nope"], "did you mean trend."),
    (("validate", "nosuch"), ["no study named 'nosuch'"], "study list"),
], ids=["compare-by", "compare-missing", "compare-horizon", "report-missing", "scorecard-study",
        "build-unknown", "build-mirror", "show-unknown", "families-unknown", "validate-missing"])
def test_other_bad_options(hostile, cli, args, parts, fix):
    before = Snapshot(hostile)
    refused(cli(*args), *parts, fix=fix)
    before.unchanged()


def test_report_on_a_run_does_not_suggest_out(hostile, cli):
    """`study report` has no --out: a read-only run folder must not suggest one."""
    run_dir = next((hostile / "results" / "good").iterdir())
    (run_dir / "report.md").mkdir()  # something in the way of the report
    text = refused(cli("report", run_dir), "report.md")
    assert "--out" not in text


def test_build_without_mirror_for_a_custom_file_does_not_say_mirror(hostile, cli, tmp_path):
    src = tmp_path / "x.csv"
    src.write_text("date,value\n2024-01-02,1\n2024-01-03,2\n")
    ok(cli("data", "import", src, "--id", "custom.x"))
    src.unlink()
    text = refused(cli("data", "build", "custom.x", "--force"), str(src), "imported file",
                   fix="study data import")
    assert "mirror" not in text.split("Fix: ", 1)[1]
