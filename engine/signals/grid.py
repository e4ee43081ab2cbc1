"""A signal's variants: its parameter sweeps expanded into a grid, once per signal.

``study.spec`` parses and validates a ``[[signals]]`` entry (a parameter given as a list is a
sweep axis, kept as a tuple); this module turns the axes into the K variants, the cartesian
product in parameter order: one length-K array per parameter (what a family computes on)
and one parameter dict per variant (labels, the params JSON). Validation (the family's
``check``), the dataset refs, the signal matrix and the scorecard all read the same
expansion: :func:`variants` keeps it for as long as the parsed ``SignalSpec`` lives.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.signals.base import Family, get_family

if TYPE_CHECKING:
    from engine.study.spec import SignalSpec

__all__ = ["Grid", "expand_grid", "variants"]

_DTYPES = {"int": np.int64, "float": np.float64, "bool": np.bool_}


@dataclass(frozen=True)
class Grid:
    """The K variants of one family signal."""

    family: Family
    arrays: Mapping[str, np.ndarray]  # parameter -> (K,) values, read-only
    combos: tuple[dict[str, Any], ...]  # K parameter dicts, in variant order
    swept: tuple[str, ...]  # the parameters given as lists, in parameter order

    def __len__(self) -> int:
        return len(self.combos)

    def columns(self) -> dict[str, np.ndarray]:
        """The grid a family function takes: a fresh dict of the (read-only) arrays."""
        return dict(self.arrays)


def expand_grid(family: Family, params: Mapping[str, Any]
                ) -> tuple[dict[str, np.ndarray], list[dict]]:
    """Fill defaults and expand sweep axes: (grid of length-K arrays, list of K param dicts).

    ``params`` holds every parameter of the family (tuples are sweep axes); the variants are
    ``itertools.product`` of the axes in the family's parameter order. Not cached: use
    :func:`variants` for a parsed signal.
    """
    names = [p.name for p in family.params]
    axes = [params[n] if isinstance(params[n], tuple) else (params[n],) for n in names]
    combos = [dict(zip(names, c, strict=True)) for c in itertools.product(*axes)]
    grid = {}
    for i, n in enumerate(names):
        col = [c[n] for c in combos]
        grid[n] = np.array(col, dtype=_DTYPES.get(family.params[i].kind, object))
    return grid, combos


# One expansion per parsed signal: the entry goes when the SignalSpec (its Study) goes. The
# key is checked with types too, since 1 == 1.0 == True would make two specs equal whose
# variants print differently.
_CACHE: weakref.WeakKeyDictionary[SignalSpec, tuple[tuple, Grid]] = weakref.WeakKeyDictionary()


def _typed(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_typed(v) for v in value)
    return type(value), value


def variants(spec: SignalSpec) -> Grid:
    """The variants of a family signal, expanded on the first call for this spec."""
    family = get_family(spec.family)
    key = (family.name, _typed(spec.params))
    hit = _CACHE.get(spec)
    if hit is not None and hit[0] == key:
        return hit[1]
    arrays, combos = expand_grid(family, spec.param_dict)
    for a in arrays.values():
        a.flags.writeable = False  # shared by every reader of this spec
    grid = Grid(family, arrays, tuple(combos),
                tuple(n for n, v in spec.params if isinstance(v, tuple)))
    _CACHE[spec] = (key, grid)
    return grid
