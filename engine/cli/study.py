"""Study-file commands: ``study list``, ``show``, ``validate``, ``new``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from engine.cli.common import console, guarded
from engine.errors import StudyError


# ----------------------------------------------------------------------------- study commands
@guarded
def list_studies() -> None:
    """List the studies in studies/ with their question and signal count."""
    from engine import paths
    from engine.study.spec import load_study, variant_count

    table = Table(title="studies")
    for col in ["name", "title", "target", "signals", "variants"]:
        # names and ids are never cut (they are what you type next); titles wrap
        table.add_column(col, no_wrap=col in ("name", "target"),
                         overflow="fold" if col == "title" else "ellipsis")
    for file in sorted(paths.studies_dir().glob("*.toml")):
        try:
            st = load_study(file)
        except StudyError as exc:
            table.add_row(file.stem, Text(f"invalid: {str(exc).splitlines()[0]}", "red"),
                          "", "", "")
            continue
        table.add_row(st.name, st.title, st.target + (f" vs {st.benchmark}" if st.benchmark
                      else ""), str(len(st.signals)), str(sum(variant_count(st.signals).values())))
    console.print(table)


@guarded
def show(
    name: Annotated[str, typer.Argument(help="Study name (studies/NAME.toml) or path.")],
) -> None:
    """Show a study: question, target, horizons, episodes and each signal with its family doc."""
    from engine.signals import get_family
    from engine.study.spec import load_study, variant_count

    st = load_study(name)
    counts = variant_count(st.signals)
    console.print(Text(st.title, "bold"))
    console.print(f"{st.question}\n", highlight=False)
    console.print(f"target {st.target}" + (f" minus {st.benchmark}" if st.benchmark else "")
                  + f" · horizons {', '.join(f'{h.label} ({h.days}d)' for h in st.horizons)}"
                  + f" · mode {st.mode} · start {st.start or 'first data'}", highlight=False)
    for ep in st.episodes:
        console.print(f"episode {ep.name}: {ep.start} .. {ep.end}", highlight=False)
    table = Table(title="signals")
    for col in ["name", "definition", "variants", "about"]:
        table.add_column(col, overflow="fold", no_wrap=col == "name")
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


@guarded
def validate(
    name: Annotated[str, typer.Argument(help="Study name or path to a .toml file.")],
) -> None:
    """Check a study file (keys, families, parameters, dataset ids) without running it."""
    from engine.data.catalog import Catalog
    from engine.study.spec import check_stem, load_study, variant_count

    st = load_study(name, set(Catalog.load().entries))
    check_stem(st.path)  # as `study run` will: the file name becomes results/<name>/
    n = sum(variant_count(st.signals).values())
    console.print(f"ok {st.path}: {len(st.signals)} signals, {n} variants, "
                  f"{len(st.horizons)} horizons, {len(st.episodes)} episodes", highlight=False)


@guarded
def new_cmd(
    name: Annotated[str, typer.Argument(help="Name of the new study (studies/NAME.toml).")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Scaffold a commented study file from the template and validate it."""
    from engine.study.scaffold import new_study

    path = new_study(name, force=force)
    console.print(f"created {path} (valid). Edit it, then: study run {name}",
                  highlight=False)
