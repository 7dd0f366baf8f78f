"""Every benchmark script runs in its `--smoke` mode (tiny model, a few segments) and writes its JSON, so a
change to the product that breaks a benchmark fails here instead of when someone next measures."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, SEEDS_DIR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("benchmark-work")


@pytest.fixture(scope="module")
def one_seed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("one-seed")
    shutil.copy(SEEDS_DIR / "003_8e8481b4ceab6e39.txt", folder)
    return folder


def run_benchmark(script: str, *args: str) -> dict:
    out = Path(args[args.index("--out") + 1])
    done = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / script), "--smoke", *args],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_speed(work_dir, tmp_path):
    report = run_benchmark("speed.py", "--work-dir", str(work_dir), "--out", str(tmp_path / "speed.json"))
    configs = [r["config"] for r in report["results"]]
    # ct2-int8-sorted crashed once when the batching defaults changed: it must stay in the smoke run.
    assert configs == ["hf-fp32-file-order", "ct2-int8-sorted", "ct2-int8-sorted-vocab16k"]
    for record in report["results"]:
        assert record["segments"] == 4 and record["output_tokens"] > record["segments"]
        assert record["seconds"] > 0 and record["peak_rss_mib"] > 0


def test_cpu_throughput(work_dir, one_seed, tmp_path):
    report = run_benchmark("cpu_throughput.py", "--work-dir", str(work_dir), "--seeds", str(one_seed),
                           "--out", str(tmp_path / "cpu.json"))
    assert [row["segments"] for row in report["grid"]] == [4]
    assert report["job"][0]["defaults"] == "current" and report["job"][0]["segments"] == 21


def test_engines(work_dir, one_seed, tmp_path):
    pytest.importorskip("ray")
    report = run_benchmark("engines.py", "--work-dir", str(work_dir), "--seeds", str(one_seed),
                           "--out", str(tmp_path / "engines.json"))
    local, ray = report["results"]
    assert local["engine"] == {"name": "local"} and ray["engine"]["name"] == "ray" and ray["engine"]["workers"] == 1
    assert local["translated_inputs"] == ray["translated_inputs"] > 0


def test_align_speed(tmp_path):
    report = run_benchmark("align_speed.py", "--out", str(tmp_path / "align.json"))
    (result,) = report["results"]
    assert result["source_sentences"] >= 18 and result["links_written"] >= 18
    assert result["inside"]["f1"] > 0.9 and result["inside"]["distinct_texts_embedded"] >= 36


def test_align_gold(tmp_path):
    """The gold-corpus benchmark on a small corpus of its own in the Vecalign layout (a seed and its references,
    with two 2-1 links and one sentence without counterpart), through `seedmt align` in fresh processes."""
    report = run_benchmark("align_gold.py", "--out", str(tmp_path / "gold.json"))
    (corpus,) = report["corpora"]
    assert corpus["gold_skips"] == 1 and corpus["shape_confusion"]["2-1"] and len(corpus["documents"]) == 1
    assert corpus["f1_strict"] >= 0.9 and corpus["f1_lax"] >= corpus["f1_strict"] and corpus["seconds"] > 0
    assert sum(corpus["shape_confusion"]["1-1"].values()) >= 10


def test_langid_eval(tmp_path):
    report = run_benchmark("langid_eval.py", "--out", str(tmp_path / "langid.json"))
    assert len(report["locales"]) == 3
    for result in report["results"]:
        assert result["correct"] + result["undecided"] + result["wrong"] == result["documents"] == 3


def test_review_load(tmp_path):
    report = run_benchmark("review_load.py", "--out", str(tmp_path / "review.json"))
    saves = report["concurrent_saves"]
    assert report["segments"] == 2000 and saves["saves"] == 20 == saves["actions_in_store"]
    assert saves["errors"] == [] and saves["lost_or_duplicated"] is False


def test_comet_speed(work_dir, tmp_path):
    report = run_benchmark("comet_speed.py", "--work-dir", str(work_dir), "--out", str(tmp_path / "comet.json"))
    (result,) = report["results"]
    assert result["segments"] == 8 and result["segments_per_second"] > 0 and result["peak_rss_mib"] > 0


def test_humaneval_load(tmp_path):
    report = run_benchmark("humaneval_load.py", "--out", str(tmp_path / "humaneval.json"))
    assert report["systems"] == 2 and report["items"] == 20 and report["create_seconds"] > 0
    assert report["item"]["requests"] == report["queue_of_first_annotator"] > 0
    assert report["save"]["requests"] == report["item"]["requests"] and report["item"]["median_ms"] > 0


def test_qa_planted(tmp_path):
    report = run_benchmark("qa_planted.py", "--out", str(tmp_path / "qa.json"))
    assert report["pairs"] == 40 and set(report["planted"]) == {"numbers", "untranslated", "bracket", "url",
                                                                "glossary", "inconsistent"}
    assert report["planted_total"] > 0 and 0 <= report["found_share"] <= 1
    assert report["correct_pairs_flagged"] == len(report["flagged_correct_pairs"])


def test_tm_lookup(tmp_path):
    report = run_benchmark("tm_lookup.py", "--out", str(tmp_path / "tm.json"))
    assert 4000 < report["pairs"] <= 5000 and report["lookups"] == 30
    assert report["lookup_ms_median"] > 0 and report["lookups_with_a_match"] > 0
