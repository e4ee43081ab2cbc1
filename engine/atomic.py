"""Temporary names for atomic writes, and the cleanup of those a dead process left behind.

Every file or folder is first written under a temporary name beside its final place and
renamed when complete. SIGTERM and Ctrl-C remove the temporary (``Terminated`` unwinds the
stack), but ``kill -9`` or a power cut cannot be caught: the temporary stays. So each name
carries its writer's process id, and the next writer in the same folder removes temporaries
whose process is gone. Those of live processes (a concurrent run, another thread) are kept.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import time
import uuid
from pathlib import Path

from engine.errors import Terminated

TAG = ".tmp-"
# ".tmp-<stem>.p<pid>.<8 hex>"; ".<file>.tmp-<pid>" is the older name of dataset temporaries
_PID = re.compile(r"\.p(\d+)\.[0-9a-f]{8}$|\.tmp-(\d+)$")
UNOWNED_STALE_AFTER_S = 3600.0  # a temporary without a pid is stale after an hour


def tmp_path(folder: Path, stem: str) -> Path:
    """A fresh temporary name in ``folder`` for ``stem``, owned by this process."""
    return Path(folder) / f"{TAG}{stem}.p{os.getpid()}.{uuid.uuid4().hex[:8]}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process, or not a pid at all: leave it
    return True


def is_stale(path: Path, now: float | None = None) -> bool:
    """A temporary whose writer is dead (or, without a pid in its name, older than an hour)."""
    name = path.name
    if TAG not in name:
        return False
    found = _PID.search(name)
    if found:
        return not _alive(int(found.group(1) or found.group(2)))
    try:
        age = (now or time.time()) - path.lstat().st_mtime
    except OSError:
        return False
    return age > UNOWNED_STALE_AFTER_S


def clean_stale(folder: Path) -> list[Path]:
    """Remove the stale temporaries directly inside ``folder``; return what was removed."""
    removed = []
    try:
        candidates = [p for p in Path(folder).iterdir() if TAG in p.name]
    except OSError:  # missing or unreadable folder: nothing of ours to clean
        return removed
    for path in candidates:
        if not is_stale(path):
            continue
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


terminated = False  # set once SIGTERM arrived (typer may turn the exception into exit 130)
REDELIVER_AFTER_S = 0.02


def _raise_terminated(signum, frame) -> None:
    global terminated
    terminated = True
    raise Terminated(signum)


def _redeliver_lost(default_hook):
    """A ``sys.unraisablehook`` that keeps a SIGTERM from being lost.

    The handler runs between any two bytecodes, so it can raise inside a ``__del__``, a weakref
    callback or an at-fork hook (logging's, when the report forks its workers), where Python
    prints the exception and carries on: the run would finish and print a traceback. Instead
    the exception is dropped quietly and the signal sent again a moment later, from a thread,
    when the main thread has left that context (and again, should it be unlucky twice).
    """
    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, Terminated):
            default_hook(unraisable)
            return
        import threading

        timer = threading.Timer(REDELIVER_AFTER_S, os.kill, (os.getpid(), signal.SIGTERM))
        timer.daemon = True
        with contextlib.suppress(RuntimeError):  # no new threads at shutdown: it ends anyway
            timer.start()

    hook.quiet_terminated = True
    return hook


def install_sigterm_handler() -> None:
    """Turn SIGTERM into ``Terminated`` so ``finally`` blocks remove temporaries on the way out.

    Only from the main thread (``signal.signal`` refuses elsewhere, e.g. under a test runner).
    """
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, _raise_terminated)
        if not getattr(sys.unraisablehook, "quiet_terminated", False):
            sys.unraisablehook = _redeliver_lost(sys.unraisablehook)
