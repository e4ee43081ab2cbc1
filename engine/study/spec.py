"""Study files: parse and validate ``studies/NAME.toml`` into frozen dataclasses.

Every error names the file, the key and what is allowed, so a user can fix it without reading
code. A parameter given as a list is a sweep axis, kept as a tuple (``max_variants`` caps
the product of a signal's axes); ``engine.signals.grid`` expands the axes into variants.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import paths
from engine.errors import SpecError
from engine.study.fields import Ctx, Horizon, check_keys, parse_date, parse_horizon

MODES = ("events", "state")
STUDY_KEYS = {"title", "question", "target", "benchmark", "horizons", "start", "end", "mode",
              "seed", "n_boot", "max_variants", "min_independent"}
TOP_KEYS = {"study", "episodes", "signals", "backtest", "scorecard", "rallies", "analogs", "case",
            "validation"}
VALIDATION_KEYS = {"split", "walk_forward"}
WALK_FORWARD_KEYS = {"train", "test", "step", "anchored"}
SCORECARD_KEYS = {"small", "large"}
SIGNAL_KEYS = {"name", "family", "params", "all", "any", "not", "persist", "cooldown",
               "description"}
BACKTEST_KEYS = {"fees", "slippage", "hedge", "enabled"}
EPISODE_KEYS = {"name", "start", "end", "clip", "test"}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]*$")
DEFAULT_MAX_VARIANTS = 5000
TOO_MANY_FIX = ("shorten the parameter lists, or raise [study] max_variants if you mean it "
                "(and consider --executor dask)")


@dataclass(frozen=True)
class Episode:
    """A named date range. ``clip``: count only days whose forward window ends inside the
    episode; ``test``: give its rows p, q and HAC t (default: descriptive only)."""

    name: str
    start: dt.date
    end: dt.date
    clip: bool = False
    test: bool = False


@dataclass(frozen=True)
class WalkForward:
    """``[validation] walk_forward``: rolling (or anchored) train/test windows, in months.

    Fold i trains on [start + i*step, start + train + i*step) (anchored: from the study's
    first day) and tests on the ``test`` months after it; ``step`` defaults to ``test`` so the
    test windows tile the data without overlap."""

    train_months: int
    test_months: int
    step_months: int
    anchored: bool = False
    labels: tuple[str, str, str] = ("", "", "")  # train, test, step as written

    def describe(self) -> dict:
        return {"train": self.labels[0], "test": self.labels[1], "step": self.labels[2],
                "anchored": self.anchored}


@dataclass(frozen=True)
class SignalSpec:
    """One ``[[signals]]`` entry: a family with parameters, or a combinator of other signals."""

    name: str
    family: str | None = None
    params: tuple[tuple[str, Any], ...] = ()  # sweep axes kept as tuples
    combinator: str | None = None  # "all" | "any" | "not"
    inputs: tuple[str, ...] = ()
    persist: int = 0
    cooldown: int = 0
    description: str = ""

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class BacktestSpec:
    enabled: bool = True
    fees: float = 0.0005
    slippage: float = 0.0005
    hedge: bool = False


@dataclass(frozen=True)
class Study:
    name: str
    path: Path
    sha256: str
    title: str
    question: str
    target: str
    benchmark: str | None
    horizons: tuple[Horizon, ...]
    start: dt.date | None
    end: dt.date | None
    mode: str
    seed: int
    n_boot: int
    max_variants: int
    episodes: tuple[Episode, ...]
    signals: tuple[SignalSpec, ...]
    backtest: BacktestSpec = field(default_factory=BacktestSpec)
    scorecard: tuple[tuple[str, str], ...] = ()  # optional [scorecard] small/large ids
    anatomy: Any = None  # rally_rules.Anatomy: optional [rallies]/[analogs]/[case]
    min_independent: int = 10  # rows below this many independent events: "too few to judge"
    validation_split: dt.date | None = None  # [validation] split: in-sample before, OOS from
    walk_forward: WalkForward | None = None  # [validation] walk_forward: rolling folds

    def signal(self, name: str) -> SignalSpec:
        return next(s for s in self.signals if s.name == name)


def _int(raw: dict, name: str, default: int, ctx: Ctx, key: str, lo: int, hi: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ctx.fail(f"{key}.{name}", f"{name} = {value!r} not allowed",
                       f"use an integer from {lo} to {hi}")
    return value


def _str(raw: dict, name: str, ctx: Ctx, key: str, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ctx.fail(f"{key}.{name}", f"'{name}' must be a non-empty string, got {value!r}",
                       f"set {name} = \"...\"")
    return value.strip()


# ----------------------------------------------------------------------------- parameters
def _param_value(p, value: Any, ctx: Ctx, key: str) -> Any:
    """Check one (non-list) parameter value against its declared kind and range."""
    kind = p.kind
    ok = True
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        # TOML integers have no size limit: float(10**400) raises OverflowError
        if ok and not (abs(value) < 1e300 and math.isfinite(float(value))):
            ok = False
        value = float(value) if ok else value
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind in ("str", "series"):
        ok = isinstance(value, str) and bool(value.strip())
    if not ok:
        raise ctx.fail(key, f"parameter '{p.name}' = {value!r} is not a valid {kind}",
                       f"give {p.name} a {kind}" + (f" ({p.help})" if p.help else ""))
    if p.min is not None and value < p.min:
        raise ctx.fail(key, f"parameter '{p.name}' = {value!r} is below its minimum {p.min}",
                       f"use {p.name} >= {p.min}")
    if p.max is not None and value > p.max:
        raise ctx.fail(key, f"parameter '{p.name}' = {value!r} is above its maximum {p.max}",
                       f"use {p.name} <= {p.max}")
    if p.choices is not None and value not in p.choices:
        raise ctx.fail(key, f"parameter '{p.name}' = {value!r} not allowed",
                       f"use one of {list(p.choices)}")
    return value


def _family_params(sig: dict, ctx: Ctx, key: str, catalog_ids,
                   max_variants: int = 10_000_000) -> tuple[tuple[str, Any], ...]:
    from engine.signals import REQUIRED, get_family

    try:
        family = get_family(sig["family"])
    except SpecError as exc:
        raise ctx.fail(f"{key}.family", str(exc).split("\n")[0].removeprefix("family: "),
                       exc.fix or "see `study families`") from None
    raw = sig.get("params", {})
    if not isinstance(raw, dict):
        raise ctx.fail(f"{key}.params", "params must be a table", "params = { name = value }")
    known = {p.name: p for p in family.params}
    check_keys(raw, set(known), ctx, f"{key}.params")
    out = []
    for name, p in known.items():
        pkey = f"{key}.params.{name}"
        if name not in raw:
            if p.default is REQUIRED:
                raise ctx.fail(pkey, f"family '{family.name}' needs parameter '{name}'",
                               f"add {name} = ..." + (f" ({p.help})" if p.help else ""))
            out.append((name, p.default))
            continue
        value = raw[name]
        if isinstance(value, list):
            if not value:
                raise ctx.fail(pkey, "an empty list sweeps nothing", "give at least one value")
            vals = tuple(_param_value(p, v, ctx, pkey) for v in value)
            if len(set(vals)) != len(vals):
                raise ctx.fail(pkey, f"sweep {value!r} repeats a value", "list each value once")
            out.append((name, vals))
        else:
            out.append((name, _param_value(p, value, ctx, pkey)))
        if p.kind == "series":
            for ref in (out[-1][1] if isinstance(out[-1][1], tuple) else (out[-1][1],)):
                _check_ref(ref, ctx, pkey, catalog_ids)
    params = tuple(out)
    n = math.prod(len(v) for _, v in params if isinstance(v, tuple))
    if n > max_variants:  # refuse before expanding: a product of long sweeps can exhaust memory
        raise ctx.fail(f"{key}.params", f"the sweeps of signal '{sig['name']}' expand to {n} "
                       f"variants, above max_variants = {max_variants}", TOO_MANY_FIX)
    return params


def _check_variants(spec: SignalSpec, ctx: Ctx, key: str) -> None:
    """The family's own check over every variant (the expansion is the signals layer's, done
    once here and reused by the run)."""
    from engine.signals import get_family
    from engine.signals.grid import variants

    if get_family(spec.family).check is None:
        return
    grid = variants(spec)
    problem = grid.family.check(grid.columns())
    if problem:
        raise ctx.fail(f"{key}.params", problem, "adjust the parameters (every variant of "
                       "a sweep must be valid)")


def _check_ref(ref: str, ctx: Ctx, key: str, catalog_ids) -> None:
    if ref in ("@target", "@benchmark") or catalog_ids is None:
        return
    id_ = ref.partition(":")[0]
    if id_ not in catalog_ids:
        close = difflib.get_close_matches(id_, sorted(catalog_ids), n=3)
        raise ctx.fail(key, f"unknown dataset '{id_}'",
                       (f"did you mean {', '.join(close)}? " if close else "")
                       + "see `study data list`")


# ----------------------------------------------------------------------------- signals
def _signal(sig: Any, i: int, ctx: Ctx, names: set[str], catalog_ids,
            max_variants: int = 10_000_000) -> SignalSpec:
    key = f"signals[{i}]"
    if not isinstance(sig, dict):
        raise ctx.fail(key, "each [[signals]] entry must be a table", "see studies/*.toml")
    check_keys(sig, SIGNAL_KEYS, ctx, key)
    name = _str(sig, "name", ctx, key)
    if not NAME_RE.match(name):
        raise ctx.fail(f"{key}.name", f"signal name {name!r} not allowed",
                       "use letters, digits, '-', '_' or '.'")
    if name in names:
        raise ctx.fail(f"{key}.name", f"duplicate signal name '{name}'", "give each signal a "
                       "unique name")
    kinds = [k for k in ("family", "all", "any", "not") if k in sig]
    if len(kinds) != 1:
        raise ctx.fail(key, f"signal '{name}' must have exactly one of family/all/any/not "
                       f"(has {kinds or 'none'})", "family = \"credit.spread_change\" or "
                       "all = [\"a\", \"b\"]")
    persist = _int(sig, "persist", 0, ctx, key, 0, 2520)
    cooldown = _int(sig, "cooldown", 0, ctx, key, 0, 2520)
    desc = str(sig.get("description", ""))
    kind = kinds[0]
    if kind == "family":
        _str(sig, "family", ctx, key)
        params = _family_params(sig, ctx, key, catalog_ids, max_variants)
        spec = SignalSpec(name, family=sig["family"], params=params, persist=persist,
                          cooldown=cooldown, description=desc)
        _check_variants(spec, ctx, key)
        return spec
    if "params" in sig:
        raise ctx.fail(f"{key}.params", "a combinator takes no params", "remove params")
    inputs = sig[kind]
    if kind == "not":
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not (isinstance(inputs, list) and len(inputs) == 1):
            raise ctx.fail(f"{key}.not", "'not' takes one signal name", "not = \"name\"")
    if (not isinstance(inputs, list) or not inputs
            or not all(isinstance(x, str) for x in inputs)):
        raise ctx.fail(f"{key}.{kind}", f"'{kind}' must be a list of signal names",
                       f"{kind} = [\"a\", \"b\"]")
    if kind != "not" and len(inputs) < 2:
        raise ctx.fail(f"{key}.{kind}", f"'{kind}' needs at least two signals", "list two or more")
    for ref in inputs:
        if ref not in names:
            raise ctx.fail(f"{key}.{kind}", f"'{ref}' is not a signal defined above",
                           "combine only signals defined earlier in the file: "
                           + (", ".join(sorted(names)) or "none yet"))
    return SignalSpec(name, combinator=kind, inputs=tuple(inputs), persist=persist,
                      cooldown=cooldown, description=desc)


def variant_count(study_signals: tuple[SignalSpec, ...]) -> dict[str, int]:
    """Variants per signal: product of sweep lengths; combinators multiply their inputs."""
    counts: dict[str, int] = {}
    for s in study_signals:
        if s.family:
            n = 1
            for _, v in s.params:
                n *= len(v) if isinstance(v, tuple) else 1
        else:
            n = 1
            for ref in s.inputs:
                n *= counts[ref]
        counts[s.name] = n
    return counts


# ----------------------------------------------------------------------------- study
# A study's file name becomes its folder under results/: no dot first ("..", ".hidden"), no
# separators or control characters, so a run can never land outside results/<study>/.
STUDY_STEM = re.compile(r"[A-Za-z0-9_][^\x00-\x1f\x7f/\\]*")


def check_stem(path: Path) -> None:
    if not STUDY_STEM.fullmatch(path.stem) or path.stem.endswith("."):
        raise SpecError(f"study file name {path.stem!r} not allowed (it names the run folder "
                        "under results/)", where=repr(str(path)),
                        fix="rename the file to letters, digits, '-' or '_', e.g. "
                        "my-study.toml")


def resolve_path(name_or_path: str | Path) -> Path:
    """A study name (``studies/NAME.toml``) or a path to a .toml file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.name.endswith(".toml"):
        if not p.is_file():
            raise SpecError("study file not found", where=str(p), fix="check the path")
        return p
    candidate = paths.studies_dir() / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    known = sorted(f.stem for f in paths.studies_dir().glob("*.toml"))
    close = difflib.get_close_matches(str(name_or_path), known, n=3)
    raise SpecError(f"no study named '{name_or_path}'", where=str(candidate),
                    fix=(f"did you mean {', '.join(close)}? " if close else "")
                    + "see `study list`")


