"""Rally anatomy commands: ``study rallies``, ``study analogs`` and ``study case``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from engine.cli.common import FormatOpt, console, err_console, guarded

if TYPE_CHECKING:
    import pandas as pd

DEFAULT = "small-cap-rallies"
StudyOpt = Annotated[str, typer.Option("--study", help="Study with rallies/analogs tables.")]
OutOpt = Annotated[Path | None, typer.Option(help="Folder for the reports (default "
                                                   "results/STUDY/).")]
DateOpt = Annotated[str, typer.Option("--date", help="The date, YYYY-MM-DD.")]


def print_frame(console: Console, frame: pd.DataFrame, title: str,
                styles: list[str] | None = None) -> None:
    """A display DataFrame (cells already formatted) as a rich table."""
    t = Table(title=Text(title), title_justify="left", header_style="bold")
    for c in frame.columns:
        t.add_column(str(c), overflow="fold")
    for i, row in enumerate(frame.itertuples(index=False)):
        t.add_row(*[Text(str(v)) for v in row], style=(styles[i] if styles else ""))
    console.print(t)


OUTCOME_STYLE = {"sustained": "green", "failed": "red", "pending": "dim"}


def _out(out: Path | None, study: str) -> Path:
    from engine import paths

    return out or paths.results_dir() / study


@guarded
def rallies_cmd(study: StudyOpt = DEFAULT, out: OutOpt = None, fmt: FormatOpt = "table",
                ) -> None:
    """Every past rally by the study's rule, sustained vs failed, and the drivers that
    told them apart (Fisher odds ratios with exact CIs, BH q)."""
    from engine.anatomy import compute as C
    from engine.anatomy import content
    from engine.report.output import Out, check_format, emit

    check_format(fmt)
    notes = err_console if fmt in ("csv", "json") else console  # only data on stdout
    with err_console.status("finding rallies..."):
        res = C.rallies(C.load(study, needs=("rallies",)))
    st, r = res.study, res.rallies
    rule_text = res.rule.describe(st.target, st.benchmark)
    notes.print(f"[bold]{escape(st.title)}[/]\n{escape(rule_text)}"
                f"\n{escape(res.rule.sustained.describe())}", highlight=False, markup=True,
                soft_wrap=False)
    if r.empty:
        notes.print(f"[yellow]{escape(res.note)}", highlight=False, markup=True)
    hs = [h.label for h in st.horizons]
    from engine.anatomy.drivers import verdict

    said = verdict(res.drivers) if not r.empty else ""
    outs = [Out("rallies", _plain_frame(r), title=f"{len(r)} rallies",
                display=content.rally_rows(r, hs, res.rule.sustained.horizon.label)
                if not r.empty else None,
                row_class=[OUTCOME_CLASS.get(str(o), "") for o in r["outcome"]]
                if not r.empty else None, extra={"keys": ("start", "outcome")}),
            Out("drivers", _plain_frame(res.drivers), labels=("driver",),
                display=content.driver_rows(res.drivers) if not res.drivers.empty else None,
                title="drivers at the start vs outcome (independent decided rallies)",
                note=said, extra={"lead": "driver"}),
            Out("counts", _plain_frame(res.counts), title="drivers on at the start",
                display=content.count_rows(res.counts) if not res.counts.empty else None)]
    emit(outs if not r.empty else outs[:1], fmt, console)
    folder = _out(out, st.name)
    md, page = content.write(content.rallies_document(res), folder, "rallies")
    _parquet(folder / "rallies.parquet", r)
    _parquet(folder / "rally-drivers.parquet", res.drivers)
    notes.print(f"wrote {md}, {page} and rallies.parquet", highlight=False)


@guarded
def analogs_cmd(date: DateOpt, study: StudyOpt = DEFAULT, out: OutOpt = None,
                fmt: FormatOpt = "table") -> None:
    """The k past dates whose point-in-time driver state was closest to DATE, and what
    followed each, against every past day."""
    from engine.anatomy import compute as C
    from engine.anatomy import content
    from engine.report.output import Out, check_format, emit

    check_format(fmt)
    notes = err_console if fmt in ("csv", "json") else console
    with err_console.status("searching analogs..."):
        loaded = C.load(study, needs=("analogs",))
        an = C.analogs(loaded, C.parse_date(date))
    _print_analogs_header(notes, an)
    outs = [Out("analogs", _plain_frame(an.table), title="nearest analogs (what followed)",
                display=content.analog_rows(an) if len(an.table) else None,
                extra={"keys": ("date",)}),
            Out("distribution", _plain_frame(an.distribution), title="analogs vs every past day",
                display=content.distribution_rows(an.distribution)
                if len(an.distribution) else None, extra={"lead": "horizon"})]
    emit(outs, fmt, console)
    md, page = content.write(content.analogs_document(an), _out(out, an.study.name),
                             f"analogs-{an.date.date()}")
    notes.print(f"wrote {md} and {page}", highlight=False)


OUTCOME_CLASS = {"sustained": "strong", "failed": "bad", "pending": "nodata"}


def _plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Raw values for CSV/JSON: categories as text, dates as dates."""
    import pandas as pd

    f = frame.copy()
    for c in f.columns:
        if isinstance(f[c].dtype, pd.CategoricalDtype):
            f[c] = f[c].astype(str)
    return f


