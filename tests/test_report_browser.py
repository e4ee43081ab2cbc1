"""report.html in a real browser: headless Chromium renders it offline (no Playwright).

Checks what a reader would see: the sections are in the rendered DOM, the inline SVG charts
survive parsing, and the screenshot is a real page, not a blank or error page. Skipped with
a reason when /usr/bin/chromium is not installed.
"""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

try:  # the synthetic run folder lives with the other report tests
    from tests.test_report import SECTIONS, write_run
except ImportError:
    from test_report import SECTIONS, write_run

from engine.report import write_reports

CHROMIUM = Path("/usr/bin/chromium")
CHARTS = ("hit-rates", "event-study", "distributions", "rolling-hit", "prices", "equity",
          "sweep-alpha", "sweep-beta")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=(
    "browser check needs /usr/bin/chromium (apt-get install -y chromium); not installed"))


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.svg_charts = 0
        self.sections: list[str] = []
        self.figure: str | None = None
        self.drawn: dict[str, int] = {}  # chart id -> drawn SVG elements inside it

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "section":
            self.sections.append(a.get("id", ""))
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self.svg_charts += 1
        if tag == "figure" and a.get("id", "").startswith("chart-"):
            self.figure = a["id"]
            self.drawn[self.figure] = 0
        elif self.figure and tag in ("path", "use", "text", "rect", "polyline", "line"):
            self.drawn[self.figure] += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self.figure = None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str, Path]:
    tmp = tmp_path_factory.mktemp("browser")
    run = write_run(tmp / "run")
    _, page = write_reports(run)
    url = page.resolve().as_uri()
    shot = tmp / "report.png"
    r = _chromium([f"--screenshot={shot}", "--window-size=1280,4000", url], tmp / "profile1")
    assert shot.is_file(), f"no screenshot; chromium exit {r.returncode}: {r.stderr[-2000:]}"
    dom = _chromium(["--dump-dom", url], tmp / "profile2")
    assert dom.returncode == 0, dom.stderr[-2000:]
    return page, dom.stdout, shot


def test_dom_has_sections_and_charts(rendered):
    _, dom_text, _ = rendered
    dom = _Dom()
    dom.feed(dom_text)
    assert set(SECTIONS) <= dom.ids
    # signals whose best variant fired at most 20 times get an event list after the
    # episodes (issue 12: every event of a rare signal, e.g. one row per first Fed cut)
    expected = [s for s in SECTIONS if s != "header"]
    expected.insert(expected.index("episodes") + 1, "event-list")
    assert dom.sections == expected
    for chart in CHARTS:  # every chart is there and has something drawn in it
        assert f"chart-{chart}" in dom.ids
        assert dom.drawn[f"chart-{chart}"] >= 20, (chart, dom.drawn[f"chart-{chart}"])
    assert dom.svg_charts == len(CHARTS)
    assert "evidence for" in dom_text and "71.4%" in dom_text


def test_screenshot_is_not_blank(rendered):
    _, _, shot = rendered
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 100_000, f"screenshot only {len(data)} bytes: blank or error page?"
    from PIL import Image  # matplotlib depends on Pillow

    with Image.open(shot) as im:
        assert im.size == (1280, 4000)
        colors = im.convert("RGB").resize((320, 1000)).getcolors(maxcolors=1_000_000)
    assert len(colors) > 500  # text, table shading and chart colors, not a flat page
