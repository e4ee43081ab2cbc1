"""The ``study`` command: thin wrappers that parse options and call the engine.

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
from rich.table import Table

from engine.errors import StudyError

console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

app = typer.Typer(
    help="rally-study: did rally signals actually predict forward returns?",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Build, list, show and import datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")


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


def guarded(func):
    """Turn a StudyError (or a full/unwritable disk) into exit 2 with its message; other
    errors into exit 1 with a short note."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            try:
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


# ----------------------------------------------------------------------------- data commands
@data_app.command("build")
@guarded
def data_build(
    ids: Annotated[list[str] | None, typer.Argument(help="Dataset ids (default: all).")] = None,
    mirror: MirrorOpt = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if unchanged.")] = False,
) -> None:
    """Build Parquet datasets from the mirror (or download them when online)."""
    from engine import paths
    from engine.data import dataops
    from engine.data.catalog import Catalog

    catalog = Catalog.load()
    mirror_path = paths.mirror_dir(mirror)
    if mirror_path is None:
        console.print("[yellow]no --mirror or STUDY_DATA_MIRROR: downloading from public sources")
    built = up = 0

    def report(outcome):
        nonlocal built, up
        if outcome.status == "built":
            built += 1
        else:
            up += 1

    with console.status("building datasets..."):
        dataops.build(catalog, ids, mirror_path, force=force, on_done=report)
    console.print(f"[green]{built} built, {up} up to date[/] in {catalog.root}")


@data_app.command("list")
@guarded
def data_list() -> None:
    """List datasets with coverage, rows, source and publication lag."""
    from engine.data import dataops
    from engine.data.catalog import Catalog

    cov = dataops.coverage(Catalog.load())
    table = Table(title="datasets")
    for col in ["id", "frequency", "first", "last", "rows", "source", "lag_days"]:
        table.add_column(col, justify="right" if col in ("rows", "lag_days") else "left")
    for row in cov.itertuples():
        built = row.built
        table.add_row(row.id, row.frequency, row.first if built else "[dim]not built",
                      row.last if built else "", str(row.rows) if built else "",
                      row.source, str(row.lag_days))
    console.print(table)


@data_app.command("show")
@guarded
def data_show(
    id_: Annotated[str, typer.Argument(metavar="ID", help="Dataset id, e.g. fred.DGS10.")],
    tail: Annotated[int, typer.Option(help="Rows to show from the end.")] = 10,
    mirror: MirrorOpt = None,
) -> None:
    """Show a dataset's catalog entry, provenance and last rows (stale check with a mirror)."""
    from engine import paths
    from engine.data import datasets
    from engine.data.catalog import Catalog

    catalog = Catalog.load()
    entry = catalog.get(id_)
    frame, meta = datasets.load(catalog, id_, paths.mirror_dir(mirror))
    console.print(f"[bold]{entry.id}[/] — {entry.description}\n"
                  f"source {entry.source} · file {entry.file} · {entry.frequency} · "
                  f"units {entry.units} · lag {entry.lag_days} days after period end\n"
                  f"{meta.rows} rows {meta.first} .. {meta.last} · source sha256 "
                  f"{meta.source_sha256[:12]} · built {meta.built_at}", highlight=False)
    console.print(frame.tail(tail).to_string())


@data_app.command("import")
@guarded
def data_import(
    file: Annotated[Path, typer.Argument(help="CSV file with a date and a value column.")],
    id_: Annotated[str, typer.Option("--id", help="New dataset id: custom.NAME.")],
    date_col: Annotated[str, typer.Option(help="Name of the date column.")] = "date",
    value_col: Annotated[str, typer.Option(help="Name of the value column.")] = "value",
    freq: Annotated[str, typer.Option(help="daily|weekly|monthly|quarterly.")] = "daily",
    lag: Annotated[int, typer.Option(help="Publication lag: days after period end.")] = 0,
    units: Annotated[str, typer.Option(help="Units, for the catalog.")] = "",
    description: Annotated[str, typer.Option(help="One-line description.")] = "",
    date_format: Annotated[str | None, typer.Option(help="strftime format if not ISO.")] = None,
) -> None:
    """Import your own series (e.g. estimate revisions, fund flows) as custom.NAME."""
    from engine.data import dataops
    from engine.data.catalog import Catalog

    outcome = dataops.import_csv(Catalog.load(), file, id_, date_col, value_col, freq, lag,
                                 units, description, date_format)
    m = outcome.meta
    console.print(f"[green]imported {id_}[/]: {m.rows} rows {m.first} .. {m.last}")


