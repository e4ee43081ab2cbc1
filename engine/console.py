"""Terminal width for the CLI consoles (cross-cutting and light: no numpy or pandas, so every
command can size its consoles before it imports anything heavy)."""

from __future__ import annotations

import os
import shutil

from rich.console import Console

DEFAULT_WIDTH = 80


def terminal_width(stream=None) -> int | None:
    """Columns to render for: ``$COLUMNS`` if set; ``None`` (ask the terminal) on a tty;
    else ``DEFAULT_WIDTH`` — piped output is never silently widened."""
    env = os.environ.get("COLUMNS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return None
    return DEFAULT_WIDTH


def fit_console(console: Console, stream=None) -> Console:
    """Set ``console``'s width by ``terminal_width`` (call at the start of a command)."""
    width = terminal_width(stream)
    console.width = width if width is not None else shutil.get_terminal_size().columns
    return console
