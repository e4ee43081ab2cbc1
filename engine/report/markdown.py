"""Render a report ``Document`` as Markdown (GitHub-flavoured pipe tables)."""

from __future__ import annotations

import re

import pandas as pd

from engine.report.model import Bullets, Chart, Document, Facts, Table
from engine.report.tables import looks_numeric

_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def render(doc: Document, chart_dir: str | None = "charts") -> str:
    """Markdown text; charts become image links to ``chart_dir/<name>.svg`` (or a pointer
    to the HTML report when ``chart_dir`` is None)."""
    out = [f"# {_inline(doc.title)}", ""]
    if doc.lead:
        out += [f"> {_inline(doc.lead)}", ""]
    if doc.facts:
        out += [*_facts(doc.facts), ""]
    for s in doc.sections:
        out += [f"## {_inline(s.title)}", ""]
        for b in s.blocks:
            out += [*_block(b, chart_dir), ""]
    return "\n".join(out).rstrip() + "\n"


def _block(b, chart_dir: str | None) -> list[str]:
    if isinstance(b, Table):
        return ([f"*{_inline(b.caption)}*", ""] if b.caption else []) + table(b.frame)
    if isinstance(b, Chart):
        if chart_dir is None:
            return [f"*Chart: {_inline(b.title)} (see the HTML report).*"]
        return [f"![{_inline(b.title)}]({chart_dir}/{b.name}.svg)"]
    if isinstance(b, Bullets):
        return [f"- {_inline(i)}" for i in b.items]
    if isinstance(b, Facts):
        return _facts(b.items)
    return [_inline(str(b))]


def _facts(items: list[tuple[str, str]]) -> list[str]:
    return [f"- **{_inline(k)}:** {_inline(v)}" for k, v in items]


def table(frame: pd.DataFrame) -> list[str]:
    """A pipe table; numeric-looking columns are right-aligned."""
    if frame.empty:
        return ["*(no rows)*"]
    cols = [str(c) for c in frame.columns]
    align = ["---:" if looks_numeric(frame[c]) else "---" for c in frame.columns]
    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |", "| " + " | ".join(align) + " |"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return lines


def _cell(v) -> str:
    return _inline(str(v)).replace("|", "\\|")


def _inline(text: str) -> str:
    """One line of text; a "<" that could open an HTML tag is escaped."""
    return _TAG.sub("&lt;", " ".join(str(text).split()))
