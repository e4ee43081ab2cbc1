"""The signal-family registry: parameters, the ``@family`` decorator, data refs and checks.

A family is a pure function ``(panel, grid) -> (T, K)`` array (1 on, 0 off, NaN no data in
float64, or int8 with ``NODATA`` written directly, ``engine.signal_dtype``; numeric families:
the value in float64) computing all K variants of a parameter sweep in one call. Families
group the variants by the few *unique* values of the parameters that drive an expensive
statistic (series, window), compute each statistic once and broadcast the cheap threshold
comparisons over K; there is no Python loop over dates or over variants. The helpers
families compute with are in ``engine.signals.helpers``.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import SpecError


class _Required:
    """Sentinel type: a parameter default meaning "must be given"."""

    _instance: _Required | None = None

    def __new__(cls) -> _Required:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
SECTORS = tuple(f"sector.{t}" for t in
                ("XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"))


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int" | "float" | "bool" | "str" | "series"
    default: Any = REQUIRED
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    help: str = ""


@dataclass(frozen=True)
class Family:
    name: str
    params: tuple[Param, ...]
    func: Callable[..., np.ndarray]
    data: Callable[[dict[str, np.ndarray]], list[str]]
    numeric: bool = False
    check: Callable[[dict], str | None] | None = None
    doc: str = ""
    # Calendar windows are public in advance: a position can be opened at the close *before*
    # the window, so the engine does not wait for the next bar (see compute.entry_lead).
    known_in_advance: bool = False
    # What the family thresholds, in words with its units; ``{param}`` fields are filled
    # from a variant's parameters (the scorecard prints it next to the value and threshold).
    quantity: str = ""

    def describe_quantity(self, params: dict[str, Any]) -> str:
        """``quantity`` for one variant's parameters (else the doc's summary line)."""
        if self.quantity:
            with contextlib.suppress(KeyError, IndexError, ValueError):
                return self.quantity.format(**params)
            return self.quantity
        return (self.doc.splitlines() or [self.name])[0].split(":")[0].strip() or self.name


FAMILIES: dict[str, Family] = {}


def register(fam: Family) -> Family:
    """Add a family to the registry (a name can be registered once)."""
    if fam.name in FAMILIES:
        raise ValueError(f"signal family '{fam.name}' registered twice")
    FAMILIES[fam.name] = fam
    return fam


def family(
    name: str,
    params: Iterable[Param] = (),
    data: Callable[[dict[str, np.ndarray]], list[str]] | None = None,
    numeric: bool = False,
    check: Callable[[dict], str | None] | None = None,
    known_in_advance: bool = False,
    quantity: str = "",
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Decorator registering ``func(panel, grid)``; its docstring becomes the family's doc.

    ``data`` defaults to the values of the family's ``series`` parameters; ``quantity``
    names the statistic the family compares with its threshold (see ``Family.quantity``).
    """
    params = tuple(params)

    def wrap(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        register(Family(name=name, params=params, func=func,
                        data=data or series_refs(params), numeric=numeric, check=check,
                        doc=_clean_doc(func.__doc__), known_in_advance=known_in_advance,
                        quantity=quantity))
        return func

    return wrap


def get_family(name: str) -> Family:
    """Look a family up by name; unknown names get close-match suggestions."""
    if name in FAMILIES:
        return FAMILIES[name]
    known = sorted(FAMILIES)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise SpecError(f"unknown signal family '{name}'", where="family",
                    fix=f"{hint}families: {', '.join(known)}")


def _clean_doc(doc: str | None) -> str:
    return inspect.cleandoc(doc) if doc else ""


# ----------------------------------------------------------------------------- data / checks
def series_refs(params: tuple[Param, ...]) -> Callable[[dict[str, np.ndarray]], list[str]]:
    """``data`` function returning the unique values of every ``series`` parameter."""
    names = [p.name for p in params if p.kind == "series"]

    def data(grid: dict[str, np.ndarray]) -> list[str]:
        refs: set[str] = set()
        for n in names:
            refs.update(str(v) for v in np.unique(grid[n]))
        return sorted(refs)

    return data


def sector_refs(grid: dict[str, np.ndarray]) -> list[str]:
    """Breadth families read the 11 Select Sector SPDR ETFs whatever the parameters."""
    return list(SECTORS)


def less_than(small: str, large: str) -> Callable[[dict], str | None]:
    """``check`` requiring ``grid[small] < grid[large]`` in every variant."""

    def check(grid: dict) -> str | None:
        bad = np.asarray(grid[small]) >= np.asarray(grid[large])
        if not bad.any():
            return None
        i = int(np.argmax(bad))
        return (f"{small} must be < {large} in every variant "
                f"(got {small}={_fmt(grid[small][i])}, {large}={_fmt(grid[large][i])})")

    return check


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)
