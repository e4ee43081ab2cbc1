"""Fuzz the study-file parser: whatever a user writes, the answer is a Study or a StudyError.

Three generators, from shallow to deep: random TOML-ish text (through ``load_study``, which
also reads and decodes the file), random nested values at the study keys, and mutated copies
of a valid study that reach the family/parameter checks. Any exception other than
``engine.errors.StudyError`` (for example an ``OverflowError`` or ``RecursionError`` escaping
from a conversion) is a bug: the CLI would print "internal error" for a user's typo.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.data.catalog import Catalog
from engine.errors import StudyError
from engine.signals import FAMILIES
from engine.study.spec import (
    BACKTEST_KEYS,
    EPISODE_KEYS,
    SIGNAL_KEYS,
    STUDY_KEYS,
    TOP_KEYS,
    describe,
    load_study,
    parse_study,
)

REPO = Path(__file__).resolve().parents[1]
CATALOG_IDS = set(Catalog.load(REPO / "datasets").entries)
FUZZ_PATH = Path("studies/fuzz.toml")
SETTINGS = settings(max_examples=250, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# ----------------------------------------------------------------------------- strategies
scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),  # TOML text can hold any size
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["1m", "0d", "-3d", "40d", "2w", "1y", "9999y", "@target", "@benchmark",
                     "index.RUT", "index.GSPC", "fred.DGS10", "shiller.sp500:earnings",
                     "shiller.sp500:nope", "2020-01-01", "2020-13-45", "all", "events",
                     "state", "trend.ma_cross", "", " ", "a b"]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def keyed(keys: set[str]) -> st.SearchStrategy[dict]:
    """Dicts mostly using the known keys (so validation gets past the key check)."""
    key = st.one_of(st.sampled_from(sorted(keys)), st.text(max_size=8))
    return st.dictionaries(key, values, max_size=len(keys) + 1)


random_studies = st.fixed_dictionaries(
    {},
    optional={
        "study": st.one_of(keyed(STUDY_KEYS), values),
        "signals": st.one_of(st.lists(keyed(SIGNAL_KEYS), max_size=4), values),
        "episodes": st.one_of(st.lists(keyed(EPISODE_KEYS), max_size=3), values),
        "backtest": st.one_of(keyed(BACKTEST_KEYS), values),
        "scorecard": st.one_of(keyed({"small", "large"}), values),
    },
)


def valid_study() -> dict:
    return {
        "study": {"title": "t", "question": "q", "target": "index.RUT",
                  "benchmark": "index.GSPC", "horizons": ["1m", 63], "start": "2000-01-01",
                  "mode": "events"},
        "episodes": [{"name": "gfc", "start": "2007-10-01", "end": "2009-03-31"}],
        "signals": [
            {"name": "a", "family": "trend.ma_cross", "params": {"fast": [20, 50], "slow": 200}},
            {"name": "b", "family": "credit.spread_change",
             "params": {"lookback": 21, "below": -0.5}},
            {"name": "c", "all": ["a", "b"], "persist": 2},
        ],
        "backtest": {"fees": 0.001, "hedge": True},
    }


@st.composite
def family_signal(draw) -> dict:
    """A signal of a real family with real parameter names and random values."""
    fam = FAMILIES[draw(st.sampled_from(sorted(FAMILIES)))]
    names = [p.name for p in fam.params]
    params = draw(st.dictionaries(
        st.one_of(st.sampled_from(names), st.text(max_size=6)) if names else st.text(max_size=6),
        st.one_of(scalars, st.lists(scalars, max_size=5),
                  st.lists(st.integers(-3, 6000), max_size=8)),
        max_size=len(names) + 1))
    sig = {"name": draw(st.from_regex(r"[a-z][a-z0-9_\-]{0,6}", fullmatch=True)),
           "family": fam.name, "params": params}
    if draw(st.booleans()):
        sig[draw(st.sampled_from(["persist", "cooldown", "description"]))] = draw(scalars)
    return sig


@st.composite
def mutated_studies(draw) -> dict:
    """A valid study with a few keys set to random values or random real-family signals."""
    raw = valid_study()
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(["study", "signals", "episodes", "backtest", "top"]))
        if section == "top":
            raw[draw(st.sampled_from(sorted(TOP_KEYS)))] = draw(values)
        elif section == "signals":
            if not isinstance(raw["signals"], list) or not raw["signals"]:
                raw["signals"] = [draw(family_signal())]
            elif draw(st.booleans()):
                raw["signals"].insert(draw(st.integers(0, len(raw["signals"]))),
                                      draw(family_signal()))
            else:
                i = draw(st.integers(0, len(raw["signals"]) - 1))
                if not isinstance(raw["signals"][i], dict):
                    raw["signals"][i] = {}
                sig = raw["signals"][i]
                sig[draw(st.sampled_from(sorted(SIGNAL_KEYS)))] = draw(values)
        elif section == "episodes":
            if not (isinstance(raw["episodes"], list) and raw["episodes"]
                    and isinstance(raw["episodes"][0], dict)):
                raw["episodes"] = [{}]
            raw["episodes"][0][draw(st.sampled_from(sorted(EPISODE_KEYS)))] = draw(values)
        else:
            keys = STUDY_KEYS if section == "study" else BACKTEST_KEYS
            if not isinstance(raw[section], dict):
                raw[section] = {}
            raw[section][draw(st.sampled_from(sorted(keys)))] = draw(values)
    return raw


FRAGMENTS = [
    "[study]", "[[signals]]", "[[episodes]]", "[backtest]", "[scorecard]", "\n", " ", "=",
    'title = "t"', 'question = "q"', 'target = "index.RUT"', 'horizons = ["1m", "3m"]',
    'name = "a"', 'family = "trend.ma_cross"', "params = { fast = [20, 50], slow = 200 }",
    'all = ["a", "b"]', 'start = "2020-01-01"', "end = 2019-01-01", "mode = 'state'",
    "max_variants = 1", "[", "]", "{", "}", '"', "'''", '"""', "#", ",", "1e999", "nan",
    "-inf", "0x1F", "99999999999999999999999999", "true", "1979-05-27T07:32:00Z", "\ufeff",
    "\x00", "\r\n", "a.b.c = 1", "[study.sub]", "params.fast = 3", "[" * 50, "{x=" * 40,
]
toml_texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("\n".join),
)