def load_study(name_or_path: str | Path, catalog_ids=None) -> Study:
    """Read and validate a study file (``catalog_ids``: known dataset ids, to check references)."""
    path = resolve_path(name_or_path)
    data = path.read_bytes()
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))  # -sig: editors may add a BOM
    except UnicodeDecodeError:
        raise SpecError("file is not UTF-8 text", where=str(path), fix="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"malformed TOML: {exc}", where=str(path),
                        fix="fix the syntax at the line and column shown") from None
    except RecursionError:  # tomllib recurses once per nesting level
        raise SpecError("malformed TOML: arrays or tables nested too deeply", where=str(path),
                        fix="a study file needs at most a few levels of [ ] and { }") from None
    return parse_study(raw, path, hashlib.sha256(data).hexdigest(), catalog_ids)


def parse_study(raw: dict, path: Path, sha256: str = "", catalog_ids=None) -> Study:
    ctx = Ctx(path)
    check_keys(raw, TOP_KEYS, ctx, "")
    st = raw.get("study")
    if not isinstance(st, dict):
        raise ctx.fail("study", "missing [study] table", "start the file with [study] and "
                       "title, question, target, horizons")
    check_keys(st, STUDY_KEYS, ctx, "study")
    title = _str(st, "title", ctx, "study")
    question = _str(st, "question", ctx, "study")
    target = _str(st, "target", ctx, "study")
    _check_ref(target, ctx, "study.target", catalog_ids)
    benchmark = _str(st, "benchmark", ctx, "study", required=False)
    if benchmark is not None:
        _check_ref(benchmark, ctx, "study.benchmark", catalog_ids)
        if benchmark == target:
            raise ctx.fail("study.benchmark", "benchmark equals target (excess would be 0)",
                           "choose a different benchmark or remove it")
    hz = st.get("horizons", ["1m", "3m", "6m", "12m"])
    if not isinstance(hz, list) or not hz:
        raise ctx.fail("study.horizons", "horizons must be a non-empty list",
                       "horizons = [\"1m\", \"3m\"]")
    horizons = tuple(parse_horizon(h, ctx) for h in hz)
    if len({h.days for h in horizons}) != len(horizons):
        raise ctx.fail("study.horizons", "two horizons have the same length in days",
                       "list each horizon once")
    mode = st.get("mode", "events")
    if mode not in MODES:
        raise ctx.fail("study.mode", f"mode {mode!r} not allowed", f"use one of {list(MODES)}")
    start = parse_date(st["start"], ctx, "study.start") if "start" in st else None
    end = parse_date(st["end"], ctx, "study.end") if "end" in st else None
    if start and end and end <= start:
        raise ctx.fail("study.end", f"end {end} is not after start {start}", "fix the dates")
    seed = _int(st, "seed", 0, ctx, "study", 0, 2**32 - 1)
    n_boot = _int(st, "n_boot", 1000, ctx, "study", 0, 100_000)
    max_variants = _int(st, "max_variants", DEFAULT_MAX_VARIANTS, ctx, "study", 1, 10_000_000)
    min_independent = _int(st, "min_independent", 10, ctx, "study", 0, 100_000)
    episodes = _episodes(raw.get("episodes", []), ctx)
    sigs_raw = raw.get("signals")
    if not isinstance(sigs_raw, list) or not sigs_raw:
        raise ctx.fail("signals", "no [[signals]] defined", "add at least one [[signals]] table")
    signals: list[SignalSpec] = []
    for i, s in enumerate(sigs_raw):
        signals.append(_signal(s, i, ctx, {x.name for x in signals}, catalog_ids, max_variants))
    counts = variant_count(tuple(signals))
    total = sum(counts.values())
    if total > max_variants:
        worst = max(counts, key=counts.get)
        raise ctx.fail("signals", f"the sweeps expand to {total} variants (largest: "
                       f"'{worst}' with {counts[worst]}), above max_variants = {max_variants}",
                       TOO_MANY_FIX)
    bt = raw.get("backtest", {})
    if not isinstance(bt, dict):
        raise ctx.fail("backtest", "must be a table", "[backtest] fees = 0.0005")
    check_keys(bt, BACKTEST_KEYS, ctx, "backtest")
    backtest = BacktestSpec(
        enabled=_bool(bt, "enabled", True, ctx), fees=_fraction(bt, "fees", ctx),
        slippage=_fraction(bt, "slippage", ctx), hedge=_bool(bt, "hedge", False, ctx),
    )
    if backtest.hedge and benchmark is None:
        raise ctx.fail("backtest.hedge", "hedge = true needs a benchmark to short",
                       "set [study] benchmark or hedge = false")
    sc = raw.get("scorecard", {})
    if not isinstance(sc, dict):
        raise ctx.fail("scorecard", "must be a table", "[scorecard] small/large = dataset ids")
    check_keys(sc, SCORECARD_KEYS, ctx, "scorecard")
    for k, v in sc.items():
        if not isinstance(v, str):
            raise ctx.fail(f"scorecard.{k}", f"{k} must be a dataset id", f'{k} = "index.RUT"')
        _check_ref(v, ctx, f"scorecard.{k}", catalog_ids)
    validation_split, walk_forward = _validation(raw.get("validation", {}), ctx, start, end)
    from engine.study.rally_rules import parse_anatomy

    anatomy = parse_anatomy(raw, ctx, benchmark)
    return Study(
        scorecard=tuple(sorted(sc.items())), anatomy=anatomy,
        name=path.stem, path=path, sha256=sha256, title=title, question=question,
        target=target, benchmark=benchmark, horizons=horizons, start=start, end=end, mode=mode,
        seed=seed, n_boot=n_boot, max_variants=max_variants, episodes=episodes,
        signals=tuple(signals), backtest=backtest, min_independent=min_independent,
        validation_split=validation_split, walk_forward=walk_forward,
    )


