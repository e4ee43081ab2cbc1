"""The dataset catalog: what each dataset id means, where its raw file is, and its lag.

``datasets/catalog.toml`` (tracked) declares the public datasets; ``datasets/custom.toml``
holds the user's own series added with ``study data import``.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from engine import paths
from engine.data.sources import MULTI_READERS, READERS
from engine.errors import DataError

# "irregular": rows dated by the day each value was published (GDPNow nowcasts, first
# releases, reports); visible from that date + lag_days, never from a period end.
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "irregular")
TIMINGS = ("", "publication", "vintage")
REQUIRED = ("source", "file", "frequency", "units", "description", "lag_days", "columns")


@dataclass(frozen=True)
class Entry:
    """One dataset: ``columns[0]`` is the default column a bare id refers to."""

    id: str
    source: str
    file: str
    frequency: str
    units: str
    description: str
    lag_days: int
    columns: tuple[str, ...]
    url: str = ""
    date_col: str | None = None
    value_col: str | None = None
    date_format: str | None = None
    splice: tuple[str, ...] = ()
    tolerance: float = 1e-4
    # generic CSV importer options: "yfinance" = a yfinance multi-row header; zero_missing =
    # the file writes 0 for "no value" (Shiller-style), read as NaN
    header: str = "plain"
    zero_missing: bool = False
    inputs: tuple[str, ...] = ()
    timing: str = ""
    # optional: an input beside the mirror's own files (documented in the catalog); when the
    # mirror lacks it the build skips it and the families that read it run without it
    optional: bool = False

    @property
    def files(self) -> tuple[str, ...]:
        """Every raw input behind the dataset: ``file`` first, then the ``splice`` parts (joined
        in time), then the ``inputs`` a multi-input reader reads together (folders allowed)."""
        return (self.file, *self.splice, *self.inputs)

    @property
    def default_column(self) -> str:
        return self.columns[0]

    @property
    def timing_note(self) -> str:
        """How visibility is dated, for ``study data list``."""
        if self.timing == "publication":
            return "release dates"
        if self.timing == "vintage":
            return "vintage dates (month-end bound)"
        return f"fixed lag {self.lag_days} d"


MAX_LAG_DAYS = 3660  # ten years: anything longer is a typo (and overflows date arithmetic)


def _entry(id_: str, raw: dict, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise DataError(f"dataset '{id_}' must be a table, got {raw!r}", where=where,
                        fix=f'write it as [datasets."{id_}"] with {", ".join(REQUIRED)}')
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise DataError(f"dataset '{id_}' lacks {missing}", where=where,
                        fix=f"every entry needs {list(REQUIRED)}")
    for key in ("source", "file", "frequency", "units", "description", "columns"):
        if not isinstance(raw[key], str):
            raise DataError(f"dataset '{id_}': {key} must be a string, got {raw[key]!r}",
                            where=where, fix=f'{key} = "..."')
    if raw["source"] not in READERS and raw["source"] not in MULTI_READERS \
            and raw["source"] != "csv":
        raise DataError(f"dataset '{id_}': unknown source '{raw['source']}'", where=where,
                        fix=f"use one of {sorted([*READERS, *MULTI_READERS, 'csv'])}")
    if raw.get("timing", "") not in TIMINGS:
        raise DataError(f"dataset '{id_}': timing '{raw['timing']}' not allowed", where=where,
                        fix=f"use one of {[t for t in TIMINGS if t]} or leave it out")
    if raw["frequency"] not in FREQUENCIES:
        raise DataError(f"dataset '{id_}': frequency '{raw['frequency']}' not allowed",
                        where=where, fix=f"use one of {list(FREQUENCIES)}")
    lag = raw["lag_days"]
    if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
        raise DataError(f"dataset '{id_}': lag_days must be an integer >= 0, got {lag!r}",
                        where=where, fix="set lag_days to the days from period end to publication")
    if lag > MAX_LAG_DAYS:
        raise DataError(f"dataset '{id_}': lag_days = {lag} is above {MAX_LAG_DAYS} (ten years)",
                        where=where, fix="set lag_days to the days from period end to publication")
    cols = tuple(c.strip() for c in str(raw["columns"]).split(",") if c.strip())
    splice = raw.get("splice", [])
    if not (isinstance(splice, list) and all(isinstance(f, str) for f in splice)):
        raise DataError(f"dataset '{id_}': splice must be a list of mirror file paths",
                        where=where, fix='write splice = ["dir/later_file.csv", ...]')
    inputs = raw.get("inputs", [])
    if not (isinstance(inputs, list) and all(isinstance(f, str) for f in inputs)):
        raise DataError(f"dataset '{id_}': inputs must be a list of mirror paths",
                        where=where, fix='write inputs = ["folder", "dir/file.csv", ...]')
    if inputs and raw["source"] not in MULTI_READERS:
        raise DataError(f"dataset '{id_}': source '{raw['source']}' reads one file per part",
                        where=where,
                        fix=f"inputs need a multi-input source: {sorted(MULTI_READERS)}")
    header = raw.get("header", "plain")
    if header not in ("plain", "yfinance"):
        raise DataError(f"dataset '{id_}': header '{header}' not allowed", where=where,
                        fix='use header = "plain" or "yfinance"')
    zero_missing = raw.get("zero_missing", False)
    if not isinstance(zero_missing, bool):
        raise DataError(f"dataset '{id_}': zero_missing must be true or false", where=where,
                        fix="write zero_missing = true")
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise DataError(f"dataset '{id_}': optional must be true or false", where=where,
                        fix="write optional = true")
    tol = raw.get("tolerance", 1e-4)
    if not isinstance(tol, int | float) or isinstance(tol, bool) or not 0 <= tol < 1:
        raise DataError(f"dataset '{id_}': tolerance must be a number in [0, 1), got {tol!r}",
                        where=where, fix="set tolerance to the largest relative gap allowed "
                        "between spliced files (e.g. 1e-4)")
    if not cols:
        raise DataError(f"dataset '{id_}': columns is empty", where=where,
                        fix='name the columns the reader produces, e.g. columns = "value"')
    return Entry(
        id=id_, source=raw["source"], file=str(raw["file"]), frequency=raw["frequency"],
        units=str(raw["units"]), description=str(raw["description"]), lag_days=lag,
        columns=cols, url=str(raw.get("url", "")), date_col=raw.get("date_col"),
        value_col=raw.get("value_col"), date_format=raw.get("date_format"),
        splice=tuple(splice), tolerance=float(tol), header=header, zero_missing=zero_missing,
        inputs=tuple(inputs),
        timing=str(raw.get("timing", "")), optional=optional,
    )


def read_catalog_file(path: Path) -> dict:
    """The ``datasets`` table of a catalog file (checked to be a table of tables)."""
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataError(f"file is not UTF-8 text (byte {exc.start})", where=str(path),
                        fix="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"malformed TOML: {exc}", where=str(path),
                        fix="fix the syntax at the line shown") from None
    table = raw.get("datasets", {})
    if not isinstance(table, dict):
        raise DataError(f"'datasets' must be a table, got {table!r}", where=str(path),
                        fix='declare each dataset as [datasets."ID"]')
    return table


def toml_value(value: str | int | bool) -> str:
    """A TOML literal; strings escape quotes, backslashes and every control character (a
    description with a line break must not end the string and break the whole file)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # JSON escapes ", \ and U+0000-U+001F exactly as TOML basic strings do; TOML also forbids DEL
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def dumps_datasets(table: dict[str, dict]) -> str:
    """``[datasets."ID"]`` tables, sorted by id, in a form ``tomllib`` reads back unchanged."""
    lines = []
    for id_, raw in sorted(table.items()):
        lines.append(f"[datasets.{toml_value(id_)}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in raw.items()]
        lines.append("")
    return "\n".join(lines)


class Catalog:
    """All known datasets, public and custom, by id."""

    def __init__(self, entries: dict[str, Entry], root: Path):
        self.entries = entries
        self.root = root

    @classmethod
    def load(cls, datasets_dir: Path | None = None) -> Catalog:
        folder = datasets_dir or paths.datasets_dir()
        main = folder / "catalog.toml"
        if not main.is_file():
            raise DataError("catalog not found", where=str(main),
                            fix="run from the project folder or set STUDY_HOME")
        entries: dict[str, Entry] = {}
        for path in [main, folder / "custom.toml"]:
            if not path.is_file():
                continue
            for id_, raw in read_catalog_file(path).items():
                entries[id_] = _entry(id_, raw, str(path))
        return cls(entries, folder)

    def __contains__(self, id_: str) -> bool:
        return id_ in self.entries

    def __iter__(self):
        return iter(self.entries.values())

    def get(self, id_: str) -> Entry:
        if id_ in self.entries:
            return self.entries[id_]
        close = difflib.get_close_matches(id_, list(self.entries), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see `study data list`"
        raise DataError(f"unknown dataset id '{id_}'", where="datasets/catalog.toml",
                        fix=hint)

    def parquet_path(self, id_: str) -> Path:
        return self.root / f"{id_}.parquet"


def split_file(ref: str) -> tuple[str, str | None]:
    """``"fred_2026/rates.csv.gz#DFEDTARU"`` -> (path, column of a wide panel); plain -> None."""
    path, _, col = ref.partition("#")
    return path, (col or None)


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"shiller.sp500:earnings"`` -> ``("shiller.sp500", "earnings")``; bare id -> column None."""
    id_, _, col = ref.partition(":")
    return id_, (col or None)
