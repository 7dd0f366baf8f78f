"""End to end: the CLI on the five seeds with a tiny random NLLB model, then checks on the dataset."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from datasets import load_from_disk

from seedmt.translate.pipeline import _pieces_within_limit
from tests.helpers import EXPECTED_SEED_LANGS, REPO_ROOT, SEEDS_DIR, ModelCardTranslator
from seedmt.dataset.schema import DOCUMENTS, RUNS, SEGMENTS, TRANSLATION_COLUMN, target_column
from seedmt.text.segment import segment_document

TARGETS = ("eng_Latn", "zho_Hans")


@pytest.fixture(scope="module")
def dataset(translated_dir):
    return load_from_disk(str(translated_dir))


def test_dataset_tables_and_row_counts(dataset):
    assert set(dataset) == {DOCUMENTS, SEGMENTS, RUNS}
    docs = dataset[DOCUMENTS]
    assert sorted(docs["doc_id"]) == sorted(EXPECTED_SEED_LANGS)
    assert dict(zip(docs["doc_id"], docs["source_lang"])) == EXPECTED_SEED_LANGS
    expected_counts = {
        doc_id: len(segment_document(doc_id, text, lang))
        for doc_id, text, lang in zip(docs["doc_id"], docs["text"], docs["source_lang"])
    }
    assert dict(zip(docs["doc_id"], docs["num_segments"])) == expected_counts
    assert len(dataset[SEGMENTS]) == sum(expected_counts.values())


def test_every_segment_has_both_targets_and_offsets_reconstruct(dataset):
    docs = {row["doc_id"]: row for row in dataset[DOCUMENTS]}
    by_doc: dict[str, list[dict]] = {}
    for row in dataset[SEGMENTS]:
        pair = row[TRANSLATION_COLUMN]
        assert all(isinstance(pair[t], str) for t in TARGETS)
        assert pair[row["source_lang"]] == docs[row["doc_id"]]["text"][row["start"]:row["end"]]
        by_doc.setdefault(row["doc_id"], []).append(row)
    for doc_id, rows in by_doc.items():
        text = docs[doc_id]["text"]
        assert [r["index"] for r in rows] == list(range(len(rows)))
        rebuilt, cursor = [], 0
        for r in rows:
            rebuilt.append(text[cursor:r["start"]] + r[TRANSLATION_COLUMN][r["source_lang"]])
            cursor = r["end"]
        assert "".join(rebuilt) + text[cursor:] == text
        assert (SEEDS_DIR / f"{doc_id}.txt").read_text(encoding="utf-8") == text  # seeds are NFC already


def test_document_translation_is_the_join_of_segment_translations(dataset):
    segs = dataset[SEGMENTS]
    for doc in dataset[DOCUMENTS]:
        rows = [r for r in segs if r["doc_id"] == doc["doc_id"]]
        english = doc[target_column("eng_Latn")]
        assert all(r[TRANSLATION_COLUMN]["eng_Latn"] in english for r in rows)
        assert english.count("\n") == doc["text"].count("\n")  # paragraph structure is kept


def test_provenance(dataset, tiny_model):
    (run,) = dataset[RUNS]
    assert run["model"] == str(tiny_model) and run["backend"] == "transformers"
    assert run["compute_type"] == "float32" and run["device"] == "cpu"
    assert json.loads(run["decoding"])["beam_size"] == 4
    assert json.loads(run["decoding"])["max_new_tokens"] == 12
    versions = json.loads(run["versions"])
    assert {"torch", "transformers", "datasets"} <= set(versions)
    assert run["started_at"] <= run["finished_at"]
    assert set(dataset[SEGMENTS]["run_id"]) == {run["run_id"]}
    assert "beam:4" in run["signature"] and "backend:transformers" in run["signature"]


def test_parity_with_model_card_usage_one_segment_at_a_time(dataset, tiny_model):
    """Our sorted, token-budget batched translations == the model card's per-segment reference usage."""
    oracle = ModelCardTranslator(tiny_model)
    mismatches = []
    for row in dataset[SEGMENTS]:
        src = row["source_lang"]
        source_text = row[TRANSLATION_COLUMN][src]
        for target in TARGETS:
            expected = oracle.translate(source_text, src, target, num_beams=4, max_new_tokens=12)
            if row[TRANSLATION_COLUMN][target] != expected:
                mismatches.append((row["segment_id"], target))
    assert mismatches == []
    assert any(row[TRANSLATION_COLUMN]["eng_Latn"] for row in dataset[SEGMENTS])  # not all empty