# ----------------------------------------------------------------------------- study commands
@app.command("list")
@guarded
def list_studies() -> None:
    """List the studies in studies/ with their question and signal count."""
    from engine import paths
    from engine.study.spec import load_study, variant_count

    table = Table(title="studies")
    for col in ["name", "title", "target", "signals", "variants"]:
        table.add_column(col)
    for file in sorted(paths.studies_dir().glob("*.toml")):
        try:
            st = load_study(file)
        except StudyError as exc:
            table.add_row(file.stem, f"[red]invalid: {str(exc).splitlines()[0]}", "", "", "")
            continue
        table.add_row(st.name, st.title, st.target + (f" vs {st.benchmark}" if st.benchmark
                      else ""), str(len(st.signals)), str(sum(variant_count(st.signals).values())))
    console.print(table)


@app.command("show")
@guarded
def show(
    name: Annotated[str, typer.Argument(help="Study name (studies/NAME.toml) or path.")],
) -> None:
    """Show a study: question, target, horizons, episodes and each signal with its family doc."""
    from engine.signals import get_family
    from engine.study.spec import load_study, variant_count

    st = load_study(name)
    counts = variant_count(st.signals)
    console.print(f"[bold]{st.title}[/]\n{st.question}\n", highlight=False)
    console.print(f"target {st.target}" + (f" minus {st.benchmark}" if st.benchmark else "")
                  + f" · horizons {', '.join(f'{h.label} ({h.days}d)' for h in st.horizons)}"
                  + f" · mode {st.mode} · start {st.start or 'first data'}", highlight=False)
    for ep in st.episodes:
        console.print(f"episode {ep.name}: {ep.start} .. {ep.end}", highlight=False)
    table = Table(title="signals")
    for col in ["name", "definition", "variants", "about"]:
        table.add_column(col, overflow="fold")
    for s in st.signals:
        if s.family:
            doc = (get_family(s.family).doc or "").strip().splitlines()
            params = ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v}" for k, v in s.params)
            table.add_row(s.name, f"{s.family}({params})", str(counts[s.name]),
                          s.description or (doc[0] if doc else ""))
        else:
            table.add_row(s.name, f"{s.combinator}({', '.join(s.inputs)})",
                          str(counts[s.name]), s.description)
    console.print(table)


@app.command("families")
@guarded
def families(
    name: Annotated[str | None, typer.Argument(help="One family, e.g. credit.spread_change.")]
    = None,
) -> None:
    """List the signal families (or one family's formula, data, lag and parameters)."""
    from engine.signals import FAMILIES, REQUIRED, get_family

    if name is None:
        table = Table(title=f"{len(FAMILIES)} signal families (study families NAME for one)")
        for col in ["family", "parameters", "what it is"]:
            table.add_column(col, overflow="fold")
        for fam_name in sorted(FAMILIES):
            fam = FAMILIES[fam_name]
            first = (fam.doc or "").strip().splitlines()
            table.add_row(fam_name, ", ".join(p.name for p in fam.params),
                          escape(first[0] if first else ""))
        console.print(table)
        return
    fam = get_family(name)
    console.print(f"[bold]{fam.name}[/] ({'numeric' if fam.numeric else 'on/off'})\n"
                  + escape(fam.doc or ""), highlight=False)
    table = Table(title="parameters")
    for col in ["name", "kind", "default", "range / choices", "help"]:
        table.add_column(col, overflow="fold")
    for p in fam.params:
        default = "required" if p.default is REQUIRED else repr(p.default)
        rng = (", ".join(map(str, p.choices)) if p.choices else
               f"{'' if p.min is None else p.min} .. {'' if p.max is None else p.max}"
               if p.min is not None or p.max is not None else "")
        table.add_row(p.name, p.kind, escape(default), escape(rng), escape(p.help))
    console.print(table)


@app.command("validate")
@guarded
def validate(
    name: Annotated[str, typer.Argument(help="Study name or path to a .toml file.")],
) -> None:
    """Check a study file (keys, families, parameters, dataset ids) without running it."""
    from engine.data.catalog import Catalog
    from engine.study.spec import load_study, variant_count

    st = load_study(name, set(Catalog.load().entries))
    n = sum(variant_count(st.signals).values())
    console.print(f"[green]ok[/] {st.path}: {len(st.signals)} signals, {n} variants, "
                  f"{len(st.horizons)} horizons, {len(st.episodes)} episodes", highlight=False)


