"""``study families [NAME]``: the signal families and their parameters."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from engine.cli.common import console, guarded


def doc_summary(doc: str | None) -> str:
    """The first sentence of a docstring's first paragraph, whole (never cut mid-line)."""
    import re

    para = " ".join((doc or "").strip().split("\n\n", 1)[0].split())
    end = re.search(r"(?<!\be\.g)(?<!\bi\.e)(?<![.\s])\.(\s|$)", para)
    return para[: end.start() + 1] if end else para


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
            table.add_column(col, overflow="fold", no_wrap=col == "family")
        for fam_name in sorted(FAMILIES):
            fam = FAMILIES[fam_name]
            table.add_row(fam_name, ", ".join(p.name for p in fam.params),
                          doc_summary(fam.doc))
        console.print(table)
        return
    fam = get_family(name)
    console.print(f"[bold]{fam.name}[/] ({'numeric' if fam.numeric else 'on/off'})\n"
                  + escape(fam.doc or ""), highlight=False, markup=True)
    table = Table(title="parameters")
    for col in ["name", "kind", "default", "range / choices", "help"]:
        table.add_column(col, overflow="fold", no_wrap=col == "name")
    for p in fam.params:
        default = "required" if p.default is REQUIRED else repr(p.default)
        rng = (", ".join(map(str, p.choices)) if p.choices else
               f"{'' if p.min is None else p.min} .. {'' if p.max is None else p.max}"
               if p.min is not None or p.max is not None else "")
        table.add_row(p.name, p.kind, default, rng, p.help)
    console.print(table)
