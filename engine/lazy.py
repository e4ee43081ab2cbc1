"""pandas bound now, imported on first use: ``from engine.lazy import pandas as pd``.

The light commands (``study list``, ``show``, ``validate``, ``families``; #15) import the
signal registry only for its families' parameter tables, and importing pandas costs more
than all of ``study --help``. The family modules bind this deferred pandas instead, so it
loads when a family first computes. (``import pandas`` of a deferred module in
``sys.modules`` would load it at once on Python 3.11: the import system reads its
``__spec__``. So the families import the name from here.)
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING

__all__ = ["defer_import", "pandas"]


def defer_import(name: str) -> ModuleType:
    """``sys.modules[name]``, put there unexecuted when not imported yet
    (``importlib.util.LazyLoader``); its first attribute access runs the real import, and
    every later ``import name`` gets that same module."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import pandas
else:
    pandas = defer_import("pandas")
