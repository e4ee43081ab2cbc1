"""User-facing dataset operations behind ``study data``: build many, list, show, import."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from engine.data import datasets
from engine.data.catalog import FREQUENCIES, Catalog, Entry
from engine.errors import DataError

CUSTOM_ID = re.compile(r"^custom\.[A-Za-z0-9_\-]+$")


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
    if not CUSTOM_ID.match(id_):
        raise DataError(f"id '{id_}' not allowed", where="--id",
                        fix="use custom.NAME with letters, digits, _ or -")
    if freq not in FREQUENCIES:
        raise DataError(f"frequency '{freq}' not allowed", where="--freq",
                        fix=f"use one of {list(FREQUENCIES)}")
    if lag < 0:
        raise DataError(f"lag {lag} is negative", where="--lag",
                        fix="days from period end to publication, >= 0")
    file = Path(file).expanduser().resolve()
    entry = Entry(id=id_, source="csv", file=str(file), frequency=freq, units=units or "unknown",
                  description=description or f"user series from {file.name}", lag_days=lag,
                  columns=("value",), date_col=date_col, value_col=value_col,
                  date_format=date_format, header=header, zero_missing=zero_missing)
    datasets.read_raw(entry, file)  # validate first: nothing is written for a bad file
    custom = catalog.root / "custom.toml"
    existing = tomllib.loads(custom.read_text()) if custom.is_file() else {}
    table = existing.get("datasets", {})
    table[id_] = {
        "source": "csv", "file": str(file), "frequency": freq, "units": entry.units,
        "description": entry.description, "lag_days": lag, "columns": "value",
        "date_col": date_col, "value_col": value_col,
        **({"date_format": date_format} if date_format else {}),
        **({"header": header} if header != "plain" else {}),
        **({"zero_missing": True} if zero_missing else {}),
    }
    _write_custom(custom, table)
    catalog.entries[id_] = entry
    return datasets.build_one(catalog, entry, None, force=True)


def _write_custom(path: Path, table: dict) -> None:
    lines = ["# User datasets added with `study data import` (safe to edit).", ""]
    for id_, raw in sorted(table.items()):
        lines.append(f'[datasets."{id_}"]')
        for key, value in raw.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
                continue
            lines.append(f"{key} = {value}" if isinstance(value, int) else
                         f'{key} = "{_escape(str(value))}"')
        lines.append("")
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(path)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
