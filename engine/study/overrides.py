"""Command-line overrides of a study (``study run --horizon/--episode/--start ...``).

``Overrides`` holds what ``study run`` and ``engine.run_study`` pass beside the study file;
``apply_overrides`` narrows the parsed ``Study`` with them, with the same checks and messages
as the study file (``where=`` names the option).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import SpecError
from engine.study.fields import Ctx, parse_date, parse_horizon
from engine.study.spec import Study

MAX_N_BOOT = 100_000  # as [study] n_boot


@dataclass
class Overrides:
    horizons: list[str] | None = None
    episodes: list[str] | None = None
    start: str | None = None
    end: str | None = None
    out: Path | None = None
    executor: str = "local"
    scheduler: str | None = None
    n_boot: int | None = None
    reports: bool = True
    backtest: bool | None = None
    min_independent: int | None = None

    def as_dict(self) -> dict:
        """The overrides that change results (recorded in the manifest and the inputs hash)."""
        d = dataclasses.asdict(self)
        d.pop("out")
        d.pop("reports")
        return {k: v for k, v in d.items() if v is not None and k != "scheduler"}


def apply_overrides(study: Study, ov: Overrides) -> Study:
    """Narrow a study from the command line (horizons, episodes, dates)."""
    ctx = Ctx(study.path)
    changes: dict = {}
    if ov.horizons:
        hz = tuple(parse_horizon(int(h) if re.fullmatch(r"[0-9]+", h) else h, ctx, "--horizon")
                   for h in ov.horizons)
        if len({h.days for h in hz}) != len(hz):
            raise SpecError(f"two horizons have the same length in days "
                            f"({', '.join(f'{h.label}={h.days}d' for h in hz)})",
                            where="--horizon", fix="list each horizon once")
        changes["horizons"] = hz
    if ov.episodes:
        known = {e.name for e in study.episodes}
        unknown = [e for e in ov.episodes if e not in known and e != "all"]
        if unknown:
            raise SpecError(f"unknown episode(s) {unknown}", where="--episode",
                            fix=f"use one of {sorted(known | {'all'})}")
        changes["episodes"] = tuple(e for e in study.episodes if e.name in ov.episodes)
    if ov.start:
        changes["start"] = parse_date(ov.start, ctx, "--start")
    if ov.end:
        changes["end"] = parse_date(ov.end, ctx, "--end")
    if ov.n_boot is not None:
        if not 0 <= ov.n_boot <= MAX_N_BOOT:
            raise SpecError(f"n_boot = {ov.n_boot} not allowed", where="--n-boot",
                            fix=f"use an integer from 0 to {MAX_N_BOOT}")
        changes["n_boot"] = ov.n_boot
    if ov.min_independent is not None:
        if ov.min_independent < 0:
            raise SpecError(f"--min-independent {ov.min_independent} is negative",
                            where="--min-independent", fix="give 0 or more (default 10)")
        changes["min_independent"] = ov.min_independent
    if ov.scheduler is not None:
        from engine.evaluate.distributed import check_address  # a run option, checked early

        if ov.executor != "dask":
            raise SpecError("--scheduler is only used with --executor dask", where="--scheduler",
                            fix="add --executor dask, or drop --scheduler")
        check_address(ov.scheduler)
    if ov.backtest is not None:
        changes["backtest"] = dataclasses.replace(study.backtest, enabled=ov.backtest)
    study = dataclasses.replace(study, **changes)
    if study.start and study.end and study.end <= study.start:
        raise SpecError(f"end {study.end} is not after start {study.start}", where="--start/--end",
                        fix="fix the dates")
    return study
