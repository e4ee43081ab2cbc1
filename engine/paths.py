"""Where the project's folders are: catalog, built datasets, studies and results.

The root is ``STUDY_HOME`` if set, else the nearest folder upward from the working directory
holding ``datasets/catalog.toml``, else the source checkout this package lives in.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("STUDY_HOME")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        if (folder / "datasets" / "catalog.toml").is_file():
            return folder
    return Path(__file__).resolve().parent.parent


def datasets_dir() -> Path:
    return project_root() / "datasets"


def studies_dir() -> Path:
    return project_root() / "studies"


def results_dir() -> Path:
    return project_root() / "results"


def mirror_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The mirror to build from: ``--mirror`` first, then ``STUDY_DATA_MIRROR``, else None."""
    value = explicit if explicit is not None else os.environ.get("STUDY_DATA_MIRROR")
    return Path(value).expanduser().resolve() if value else None


OFF = frozenset({"off", "0", "no", "false"})


def is_off(value: str | None) -> bool:
    """A ``STUDY_*`` switch's value that turns a feature off (``STUDY_CHART_CACHE=off``)."""
    return (value or "").strip().lower() in OFF
