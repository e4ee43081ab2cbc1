"""The renderer-neutral shape of a report: sections of text, tables and charts.

``content`` and ``compare`` build a ``Document`` once; ``markdown`` and ``html`` only render
it, so both formats always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Table:
    """Display strings (every cell already formatted) with an optional class per row."""

    frame: pd.DataFrame
    row_class: list[str] | None = None
    caption: str = ""


@dataclass
class Chart:
    """One chart: ``name`` is its file stem (charts/<name>.svg) and HTML id (chart-<name>)."""

    name: str
    title: str
    svg: str
    # while ``svg`` is still to be rendered (``charts.render_pending``): a matplotlib Figure,
    # or a callable that builds one (built in the worker that renders it)
    figure: object | None = field(default=None, repr=False, compare=False)


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Facts:
    """Key/value pairs (study facts, reproducibility details)."""

    items: list[tuple[str, str]]


Block = str | Table | Chart | Bullets | Facts


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    lead: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]
