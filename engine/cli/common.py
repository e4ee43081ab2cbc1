"""What every command shares: the consoles, the error boundary (exit codes) and common options.

Exit codes: 0 ok, 2 bad input (a ``StudyError``: message, no traceback), 1 internal error.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from engine.errors import StudyError

# soft_wrap: messages are not broken at the width (a path or id copied from a pipe stays
# whole); tables still fit the width (see engine.report.output).
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


# A full disk or an unwritable folder is the user's to fix (exit 2), not a bug (exit 1).
_DISK_FIXES = {
    errno.ENOSPC: "free disk space or choose another folder with --out DIR",
    errno.EDQUOT: "free disk space or choose another folder with --out DIR",
    errno.EROFS: "choose a writable folder with --out DIR",
    errno.EACCES: "make the folder writable or choose another one with --out DIR",
    errno.EPERM: "make the folder writable or choose another one with --out DIR",
}


def _disk_error(exc: OSError) -> StudyError | None:
    """The user-facing error for an OSError of the disk (runs write atomically: nothing kept)."""
    from engine.runfolder import os_errno, os_reason

    fix = _DISK_FIXES.get(os_errno(exc))
    if fix is None:
        return None
    where = Path(exc.filename) if exc.filename else None
    parts = where.parts if where is not None else ()
    tmp = next((i for i, part in enumerate(parts) if part.startswith(".tmp-")), None)
    if tmp is not None:  # the run's temporary folder is gone (aborted): name its parent
        where = Path(*parts[:tmp])
    return StudyError(f"{os_reason(exc)}; nothing half-written was kept",
                      where=str(where) if where else None, fix=fix)


def _fit_consoles() -> None:
    """Width from $COLUMNS, the terminal, or 80 for a pipe (never a silent 160)."""
    from engine.report.output import fit_console

    fit_console(console, sys.stdout)
    fit_console(err_console, sys.stderr)


FormatOpt = Annotated[str, typer.Option(
    "--format", "-f", help="table (fits the terminal: $COLUMNS, else its width, else 80) | "
    "csv | json | markdown. csv/json print every row with raw numbers, nothing else.")]


def guarded(func):
    """Turn a StudyError (or a full/unwritable disk) into exit 2 with its message; other
    errors into exit 1 with a short note."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            try:
                _fit_consoles()
                return func(*args, **kwargs)
            except OSError as exc:
                user_error = _disk_error(exc)
                if user_error is None:
                    raise
                raise user_error from None
        except StudyError as exc:
            # escape: messages quote user text (a bad cell like "[/b]" is not rich markup)
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing was written")
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get("STUDY_DEBUG"):
                raise
            err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: "
                              f"{escape(str(exc))}\n"
                              "This is a bug. Re-run with STUDY_DEBUG=1 for the traceback.",
                              highlight=False)
            raise typer.Exit(1) from None

    return wrapper


MirrorOpt = Annotated[
    Path | None,
    typer.Option("--mirror", help="Offline data mirror directory (default: $STUDY_DATA_MIRROR)."),
]
