"""What the rally, analog and case reports say, as report ``Document``s (Markdown/HTML).

Display tables here are the only place numbers become strings; the DataFrames behind them are
what the API returns. ``write`` renders a document to ``.md`` (charts as SVG files beside it)
and a self-contained ``.html``, each written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine import formats as T
from engine import metrics as M
from engine.anatomy import charts as AC
from engine.anatomy import drivers
from engine.report import charts
from engine.report.model import Bullets, Chart, Document, Facts, Section, Table


def _chart(name: str, title: str, fig) -> Chart:
    return Chart(name, title, charts.to_svg(fig, name))


def _ax_figure(draw, size) -> object:
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    return fig


def _or(x) -> str:
    v = T.num(x)
    if np.isnan(v):
        return "—"
    return "∞" if np.isinf(v) else f"{v:.2f}"


# ----------------------------------------------------------------------------- rallies
def rally_rows(rallies: pd.DataFrame, horizons: list[str], sus_label: str) -> pd.DataFrame:
    cols = {"#": rallies["rally"].astype(str),
            "start": rallies["start"].dt.date.astype(str),
            "trough": rallies["trough"].dt.date.astype(str),
            "gain at start": rallies["gain_at_start"].map(T.spct)}
    for h in horizons:
        key = f"excess_{h}" if f"excess_{h}" in rallies else f"ret_{h}"
        cols[f"{'excess' if key.startswith('excess') else 'return'} {h}"] = \
            rallies[key].map(T.spct)
    cols["max drawdown"] = rallies[M.MAX_DRAWDOWN].map(T.pct)
    cols[f"giveback ≤{sus_label}"] = rallies["giveback"].map(T.pct)
    cols["days to peak"] = rallies["days_to_peak"].astype(str)
    cols["outcome"] = rallies["outcome"].astype(str)
    cols["independent"] = np.where(rallies["independent"], "yes", "no")
    return pd.DataFrame(cols)


def driver_rows(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "driver": table["driver"],
        "on (sust.)": [f"{a} ({b})" for a, b in zip(table["n_on"], table["sustained_on"],
                                                     strict=True)],
        "off (sust.)": [f"{a} ({b})" for a, b in zip(table["n_off"], table["sustained_off"],
                                                      strict=True)],
        "no data": table["n_no_data"].astype(str),
        "sustained when on": table["share_on"].map(T.pct),
        "sustained when off": table["share_off"].map(T.pct),
        "odds ratio": table["odds_ratio"].map(_or),
        "exact 95% CI": [f"{_or(a)} – {_or(b)}" if not np.isnan(T.num(a)) else "—"
                         for a, b in zip(table[M.CI_LOW], table[M.CI_HIGH], strict=True)],
        "p (Fisher)": table[M.P_VALUE].map(T.qfmt),
        "q (BH)": table[M.Q_VALUE].map(T.qfmt),
    })


def count_rows(counts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "drivers on": counts["drivers_on"].astype(str), "rallies": counts["n"].astype(str),
        "sustained": counts["sustained"].astype(str), "share": counts["share"].map(T.pct),
        "exact 95% CI": [T.ci(a, b) for a, b in zip(counts[M.CI_LOW], counts[M.CI_HIGH],
                                                   strict=True)],
        "drivers with data (mean)": counts["with_data"].map(lambda v: T.fnum(v, 1)),
    })


def rallies_document(res) -> Document:
    st, rule = res.study, res.rule
    r = res.rallies
    dec = r["outcome"].isin(["sustained", "failed"])
    ind = dec & r["independent"]
    n_s = int((r["outcome"] == "sustained").sum())
    hs = [h.label for h in st.horizons]
    facts = [("target", st.target + (f" vs {st.benchmark}" if st.benchmark else "")),
             ("window", f"{res.series.index[0].date()} .. {res.series.index[-1].date()}"),
             ("rally rule", rule.describe(st.target, st.benchmark)),
             ("sustained rule", rule.sustained.describe()),
             ("rallies", f"{len(r)} ({n_s} sustained, {int((r['outcome'] == 'failed').sum())} "
                         f"failed, {int((r['outcome'] == 'pending').sum())} pending)"),
             ("independent decided rallies (used for tests)", str(int(ind.sum())))]
    doc = Document(title=f"{st.title} — rallies", lead=st.question, facts=facts)
    timeline = Section("timeline", "Rally timeline")
    if r.empty:
        timeline.blocks.append(res.note or "no rally met the rule")
    timeline.blocks.append(_chart("rally-timeline", "Rallies shaded by outcome (log scale)",
                                  AC.timeline_figure(res)))
    table = Section("rallies", "Every rally", [Table(rally_rows(r, hs, rule.sustained.horizon
                                                               .label),
                                                     row_class=list(r["outcome"].astype(str)))]
                    if not r.empty else [res.note])
    drv = Section("drivers", "What told them apart: drivers at the start vs outcome", [
        "Each driver's state on the rally's start day, as published by then. 'No data' is "
        "counted apart, never as off. Odds ratio = conditional maximum-likelihood estimate "
        "with its exact 95% interval; p = Fisher's exact test; q = Benjamini-Hochberg across "
        "drivers; on the independent decided rallies (forward windows that do not overlap).",
        drivers.verdict(res.drivers),
        Table(driver_rows(res.drivers)),
        _chart("driver-odds", "Odds ratio of a sustained rally, driver on vs off",
               _ax_figure(lambda ax: AC.driver_odds(res.drivers, ax=ax),
                          (7, 0.4 * max(len(res.drivers), 2) + 1.2)))])
    cnt = Section("count", "How many drivers were on at the start", [
        Table(count_rows(res.counts)) if not res.counts.empty else "no decided rally"])
    caveats = Section("caveats", "Caveats", [Bullets([
        f"{int(ind.sum())} independent decided rallies: an odds ratio from so few is a "
        "description, not a forecast; read the interval and q, not the point estimate.",
        "Price indices (no dividends); entry at the next close after the start.",
        "Drivers whose data start after a rally (sector ETFs 1998+, high-yield spreads 1997+) "
        "show it as 'no data'.",
        "Pending rallies (horizon not yet passed) are listed but not counted."])])
    doc.sections = [timeline, table, drv, cnt, caveats]
    return doc


# ----------------------------------------------------------------------------- analogs
def analog_rows(an) -> pd.DataFrame:
    t = an.table
    out = {"#": t["rank"].astype(str), "date": t["date"].dt.date.astype(str),
           "distance": t["distance"].map(lambda v: T.fnum(v, 2))}
    for h in an.study.horizons:
        key = f"excess_{h.label}" if f"excess_{h.label}" in t else f"ret_{h.label}"
        out[f"{'excess' if key.startswith('excess') else 'return'} {h.label}"] = \
            t[key].map(T.spct)
    return pd.DataFrame(out)


def distribution_rows(dist: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "horizon": dist["horizon"], "group": dist["group"], "n": dist["n"].astype(str),
        "independent": dist[M.N_INDEPENDENT].astype(str), "mean": dist["mean"].map(T.ret),
        "median": dist["median"].map(T.ret), "share up": dist["share_up"].map(T.pct),
        "10%": dist["p10"].map(T.spct), "90%": dist["p90"].map(T.spct)})


def analog_sections(an, actual: pd.Series | None = None, prefix: str = "") -> list[Section]:
    rule = an.rule
    feats = [(f.name, f.describe()) for f in rule.features]
    s = an.search
    info = [("date", str(an.date.date())), ("k", str(rule.k)), ("distance", rule.distance
            + " on z-scores (mean and sd of the days up to the date)"),
            ("window", f"one analog per non-overlapping {rule.horizon.label} "
                       f"({rule.horizon.days} days); an analog's window ends by the date"),
            ("candidates", str(s.n_candidates)),
            ("features used", ", ".join(s.used) or "none"),
            ("features dropped (no value on the date)", ", ".join(s.dropped) or "none")]
    blocks: list = [Facts(info), Bullets([f"{n}: {d}" for n, d in feats])]
    if s.note:
        blocks.append(s.note)
    blocks.append(Table(analog_rows(an)) if len(an.table) else "no analog")
    dist = Section(f"{prefix}analog-distribution", "Analogs vs every past day", [
        "Forward return (excess over the benchmark when there is one) after the analogs and "
        "after every past day whose window ended by the date.",
        Table(distribution_rows(an.distribution))])
    fan = Section(f"{prefix}analog-fan", "Analog fan", [_chart(
        f"{prefix}analog-fan", "Rally series after each analog date",
        _ax_figure(lambda ax: AC.analog_fan(an.paths, an.unconditional_band, ax=ax,
                                            actual=actual,
                                            title=f"analogs of {an.date.date()}"), (8, 3.8)))])
    return [Section(f"{prefix}analogs", f"Nearest analogs of {an.date.date()}", blocks), dist,
            fan]


def analogs_document(an) -> Document:
    doc = Document(title=f"{an.study.title} — analogs of {an.date.date()}",
                   lead="The past dates whose point-in-time driver state was closest, and what "
                        "followed each.")
    doc.sections = analog_sections(an)
    return doc


# ----------------------------------------------------------------------------- case
def case_document(case) -> Document:
    an = case.analogs
    doc = Document(title=f"Case replay: {case.date.date()}",
                   lead=f"Every section before 'What happened next' was knowable on "
                        f"{case.date.date()}: prices up to that close and data published by "
                        "then. Only that last section uses later data.",
                   facts=[("study", case.study_name), ("date asked", str(case.requested.date())),
                          ("as of", str(case.date.date())),
                          ("data end", str(case.data_end.date()) if case.data_end else "—")])
    facts = Section("facts", f"As of {case.date.date()}: the rally facts",
                    [Table(case.facts.rename(columns=str.capitalize))])
    d = case.drivers
    drv = Section("drivers-now", f"As of {case.date.date()}: drivers", [Table(pd.DataFrame({
        "driver": d["driver"], "state": d["state"], "series": d["series"],
        "last value": d["value"].map(lambda v: T.fnum(v, 2)),
        "value for": d["value_date"].fillna("—"), "rule": d["description"]}),
        row_class=list(d["state"].map({"on": "good", "off": "bad"}).fillna("")))])
    rally = Section("rally-now", f"As of {case.date.date()}: the rally under way")
    if case.rally is None or case.rally.empty:
        rally.blocks.append("no rally start within its sustained horizon of this date")
    else:
        r = case.rally.iloc[0]
        rally.blocks.append(Facts([
            ("start", str(r["start"].date())), ("trough", str(r["trough"].date())),
            ("gain at start", T.spct(r["gain_at_start"])),
            ("days since start", str(int(r["days_since_start"]))),
            ("giveback so far", T.pct(r["giveback"])),
            ("outcome known then", str(r["outcome"]))]))
    sections = [facts, drv, rally]
    if case.scorecard is not None:
        sc = case.scorecard
        cond = sc.conditions
        sections.append(Section("scorecard", f"As of {case.date.date()}: the scorecard "
                                f"({sc.study.name})", [
            f"Score {sc.score} of {sc.n_conditions} ({sc.n_with_data} conditions with data).",
            Table(pd.DataFrame({"condition": cond["condition"], "status": cond["status"],
                                "tested": cond["tested"],
                                "value": cond["tested_value"].map(lambda v: T.fnum(v, 3)),
                                "threshold": cond["threshold"].replace("", "—"),
                                "as of": cond["as_of"].fillna("—"),
                                "part of": cond["part_of"].replace("", "—")})),
            Table(odds_rows(sc), caption=f"historical forward returns on days with score "
                                     f"{sc.score}")]))
    sections += analog_sections(an, None, prefix="case-")
    nxt = Section("what-next", f"What happened next (after {case.date.date()}; NOT knowable "
                               "on the date)")
    if case.next is None:
        nxt.blocks.append(f"no data after {case.date.date()} yet")
    else:
        n = case.next
        nxt.blocks.append(Table(pd.DataFrame({
            "horizon": n["horizon"], "target": n["target"].map(T.spct),
            "benchmark": n["benchmark"].map(T.spct), "excess": n["excess"].map(T.spct),
            "analog median": n["analog_median"].map(T.spct),
            "analog range": [f"{T.spct(a)} .. {T.spct(b)}" for a, b in
                             zip(n["analog_min"], n["analog_max"], strict=True)],
            "analogs below actual": [f"{b} of {m}" if b is not None and m else "—" for b, m in
                                     zip(n["analogs_below"], n["n_analogs"], strict=True)]})))
        if case.rally_after is not None and not case.rally_after.empty:
            ra = case.rally_after.iloc[0]
            nxt.blocks.append(f"The rally that started {ra['start'].date()} turned out "
                              f"{ra['outcome']} (giveback {T.pct(ra['giveback'])} within the "
                              "sustained horizon).")
        nxt.blocks.append(_chart("case-actual-vs-analogs", "What happened vs the analog band",
                                 _ax_figure(lambda ax: AC.analog_fan(
                                     an.paths, an.unconditional_band, ax=ax,
                                     actual=case.next_path,
                                     title=f"after {case.date.date()}: actual vs analogs"),
                                     (8, 3.8))))
    sections.append(nxt)
    doc.sections = sections
    return doc


def odds_rows(sc) -> pd.DataFrame:
    """The scorecard's historical odds at today's score, as display strings."""
    o = sc.odds
    return pd.DataFrame({"series": o["series"], "horizon": o["horizon"],
                         "days": o[M.N_EVENTS].astype(str),
                         "independent": o[M.N_INDEPENDENT].astype(str),
                         "hit rate": o[M.HIT_RATE].map(T.pct),
                         "base rate": o[M.BASE_RATE].map(T.pct),
                         "hit-rate 95% CI": [T.ci(a, b) for a, b in zip(o[M.CI_LOW], o[M.CI_HIGH],
                                                                      strict=True)],
                         "mean": o[M.MEAN_FWD].map(T.spct)})


def write(doc: Document, folder: Path, stem: str) -> tuple[Path, Path]:
    """``folder/stem.md`` (charts in ``folder/stem-charts/``) and ``folder/stem.html``."""
    from engine.report.files import write_document

    return write_document(doc, folder, stem)
