"""``study scorecard``: is this rally sustainable? (conditions met on a date, historical odds)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli.common import FormatOpt, console, err_console, guarded


@guarded
def scorecard_cmd(
    date: Annotated[str | None, typer.Option(help="Score this date (default: last data).")] = None,
    study: Annotated[str, typer.Option(help="Scorecard study.")] = "rally-scorecard",
    out: Annotated[Path | None, typer.Option(help="Folder for the .md/.html.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Is this rally sustainable? Conditions met on a date and the historical odds."""
    from engine import paths
    from engine.report.output import check_format, emit
    from engine.scorecard import render as scorecard_render
    from engine.scorecard import score as scorecard

    check_format(fmt)
    with err_console.status("scoring..."):
        sc = scorecard.compute(study, date)
    if fmt == "table":
        scorecard_render.print_scorecard(sc, console)
    else:
        emit(scorecard_render.outs(sc), fmt, console)
    md, html = scorecard_render.write(sc, out or paths.results_dir() / sc.study.name)
    (console if fmt == "table" else err_console).print(f"wrote {md} and {html}",
                                                        highlight=False)