# ----------------------------------------------------------------------------- checks
def check_parse(raw: dict) -> None:
    """parse_study returns a describable Study or raises a StudyError naming file and fix."""
    try:
        study = parse_study(raw, FUZZ_PATH, "0" * 64, CATALOG_IDS)
    except StudyError as exc:
        assert exc.where is not None and exc.where.startswith(str(FUZZ_PATH)), str(exc)
        assert exc.fix, str(exc)
        return
    json.dumps(describe(study))  # what goes into every manifest must serialise
    assert study.signals and study.horizons


@SETTINGS
@given(raw=random_studies)
def test_random_structures_only_raise_study_error(raw):
    check_parse(raw)


@SETTINGS
@given(raw=mutated_studies())
@example(raw=valid_study() | {"signals": [{"name": "b", "family": "credit.spread_change",
                                           "params": {"lookback": 21, "below": 10**400}}]})
@example(raw=valid_study() | {"study": valid_study()["study"] | {"max_variants": 10},
                              "signals": [{"name": "x", "family": "breadth.sectors_thrust",
                                           "params": {"window": list(range(2, 1000)),
                                                      "low": [0.1, 0.2], "high": [0.8, 0.9],
                                                      "days": list(range(1, 253))}}]})
def test_mutated_valid_study_only_raises_study_error(raw):
    check_parse(raw)


def test_valid_study_parses():
    study = parse_study(valid_study(), FUZZ_PATH, "", CATALOG_IDS)
    assert [s.name for s in study.signals] == ["a", "b", "c"]
    assert [h.days for h in study.horizons] == [21, 63]
    assert study.backtest.hedge and study.benchmark == "index.GSPC"


@pytest.fixture(scope="module")
def fuzz_file() -> Path:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "fuzz.toml"


@SETTINGS
@given(text=toml_texts)
@example(text="a = " + "[" * 5000)  # tomllib recurses: RecursionError, not TOMLDecodeError
@example(text="\ufeff[study]\ntitle = 't'\n")
def test_random_text_only_raises_study_error(text, fuzz_file):
    fuzz_file.write_text(text, encoding="utf-8")
    try:
        load_study(fuzz_file, CATALOG_IDS)
    except StudyError as exc:
        assert str(fuzz_file) in str(exc) and exc.fix


@SETTINGS
@given(data=st.binary(max_size=200))
def test_random_bytes_only_raise_study_error(data, fuzz_file):
    fuzz_file.write_bytes(data)
    try:
        load_study(fuzz_file, CATALOG_IDS)
    except StudyError as exc:
        assert str(fuzz_file) in str(exc)
