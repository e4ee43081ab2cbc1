"""Build, load and describe the Parquet datasets declared in the catalog.

Builds are atomic (temporary file, then ``os.replace``) so a failure never leaves a
half-written dataset, and incremental: an entry is rebuilt only when its raw file's hash or
its catalog entry changed. Each Parquet file carries its provenance in the schema metadata.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine import atomic
from engine.data import splice
from engine.data.catalog import Catalog, Entry, split_file
from engine.data.sources import COMBINERS, MULTI_READERS, READERS, resolve, widecsv
from engine.data.sources.csvfile import read_table, tidy
from engine.errors import DataError

META_KEY = b"rally_study"


@dataclass(frozen=True)
class DatasetMeta:
    id: str
    source_file: str
    source_sha256: str
    entry_sha256: str
    content_sha256: str
    rows: int
    first: str
    last: str
    built_at: str
    # which file gave which dates, overlap checks, largest gap, calendar gaps (engine.data.splice)
    provenance: dict = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entry_sha256(entry: Entry) -> str:
    return hashlib.sha256(json.dumps(asdict(entry), sort_keys=True).encode()).hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """Content hash of a tidy frame: dates, column names and values (NaN-stable)."""
    digest = hashlib.sha256()
    digest.update(pd.DatetimeIndex(frame.index).as_unit("ns").asi8.tobytes())
    for col in frame.columns:
        digest.update(str(col).encode())
        digest.update(np.ascontiguousarray(frame[col].to_numpy(np.float64)).tobytes())
    return digest.hexdigest()


def sources_sha256(paths: list[Path]) -> str:
    """Hash of the raw inputs behind a dataset (a single file: that file's own hash). A folder
    counts as every file in it, in name order, with its relative name (a rename counts)."""
    hashes = []
    for p in paths:
        if p.is_dir():
            hashes += [f"{f.relative_to(p.parent)}:{file_sha256(f)}"
                       for f in sorted(q for q in p.rglob("*") if q.is_file())]
        else:
            hashes.append(file_sha256(p))
    if len(hashes) == 1 and not paths[0].is_dir():
        return hashes[0]
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def read_raw(entry: Entry, path: Path, column: str | None = None) -> pd.DataFrame:
    """Read a raw file with the entry's source reader and check its declared columns exist.

    ``column`` names one column of a wide panel (catalog ``file = "path#COLUMN"``), read as
    the entry's default column.
    """
    if column is not None:
        frame = widecsv.read(path, column, entry.default_column)
    elif entry.source == "csv":
        table = read_table(path, header=entry.header)
        frame = tidy(path, table, entry.date_col or "date",
                     {entry.value_col or "value": entry.default_column}, entry.date_format)
        if entry.zero_missing:
            frame = frame.mask(frame == 0.0)
    else:
        frame = resolve(READERS[entry.source])(path)
    missing = [c for c in entry.columns if c not in frame.columns]
    if missing:
        raise DataError(f"dataset '{entry.id}': columns {missing} not produced by the "
                        f"'{entry.source}' reader (has {list(frame.columns)})",
                        where=str(path), fix="fix `columns` in the catalog entry")
    return frame[list(entry.columns)].astype(np.float64)


def raw_parts(entry: Entry, mirror: Path | None,
              download_dir: Path) -> list[tuple[Path, str | None]]:
    """Every raw file behind an entry as (path, panel column or None), in splice order.

    Online (no mirror) an entry with a ``url`` is one download of the whole series; the
    spliced mirror files exist because no single offline file covers the span.
    """
    if entry.source in MULTI_READERS:
        return [(p, None) for p in input_paths(entry, mirror)]
    if mirror is None and (entry.splice or "#" in entry.file) and entry.source != "csv":
        if entry.url.startswith(("http", "yahoo:")):
            return [(download(entry, download_dir / f"{entry.id}.csv"), None)]
        raise DataError(f"dataset '{entry.id}' is spliced from mirror files",
                        where="datasets/catalog.toml",
                        fix="build it from a mirror: study data build --mirror DIR")
    out = []
    for ref in entry.files:
        rel, column = split_file(ref)
        out.append((raw_path(replace(entry, file=rel, splice=()), mirror, download_dir), column))
    return out


def input_paths(entry: Entry, mirror: Path | None) -> list[Path]:
    """The inputs of a multi-input entry (files or folders), all in the mirror."""
    if mirror is None:
        raise DataError(f"dataset '{entry.id}' is built from several mirror inputs",
                        where="datasets/catalog.toml",
                        fix="build it from a mirror: study data build --mirror DIR")
    if not mirror.is_dir():
        raise DataError("mirror directory does not exist", where=str(mirror),
                        fix="pass --mirror DIR (or set STUDY_DATA_MIRROR) to the data mirror")
    paths = [mirror / f for f in entry.files]
    for p in paths:
        if not p.exists():
            raise DataError(f"dataset '{entry.id}': mirror input missing", where=str(p),
                            fix="restore it in the mirror or fix `file`/`inputs` in the catalog")
    return paths


def read_multi(entry: Entry, paths: list[Path]) -> tuple[pd.DataFrame, dict]:
    """Read a multi-input entry; the reader's build counts become the provenance summary."""
    frame = resolve(MULTI_READERS[entry.source])(paths)
    missing = [c for c in entry.columns if c not in frame.columns]
    if missing:
        raise DataError(f"dataset '{entry.id}': columns {missing} not produced by the "
                        f"'{entry.source}' reader (has {list(frame.columns)})",
                        where=str(paths[0]), fix="fix `columns` in the catalog entry")
    summary = dict(frame.attrs.get("summary") or {})
    out = frame[list(entry.columns)].astype(np.float64)
    out.attrs = {}
    return out, ({"summary": summary} if summary else {})


def read_entry(entry: Entry, parts: list[tuple[Path, str | None]]) -> tuple[pd.DataFrame, dict]:
    """Read and splice an entry's files (``engine.data.splice``; event sources bring their own)."""
    if entry.source in MULTI_READERS:
        return read_multi(entry, [p for p, _ in parts])
    frames = [(_label(path, column), read_raw(entry, path, column)) for path, column in parts]
    combine = resolve(COMBINERS[entry.source]) if entry.source in COMBINERS else splice.splice
    return combine(frames, entry.tolerance, entry.frequency)


def _label(path: Path, column: str | None) -> str:
    name = f"{path.parent.name}/{path.name}"
    return f"{name}#{column}" if column else name


def raw_path(entry: Entry, mirror: Path | None, download_dir: Path) -> Path:
    """Locate (or fetch, when no mirror is given) the raw file behind an entry."""
    if entry.source == "csv":
        path = Path(entry.file)
        if not path.is_file():
            raise DataError(f"dataset '{entry.id}': the imported file is missing",
                            where=str(path), fix=f"restore the file, or import it again: "
                            f"study data import FILE --id {entry.id}")
        return path
    if Path(entry.file).is_absolute():
        return Path(entry.file)
    if mirror is not None:
        if not mirror.is_dir():
            raise DataError("mirror directory does not exist", where=str(mirror),
                            fix="pass --mirror DIR (or set STUDY_DATA_MIRROR) to the data mirror")
        path = mirror / entry.file
        if not path.is_file():
            raise DataError(f"dataset '{entry.id}': mirror file missing", where=str(path),
                            fix="restore the file in the mirror or fix `file` in the catalog")
        return path
    return download(entry, download_dir / entry.file)


def download(entry: Entry, dest: Path) -> Path:
    """Fetch an entry's public file when no mirror is given (FRED CSV, raw GitHub CSV, yfinance)."""
    if entry.url.startswith("yahoo:"):
        return _download_yahoo(entry, dest)
    if not entry.url.startswith("http"):
        raise DataError(f"dataset '{entry.id}' has no public download address",
                        where="datasets/catalog.toml",
                        fix="build it from a mirror: study data build --mirror DIR")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(entry.url, timeout=30) as resp, tmp.open("wb") as fh:
            fh.write(resp.read())
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"dataset '{entry.id}': download from {entry.url} failed ({exc})",
                        where=entry.id,
                        fix="you seem to be offline: pass --mirror DIR or set STUDY_DATA_MIRROR "
                        "to an offline copy of the data") from None
    os.replace(tmp, dest)
    return dest


