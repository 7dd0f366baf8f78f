"""Reliability: segment cache, resume after kill -9, incremental seeds, output lock, bad-input catalogue."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datasets import load_from_disk

from tests.helpers import REPO_ROOT, SEEDS_DIR, TEST_DECODING_ARGS, cache_rows, tables
from seedmt.cli import EXIT_BUSY, EXIT_FATAL, EXIT_OK, EXIT_PARTIAL, main
from seedmt.dataset.storage import output_lock

BELARUSIAN = SEEDS_DIR / "003_8e8481b4ceab6e39.txt"
COMMON_ARGS = ["--max-input-tokens", "1024", *TEST_DECODING_ARGS]


def translate_args(seeds: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return ["translate", str(seeds), "--model", str(model), "--out", str(out), *COMMON_ARGS, *extra]


@pytest.mark.slow
def test_resume_after_kill_9_gives_the_uninterrupted_dataset(tiny_model, tmp_path):
    reference_out = tmp_path / "uninterrupted" / "translations"
    assert main(translate_args(SEEDS_DIR, tiny_model, reference_out, "--no-cache")) == EXIT_OK

    out = tmp_path / "resumed" / "translations"
    cache = out.parent / "seedmt-cache.sqlite"
    # Batches of one segment: many cache transactions, so the kill lands mid-run.
    args = translate_args(SEEDS_DIR, tiny_model, out, "--max-batch-size", "1")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "seedmt", *args], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while cache_rows(cache) < 20 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    cached_at_kill = cache_rows(cache)
    assert cached_at_kill >= 20
    assert not out.exists()  # nothing half-written where the dataset goes

    # The rerun may batch as it likes: the cache holds translations, not batches.
    rerun = translate_args(SEEDS_DIR, tiny_model, out)
    result = subprocess.run([sys.executable, "-m", "seedmt", *rerun], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == EXIT_OK, result.stderr
    assert f"{cached_at_kill} from the cache" in result.stdout
    total = cache_rows(cache)
    assert f"{total - cached_at_kill} model inputs translated" in result.stdout
    assert tables(out) == tables(reference_out)


def test_new_seed_translates_only_its_segments_and_rerun_is_cached(tiny_model, tmp_path, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted(SEEDS_DIR.glob("*.txt"))[:3]:
        shutil.copy(path, seeds / path.name)
    out = tmp_path / "out" / "translations"

    started = time.perf_counter()
    assert main(translate_args(seeds, tiny_model, out)) == EXIT_OK
    first_seconds = time.perf_counter() - started
    first = capsys.readouterr().out

    shutil.copy(BELARUSIAN, seeds / BELARUSIAN.name)
    assert main(translate_args(seeds, tiny_model, out)) == EXIT_OK
    second = capsys.readouterr().out
    previously = int(first.split(" model inputs translated")[0].rsplit("(", 1)[1])
    assert f"{previously} from the cache" in second
    # Belarusian: 21 distinct sentences, two targets, none shared with the first three seeds.
    assert "(42 model inputs translated" in second

    started = time.perf_counter()
    assert main(translate_args(seeds, tiny_model, out)) == EXIT_OK
    rerun_seconds = time.perf_counter() - started
    third = capsys.readouterr().out
    assert "(0 model inputs translated" in third
    assert len(load_from_disk(str(out))["documents"]) == 4
    print(f"\nfirst run {first_seconds:.2f}s, rerun with nothing new {rerun_seconds:.2f}s "
          f"(ratio {rerun_seconds / first_seconds:.2f})")


def test_second_run_on_a_locked_output_exits_4(tiny_model, tmp_path, capsys):
    out = tmp_path / "translations"
    with output_lock(out):
        code = main(translate_args(SEEDS_DIR, tiny_model, out))
    err = capsys.readouterr().err
    assert code == EXIT_BUSY
    assert f"another seedmt run (pid {os.getpid()}) is writing {out}" in err
    assert not out.exists()


def test_corrupted_cache_is_moved_aside_and_rebuilt(tiny_model, tmp_path, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(BELARUSIAN, seeds / BELARUSIAN.name)
    out = tmp_path / "out" / "translations"
    cache = out.parent / "seedmt-cache.sqlite"
    cache.parent.mkdir()
    cache.write_bytes(b"this is not an SQLite database" * 100)
    assert main(translate_args(seeds, tiny_model, out)) == EXIT_OK
    captured = capsys.readouterr()
    assert "the segment cache was unreadable; moved to" in captured.err
    moved = list(cache.parent.glob("seedmt-cache.sqlite.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"this is not")
    assert cache_rows(cache) == 42


def write_catalogue(seeds: Path) -> dict[str, str]:
    """Every kind of bad or odd input; returns file name -> what the CLI must say about it."""
    seeds.mkdir()
    belarusian = BELARUSIAN.read_text(encoding="utf-8")
    first_paragraph = next(line for line in belarusian.splitlines() if line.strip())
    (seeds / "good.txt").write_text(belarusian, encoding="utf-8")
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "blank.txt").write_text(" \n\t\n  \n", encoding="utf-8")
    (seeds / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00binary\x00data")
    (seeds / "latin1.txt").write_bytes("Café déjà vu, señor.".encode("latin-1"))
    (seeds / "utf16.txt").write_bytes(belarusian.encode("utf-16"))
    sentence = first_paragraph.split(". ")[0] + ". "
    (seeds / "huge.txt").write_text((sentence * (1_000_000 // len(sentence.encode()) + 1)).strip(), encoding="utf-8")
    (seeds / "controls.txt").write_text("\u200b" + first_paragraph.replace("Цзінань", "Цзі\u202eнань\x07", 1),
                                        encoding="utf-8")
    (seeds / "undecidable.txt").write_text("12345 67890 +-*/ 3.14159 2.71828 ... 42 !!! ???\n", encoding="utf-8")
    (seeds / "unsupported.txt").write_text("Gallia est omnis divisa in partes tres, quarum unam incolunt Belgae, "
                                           "aliam Aquitani, tertiam qui ipsorum lingua Celtae, nostra Galli "
                                           "appellantur.\n", encoding="utf-8")
    (seeds / "english.txt").write_text("The city council met on Monday. It approved the new budget for schools.\n",
                                       encoding="utf-8")
    (seeds / "duplicate.txt").write_text(belarusian, encoding="utf-8")
    (seeds / "naïve name with spaces.txt").write_text(first_paragraph.split(". ")[1] + ".\n", encoding="utf-8")
    (seeds / "notes.md").write_text("not a seed\n", encoding="utf-8")
    return {
        "empty.txt": "skipped .*empty.txt: empty file",
        "blank.txt": "skipped .*blank.txt: contains no visible text",
        "binary.txt": r"skipped .*binary.txt: binary file \(contains NUL bytes\)",
        "latin1.txt": r"skipped .*latin1.txt: not valid UTF-8 \(byte 0xe9 at offset 3\); re-save the file as UTF-8",
        "undecidable.txt": r"skipped .*undecidable.txt: no letters to identify the language from; "
                           r"pass --source-lang undecidable=CODE",
        "unsupported.txt": r"skipped .*unsupported.txt: heliport identifies 'lat', which NLLB-200 does not support",
        "controls.txt": r"warning: .*controls.txt: removed 3 control/invisible character\(s\) "
                        r"\(U\+0007, U\+200B, U\+202E\)",
        "duplicate.txt": r"warning: .*good.txt: same text as duplicate.txt; its segments are translated once",
        "notes.md": r"warning: .*notes.md: ignored: not a .txt file",
    }


def test_bad_input_catalogue_through_the_cli(tiny_model, tmp_path, capsys):
    import re

    seeds = tmp_path / "seeds"
    expected = write_catalogue(seeds)
    out = tmp_path / "out" / "translations"
    code = main(translate_args(seeds, tiny_model, out))
    captured = capsys.readouterr()
    assert code == EXIT_PARTIAL  # dataset written, some seeds rejected
    for name, pattern in expected.items():
        assert re.search(pattern, captured.err), (name, captured.err)
    assert "Traceback" not in captured.err
    documents = {row["doc_id"]: row for row in load_from_disk(str(out))["documents"]}
    assert set(documents) == {"good", "utf16", "huge", "controls", "english", "duplicate",
                              "naïve name with spaces"}
    assert documents["utf16"]["text"] == documents["good"]["text"]
    assert documents["english"]["copied_targets"] == ["eng_Latn"]
    assert documents["english"]["translation_eng_Latn"] == documents["english"]["text"]
    assert "\u200b" not in documents["controls"]["text"] and "Цзінань" in documents["controls"]["text"]
    assert len(documents["huge"]["text"].encode()) >= 1_000_000
    assert documents["duplicate"]["translation_zho_Hans"] == documents["good"]["translation_zho_Hans"]
    segments = load_from_disk(str(out))["segments"]
    huge = [r for r in segments if r["doc_id"] == "huge"]
    assert all(r["end"] - r["start"] <= 400 for r in huge)


def test_output_that_cannot_be_created_exits_1(tiny_model, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code = main(translate_args(SEEDS_DIR, tiny_model, blocker / "translations"))
    err = capsys.readouterr().err
    assert code == EXIT_FATAL
    assert "cannot create the output folder's parent" in err and str(blocker) in err
