"""rally-study: did rally signals actually predict forward returns?

The notebook API is ``run_study`` and ``load_run`` (see ``engine.api``); the command line is
``study`` (``engine.cli``).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Run", "__version__", "analogs", "case", "load_run", "rallies", "rally_drivers",
           "run_study"]


def __getattr__(name: str):
    # Lazy: `import engine` stays fast; the heavy stack loads only when asked for.
    if name in ("run_study", "load_run", "Run", "rallies", "rally_drivers", "analogs", "case"):
        from engine import api

        return getattr(api, name)
    raise AttributeError(name)
