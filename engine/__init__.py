"""rally-study: did rally signals actually predict forward returns?

The notebook API (``engine.api``; ``help(engine.NAME)`` for each):

* ``define_study`` — a study as a Python dict, checked by the study-file rules;
* ``run_study`` — run one (``write=False`` keeps it in memory) and get a ``Run``;
* ``load_run`` — reopen a run folder; ``Run`` has tidy tables and ``plot_*(ax=...)``;
* ``compare_runs`` — rank rows of several runs in one table;
* ``rally_scorecard`` — the rally scorecard on a date;
* ``rallies``, ``rally_drivers``, ``analogs``, ``case`` — rally anatomy.

The command line is ``study`` (``engine.cli``). Importing ``engine`` loads none of the heavy
stack (pandas, numba, vectorbt): each name is imported on first use.
"""

from __future__ import annotations

from engine.version import __version__

__all__ = ["Run", "__version__", "analogs", "case", "compare_runs", "define_study",
           "load_run", "rallies", "rally_drivers", "rally_scorecard", "run_study"]

_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str):
    # Lazy: `import engine` stays fast; the heavy stack loads only when asked for.
    if name in _API:
        from engine import api

        return getattr(api, name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)
