"""``study compare``: rank signals across studies and runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine import metrics as M
from engine.cli.common import FormatOpt, at_least, console, err_console, guarded

# compare --by: the help text and the error list both come from here (engine.compare checks
# the same keys; tests/test_cli_help.py keeps them equal).
BY_CHOICES = (M.Q_VALUE, M.P_VALUE, M.HIT_RATE, M.EDGE, M.MEAN_FWD)


@guarded
def compare_cmd(
    targets: Annotated[list[str], typer.Argument(help="Study names or run folders.")],
    horizon: Annotated[str | None, typer.Option(help="Only this horizon, e.g. 3m.")] = None,
    episode: Annotated[str, typer.Option(help="Episode to compare (default all).")] = "all",
    by: Annotated[str, typer.Option(help="Sort key: " + " | ".join(BY_CHOICES) + ".")]
    = M.Q_VALUE,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 30,
    out: Annotated[Path | None, typer.Option(help="Folder for compare.md/.html.")] = None,
    min_independent: Annotated[int, typer.Option(
        help="Leave out rows with fewer non-overlapping events.")] = 0,
    fmt: FormatOpt = "table",
) -> None:
    """Rank signals across studies and runs (each study: its latest run)."""
    from engine.compare import compare
    from engine.report.output import check_format, emit
    from engine.report.terminal import metrics_out

    check_format(fmt)
    at_least(top, 1, "--top")
    at_least(min_independent, 0, "--min-independent")
    table, md, html = compare(targets, horizon=horizon, episode=episode, by=by, out=out,
                              min_independent=min_independent)
    machine = fmt in ("csv", "json")
    title = f"compare — by {by}, episode {episode}" + (f", horizon {horizon}" if horizon else "")
    rows = table if machine else table.head(top)
    emit([metrics_out(rows, title, "compare", display=not machine)], fmt, console)
    (err_console if machine else console).print(f"wrote {md} and {html}", highlight=False)
