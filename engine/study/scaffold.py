"""`study new NAME`: a commented study file from the template, validated before it is kept."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from engine import paths
from engine.data.catalog import Catalog
from engine.errors import SpecError
from engine.study.spec import load_study


def new_study(name: str, force: bool = False) -> Path:
    if not re.fullmatch(r"[a-z0-9][a-z0-9\-_]*", name):
        raise SpecError(f"study name {name!r} not allowed", where="NAME",
                        fix="use lowercase letters, digits, '-' or '_'")
    dest = paths.studies_dir() / f"{name}.toml"
    if dest.exists() and not force:
        raise SpecError("study file already exists", where=str(dest),
                        fix="pick another name or pass --force")
    template = resources.files("engine").joinpath("templates/study.toml").read_text()
    text = template.replace("{name}", name).replace("{title}", name.replace("-", " ").title())
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{name}.new.toml")
    tmp.write_text(text)
    try:
        load_study(tmp, set(Catalog.load().entries))
    except SpecError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(dest)
    return dest