def _bool(raw: dict, name: str, default: bool, ctx: Ctx) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise ctx.fail(f"backtest.{name}", f"{name} = {value!r} must be true or false",
                       f"{name} = {str(default).lower()}")
    return value


def _fraction(raw: dict, name: str, ctx: Ctx) -> float:
    value = raw.get(name, 0.0005)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 0.1:
        raise ctx.fail(f"backtest.{name}", f"{name} = {value!r} not allowed",
                       "a per-side fraction from 0 to 0.1 (0.0005 = 5 bp)")
    return float(value)


def _validation(raw: Any, ctx: Ctx, start: dt.date | None, end: dt.date | None,
                ) -> tuple[dt.date | None, WalkForward | None]:
    """``[validation]``: ``split`` (the first out-of-sample day) and/or ``walk_forward``
    (rolling train/test folds); (None, None) without a [validation]."""
    if not isinstance(raw, dict):
        raise ctx.fail("validation", "must be a table", '[validation] split = "2015-01-01"')
    check_keys(raw, VALIDATION_KEYS, ctx, "validation")
    if not raw:
        return None, None
    split = None
    if "split" in raw:
        split = parse_date(raw["split"], ctx, "validation.split")
        if (start and split <= start) or (end and split >= end):
            raise ctx.fail("validation.split", f"split {split} is not inside the study window "
                           f"{start or '…'} .. {end or '…'}",
                           "pick a date inside [study] start/end")
    elif "walk_forward" not in raw:
        raise ctx.fail("validation.split", "[validation] has no split date",
                       'split = "2015-01-01" (first out-of-sample day), or walk_forward = '
                       '{ train = "10y", test = "3y" }')
    wf = _walk_forward(raw["walk_forward"], ctx) if "walk_forward" in raw else None
    return split, wf


