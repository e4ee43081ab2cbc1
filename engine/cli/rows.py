"""``study show-row``: one result row in full (the ``#`` column of run / compare tables)."""

from __future__ import annotations

from typing import Annotated

import typer

from engine import metrics as M
from engine.cli.common import FormatOpt, console, guarded
from engine.errors import StudyError


@guarded
def show_row_cmd(
    target: Annotated[str, typer.Argument(help="Run folder, or a study name (its latest run).")],
    row: Annotated[int, typer.Argument(help="Row id: the # column of study run / compare.")],
    fmt: FormatOpt = "table",
) -> None:
    """Print one result row in full: labels never cut, every statistic, the verdict."""
    import pandas as pd

    from engine.compare import resolve_run
    from engine.report import tables as T
    from engine.report.output import Out, check_format, emit
    from engine.report.verdict import verdict
    from engine.runfolder import METRICS, read_table

    check_format(fmt)
    run = resolve_run(target)
    metrics = read_table(run, "metrics")
    if metrics.empty:
        raise StudyError("metrics.parquet is missing or empty", where=str(run / METRICS),
                         fix="re-run the study")
    if not 0 <= row < len(metrics):
        raise StudyError(f"no row {row} in {run / METRICS}", where="ROW",
                         fix=f"use a row id from 0 to {len(metrics) - 1} (the # column)")
    tidy = T.tidy(metrics.iloc[[row]])
    rec = tidy.iloc[0]
    raw = T.ensure_columns(metrics.iloc[[row]]).iloc[0].to_dict()
    items = [("run", str(run)), ("row", str(row))]
    items += [(c, str(rec[c])) for c in ("signal", "variant", "horizon", "episode")]
    skip = {*M.NUMERIC, *M.TEXT, "mean_excess", *dict(items)}
    items += [(k, str(v)) for k, v in rec.items() if k not in skip
              and (isinstance(v, (str, list)) or T.fin(v))]
    items += list(T.metric_columns(raw).items())
    items += [("p (HAC)", T.qfmt(raw.get(M.P_HAC))), ("t (HAC)", T.fnum(raw.get(M.T_HAC))),
              ("median fwd", T.ret(raw.get(M.MEDIAN_FWD))),
              ("base mean fwd", T.ret(raw.get(M.BASE_MEAN_FWD))),
              ("all-events hit rate", T.pct(raw.get(M.HIT_RATE))),
              (M.title(M.NOTE), str(raw.get(M.NOTE) or "—")), ("verdict", verdict(raw))]
    shown = pd.DataFrame(items, columns=["field", "value"])
    emit([Out("row", tidy, display=shown, title=f"row {row}", labels=("value",),
              extra={"wrap": True})], fmt, console)
