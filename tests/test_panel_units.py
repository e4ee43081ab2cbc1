"""pandas 3 dates carry a unit (s/ms/us/ns): alignment must not depend on it."""

import numpy as np
import pandas as pd
import pytest

from engine.data.catalog import Entry
from engine.data.panel import Panel


@pytest.mark.parametrize("obs_unit,day_unit", [("ns", "us"), ("us", "ns"), ("s", "ms")])
def test_alignment_is_unit_independent(obs_unit, day_unit):
    days = pd.bdate_range("2024-03-01", "2024-05-31", name="date").as_unit(day_unit)
    months = pd.DatetimeIndex(["2024-02-01", "2024-03-01"]).as_unit(obs_unit)
    entry = Entry(id="fred.X", source="fred", file="x.csv", frequency="monthly", units="",
                  description="", lag_days=14, columns=("value",))
    tgt = Entry(id="index.T", source="yahoo", file="t.csv", frequency="daily", units="",
                description="", lag_days=0, columns=("close",))
    frames = {"fred.X": pd.DataFrame({"value": [1.0, 2.0]}, index=months),
              "index.T": pd.DataFrame({"close": np.ones(len(days))}, index=days)}
    panel = Panel(days, frames, {"fred.X": entry, "index.T": tgt}, "index.T")
    got = pd.Series(panel.daily("fred.X"), index=days)
    assert got[:"2024-03-13"].isna().all()  # February's value is public from March 14
    assert got["2024-03-14":"2024-04-12"].eq(1.0).all()
    assert got["2024-04-15":"2024-05-31"].eq(2.0).all()  # March's value from April 14