_WF_FIX = 'walk_forward = { train = "10y", test = "3y" } (years "Ny" or months "Nm")'


def _months(value: Any, ctx: Ctx, key: str) -> int:
    """'10y' -> 120, '18m' -> 18 (calendar months)."""
    m = re.fullmatch(r"\s*(\d+)\s*([my])\s*", value.lower()) if isinstance(value, str) else None
    if m is None:
        raise ctx.fail(key, f"{value!r} is not a length of time", _WF_FIX)
    months = int(m.group(1)) * (12 if m.group(2) == "y" else 1)
    if not 1 <= months <= 1200:
        raise ctx.fail(key, f"{value!r} must be 1 month to 100 years", _WF_FIX)
    return months


def _walk_forward(raw: Any, ctx: Ctx) -> WalkForward:
    key = "validation.walk_forward"
    if not isinstance(raw, dict):
        raise ctx.fail(key, "must be a table", _WF_FIX)
    check_keys(raw, WALK_FORWARD_KEYS, ctx, key)
    for k in ("train", "test"):
        if k not in raw:
            raise ctx.fail(f"{key}.{k}", f"walk_forward has no {k} length", _WF_FIX)
    train = _months(raw["train"], ctx, f"{key}.train")
    test = _months(raw["test"], ctx, f"{key}.test")
    step = _months(raw.get("step", raw["test"]), ctx, f"{key}.step")
    if step < test:
        raise ctx.fail(f"{key}.step", f"step {raw.get('step')!r} is shorter than test "
                       f"{raw['test']!r}: test windows would overlap and the pooled "
                       "out-of-sample events would count some days twice",
                       "leave step out (= test) or make it at least as long as test")
    anchored = raw.get("anchored", False)
    if not isinstance(anchored, bool):
        raise ctx.fail(f"{key}.anchored", f"anchored = {anchored!r} must be true or false",
                       "anchored = true (train from the first day) or false (rolling)")
    labels = (str(raw["train"]).strip(), str(raw["test"]).strip(),
              str(raw.get("step", raw["test"])).strip())
    return WalkForward(train, test, step, anchored, labels)