@app.command("run")
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
    top: Annotated[int, typer.Option(help="Rows in the printed table.")] = 25,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip HTML/MD reports.")] = False,
    no_backtest: Annotated[bool, typer.Option("--no-backtest",
                                              help="Skip the vectorbt backtests.")] = False,
) -> None:
    """Run a study: evaluate every signal variant, print the ranked table, write a run folder."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from engine.report import print_table, rank_table
    from engine.runner import Overrides, run

    if executor not in ("local", "dask"):
        raise StudyError(f"executor {executor!r} not allowed", where="--executor",
                         fix="use local or dask")
    ov = Overrides(horizons=horizon, episodes=episode, start=start, end=end, out=out,
                   executor=executor, scheduler=scheduler, n_boot=n_boot,
                   reports=not no_report, backtest=False if no_backtest else None)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        result = run(name, ov, progress=lambda msg: bar.update(task, description=msg))
    _print_changes(result)
    shown = episode[0] if episode else "all"
    table = rank_table(result.metrics, by="q_value", episode=shown, top=top)
    print_table(table, f"{result.study.title} — ranked by q-value (episode {shown})", console)
    if result.study.episodes and not episode:
        _print_episodes(result)
    t = result.manifest["timings"]
    console.print(f"run folder: [bold]{result.run_dir}[/]\n"
                  f"{result.manifest['n_variants']} variants, {len(result.metrics)} rows · "
                  f"{sum(t.values()):.2f} s (" + ", ".join(f"{k} {v:.2f}" for k, v in t.items())
                  + ")", highlight=False)


def _print_episodes(result) -> None:
    """Each signal's best variant (chosen on the full sample) in every named episode."""
    from engine.report import print_table
    from engine.report import tables as T

    m = result.metrics
    horizon = T.middle_horizon(m, result.manifest)
    best = T.best_variants(m)
    best = best[best["horizon"] == horizon]
    names = [e.name for e in result.study.episodes] + ["all"]
    print_table(T.episode_rows(m, best, names), f"by episode at {horizon} — each signal's "
                "best variant on the full sample", console)


def _print_changes(result) -> None:
    """Say which datasets changed since the previous run of the same study."""
    from engine.runfolder import previous_run_changes

    changed = previous_run_changes(result.run_dir)
    for line in changed:
        console.print(f"[yellow]{line}", highlight=False)


@app.command("report")
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


@app.command("compare")
@guarded
def compare_cmd(
    targets: Annotated[list[str], typer.Argument(help="Study names or run folders.")],
    horizon: Annotated[str | None, typer.Option(help="Only this horizon, e.g. 3m.")] = None,
    episode: Annotated[str, typer.Option(help="Episode to compare (default all).")] = "all",
    by: Annotated[str, typer.Option(help="hit_rate | edge | q_value | mean_fwd.")] = "q_value",
    top: Annotated[int, typer.Option(help="Rows to print.")] = 30,
    out: Annotated[Path | None, typer.Option(help="Folder for compare.md/.html.")] = None,
    min_independent: Annotated[int, typer.Option(
        help="Leave out rows with fewer non-overlapping events.")] = 0,
) -> None:
    """Rank signals across studies and runs (each study: its latest run)."""
    from engine.compare import compare

    table, md, html = compare(targets, horizon=horizon, episode=episode, by=by, out=out,
                              min_independent=min_independent)
    from engine.report import print_table

    print_table(table.head(top), f"compare — by {by}, episode {episode}"
                + (f", horizon {horizon}" if horizon else ""), console)
    console.print(f"wrote {md} and {html}", highlight=False)


@app.command("new")
@guarded
def new_cmd(
    name: Annotated[str, typer.Argument(help="Name of the new study (studies/NAME.toml).")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Scaffold a commented study file from the template and validate it."""
    from engine.study.scaffold import new_study

    path = new_study(name, force=force)
    console.print(f"[green]created[/] {path} (valid). Edit it, then: study run {name}",
                  highlight=False)


@app.command("scorecard")
@guarded
def scorecard_cmd(
    date: Annotated[str | None, typer.Option(help="Score this date (default: last data).")] = None,
    study: Annotated[str, typer.Option(help="Scorecard study.")] = "rally-scorecard",
    out: Annotated[Path | None, typer.Option(help="Folder for the .md/.html.")] = None,
) -> None:
    """Is this rally sustainable? Conditions met on a date and the historical odds."""
    from engine import paths
    from engine.scorecard import render as scorecard_render
    from engine.scorecard import score as scorecard

    with console.status("scoring..."):
        sc = scorecard.compute(study, date)
    scorecard_render.print_scorecard(sc, console)
    md, html = scorecard_render.write(sc, out or paths.results_dir() / sc.study.name)
    console.print(f"wrote {md} and {html}", highlight=False)


def _register_anatomy() -> None:
    from engine.anatomy.commands import register

    register(app, guarded, console)


_register_anatomy()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
