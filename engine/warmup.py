"""A run's first time on a machine: its later stages' kernels compiled in a forked child,
beside the parent compiling the first ones.

Why: with numba's cache empty, the flagship's first run compiled ~9 s of kernels one after
another on one core (#15). The dense kernel's, the bootstrap's and the backtest's do not wait
for the sparse kernel the parent compiles first, so a child forked once the signal matrix
exists calls those stages on two of its variants (so with the types and memory layouts of
the parent's calls) and drops what they return (``runner._compile_ahead``). numba writes each
compiled kernel to its cache atomically; the parent, reaching the stage seconds later, loads
it from there (and waits for the backtest's, ``Ahead.wait``). Nothing the child computes
reaches a result: only *when* the compiling happens changes.

Off when the cache holds the kernels already (the warm case: nothing is forked), on systems
without ``fork``, and with ``STUDY_WARMUP=off``.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence


def cold() -> bool:
    """True when numba's cache lacks a kernel the child would compile."""
    from engine.backtest_kernel import moments, simulate
    from engine.evaluate.bootstrap import ratio_ci
    from engine.evaluate.kernels import dense

    try:
        files = [d._cache._cache_file._index_path  # numba's index file of each kernel
                 for d in (simulate, moments, ratio_ci.serial, dense.serial)]
    except AttributeError:  # another numba: no way to tell, so no child
        return False
    return not all(os.path.exists(f) for f in files)


WAIT_LIMIT_S = 60.0  # the flagship's child is done in ~5 s; past this, compile it here


class Ahead:
    """The child's tasks; ``wait(i)`` blocks until it has finished task ``i``, died, or
    ``WAIT_LIMIT_S`` passed: the parent waits for a kernel being compiled rather than compile
    it a second time, and never for a child that hangs."""

    def __init__(self, pid: int | None = None, done: int | None = None) -> None:
        self.pid, self._done_fd, self._finished = pid, done, -1

    def wait(self, i: int, limit: float = WAIT_LIMIT_S) -> None:
        deadline = time.monotonic() + limit
        while self._done_fd is not None and self._finished < i:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._done_fd], [], [], left)[0]:
                self._close()  # too slow: the parent compiles what it needs itself
                return
            got = os.read(self._done_fd, 64)
            if not got:  # the child is gone: nothing more will come
                self._close()
                return
            self._finished = got[-1]

    def _close(self) -> None:
        if self._done_fd is not None:
            os.close(self._done_fd)
            self._done_fd = None


@contextlib.contextmanager
def ahead(tasks: Sequence[Callable[[], object]]) -> Iterator[Ahead]:
    """Run ``tasks`` one after another in a forked child while the block runs (when
    ``cold()``); the child is stopped when the block ends, done or not."""
    state = _start(tasks) if _wanted() else Ahead()
    try:
        yield state
    finally:
        state._close()
        if state.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.pid, signal.SIGKILL)  # numba's cache files are written atomically
            with contextlib.suppress(ChildProcessError):
                os.waitpid(state.pid, 0)


def _wanted() -> bool:
    from engine.paths import is_off

    if is_off(os.environ.get("STUDY_WARMUP")):
        return False
    return sys.platform == "linux" and hasattr(os, "fork") and cold()


def _start(tasks: Sequence[Callable[[], object]]) -> Ahead:
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return Ahead()
    if pid:
        os.close(write)
        return Ahead(pid, read)
    try:  # the child: quiet, and leaves signals and clean-up to the parent
        os.close(read)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        for i, task in enumerate(tasks[:255]):
            task()
            os.write(write, bytes([i]))
    except BaseException:  # a failed warm-up only means no head start
        pass
    finally:
        os._exit(0)
