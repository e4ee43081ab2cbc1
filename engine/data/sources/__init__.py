"""Readers for public data formats: each turns one raw file into a tidy frame.

A reader returns a DataFrame with a sorted, unique DatetimeIndex named ``date`` and float64
columns; missing values are NaN. Format knowledge (column names, missing-value conventions,
units) lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from engine.data.sources import (
    breadth_files,
    cboe,
    constituents,
    csvfile,
    earnings,
    fomc,
    fred,
    french,
    gdpnow,
    ici,
    realtime,
    sentiment,
    shiller,
    widecsv,
    yahoo,
)

Reader = Callable[[Path], pd.DataFrame]
MultiReader = Callable[[list[Path]], pd.DataFrame]
# How the files of a multi-file entry are joined, by source; default engine.data.splice.splice
# (extend past the end, equal on the overlap). Event lists are joined as date sets.
Combiner = Callable[..., tuple[pd.DataFrame, dict]]
COMBINERS: dict[str, Combiner] = {"fomc": fomc.combine}

READERS: dict[str, Reader] = {
    "fred": fred.read,
    "yahoo": yahoo.read,
    "shiller": shiller.read,
    "cboe": cboe.read,
    "french": french.read,
    "ici": ici.read,
    "fomc": fomc.read,
    "french_ew": french.read_equal_weight,
    "aaii": sentiment.read_aaii,
    "naaim": sentiment.read_naaim,
    "putcall": sentiment.read_putcall,
    "gpr": sentiment.read_gpr,
    "epu": sentiment.read_epu,
    "wide": sentiment.read_wide,
    "bamhi": breadth_files.read_bamhi,
    "shoppa": breadth_files.read_shoppa,
    "gdpnow": gdpnow.read,
    "gdp_first": realtime.gdp_reader("first"),
    "gdp_second": realtime.gdp_reader("second"),
    "gdp_third": realtime.gdp_reader("third"),
    "philly_first": realtime.read_first,
    "spdji_estimates": earnings.read_spdji_estimates,
    "spdji_quarterly": earnings.read_spdji_quarterly,
    "shiller_ie": earnings.read_ie_data,
    "spf_cprof": earnings.read_spf_cprof,
}

# Readers of several inputs read together (the catalog's ``file`` then ``inputs``, in order;
# folders allowed). Their ``attrs["summary"]`` is stored as the build's provenance summary.
MULTI_READERS: dict[str, MultiReader] = {
    "constituents": constituents.build,
    "factset_fwd_eps": earnings.read_factset,
}

__all__ = ["COMBINERS", "MULTI_READERS", "READERS", "MultiReader", "Reader", "csvfile",
           "widecsv"]