def _download_yahoo(entry: Entry, dest: Path) -> Path:
    try:
        import yfinance
    except ImportError:
        raise DataError(f"dataset '{entry.id}' downloads from Yahoo, which needs yfinance",
                        where=entry.id,
                        fix="pip install 'rally-study[online]', or build from a mirror "
                        "with --mirror DIR") from None
    ticker = entry.url.split(":", 1)[1]
    try:
        data = yfinance.download(ticker, start="1990-01-01", progress=False, auto_adjust=False)
    except Exception as exc:  # network libraries raise many types
        raise DataError(f"dataset '{entry.id}': Yahoo download failed ({exc})", where=entry.id,
                        fix="check the connection or use --mirror DIR") from None
    if data is None or len(data) == 0:
        raise DataError(f"dataset '{entry.id}': Yahoo returned no rows", where=entry.id,
                        fix="check the connection or use --mirror DIR")
    close = data["Close"].squeeze()
    dest.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"Date": close.index.strftime("%Y-%m-%d"), ticker: close.to_numpy()})
    frame.to_csv(dest, index=False)
    return dest


def write_parquet_atomic(frame: pd.DataFrame, meta: DatasetMeta, dest: Path) -> None:
    """Write to a temporary file beside ``dest`` and rename: readers see old or new, never half."""
    table = pa.Table.from_pandas(frame, preserve_index=True)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), META_KEY: json.dumps(asdict(meta)).encode()}
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic.clean_stale(dest.parent)  # what a killed build left behind
    tmp = atomic.tmp_path(dest.parent, dest.name)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _meta_from(schema_metadata: dict | None) -> DatasetMeta | None:
    """The provenance stored in a Parquet schema, or None when absent or malformed."""
    try:
        raw = json.loads((schema_metadata or {})[META_KEY])
        meta = DatasetMeta(**raw)
    except (KeyError, ValueError, TypeError):
        return None
    types = {f: {"rows": int, "provenance": dict}.get(f, str)
             for f in DatasetMeta.__dataclass_fields__}
    ok = all(type(getattr(meta, f)) is t for f, t in types.items())
    return meta if ok else None


