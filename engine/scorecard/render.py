"""Render a Scorecard: rich terminal view, Markdown and a self-contained HTML page."""

from __future__ import annotations

import html
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape

from engine import metrics as M
from engine.formats import ret
from engine.scorecard.score import Scorecard

STATUS_STYLE = {"met": "green", "not met": "red", "no data": "yellow"}


def _pct(x) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def _num(x) -> str:
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:g}"


def odds_table(sc: Scorecard) -> pd.DataFrame:
    o = sc.odds
    return pd.DataFrame({
        "series": o["series"], "horizon": o["horizon"], "days": o[M.N_EVENTS],
        "indep.": o[M.N_INDEPENDENT], "hit": o[M.HIT_RATE].map(_pct),
        "base": o[M.BASE_RATE].map(_pct), "mean": o[M.MEAN_FWD].map(ret),
        "median": o[M.MEDIAN_FWD].map(ret),
        "hit 95% CI": [f"{_pct(a)}–{_pct(b)}" for a, b in zip(o[M.CI_LOW], o[M.CI_HIGH],
                                                                   strict=True)],
    })


def outs(sc: Scorecard) -> list:
    """The scorecard's tables for ``engine.report.output.emit`` (CSV: the conditions)."""
    from engine.report.output import Out

    cond = sc.conditions.drop(columns=["description"]).copy()
    cond.insert(0, "date", str(sc.date.date()))
    summary = pd.DataFrame([{"date": str(sc.date.date()), "score": sc.score,
                             "n_conditions": sc.n_conditions, "n_with_data": sc.n_with_data}])
    return [Out("conditions", cond, title=f"conditions on {sc.date.date()}",
                labels=("rule",)),
            Out("score", summary, title="score"),
            Out("odds", sc.odds, display=odds_table(sc),
                title=f"historical odds when the score was {sc.score}"),
            Out("monotonic", sc.monotonic, title="score vs forward return (Spearman)"),
            Out("past", sc.past, title=f"past spells with score >= {sc.score}")]


def conditions_display(sc: Scorecard) -> pd.DataFrame:
    """Each condition's tested quantity on the date (its value, threshold and the date of
    the observation behind it); the parts of a combined condition follow it, marked ↳."""
    c = sc.conditions
    part = c["part_of"].fillna("").astype(str) != "" if "part_of" in c else False
    return pd.DataFrame({
        "status": c["status"], "value": [_num4(v) for v in c["tested_value"]],
        "threshold": c["threshold"].fillna("").astype(str).replace("", "—"),
        "as of": [d if isinstance(d, str) and d else "—" for d in c["as_of"]],
        "condition": np.where(part, "↳ " + c["condition"].astype(str),
                              c["condition"].astype(str)),
        "tested": c["tested"].astype(str)})


def conditions_report(sc: Scorecard) -> pd.DataFrame:
    """The Markdown/HTML conditions table: the terminal's columns, then the raw series and
    its last published value, and the rule."""
    c = sc.conditions
    out = conditions_display(sc)
    out["series"] = c["series"].fillna("").astype(str).replace("", "—")
    out["series value"] = [_num4(v) for v in c["value"]]
    out["series date"] = c["value_date"].fillna("—").astype(str)
    out["rule"] = c["rule"].astype(str)
    first = ["condition", "status", "tested", "value", "threshold", "as of"]
    return out[first + [k for k in out.columns if k not in first]]


def _num4(x) -> str:
    return "—" if x is None or not np.isfinite(float(x)) else f"{float(x):.4g}"


def print_scorecard(sc: Scorecard, console: Console) -> None:
    """The scorecard in the terminal, every table fitted to the width."""
    from engine.report.output import Out, emit

    console.print(f"[bold]{escape(sc.study.title)}[/] — as of [bold]{sc.date.date()}[/] "
                  f"(only data published by then)", highlight=False, markup=True)
    cond = conditions_display(sc)
    classes = [{"met": "strong", "no data": "nodata"}.get(s, "") for s in cond["status"]]
    tables = [Out("conditions", sc.conditions, display=cond, labels=("condition", "tested"),
                  row_class=classes, extra={"stack_below": 50, "lead": "condition",
                                            "keys": ("status",)},
                  title=f"score {sc.score} of {sc.n_conditions} "
                  f"({sc.n_with_data} conditions with data) · value = the tested quantity "
                  "on the date (last known when no data), as of = its observation"),
              Out("odds", sc.odds, display=odds_table(sc), labels=("series",),
                  title=f"historical odds when the score was {sc.score} (on the "
                  f"{sc.n_comparable_days} days scored on the same {sc.n_with_data} "
                  "conditions)")]
    mono = sc.monotonic.copy()
    if not mono.empty:
        mono["spearman"] = mono["spearman"].map(lambda v: f"{v:+.3f}")
        mono["95% CI"] = [f"{a:+.3f} .. {b:+.3f}" for a, b in zip(mono.pop(M.CI_LOW),
                                                                  mono.pop(M.CI_HIGH), strict=True)]
        mono = mono.drop(columns=["horizon_days"], errors="ignore").rename(
            columns={"n_days": "days", "n_independent": "indep."})
        tables.append(Out("monotonic", sc.monotonic, display=mono.astype(str),
                          labels=("series",),
                          title="does a higher score mean better returns? (Spearman)"))
    past = sc.past.head(10)
    tables.append(Out("past", past, display=past.astype(str),
                      title=f"past spells with score >= {sc.score} (most recent first; "
                      "current = the spell under way today)"))
    emit(tables, "table", console)


