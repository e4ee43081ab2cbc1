"""Readers for public data formats: each turns one raw file into a tidy frame.

A reader returns a DataFrame with a sorted, unique DatetimeIndex named ``date`` and float64
columns; missing values are NaN. Format knowledge (column names, missing-value conventions,
units) lives here and nowhere else.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

Reader = Callable[[Path], "pd.DataFrame"]
MultiReader = Callable[[list[Path]], "pd.DataFrame"]
Combiner = Callable[..., "tuple[pd.DataFrame, dict]"]

# Registries of "module.function" in this package, resolved on use: the catalog checks source
# names without importing a reader (nor pandas; #15 light commands).
READERS: dict[str, str] = {
    "fred": "fred.read",
    "yahoo": "yahoo.read",
    "shiller": "shiller.read",
    "cboe": "cboe.read",
    "french": "french.read",
    "ici": "ici.read",
    "fomc": "fomc.read",
    "french_ew": "french.read_equal_weight",
    "aaii": "sentiment.read_aaii",
    "naaim": "sentiment.read_naaim",
    "putcall": "sentiment.read_putcall",
    "gpr": "sentiment.read_gpr",
    "epu": "sentiment.read_epu",
    "wide": "sentiment.read_wide",
    "bamhi": "breadth_files.read_bamhi",
    "shoppa": "breadth_files.read_shoppa",
    "gdpnow": "gdpnow.read",
    "gdp_first": "realtime.read_gdp_first",
    "gdp_second": "realtime.read_gdp_second",
    "gdp_third": "realtime.read_gdp_third",
    "philly_first": "realtime.read_first",
    "spdji_estimates": "earnings.read_spdji_estimates",
    "spdji_quarterly": "earnings.read_spdji_quarterly",
    "shiller_ie": "earnings.read_ie_data",
    "spf_cprof": "earnings.read_spf_cprof",
}

# Readers of several inputs read together (the catalog's ``file`` then ``inputs``, in order;
# folders allowed). Their ``attrs["summary"]`` is stored as the build's provenance summary.
MULTI_READERS: dict[str, str] = {
    "constituents": "constituents.build",
    "factset_fwd_eps": "earnings.read_factset",
}

# How the files of a multi-file entry are joined, by source; default engine.data.splice.splice
# (extend past the end, equal on the overlap). Event lists are joined as date sets.
COMBINERS: dict[str, str] = {"fomc": "fomc.combine"}


def resolve(target: str) -> Callable:
    """The function a registry value names ("module.function" in this package)."""
    module, _, name = target.partition(".")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = ["COMBINERS", "MULTI_READERS", "READERS", "Combiner", "MultiReader", "Reader",
           "resolve"]
