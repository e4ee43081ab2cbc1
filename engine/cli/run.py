"""``study run`` and ``study report``: run a study, re-render a run folder's reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine import metrics as M
from engine.cli.common import FormatOpt, at_least, console, err_console, guarded
from engine.errors import StudyError, Terminated


@guarded
def run_cmd(
    name: Annotated[str, typer.Argument(help="Study name (studies/NAME.toml) or path.")],
    horizon: Annotated[list[str] | None, typer.Option(help="Only these horizons (repeat).")] = None,
    episode: Annotated[list[str] | None, typer.Option(help="Only these episodes (repeat).")] = None,
    start: Annotated[str | None, typer.Option(help="Override study start (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Override study end (YYYY-MM-DD).")] = None,
    out: Annotated[Path | None, typer.Option(help="Results folder (default results/).")] = None,
    executor: Annotated[str, typer.Option(help="local or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    n_boot: Annotated[int | None, typer.Option(help="Bootstrap draws (override).")] = None,
    min_independent: Annotated[int | None, typer.Option(
        help="Rows with fewer independent events go to 'too few to judge' "
             "(default: the study's min_independent, else 10).")] = None,
    top: Annotated[int, typer.Option(help="Rows in the printed table.")] = 25,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip HTML/MD reports.")] = False,
    no_backtest: Annotated[bool, typer.Option("--no-backtest",
                                              help="Skip the vectorbt backtests.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Run a study: evaluate every signal variant, print the ranked table, write a run folder."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from engine.report.output import check_format
    from engine.runner import Overrides, run

    check_format(fmt)
    at_least(top, 1, "--top")
    if executor not in ("local", "dask"):
        raise StudyError(f"executor {executor!r} not allowed", where="--executor",
                         fix="use local or dask")
    ov = Overrides(horizons=horizon, episodes=episode, start=start, end=end, out=out,
                   executor=executor, scheduler=scheduler, n_boot=n_boot,
                   reports=not no_report, backtest=False if no_backtest else None,
                   min_independent=min_independent)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        result = run(name, ov, progress=lambda msg: bar.update(task, description=msg))
    try:  # the run folder is in place: a SIGTERM from here on must not say otherwise
        _show(result, fmt, top, episode)
    except Terminated:
        err_console.print(f"terminated; the run had finished and is kept: {result.run_dir}",
                          highlight=False)
        raise typer.Exit(143) from None


def _show(result, fmt: str, top: int, episode: list[str] | None) -> None:
    """The ranked table (or every row, for csv/json) and the run's one-line summary."""
    from engine.report import rank_table
    from engine.report.output import emit
    from engine.report.terminal import metrics_out

    machine = fmt in ("csv", "json")
    notes = err_console if machine else console  # machine formats: only data on stdout
    _print_changes(result, notes)
    shown = episode[0] if episode else "all"
    floor = result.study.min_independent
    title = (f"{result.study.title} — evidence first: q, then independent events, then |edge|"
             f" (>= {floor} independent events)")
    if machine:  # every row of every episode, ranked, with its group; parameters as columns
        ranked = rank_table(result.metrics, by=M.Q_VALUE, episode=None, min_independent=floor)
        outs = [metrics_out(ranked, title, "metrics", display=False)]
    else:
        table = rank_table(result.metrics, by=M.Q_VALUE, episode=shown, min_independent=floor)
        judged = table[table["group"] == "ranked"]
        outs = [metrics_out(judged.head(top), title + f" · episode {shown}", "ranked")]
        few = table[table["group"] != "ranked"]
        if len(few):
            shown_few = few.head(max(0, top - len(judged.head(top))) or 5)
            outs.append(metrics_out(
                shown_few, f"too few to judge: {len(few)} rows with fewer than {floor} "
                f"independent events (or none), first {len(shown_few)} shown", "too_few"))
    if result.study.episodes and not episode:
        outs.append(_episodes_out(result))
    emit(outs, fmt, console)
    t = result.manifest.timings
    notes.print(f"run folder: {result.run_dir}\n"
                f"{result.manifest.n_variants} variants, {len(result.metrics)} rows · "
                f"{sum(t.values()):.2f} s (" + ", ".join(f"{k} {v:.2f}" for k, v in t.items())
                + ")", highlight=False)


def _episodes_out(result):
    """Each signal's best variant (chosen on the full sample) in every named episode."""
    from engine.report import tables as T
    from engine.report.terminal import metrics_out

    m = T.ensure_columns(result.metrics)
    horizon = T.middle_horizon(m, result.manifest)
    best = T.best_variants(m, min_independent=result.study.min_independent)
    best = best[best["horizon"] == horizon]
    names = [e.name for e in result.study.episodes] + ["all"]
    return metrics_out(T.episode_rows(m, best, names), f"by episode at {horizon} — each "
                       "signal's best variant on the full sample", "episodes")


def _print_changes(result, out=None) -> None:
    """Say which datasets changed since the previous run of the same study."""
    from engine.runfolder import previous_run_changes

    changed = previous_run_changes(result.run_dir)
    for line in changed:
        (out or console).print(line, highlight=False, style="yellow")


@guarded
def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="Run folder (results/<study>/<run>).")],
) -> None:
    """Re-render report.md and report.html from a run folder without recomputing."""
    from engine.report import write_reports
    from engine.runfolder import read_manifest

    read_manifest(run_dir)
    md, html = write_reports(run_dir)
    console.print(f"wrote {md} and {html}", highlight=False)