def _episodes(raw: Any, ctx: Ctx) -> tuple[Episode, ...]:
    if not isinstance(raw, list):
        raise ctx.fail("episodes", "must be an array of tables", "use [[episodes]]")
    out: list[Episode] = []
    for i, ep in enumerate(raw):
        key = f"episodes[{i}]"
        if not isinstance(ep, dict):
            raise ctx.fail(key, "must be a table", "[[episodes]] name/start/end")
        check_keys(ep, EPISODE_KEYS, ctx, key)
        name = _str(ep, "name", ctx, key)
        if name in ("all", "in-sample", "out-of-sample") or name in {e.name for e in out}:
            raise ctx.fail(f"{key}.name", f"episode name '{name}' is reserved or repeated",
                           "'all' is the full sample and in-sample/out-of-sample the [validation] "
                           "halves; give each episode a unique name")
        for k in ("start", "end"):
            if k not in ep:
                raise ctx.fail(f"{key}.{k}", f"episode '{name}' has no {k}",
                               f"{k} = \"YYYY-MM-DD\"")
        start = parse_date(ep["start"], ctx, f"{key}.start")
        end = parse_date(ep["end"], ctx, f"{key}.end")
        if end < start:
            raise ctx.fail(f"{key}.end", f"episode '{name}' ends ({end}) before it starts "
                           f"({start})", "swap or fix the dates")
        flags = {}
        for k in ("clip", "test"):
            v = ep.get(k, False)
            if not isinstance(v, bool):
                raise ctx.fail(f"{key}.{k}", f"{k} = {v!r} must be true or false",
                               f"{k} = true")
            flags[k] = v
        out.append(Episode(name, start, end, **flags))
    return tuple(out)