def to_markdown(sc: Scorecard) -> str:
    conditions = conditions_report(sc)
    lines = [f"# {sc.study.title}", "", f"As of **{sc.date.date()}**, using only data published "
             f"by then. Score **{sc.score} of {sc.n_conditions}** ({sc.n_with_data} conditions "
             "with data; a condition without data counts as not met).", "",
             "## Conditions", "", _md(conditions),
             "", f"## Historical odds when the score was {sc.score}", "",
             f"Over the {sc.n_comparable_days} past days on which all {sc.n_with_data} "
             "conditions that have data today also had data, scored on those conditions only.",
             "", _md(odds_table(sc)),
             "", "## Monotonicity (score vs forward return)", "", _md(sc.monotonic.round(4)),
             "", "## All score buckets (episode all)", "",
             _md(_bucket_view(sc)), "", f"## Past spells with score >= {sc.score}", "",
             _md(sc.past.head(20).astype(str)), "", "## Episodes: conditions at the start", "",
             _md(sc.episode_starts.astype(str)) if not sc.episode_starts.empty else "none", "",
             "Caveats: price indices (no dividends); state mode counts every day, so days are "
             "heavily overlapping — read `independent` (non-overlapping windows) as the sample "
             "size; conditions without data are listed as such, never imputed."]
    return "\n".join(lines) + "\n"


def _bucket_view(sc: Scorecard) -> pd.DataFrame:
    b = sc.buckets[sc.buckets["episode"] == "all"]
    return pd.DataFrame({"series": b["series"], "score": b["score"], "horizon": b["horizon"],
                         "days": b["n_events"], "indep.": b["n_independent"],
                         "hit": b["hit_rate"].map(_pct), "mean": b["mean_fwd"].map(_pct),
                         "median": b["median_fwd"].map(_pct)})


def _md(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_"
    cols = [str(c) for c in frame.columns]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        out.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(out)


def _score_svg(sc: Scorecard) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "rally-study"
    fig, ax = plt.subplots(figsize=(10, 3))
    path = sc.score_path
    ax.plot(path.index, path.to_numpy(), lw=0.8, color="#1f4e79")
    for ep in sc.study.episodes:
        ax.axvspan(pd.Timestamp(ep.start), min(pd.Timestamp(ep.end), path.index[-1]),
                   color="#f4b183", alpha=0.35)
        ax.text(pd.Timestamp(ep.start), sc.n_conditions + 0.2, ep.name, fontsize=8)
    ax.set_ylim(-0.5, sc.n_conditions + 0.8)
    ax.set_ylabel("conditions met")
    ax.set_title("Rally score over time (episodes shaded)")
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def to_html(sc: Scorecard) -> str:
    def table(frame: pd.DataFrame) -> str:
        return frame.to_html(index=False, na_rep="—", escape=True, border=0)

    cond = conditions_report(sc)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(sc.study.title)} — {sc.date.date()}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{padding:3px 8px;border-bottom:1px solid #ddd;
text-align:right}}th{{background:#f3f3f3}}h1{{font-size:1.5em}}</style></head><body>
<section id="header"><h1>{html.escape(sc.study.title)}</h1>
<p>As of <b>{sc.date.date()}</b>, using only data published by then.
Score <b>{sc.score} of {sc.n_conditions}</b> ({sc.n_with_data} with data).</p></section>
<section id="conditions"><h2>Conditions</h2>{table(cond)}</section>
<section id="odds"><h2>Historical odds when the score was {sc.score}</h2>{table(odds_table(sc))}
</section>
<section id="monotonic"><h2>Monotonicity</h2>{table(sc.monotonic.round(4))}</section>
<section id="buckets"><h2>All score buckets</h2>{table(_bucket_view(sc))}</section>
<section id="score-path"><h2>Score path</h2>{_score_svg(sc)}</section>
<section id="episodes"><h2>Episodes: conditions at the start</h2>
{table(sc.episode_starts) if not sc.episode_starts.empty else "<p>none</p>"}</section>
<section id="past"><h2>Past spells with score &ge; {sc.score}</h2>{table(sc.past.head(20))}
</section></body></html>
"""


def write(sc: Scorecard, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"scorecard-{sc.date.date()}"
    out = []
    for ext, text in (("md", to_markdown(sc)), ("html", to_html(sc))):
        dest = folder / f"{stem}.{ext}"
        tmp = folder / f".{stem}.{ext}.tmp-{os.getpid()}"
        tmp.write_text(text)
        os.replace(tmp, dest)
        out.append(dest)
    return out[0], out[1]
