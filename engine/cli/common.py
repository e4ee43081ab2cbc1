"""What every command shares: the consoles, the error boundary (exit codes) and common options.

Exit codes: 0 ok, 2 bad input (a ``StudyError``: message, no traceback), 1 internal error.
"""

from __future__ import annotations

import errno
import functools
import inspect
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from engine.errors import StudyError, Terminated

# soft_wrap: messages are not broken at the width (a path or id copied from a pipe stays
# whole); tables still fit the width (see engine.report.output).
# markup=False: user text (titles, episode names, descriptions, file names) is printed as
# typed, never read as rich markup ("[/bold]" in a title must not crash a command). Our own
# styling passes markup=True with every user part escaped, or uses rich Text objects.
console = Console(soft_wrap=True, markup=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False)


# The file system's state is the user's to fix (exit 2), not a bug (exit 1): a full disk, an
# unwritable folder, a folder where a file belongs... {out} becomes " or choose another folder
# with --out DIR" only for commands that have an --out option.
_OS_ERRORS = {
    errno.ENOSPC: ("{reason}; nothing half-written was kept", "free disk space{out}"),
    errno.EDQUOT: ("{reason}; nothing half-written was kept", "free disk space{out}"),
    errno.EROFS: ("{reason}; nothing half-written was kept", "make the folder writable{out}"),
    errno.EACCES: ("{reason}; nothing half-written was kept", "make the folder writable{out}"),
    errno.EPERM: ("{reason}; nothing half-written was kept", "make the folder writable{out}"),
    errno.EISDIR: ("is a folder where a file belongs", "remove or rename that folder"),
    errno.ENOTDIR: ("a file is where a folder belongs", "remove or rename that file"),
    errno.ENAMETOOLONG: ("{reason}", "use a shorter path"),
    errno.ELOOP: ("{reason}", "fix the symbolic links on that path"),
}


def os_error(exc: OSError, has_out: bool) -> StudyError | None:
    """The user-facing error for an OSError of the file system (writes are atomic: nothing
    half-written is kept), or None when the error is not one the user can fix."""
    from engine.runfolder import os_errno, os_reason

    code = os_errno(exc)
    if code not in _OS_ERRORS:
        return None
    message, fix = _OS_ERRORS[code]
    name = exc.filename2 if code == errno.EISDIR and exc.filename2 else exc.filename
    where = Path(os.fsdecode(name)) if name else None
    parts = where.parts if where is not None else ()
    tmp = next((i for i, part in enumerate(parts) if part.startswith(".tmp-")), None)
    if tmp is not None:  # the temporary folder is gone (aborted): name its parent
        where = Path(*parts[:tmp])
    out = " or choose another folder with --out DIR" if has_out else ""
    return StudyError(message.format(reason=os_reason(exc)),
                      where=str(where) if where else None, fix=fix.format(out=out))


def user_error(exc: BaseException, has_out: bool = False) -> StudyError | None:
    """The one place that decides which exceptions are the user's (exit 2) and not a bug."""
    if isinstance(exc, StudyError):
        return exc
    if isinstance(exc, OSError):
        return os_error(exc, has_out)
    if isinstance(exc, MemoryError):
        return StudyError("not enough memory for this command", where="memory",
                          fix="shorten the parameter sweeps or the study window, or use "
                          "--executor dask")
    return None


def print_error(exc: StudyError) -> None:
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)


def _fit_consoles() -> None:
    """Width from $COLUMNS, the terminal, or 80 for a pipe (never a silent 160)."""
    from engine.console import fit_console

    fit_console(console, sys.stdout)
    fit_console(err_console, sys.stderr)


FormatOpt = Annotated[str, typer.Option(
    "--format", "-f", help="table (fits the terminal: $COLUMNS, else its width, else 80) | "
    "csv | json | markdown. csv/json print every row with raw numbers, nothing else.")]


def guarded(func):
    """The error boundary of every command: a user-caused exception (``user_error``) becomes
    exit 2 with its message; SIGTERM exit 143 and Ctrl-C 130 (temporaries removed on the way
    out); anything else is a bug: exit 1 with a short note."""
    has_out = "out" in inspect.signature(func).parameters

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            _fit_consoles()
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except Terminated:
            err_console.print("terminated; nothing half-written was kept")
            raise typer.Exit(143) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing was written")
            raise typer.Exit(130) from None
        except Exception as exc:
            mapped = user_error(exc, has_out)
            if mapped is not None:
                print_error(mapped)
                raise typer.Exit(2) from None
            if os.environ.get("STUDY_DEBUG"):
                raise
            err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: "
                              f"{escape(str(exc))}\n"
                              "This is a bug. Re-run with STUDY_DEBUG=1 for the traceback.",
                              highlight=False, markup=True)
            raise typer.Exit(1) from None

    return wrapper


def at_least(value: int, low: int, option: str) -> None:
    """A count option below its minimum is bad input (typer's own check would not say the fix)."""
    if value < low:
        raise StudyError(f"{option} {value} not allowed", where=option,
                         fix=f"give a count >= {low}")


MirrorOpt = Annotated[
    Path | None,
    typer.Option("--mirror", help="Offline data mirror directory (default: $STUDY_DATA_MIRROR)."),
]
