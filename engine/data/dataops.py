"""User-facing dataset operations behind ``study data``: build many, list, show, import."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from engine import atomic
from engine.data import catalog as catalog_mod
from engine.data import datasets
from engine.data.catalog import FREQUENCIES, MAX_LAG_DAYS, Catalog, Entry
from engine.errors import DataError

CUSTOM_ID = re.compile(r"custom\.[A-Za-z0-9_\-]+", re.ASCII)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def build(
    catalog: Catalog, ids: Iterable[str] | None, mirror: Path | None, force: bool = False,
    on_done=None,
) -> list[datasets.BuildOutcome]:
    """Build the given ids (all when empty); every id is validated before anything is written."""
    wanted = list(ids or [])
    entries = [catalog.get(i) for i in wanted] if wanted else list(catalog)
    outcomes = []
    for entry in entries:
        outcomes.append(datasets.build_one(catalog, entry, mirror, force=force))
        if on_done:
            on_done(outcomes[-1])
    return outcomes


def coverage(catalog: Catalog) -> pd.DataFrame:
    """One row per catalog entry with what is built: first/last date, rows, lag, source."""
    rows = []
    for e in catalog:
        meta = datasets.read_meta(catalog.parquet_path(e.id))
        rows.append({
            "id": e.id, "frequency": e.frequency,
            "first": meta.first if meta else None, "last": meta.last if meta else None,
            "rows": meta.rows if meta else None, "source": e.source, "lag_days": e.lag_days,
            "timing": e.timing_note,
            "built": meta is not None, "description": e.description,
        })
    # nullable ints: one unbuilt entry must not turn every row count into a float ("502.0")
    return pd.DataFrame(rows).astype({"rows": "Int64", "lag_days": "int64"})


def source_lines(meta: datasets.DatasetMeta) -> list[str]:
    """Human-readable splice provenance: file -> date ranges, overlap check, gaps."""
    prov = meta.provenance or {}
    parts = prov.get("parts") or [{"file": meta.source_file,
                                   "ranges": [[meta.first, meta.last, meta.rows]]}]
    lines = ["sources (in splice order):"]
    for part in parts:
        spans = ", ".join(f"{a} .. {b} ({n} rows)" for a, b, n in part.get("ranges", []))
        lines.append(f"  {part['file']}: {spans or 'no dates used (overlap check only)'}")
        if part.get("overlap_rows"):
            lines.append(f"    checked equal on {part['overlap_rows']} overlapping dates")
        if part.get("holes_filled"):
            holes = ", ".join(part["holes_filled"])
            lines.append(f"    filled empty rows of earlier files: {holes}")
        if part.get("extra_dates"):
            lines.append(f"    {part['extra_dates']} dates inside the earlier span not taken")
        if part.get("dropped_from_earlier"):
            lines.append("    dropped earlier dates without a decision: "
                         + ", ".join(part["dropped_from_earlier"]))
    worst = prov.get("largest_gap") or {}
    if worst.get("date"):
        lines.append(f"largest relative gap on the overlap: {worst['relative_gap']:.3g} on "
                     f"{worst['date']} ({worst['files'][0]} {worst['values'][0]!r} vs "
                     f"{worst['files'][1]} {worst['values'][1]!r}); tolerance "
                     f"{prov.get('tolerance', 0):g}")
    if prov.get("gaps_total"):
        listed = "; ".join(f"{a} -> {b} ({d} days)" for a, b, d in prov["gaps"][:10])
        lines.append(f"calendar gaps over 4 days: {prov['gaps_total']} (longest: {listed})")
    elif "gaps" in prov:
        lines.append("calendar gaps over 4 days: none")
    return lines


def import_csv(
    catalog: Catalog, file: Path, id_: str, date_col: str, value_col: str, freq: str,
    lag: int, units: str = "", description: str = "", date_format: str | None = None,
    header: str = "plain", zero_missing: bool = False,
) -> datasets.BuildOutcome:
    """Register a user's CSV as ``custom.NAME`` in datasets/custom.toml and build it.

    The file is validated (columns, dates, numbers) *before* the catalog is touched.
    """
    if not CUSTOM_ID.fullmatch(id_):
        raise DataError(f"id {id_!r} not allowed", where="--id",
                        fix="use custom.NAME with ASCII letters, digits, _ or -")
    for option, text in (("--units", units), ("--description", description),
                         ("--date-format", date_format or ""), ("--date-col", date_col),
                         ("--value-col", value_col)):
        if CONTROL.search(text):
            raise DataError(f"{text!r} contains a control character (line break, tab or "
                            "escape)", where=option, fix="use plain text on one line")
    if freq not in FREQUENCIES:
        raise DataError(f"frequency '{freq}' not allowed", where="--freq",
                        fix=f"use one of {list(FREQUENCIES)}")
    if lag < 0:
        raise DataError(f"lag {lag} is negative", where="--lag",
                        fix="days from period end to publication, >= 0")
    if lag > MAX_LAG_DAYS:
        raise DataError(f"lag {lag} not allowed", where="--lag",
                        fix=f"days from period end to publication, 0 to {MAX_LAG_DAYS}")
    file = Path(file).expanduser().resolve()
    try:
        str(file).encode("utf-8")
    except UnicodeEncodeError:
        raise DataError("the file name is not valid UTF-8", where=repr(str(file)),
                        fix="rename the file with plain characters") from None
    entry = Entry(id=id_, source="csv", file=str(file), frequency=freq, units=units or "unknown",
                  description=description or f"user series from {file.name}", lag_days=lag,
                  columns=("value",), date_col=date_col, value_col=value_col,
                  date_format=date_format, header=header, zero_missing=zero_missing)
    datasets.read_raw(entry, file)  # validate first: nothing is written for a bad file
    custom = catalog.root / "custom.toml"
    with _locked(catalog.root):  # concurrent imports: each reads the other's entry
        existing = catalog_mod.read_catalog_file(custom) if custom.is_file() else {}
        existing[id_] = {
            "source": "csv", "file": str(file), "frequency": freq, "units": entry.units,
            "description": entry.description, "lag_days": lag, "columns": "value",
            "date_col": date_col, "value_col": value_col,
            **({"date_format": date_format} if date_format else {}),
            **({"header": header} if header != "plain" else {}),
            **({"zero_missing": True} if zero_missing else {}),
        }
        _write_custom(custom, existing)
    catalog.entries[id_] = entry
    return datasets.build_one(catalog, entry, None, force=True)


@contextlib.contextmanager
def _locked(folder: Path):
    """An exclusive lock on the datasets folder (flock; released when the process dies)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_custom(path: Path, table: dict) -> None:
    """Write custom.toml atomically, every value serialised (and escaped) as TOML."""
    text = ("# User datasets added with `study data import` (safe to edit).\n\n"
            + catalog_mod.dumps_datasets(table))
    atomic.clean_stale(path.parent)
    tmp = atomic.tmp_path(path.parent, path.name)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build_missing(catalog: Catalog, refs: Iterable[str | None], mirror: Path | None,
                  say: Callable[[str], None] | None = None) -> list[str]:
    """Build the datasets behind ``refs`` (``id`` or ``id:column``; ``@``-roles and None are
    skipped) that were never built (first run on a fresh machine); return their ids."""
    ids = {catalog_mod.split_ref(r)[0] for r in refs if r and not r.startswith("@")}
    missing = [i for i in sorted(ids) if datasets.read_meta(catalog.parquet_path(i)) is None
               and not datasets.unavailable(catalog.get(i), mirror)]
    for id_ in missing:
        if say:
            say(f"building dataset {id_}")
        datasets.build_one(catalog, catalog.get(id_), mirror)
    return missing


def dataset_records(catalog: Catalog, metas: Mapping[str, datasets.DatasetMeta]) -> list[dict]:
    """What a run folder's manifest records of each dataset it read, sorted by id."""
    out = []
    for id_, meta in sorted(metas.items()):
        e = catalog.get(id_)
        out.append({
            "id": id_, "sha256": meta.content_sha256,
            "source_file": catalog_mod.split_ref(e.file)[0],
            "source_sha256": meta.source_sha256, "first": meta.first, "last": meta.last,
            "rows": meta.rows, "lag_days": e.lag_days, "frequency": e.frequency,
            "units": e.units, "description": e.description,
        })
    return out