def read_meta(path: Path) -> DatasetMeta | None:
    if not path.is_file():
        return None
    try:
        return _meta_from(pq.read_schema(path).metadata)
    except (pa.ArrowInvalid, OSError):  # corrupt: rebuild
        return None


def _read_verified(path: Path, meta: DatasetMeta) -> pd.DataFrame | None:
    """The frame stored at ``path`` if its content hash is the one recorded at build, else None."""
    try:
        with path.open("rb") as fh:
            table = pq.read_table(fh)
        frame = table.to_pandas()
        frame.index = pd.DatetimeIndex(frame.index, name="date")
        same = _meta_from(table.schema.metadata) == meta and frame_sha256(frame) == \
            meta.content_sha256
    except (pa.ArrowInvalid, OSError, ValueError, TypeError):
        return None
    return frame if same else None


@dataclass(frozen=True)
class BuildOutcome:
    id: str
    status: str  # "built" | "up to date" | "skipped" (optional, not in the mirror)
    meta: DatasetMeta | None


def unavailable(entry: Entry, mirror: Path | None) -> bool:
    """An optional entry the mirror does not hold: skipped, not an error (see Entry.optional)."""
    return (entry.optional and mirror is not None and mirror.is_dir()
            and not all((mirror / split_file(f)[0]).exists() for f in entry.files))


def build_one(catalog: Catalog, entry: Entry, mirror: Path | None,
              force: bool = False) -> BuildOutcome:
    if unavailable(entry, mirror):
        return BuildOutcome(entry.id, "skipped", read_meta(catalog.parquet_path(entry.id)))
    parts = raw_parts(entry, mirror, catalog.root / ".download")
    src = parts[0][0]
    src_hash = sources_sha256([p for p, _ in parts])
    ent_hash = entry_sha256(entry)
    dest = catalog.parquet_path(entry.id)
    old = read_meta(dest)
    if (not force and old is not None and old.source_sha256 == src_hash
            and old.entry_sha256 == ent_hash and _read_verified(dest, old) is not None):
        return BuildOutcome(entry.id, "up to date", old)  # (a file edited since: rebuilt)
    frame, provenance = read_entry(entry, parts)
    valid = frame.dropna(how="all")
    meta = DatasetMeta(
        id=entry.id, source_file=str(src), source_sha256=src_hash, entry_sha256=ent_hash,
        content_sha256=frame_sha256(frame), rows=len(valid),
        first=str(valid.index[0].date()), last=str(valid.index[-1].date()),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"), provenance=provenance,
    )
    write_parquet_atomic(frame, meta, dest)
    return BuildOutcome(entry.id, "built", meta)


def load(catalog: Catalog, id_: str,
         mirror: Path | None = None) -> tuple[pd.DataFrame, DatasetMeta]:
    """Load a built dataset, verified: refuse one whose bytes changed since the build (content
    hash), and one whose raw file changed (with a mirror; imported files always)."""
    entry = catalog.get(id_)
    path = catalog.parquet_path(id_)
    rebuild = f"rebuild it: study data build {id_}"
    meta = read_meta(path)
    if meta is None and path.exists():
        raise DataError(f"dataset '{id_}' is unreadable (corrupt or not built by this tool)",
                        where=str(path), fix=rebuild)
    if meta is None:
        raise DataError(f"dataset '{id_}' is not built", where=str(path),
                        fix=f"run: study data build {id_} --mirror DIR (or set STUDY_DATA_MIRROR)")
    if entry.source == "csv":  # an imported file: always re-checked, like mirror files
        files = [Path(entry.file)]
        changed = "its imported file changed"
    else:
        files = [mirror / split_file(f)[0] for f in entry.files] if mirror is not None else []
        changed = ("its catalog entry changed (files or splice)"
                   if meta.entry_sha256 != entry_sha256(entry) else "its mirror file changed")
    if files and all(f.exists() for f in files) and sources_sha256(files) != meta.source_sha256:
        raise DataError(
            f"dataset '{id_}' is stale: {changed} since the last build "
            f"({meta.built_at})", where=str(files[0]), fix=rebuild)
    # rows and metadata from one read: a concurrent build may replace the file between two
    # opens, and a run's manifest must name the version whose rows it used
    try:
        with path.open("rb") as fh:
            table = pq.read_table(fh)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"dataset '{id_}' cannot be read ({exc})", where=str(path),
                        fix=f"rebuild it: study data build {id_} --force") from None
    meta = _meta_from(table.schema.metadata)
    try:
        frame = table.to_pandas()
        frame.index = pd.DatetimeIndex(frame.index, name="date")
        same = meta is not None and frame_sha256(frame) == meta.content_sha256
    except (ValueError, TypeError, pa.ArrowInvalid):
        same = False
    if not same:
        raise DataError(f"dataset '{id_}' changed since it was built (its content hash does "
                        "not match the one recorded at build): it is not used", where=str(path),
                        fix=rebuild)
    return frame, meta