def test_over_long_inputs_are_translated_in_pieces(tiny_model, tmp_path):
    from seedmt.translate.backends import load_backend
    from seedmt.translate.model_source import resolve_model
    from seedmt.translate.pipeline import TranslationJob, run_translation
    from seedmt.translate.settings import DecodingSettings

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "ka.txt").write_text((SEEDS_DIR / "001_3e2915cf1267708f.txt").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    backend = load_backend("transformers", resolve_model(str(tiny_model)))
    job = TranslationJob(seeds, tmp_path / "out", model=str(tiny_model), targets=("eng_Latn",),
                         decoding=DecodingSettings(beam_size=1, max_new_tokens=4), max_input_tokens=24)
    report = run_translation(job, backend)
    (doc,) = report.documents
    long_ones = [i for i, n in enumerate(backend.count_tokens([s.text for s in doc.segments], doc.source_lang))
                 if n > 24]
    assert long_ones
    for i in long_ones:
        # The same cut as the pipeline's, each piece translated on its own, joined as English sentences are.
        text = doc.segments[i].text
        pieces = _pieces_within_limit(text, backend.count_tokens([text], doc.source_lang)[0], 24)
        assert len(pieces) > 1
        expected = backend.translate_segments(pieces, doc.source_lang, "eng_Latn", job.decoding)
        assert doc.translations["eng_Latn"][i] == " ".join(expected)


def test_seed_already_in_target_language_is_copied(tiny_model, tmp_path):
    from seedmt.cli import main

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "en.txt").write_text("The committee met on Tuesday. It discussed the budget.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["translate", str(seeds), "--model", str(tiny_model), "--out", str(out),
                 "--beam-size", "1", "--max-new-tokens", "4"]) == 0
    ds = load_from_disk(str(out))
    (doc,) = ds[DOCUMENTS]
    assert doc["copied_targets"] == ["eng_Latn"]
    assert doc[target_column("eng_Latn")] == doc["text"]
    assert doc[target_column("zho_Hans")] != doc["text"]


def test_a_source_lang_that_contradicts_the_script_is_refused_naming_the_file(tiny_model, tmp_path, capsys):
    """`translate --source-lang` is held to the rule `align` applies: a code whose script the text is not written
    in refuses that seed, naming it; the other seeds are translated."""
    from seedmt.cli import EXIT_PARTIAL, main

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    georgian = seeds / "ka.txt"
    georgian.write_text((SEEDS_DIR / "001_3e2915cf1267708f.txt").read_text(encoding="utf-8")[:400], encoding="utf-8")
    belarusian = seeds / "be.txt"
    belarusian.write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8")[:400],
                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["translate", str(seeds), "--model", str(tiny_model), "--out", str(out), "--targets", "eng_Latn",
                 "--source-lang", "kat_Geor", "--beam-size", "1", "--max-new-tokens", "4", "--no-similarity"]) == EXIT_PARTIAL
    err = capsys.readouterr().err
    assert f"{belarusian}: --source-lang kat_Geor says script Geor, but the text is written in Cyrl" in err
    assert str(georgian) not in err
    assert [(d["doc_id"], d["source_lang"]) for d in load_from_disk(str(out))[DOCUMENTS]] == [("ka", "kat_Geor")]


def test_missing_model_fails_fast_with_guidance(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "seedmt", "translate", str(SEEDS_DIR),
                           "--model", "facebook/nllb-200-distilled-600M", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert "facebook/nllb-200-distilled-600M" in proc.stderr and "--model /path/to" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    assert time.monotonic() - started < 60


def test_missing_local_folder_fails_clearly(tmp_path):
    from seedmt.cli import main

    assert main(["translate", str(SEEDS_DIR), "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 1


def test_cli_help_explains_commands():
    proc = subprocess.run([sys.executable, "-m", "seedmt", "translate", "--help"], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=60)
    assert proc.returncode == 0
    for option in ("--model", "--targets", "--backend", "--source-lang", "--beam-size", "--out"):
        assert option in proc.stdout