@guarded
def case_cmd(date: DateOpt, study: StudyOpt = DEFAULT, out: OutOpt = None,
             no_scorecard: Annotated[bool, typer.Option(
                 "--no-scorecard", help="Skip the scorecard section.")] = False) -> None:
    """Case replay: what was knowable on DATE (rally facts, drivers, scorecard, analogs),
    then, apart, what happened next."""
    t0 = time.perf_counter()  # imports included: they are part of the answer's cost
    from engine.anatomy import case as K
    from engine.anatomy import content

    with console.status("replaying..."):
        c = K.replay(date, study, with_scorecard=not no_scorecard)
    _print_case(console, c)
    md, page = content.write(content.case_document(c), _out(out, c.study_name),
                             f"case-{c.date.date()}")
    console.print(f"wrote {md} and {page} ({time.perf_counter() - t0:.1f} s)",
                  highlight=False)


def _parquet(path: Path, frame: pd.DataFrame) -> None:
    import os

    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    f = frame.copy()
    for c in f.columns:
        if isinstance(f[c].dtype, pd.CategoricalDtype):
            f[c] = f[c].astype(str)
    f.to_parquet(tmp)
    os.replace(tmp, path)


def _print_analogs_header(console: Console, an, title: str = "") -> None:
    s = an.search
    console.print(f"[bold]{escape(title or 'analogs of')} {an.date.date()}[/]: k = {an.rule.k}, "
                  + escape(f"{an.rule.distance} distance on z-scores of "
                           f"{', '.join(s.used) or 'none'}"
                           + (f"; dropped (no value): {', '.join(s.dropped)}" if s.dropped else "")
                           + f"; one per {an.rule.horizon.label} window"),
                  highlight=False, markup=True)
    if s.note:
        console.print(f"[yellow]{escape(s.note)}", highlight=False, markup=True)


def _print_analogs(console: Console, an, title: str = "") -> None:
    from engine.anatomy import content

    _print_analogs_header(console, an, title)
    if len(an.table):
        print_frame(console, content.analog_rows(an), "nearest analogs (what followed)")
    print_frame(console, content.distribution_rows(an.distribution),
                "analogs vs every past day")


def _print_case(console: Console, c) -> None:
    import pandas as pd

    from engine.anatomy import content

    console.rule(Text.from_markup(f"[bold]as of {c.date.date()}[/] (only data published by then)"))
    print_frame(console, c.facts, "rally facts")
    d = c.drivers
    print_frame(console, pd.DataFrame({"driver": d["driver"], "state": d["state"],
                                       "value": d["value"].map(lambda v: "—" if pd.isna(v)
                                                               else f"{v:g}"),
                                       "as of": d["value_date"].fillna("—")}),
                "drivers", [{"on": "green", "off": "red"}.get(s, "yellow") for s in d["state"]])
    if c.rally is not None and not c.rally.empty:
        r = c.rally.iloc[0]
        console.print(f"rally under way since {r['start'].date()} (trough {r['trough'].date()}, "
                      f"{int(r['days_since_start'])} days ago); outcome then: {r['outcome']}",
                      highlight=False)
    else:
        console.print("no rally under way by the study's rule", highlight=False)
    if c.scorecard is not None:
        sc = c.scorecard
        console.print(f"scorecard ({sc.study.name}): score {sc.score} of {sc.n_conditions} "
                      f"({sc.n_with_data} with data)", highlight=False)
        print_frame(console, content.odds_rows(sc), f"historical odds at score {sc.score}")
    _print_analogs(console, c.analogs)
    console.rule(Text.from_markup(f"[bold]what happened next[/] (after {c.date.date()}; "
                                  "not knowable then)"))
    if c.next is None:
        console.print(f"no data after {c.date.date()} yet", highlight=False)
        return
    n = c.next
    from engine import formats as T

    print_frame(console, pd.DataFrame({
        "horizon": n["horizon"], "target": n["target"].map(T.spct),
        "benchmark": n["benchmark"].map(T.spct), "excess": n["excess"].map(T.spct),
        "analog median": n["analog_median"].map(T.spct)}), "forward returns after the date")
    if c.rally_after is not None and not c.rally_after.empty:
        ra = c.rally_after.iloc[0]
        console.print(f"the rally from {ra['start'].date()} turned out {ra['outcome']}",
                      highlight=False)
