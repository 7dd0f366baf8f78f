"""The HTML report, opened in a real headless browser (Debian's chromium)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from datasets import load_from_disk

from tests.conftest import REPO_ROOT
from tests.test_eval import reference_texts, rewrite_translations
from seedmt.translate.cli import EXIT_OK, main

REFERENCES = REPO_ROOT / "references"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("no headless browser: install Debian's chromium (`apt-get install chromium`); .ci/run does")


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
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


def test_page_content(report, translated_dir):
    page = report.read_text(encoding="utf-8")
    segments = load_from_disk(str(translated_dir))["segments"]
    flagged = sum(bool(row["quality_flags"]) for row in segments)
    assert page.count('<tr class="segment flagged"') == flagged
    assert page.count('<tr class="segment') == len(segments)
    # references and per-segment chrF2++, the compared system, and both embedded plots
    assert "That is why many leading companies in the field have chosen to settle in Jinan" in page
    assert page.count("<th>reference eng_Latn</th>") == 5 and page.count("<th>other system zho_Hans</th>") == 5
    assert re.search(r'class="score up">\+\d+\.\d', page)  # the perfect system scores higher
    assert page.count("data:image/png;base64,") == 2
