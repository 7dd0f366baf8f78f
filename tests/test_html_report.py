"""The HTML report, opened in a real headless browser (Debian's chromium)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from datasets import load_from_disk

from tests.helpers import REPO_ROOT
from tests.helpers import reference_texts, rewrite_translations
from seedmt.cli import EXIT_OK, main

pytestmark = pytest.mark.slow

REFERENCES = REPO_ROOT / "references"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    message = "no headless browser: install Debian's chromium (`apt-get install chromium`) to run this test"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must run it")  # .ci/run installs chromium: a skip there would hide a bug
    pytest.skip(message)


def headless(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(translated_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    refs = reference_texts()
    perfect = rewrite_translations(translated_dir, root / "perfect",
                                   lambda sid, t: refs.get((sid, t), "boilerplate"))
    out = root / "report.html"
    assert main(["report", str(translated_dir), "--references", str(REFERENCES), "--compare", str(perfect),
                 "-o", str(out)]) == EXIT_OK
    return out


def test_page_renders_every_segment_without_script_errors(report, translated_dir):
    segments = len(load_from_disk(str(translated_dir))["segments"])
    result = headless("--dump-dom", report.as_uri())
    body = re.search(r"<body[^>]*>", result.stdout)
    assert body, result.stderr[-2000:]
    assert f'data-rendered-segments="{segments}"' in body.group(0)
    assert 'data-script-errors=""' in body.group(0)


def test_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    headless(f"--screenshot={shot}", "--window-size=1280,3000", report.as_uri())
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (3000, 1280)
    # The page is drawn: the top of the screenshot holds text and table lines in many shades, not a blank page.
    top = (pixels[:600, :, :3] * 255).astype(int)
    assert len({tuple(p) for p in top.reshape(-1, 3)[::7]}) > 20
    assert (top.sum(axis=2) < 3 * 128).mean() > 0.01  # dark (text) pixels


def test_page_content(report, translated_dir):
    page = report.read_text(encoding="utf-8")
    segments = load_from_disk(str(translated_dir))["segments"]
    flagged = sum(bool(row["quality_flags"]) for row in segments)
    assert page.count('<tr class="segment flagged"') == flagged
    assert page.count('<tr class="segment') == len(segments)
    # references and per-segment chrF2++, the compared system, the significance table and the three plots
    assert "That is why many leading companies in the field have chosen to settle in Jinan" in page
    assert page.count("<th>reference eng_Latn</th>") == 5
    assert page.count('<th class="translation" data-target="zho_Hans">perfect zho_Hans</th>') == 5
    assert re.search(r'class="score up">\+\d+\.\d', page)  # the perfect system scores higher
    assert '<table class="significance">' in page
    assert page.count("data:image/png;base64,") == 3
    # QA findings (seedmt qa) beside the quality flags, counted per document
    assert re.search(r'<span class="qa (error|warning|info)" title="[^"]+">(eng_Latn|zho_Hans):[a-z_]+</span>', page)
    assert page.count("; QA: ") == 5


_LAYOUT_PROBE = """<script>
document.addEventListener('DOMContentLoaded', function () {
  var rtl = Array.from(document.querySelectorAll('tr.segment td.source'))
    .filter(function (c) { return /[\\u0600-\\u06FF]/.test(c.textContent); });
  document.body.dataset.arabicCells = String(rtl.length);
  document.body.dataset.arabicRtl = String(rtl.filter(function (c) {
    return getComputedStyle(c).direction === 'rtl'; }).length);
  var texts = Array.from(document.querySelectorAll('td.text')).map(function (c) { return c.getBoundingClientRect(); });
  var badges = document.querySelectorAll('.flag'), overlaps = 0;
  badges.forEach(function (b) {
    var r = b.getBoundingClientRect();
    texts.forEach(function (t) {
      if (r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top) { overlaps++; }
    });
  });
  document.body.dataset.badges = String(badges.length);
  document.body.dataset.badgeOverlaps = String(overlaps);
});
</script>"""


def test_right_to_left_cells_and_badges_that_overlap_nothing(report, tmp_path):
    """Rendered in the browser: every Uyghur (Arabic-script) source cell is laid out right to left, and no
    quality-flag badge box intersects any text cell's box."""
    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text(encoding="utf-8").replace("</body>", _LAYOUT_PROBE + "</body>"),
                      encoding="utf-8")
    result = headless("--dump-dom", "--window-size=1280,3000", probed.as_uri())
    body = re.search(r"<body[^>]*>", result.stdout).group(0)
    values = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))
    assert int(values["arabic-cells"]) == 33 and values["arabic-rtl"] == values["arabic-cells"]
    assert int(values["badges"]) > 0 and values["badge-overlaps"] == "0"
    page = report.read_text(encoding="utf-8")
    assert page.count('class="text source" dir="rtl"') == 33  # uig_Arab; every other source is ltr
