"""CTranslate2 backend: parity with transformers on the tiny model, conversion cache, vocabulary trimming."""
from __future__ import annotations

import json
import unicodedata

import pytest
from datasets import load_from_disk

from tests.helpers import SEEDS_DIR
from seedmt.translate.backends import load_backend
from seedmt.translate.backends.ct2 import target_vocabulary
from seedmt.text.ingest import read_seed
from seedmt.translate.model_source import resolve_model
from seedmt.dataset.schema import RUNS, SEGMENTS, TRANSLATION_COLUMN
from seedmt.text.segment import segment_document
from seedmt.translate.settings import BatchingSettings, DecodingSettings


@pytest.fixture(scope="module")
def georgian_segments() -> list[str]:
    doc = read_seed(SEEDS_DIR / "001_3e2915cf1267708f.txt")
    return [s.text for s in segment_document(doc.doc_id, doc.text, "kat_Geor")]


@pytest.fixture(scope="module")
def backends(tiny_model, tmp_path_factory):
    model = resolve_model(str(tiny_model))
    batching = BatchingSettings(max_batch_tokens=600, max_batch_size=8)
    hf = load_backend("transformers", model, batching=batching)
    ct2 = load_backend("ct2", model, compute_type="float32", batching=batching,
                       cache_dir=tmp_path_factory.mktemp("ct2-cache"))
    return hf, ct2


@pytest.mark.parametrize("beam_size", [1, 4])
@pytest.mark.parametrize("target", ["eng_Latn", "zho_Hans"])
def test_ct2_float32_equals_transformers(backends, georgian_segments, beam_size, target):
    hf, ct2 = backends
    settings = DecodingSettings(beam_size=beam_size, max_new_tokens=16)
    expected = hf.translate_segments(georgian_segments, "kat_Geor", target, settings)
    assert ct2.translate_segments(georgian_segments, "kat_Geor", target, settings) == expected
    assert len(set(expected)) > 1  # outputs depend on the input


def test_token_ids_equal_not_just_strings(backends, georgian_segments):
    """Stronger than string equality: compare generated ids from both engines for a few segments."""
    import torch

    hf, ct2 = backends
    tok = hf.tokenizer
    tok.src_lang = "kat_Geor"
    target_id = tok.convert_tokens_to_ids("eng_Latn")
    for text in georgian_segments[:5]:
        inputs = tok(text, return_tensors="pt")
        with torch.inference_mode():
            hf_ids = hf.model.generate(**inputs, forced_bos_token_id=target_id, num_beams=1,
                                       max_new_tokens=16)[0].tolist()[1:]  # drop decoder start </s>
        out = ct2._translator("eng_Latn").translate_batch([tok.convert_ids_to_tokens(inputs.input_ids[0])],
                                                          target_prefix=[["eng_Latn"]], beam_size=1,
                                                          max_decoding_length=16)
        assert tok.convert_tokens_to_ids(out[0].hypotheses[0]) == hf_ids


def test_conversion_is_cached_and_reused(tiny_model, tmp_path):
    cache = tmp_path / "cache"
    model = resolve_model(str(tiny_model))
    first = load_backend("ct2", model, compute_type="int8", cache_dir=cache)
    model_bin = first.ct2_dir / "model.bin"
    stamp = model_bin.stat().st_mtime_ns
    second = load_backend("ct2", model, compute_type="int8", cache_dir=cache)
    assert second.ct2_dir == first.ct2_dir and model_bin.stat().st_mtime_ns == stamp
    assert json.loads((first.ct2_dir / "seedmt_source.json").read_text())["quantization"] == "int8"
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []  # no staging left behind


def test_trimmed_vocabulary_only_emits_target_script_tokens(tiny_model, tmp_path, georgian_segments):
    model = resolve_model(str(tiny_model))
    ct2 = load_backend("ct2", model, compute_type="float32", cache_dir=tmp_path, trim_vocabulary=True)
    vocabulary = json.loads((ct2.ct2_dir / "shared_vocabulary.json").read_text(encoding="utf-8"))
    english_ok = set(target_vocabulary(vocabulary, "eng_Latn"))
    assert "kat_Geor" not in english_ok and "eng_Latn" in english_ok and "</s>" in english_ok
    assert not any("ა" <= ch <= "ჰ" for tok in english_ok for ch in tok)  # no Georgian letters
    settings = DecodingSettings(beam_size=2, max_new_tokens=16)
    outputs = ct2.translate_segments(georgian_segments[:6], "kat_Geor", "eng_Latn", settings)
    untrimmed = load_backend("ct2", model, compute_type="float32", cache_dir=tmp_path)
    plain = untrimmed.translate_segments(georgian_segments[:6], "kat_Geor", "eng_Latn", settings)
    assert outputs != plain

    def foreign_letters(texts):
        return [ch for text in texts for ch in text if ch.isalpha() and not unicodedata.name(ch).startswith("LATIN")]

    assert foreign_letters(plain)  # untrimmed random model emits other scripts...
    assert foreign_letters(outputs) == []  # ...trimmed never does


def test_cli_ct2_backend_end_to_end(tiny_model, tmp_path, monkeypatch):
    from seedmt.cli import main

    monkeypatch.setenv("SEEDMT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    assert main(["translate", str(SEEDS_DIR), "--model", str(tiny_model), "--out", str(out), "--backend", "ct2",
                 "--compute-type", "int8", "--beam-size", "2", "--max-new-tokens", "6"]) == 0
    ds = load_from_disk(str(out))
    (run,) = ds[RUNS]
    assert run["backend"] == "ct2" and run["compute_type"] == "int8"
    assert "patience:1.0" in run["signature"]
    assert all(row[TRANSLATION_COLUMN]["zho_Hans"] is not None for row in ds[SEGMENTS])
    assert (tmp_path / "cache" / "ct2").is_dir()


