"""Digest of every shipped study's run outputs on real data: proves a refactor changed nothing.

Runs each ``studies/*.toml`` of a checkout (``study run NAME --no-report``) in a throw-away
project home built from the real mirror, and prints (or checks) the sha256 of every Parquet
file of each run folder (metrics, events, paths, equity ...). The manifest is left out: it
holds timestamps and the commit. Usage, from a checkout::

    python tests/output_digests.py --save /tmp/before.json     # on the old code
    python tests/output_digests.py --check /tmp/before.json    # new code: exit 1 if any differ

``--code DIR`` runs the engine of another checkout (its ``engine`` on PYTHONPATH, its
studies and catalog); ``--home DIR`` keeps the built datasets between calls.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(code: Path, home: Path, studies: list[str] | None = None) -> dict[str, dict]:
    """{study: {file: sha256}} for one run of each study of ``code`` (a checkout)."""
    (home / "datasets").mkdir(parents=True, exist_ok=True)
    shutil.copy(code / "datasets" / "catalog.toml", home / "datasets" / "catalog.toml")
    if (home / "studies").exists():
        shutil.rmtree(home / "studies")
    shutil.copytree(code / "studies", home / "studies")
    env = {**os.environ, "STUDY_HOME": str(home), "PYTHONPATH": str(code), "MPLBACKEND": "Agg"}
    names = studies or sorted(p.stem for p in (code / "studies").glob("*.toml"))
    out: dict[str, dict] = {}
    for name in names:
        results = home / "results" / name
        shutil.rmtree(results, ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, "-c", "from engine.cli import main; main()", "run", name,
             "--no-report", "--out", str(home / "results")],
            env=env, cwd=home, capture_output=True, text=True, check=False)
        runs = sorted(p for p in results.glob("*") if p.is_dir()) if results.exists() else []
        if proc.returncode != 0 or not runs:
            out[name] = {"exit": proc.returncode, "stderr": proc.stderr.strip()[-300:]}
            continue
        out[name] = {f.name: sha256(f) for f in sorted(runs[-1].glob("*.parquet"))}
        print(f"{name}: {len(out[name])} files", file=sys.stderr)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=REPO, help="checkout to run (default: this one)")
    ap.add_argument("--home", type=Path, default=None, help="project home to reuse")
    ap.add_argument("--save", type=Path, help="write the digests to this JSON file")
    ap.add_argument("--check", type=Path, help="compare with digests saved earlier")
    ap.add_argument("studies", nargs="*", help="only these studies")
    args = ap.parse_args()
    if not os.environ.get("STUDY_DATA_MIRROR"):
        print("set STUDY_DATA_MIRROR to the real-data mirror", file=sys.stderr)
        return 2
    home = args.home or Path(tempfile.mkdtemp(prefix="digests-"))
    got = digests(args.code.resolve(), home, args.studies or None)
    text = json.dumps(got, indent=1, sort_keys=True)
    if args.save:
        args.save.write_text(text + "\n")
    if not args.check:
        print(text)
        return 0
    want = json.loads(args.check.read_text())
    shared = sorted(s for s in want if s in got or not args.studies)
    bad = [f"{s}: {want.get(s)} != {got.get(s)}" for s in shared if want.get(s) != got.get(s)]
    files = sum(len(got[s]) for s in shared if s in got and "exit" not in got[s])
    new = sorted(set(got) - set(want))
    print(f"{len(shared)} studies, {files} Parquet files: "
          + ("all byte-identical" if not bad else f"{len(bad)} differ")
          + (f"; no baseline for {', '.join(new)}" if new else ""))
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