def describe(study: Study) -> dict:
    """A JSON-ready description for manifests and `study show`."""
    counts = variant_count(study.signals)
    return {
        "name": study.name, "file": str(study.path), "sha256": study.sha256,
        "title": study.title, "question": study.question, "target": study.target,
        "benchmark": study.benchmark, "mode": study.mode,
        "horizons": [{"label": h.label, "days": h.days} for h in study.horizons],
        "start": str(study.start) if study.start else None,
        "end": str(study.end) if study.end else None,
        "episodes": [{"name": e.name, "start": str(e.start), "end": str(e.end),
                      "clip": e.clip, "test": e.test} for e in study.episodes],
        "signals": [{"name": s.name, "family": s.family, "combinator": s.combinator,
                     "inputs": list(s.inputs), "persist": s.persist, "cooldown": s.cooldown,
                     "params": json.loads(json.dumps(dict(s.params), default=list)),
                     "n_variants": counts[s.name], "description": s.description}
                    for s in study.signals],
        "backtest": {"enabled": study.backtest.enabled, "fees": study.backtest.fees,
                     "slippage": study.backtest.slippage, "hedge": study.backtest.hedge},
        "seed": study.seed, "n_boot": study.n_boot, "min_independent": study.min_independent,
        "validation": ({**({"split": str(study.validation_split)} if study.validation_split
                            else {}),
                        **({"walk_forward": study.walk_forward.describe()}
                           if study.walk_forward else {})}
                       if study.validation_split or study.walk_forward else None),
    }