def test_ct2_dir_is_cached_and_recorded_as_the_weights_it_holds(tiny_model, tmp_path, monkeypatch, capsys):
    """`--ct2-dir` with another model's conversion: the segment cache and the runs table follow the weights
    actually used (and a user's vmap.txt), never the --model the tokenizer comes from."""
    from seedmt.cli import main
    from seedmt.translate.backends.ct2 import convert_checkpoint
    from tests.helpers import seed_lines
    from tests.random_model import build_random_nllb

    monkeypatch.setenv("SEEDMT_CACHE", str(tmp_path / "ct2-cache"))
    other = build_random_nllb(tmp_path / "other", seed_lines(), spm_vocab_size=8000, seed=1)
    other_ct2 = convert_checkpoint(resolve_model(str(other)), tmp_path / "other-ct2", "int8")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "be.txt").write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    common = ["translate", str(seeds), "--model", str(tiny_model), "--backend", "ct2", "--targets", "eng_Latn",
              "--no-similarity", "--cache", str(tmp_path / "cache.sqlite"), "--beam-size", "1",
              "--max-new-tokens", "6"]

    def run(name: str, *extra: str) -> tuple[dict, list[str]]:
        out = tmp_path / name
        capsys.readouterr()
        assert main([*common, "--out", str(out), *extra]) == 0
        printed = capsys.readouterr().out
        cached.append(int(printed.split(" model inputs translated, ")[1].split()[0]))
        dataset = load_from_disk(str(out))
        return dataset[RUNS][0], [row[TRANSLATION_COLUMN]["eng_Latn"] for row in dataset[SEGMENTS]]

    cached: list[int] = []  # model inputs served from the segment cache, per run

    own_run, own = run("own")
    other_run, other_translations = run("other", "--ct2-dir", str(other_ct2))
    assert other_run["model"] == str(other) and other_run["model_path"] == str(other_ct2)
    assert other_run["weights_fingerprint"] != own_run["weights_fingerprint"]
    assert other_run["signature"] != own_run["signature"]
    assert cached == [0, 0]  # the other weights translated: nothing came from the first run's cache
    assert other_translations != own
    assert run("other-again", "--ct2-dir", str(other_ct2))[1] == other_translations and cached[-1] > 0

    # A user's own vocabulary map is part of what decides the outputs.
    vocabulary = json.loads((other_ct2 / "shared_vocabulary.json").read_text(encoding="utf-8"))
    (other_ct2 / "vmap.txt").write_text("\t" + " ".join(vocabulary[:3000]) + "\n", encoding="utf-8")
    first_map = run("map-1", "--ct2-dir", str(other_ct2), "--trim-vocabulary")[0]
    (other_ct2 / "vmap.txt").write_text("\t" + " ".join(vocabulary[:1000]) + "\n", encoding="utf-8")
    second_map = run("map-2", "--ct2-dir", str(other_ct2), "--trim-vocabulary")[0]
    assert first_map["weights_fingerprint"] != second_map["weights_fingerprint"]
    assert cached[-2:] == [0, 0]


def _translations(model, ct2_dir, segments):
    backend = load_backend("ct2", model, compute_type="int8", ct2_dir=ct2_dir)
    return backend.translate_segments(segments, "kat_Geor", "eng_Latn", DecodingSettings(beam_size=1,
                                                                                          max_new_tokens=8))


def test_a_conversion_killed_half_way_leaves_the_previous_model_translating(tiny_model, tmp_path,
                                                                              georgian_segments):
    import os
    import signal
    import subprocess
    import sys
    import time

    from seedmt.translate.backends.ct2 import convert_checkpoint

    model = resolve_model(str(tiny_model))
    out = tmp_path / "nllb-ct2"
    convert_checkpoint(model, out, "int8")
    before = _translations(model, out, georgian_segments[:3])
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    child = subprocess.Popen([sys.executable, "-m", "seedmt", "convert", str(tiny_model), str(out), "--force",
                              "--quantization", "float32"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".nllb-ct2.tmp-*")) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the conversion finished before it could be killed"
    assert list(tmp_path.glob(".nllb-ct2.tmp-*"))  # it was killed while converting
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == files
    assert _translations(model, out, georgian_segments[:3]) == before


def test_a_swap_stopped_between_its_two_renames_is_recovered(tiny_model, tmp_path, georgian_segments,
                                                            monkeypatch):
    import os

    from seedmt.core import files as files_module
    from seedmt.translate.backends.ct2 import convert_checkpoint

    model = resolve_model(str(tiny_model))
    out = tmp_path / "nllb-ct2"
    convert_checkpoint(model, out, "int8")
    before = _translations(model, out, georgian_segments[:3])
    real_replace, calls = os.replace, []

    def dies_after_moving_the_old_model_aside(source, destination):
        calls.append(source)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process stops between the two renames
        real_replace(source, destination)

    monkeypatch.setattr(files_module.os, "replace", dies_after_moving_the_old_model_aside)
    with pytest.raises(KeyboardInterrupt):
        convert_checkpoint(model, out, "int8", force=True)
    monkeypatch.setattr(files_module.os, "replace", real_replace)
    assert not out.exists() and (tmp_path / ".nllb-ct2.previous").is_dir()
    assert _translations(model, out, georgian_segments[:3]) == before  # put back on first use
    assert not (tmp_path / ".nllb-ct2.previous").exists()
