"""The example notebook (issue 17): ``docs/notebook.py`` (percent format) is the source,
``docs/notebook.ipynb`` its export; CI runs the script with plain Python on the real data
(nbclient and a Jupyter kernel are not dependencies).

Regenerate the .ipynb after editing the script: ``python tests/test_notebook.py --write``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "docs" / "notebook.py"
NOTEBOOK = REPO / "docs" / "notebook.ipynb"


def cells(text: str) -> list[tuple[str, str]]:
    """(kind, source) per ``# %%`` cell; markdown cells lose their ``# `` prefixes."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            out.append(("markdown" if "[markdown]" in line else "code", []))
        elif out:
            out[-1][1].append(line)
    result = []
    for kind, lines in out:
        while lines and not lines[-1].strip():
            lines.pop()
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
        result.append((kind, "\n".join(lines)))
    return result


def to_ipynb(text: str) -> dict:
    """The notebook JSON (nbformat 4.4, no outputs) of a percent-format script."""
    nb_cells = []
    for kind, source in cells(text):
        lines = source.splitlines(keepends=True)
        cell = {"cell_type": kind, "metadata": {}, "source": lines}
        if kind == "code":
            cell |= {"execution_count": None, "outputs": []}
        nb_cells.append(cell)
    return {"cells": nb_cells, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 4}


def test_the_notebook_is_the_export_of_the_script():
    assert json.loads(NOTEBOOK.read_text()) == to_ipynb(SCRIPT.read_text()), \
        "docs/notebook.ipynb is stale: python tests/test_notebook.py --write"
    kinds = [k for k, _ in cells(SCRIPT.read_text())]
    assert kinds.count("code") >= 5 and kinds[0] == "markdown"


@pytest.mark.realdata
def test_the_notebook_runs_on_real_data(real_mirror, tmp_path):
    results = REPO / "results"
    before = sorted(p.name for p in results.rglob("*")) if results.exists() else []
    figure = tmp_path / "notebook.png"
    env = {**os.environ, "STUDY_DATA_MIRROR": str(real_mirror), "MPLBACKEND": "Agg",
           "PYTHONPATH": str(REPO), "NOTEBOOK_FIGURE": str(figure)}
    done = subprocess.run([sys.executable, str(SCRIPT)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "unknown signal family 'credit.spread_chnage'" in out  # the parser's message
    assert "hy-tightening" in out and "lookback" in out  # parameters as columns
    assert "index.RUT − index.GSPC" in out and "index.GSPC" in out  # compare's targets
    assert "inflation-not-accelerating" in out and "as_of" in out  # the scorecard
    assert figure.is_file() and figure.stat().st_size > 20_000
    after = sorted(p.name for p in results.rglob("*")) if results.exists() else []
    assert after == before, "write=False must leave results/ alone"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        NOTEBOOK.write_text(json.dumps(to_ipynb(SCRIPT.read_text()), indent=1,
                                       ensure_ascii=False) + "\n")
        print(f"wrote {NOTEBOOK}")
