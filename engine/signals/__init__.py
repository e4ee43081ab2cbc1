"""Signal families (one module per market driver) and the combinators that join them.

Importing this package registers every family in ``FAMILIES``; see ``base`` for the contract.
"""

from engine.signals import (  # noqa: F401 - importing registers the families
    breadth,
    combine,
    credit,
    flows,
    fomc,
    level,
    macro,
    rates,
    revisions,
    seasonality,
    trend,
    valuation,
    volatility,
)
from engine.signals.base import (
    FAMILIES,
    REQUIRED,
    SECTORS,
    Family,
    Param,
    family,
    get_family,
    register,
)

__all__ = ["FAMILIES", "REQUIRED", "SECTORS", "Family", "Param", "combine", "family",
           "get_family", "register"]
