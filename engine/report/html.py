"""Render a report ``Document`` as one self-contained HTML page.

No scripts, no external stylesheets or fonts, charts inlined as SVG: the file opens offline,
can be mailed or archived, and shows the same thing in ten years.
"""

from __future__ import annotations

import html

import pandas as pd

from engine.report.charts import inline_svg
from engine.report.model import Bullets, Chart, Document, Facts, Table
from engine.report.tables import looks_numeric

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; color: #1d1d1f; margin: 0; background: #fafafa; }
header, main, footer, nav { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 24px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.lead { font-size: 15px; color: #333; max-width: 900px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0; }
dl.facts dt { font-weight: 600; color: #555; }
dl.facts dd { margin: 0; }
nav { position: sticky; top: 0; background: #fafafa; padding-top: 6px; padding-bottom: 6px;
      border-bottom: 1px solid #e5e5e5; font-size: 13px; z-index: 1; }
nav a { margin-right: 12px; color: #1f4e79; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 12.5px; background: #fff; }
caption { text-align: left; color: #555; padding: 2px 0 4px; font-style: italic; }
th, td { border: 1px solid #e0e0e0; padding: 3px 7px; vertical-align: top; }
th { background: #f0f2f5; text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.strong td { background: #e6f4ea; }
tr.weak td { background: #fff8e1; }
tr.nodata td { color: #999; }
.scroll { overflow-x: auto; }
figure { margin: 10px 0 18px; background: #fff; border: 1px solid #e5e5e5; padding: 8px; }
figcaption { color: #555; font-size: 12px; }
svg.chart { max-width: 100%; height: auto; display: block; }
footer { color: #777; font-size: 12px; padding-bottom: 30px; }
"""

def render(doc: Document) -> str:
    """The full page as text."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(doc.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             '<header id="header">', f"<h1>{e(doc.title)}</h1>"]
    if doc.lead:
        parts.append(f'<p class="lead">{e(doc.lead)}</p>')
    if doc.facts:
        parts.append(_facts(doc.facts))
    parts.append("</header>")
    parts.append("<nav>" + "".join(f'<a href="#{e(s.id)}">{e(s.title)}</a>'
                                   for s in doc.sections) + "</nav>")
    parts.append("<main>")
    for s in doc.sections:
        parts.append(f'<section id="{e(s.id)}">')
        parts.append(f"<h2>{e(s.title)}</h2>")
        parts += [_block(b) for b in s.blocks]
        parts.append("</section>")
    parts += ["</main>", "<footer><p>Written by rally-study (engine.report). Self-contained: "
              "no scripts, no network.</p></footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _block(b) -> str:
    e = html.escape
    if isinstance(b, Table):
        return table(b.frame, b.row_class, b.caption)
    if isinstance(b, Chart):
        return (f'<figure id="chart-{e(b.name)}">{inline_svg(b.svg, b.name)}'
                f"<figcaption>{e(b.title)}</figcaption></figure>")
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>"
    if isinstance(b, Facts):
        return _facts(b.items)
    return f"<p>{e(str(b))}</p>"


def _facts(items: list[tuple[str, str]]) -> str:
    e = html.escape
    return ('<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items)
            + "</dl>")


def table(frame: pd.DataFrame, row_class: list[str] | None = None, caption: str = "") -> str:
    """An HTML table of display strings; numeric columns right-aligned."""
    e = html.escape
    if frame.empty:
        return "<p><em>(no rows)</em></p>"
    numeric = [looks_numeric(frame[c]) for c in frame.columns]
    out = ['<div class="scroll"><table>']
    if caption:
        out.append(f"<caption>{e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{e(str(c))}</th>" for c in frame.columns)
               + "</tr></thead><tbody>")
    classes = row_class or [""] * len(frame)
    for cls, row in zip(classes, frame.itertuples(index=False), strict=True):
        attr = f' class="{e(cls)}"' if cls else ""
        cells = "".join(f'<td class="num">{e(str(v))}</td>' if num else f"<td>{e(str(v))}</td>"
                        for v, num in zip(row, numeric, strict=True))
        out.append(f"<tr{attr}>{cells}</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)
