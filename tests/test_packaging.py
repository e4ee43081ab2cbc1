"""Packaging: ranges for users, the exact verified set for CI, and the two agree.

pyproject.toml gives ranges (a user's Jupyter environment must be able to satisfy them);
constraints.txt pins the set the suite passed with. `.ci/alt-deps` installs an older set
inside the ranges; these tests keep the files consistent with each other and with it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _requirements() -> list[Requirement]:
    project = _pyproject()["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in ("test", "fast"):
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return reqs


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, ver = line.partition("==")
        assert ver, f"constraints.txt: {line!r} is not an exact pin (name==version)"
        pins[canonicalize_name(name)] = Version(ver)
    return pins


def _alt_set() -> dict[str, Version]:
    text = (REPO / ".ci" / "alt-deps").read_text()
    body = re.search(r"^ALT=\((.*?)\)", text, re.M | re.S)
    assert body, ".ci/alt-deps lost its ALT=(...) line"
    return {canonicalize_name(s.split("==")[0]): Version(s.split("==")[1])
            for s in body.group(1).split()}


def test_dependencies_are_ranges_not_exact_pins():
    for req in _requirements():
        ops = {s.operator for s in req.specifier}
        assert "==" not in ops and "===" not in ops, f"{req} is pinned: give users a range"
        assert ">=" in ops, f"{req} needs a tested lower bound"


def test_every_dependency_is_pinned_in_constraints_within_its_range():
    pins = _pins()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is missing from constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {req.name}=={pins[name]}, outside {req.specifier}")


def test_alternative_set_is_inside_the_ranges_and_differs_in_minor_version():
    reqs = {canonicalize_name(r.name): r for r in _requirements()}
    pins, alt = _pins(), _alt_set()
    assert {"pandas", "numpy", "matplotlib"} <= set(alt)
    for name, ver in alt.items():
        assert ver.release[:2] != pins[name].release[:2], f"alt {name} has the same minor"
        if name not in reqs:  # a transitive dependency (plotly, for vectorbt 1.0)
            continue
        assert reqs[name].specifier.contains(ver), f"alt {name}=={ver} outside {reqs[name]}"
        # the lower bound is at or below the version tested there
        low = [Version(s.version) for s in reqs[name].specifier if s.operator == ">="]
        assert low and max(low) <= ver


def test_ci_installs_with_the_constraints_file_and_runs_the_alt_set():
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"pip install .*-e \"\.\[test,fast\]\" -c constraints\.txt", ci)
    assert "bash .ci/alt-deps" in ci


def test_installed_versions_match_the_constraints_when_ci_says_so():
    """Under `.ci/run` (RALLY_CONSTRAINED=1) the environment is exactly the verified set."""
    import os
    from importlib.metadata import PackageNotFoundError, version

    if os.environ.get("RALLY_CONSTRAINED") != "1":
        pytest.skip("not a constrained CI install (set RALLY_CONSTRAINED=1 in .ci/run)")
    pins = _pins()
    wrong = []
    for req in _requirements():
        name = canonicalize_name(req.name)
        try:
            have = Version(version(req.name))
        except PackageNotFoundError:
            wrong.append(f"{req.name} not installed")
            continue
        if have != pins[name]:
            wrong.append(f"{req.name} {have} != {pins[name]}")
    assert not wrong, wrong
