"""Each compiled kernel (evaluate, bootstrap, signal grids) built twice from its Python twin:
parallel for big jobs, serial for small ones.

Why: numba's parallel backend costs several times the compile time of the same loop compiled
serially (on a fresh machine the flagship study spent most of its first run compiling
``prange`` loops it ran for a few milliseconds), and below about ten million cells a second
thread saves less than it costs to start. The two are the same numbers bit for bit: every
``prange`` iteration writes only its own columns, so the order they run in changes nothing
(``tests/test_kernel_twins.py`` checks serial == parallel == Python twin).

numba's on-disk cache keys a function by its qualified name, not by its options, so the
serial copy is a renamed clone of the twin (``<name>_serial``): the two never overwrite each
other's cache entries.

On a fresh machine every kernel is compiled once, so what a kernel body uses costs seconds:
assigning an array to a slice (``out[0] = row``) compiles numba's shape-mismatch message
(about 3 s of string code), ``a.max()`` 0.6 s. Kernels write element by element and loop.
"""

from __future__ import annotations

import types
from collections.abc import Callable

import numba
from numba import njit

# Cells (days x columns, or draws x events) from which the parallel kernel is used.
PARALLEL_FROM = 10_000_000


def _renamed(fn: types.FunctionType, suffix: str) -> types.FunctionType:
    """A copy of ``fn`` under another name (same code, globals and defaults)."""
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + suffix,
                               fn.__defaults__, fn.__closure__)
    clone.__qualname__ = fn.__qualname__ + suffix
    clone.__doc__ = fn.__doc__
    return clone


class Kernel:
    """A Python twin with its parallel and serial compilations; calling it picks one by
    ``work`` (cells the call touches; None = the parallel one)."""

    def __init__(self, python: Callable, **options) -> None:
        self.parallel = njit(cache=True, parallel=True, **options)(python)
        self.serial = njit(cache=True, **options)(_renamed(python, "_serial"))
        self.py_func = python

    def pick(self, work: int | None) -> Callable:
        """The compilation for a call touching ``work`` cells."""
        if work is not None and (work < PARALLEL_FROM or numba.config.NUMBA_NUM_THREADS < 2):
            return self.serial
        return self.parallel

    def __call__(self, *args, work: int | None = None):
        return self.pick(work)(*args)
