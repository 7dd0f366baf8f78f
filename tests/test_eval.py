"""Evaluation: references/, sacrebleu parity with its command line, significance tests, re-segmentation."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (EXPECTED_SEED_LANGS, REFERENCES, SEEDS_DIR, TARGETS, perturb, reference_texts,
                           rewrite_translations)
from seedmt.eval.resegment import join_segments, resegment
from seedmt.eval.compare import compare
from seedmt.eval.evaluate import evaluate, pair_dataset
from seedmt.eval.references import ReferenceFileError, load_references
from seedmt.cli import main
from seedmt.core.errors import SeedMTError

CORE_METRICS = {"BLEU", "chrF2++", "chrF2", "TER"}


@pytest.fixture(scope="module")
def perfect_and_perturbed(translated_dir, tmp_path_factory) -> tuple[Path, Path]:
    refs = reference_texts()
    root = tmp_path_factory.mktemp("systems")
    perfect = rewrite_translations(translated_dir, root / "perfect",
                                   lambda sid, t: refs.get((sid, t), "boilerplate"))
    perturbed = rewrite_translations(translated_dir, root / "perturbed",
                                     lambda sid, t: perturb(refs[(sid, t)], t) if (sid, t) in refs else "x")
    return perfect, perturbed


def sacrebleu_cli(hyps: list[str], refs: list[str], tmp_path: Path, *args: str) -> dict:
    (tmp_path / "hyp.txt").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    (tmp_path / "ref.txt").write_text("\n".join(refs) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "sacrebleu", str(tmp_path / "ref.txt"), "-i",
                          str(tmp_path / "hyp.txt"), "-f", "json", "-w", "4", *args],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    return {r["name"]: r for r in (result if isinstance(result, list) else [result])}


def test_references_cover_every_seed_segment_with_matching_sources():
    """references/ follows the current segmentation: ids and recorded source segments match."""
    from seedmt.translate.pipeline import TranslationJob, prepare_documents

    docs, _ = prepare_documents(TranslationJob(seeds_dir=SEEDS_DIR, out_dir=Path("unused")))
    for target in TARGETS:
        references = load_references(REFERENCES, target)
        assert set(references) == set(EXPECTED_SEED_LANGS)
        for doc in docs:
            lines = references[doc.doc_id].lines
            assert [line.segment_id for line in lines] == [s.segment_id for s in doc.segments]
            assert [line.source for line in lines] == [s.text for s in doc.segments]
            skipped = [line for line in lines if line.text is None]
            if doc.doc_id.startswith("004"):
                assert skipped and all(line.skip.startswith("boilerplate") for line in skipped)
            else:
                assert not skipped


@pytest.mark.parametrize("target", TARGETS)
def test_scores_equal_the_sacrebleu_command_line(perfect_and_perturbed, target, tmp_path):
    _, perturbed = perfect_and_perturbed
    report = evaluate(perturbed, REFERENCES, targets=[target])
    directions, _ = pair_dataset(perturbed, REFERENCES, [target])
    for block in report["directions"]:
        paired = directions[(block["source_lang"], target)]
        tok = ["-tok", "zh", "--ter-asian-support"] if target == "zho_Hans" else ["-tok", "13a"]
        cli = sacrebleu_cli(paired.hypotheses, paired.references, tmp_path, "-m", "bleu", "chrf", "ter", *tok)
        cli_pp = sacrebleu_cli(paired.hypotheses, paired.references, tmp_path, "-m", "chrf", "-cw", "2")
        ours = block["scores"]
        for name, expected in [("BLEU", cli["BLEU"]), ("chrF2", cli["chrF2"]), ("TER", cli["TER"]),
                               ("chrF2++", cli_pp["chrF2++"])]:
            assert ours[name]["score"] == pytest.approx(expected["score"], abs=1e-4), (block["source_lang"], name)
            assert ours[name]["signature"] == expected["signature"]
        assert 0 < ours["BLEU"]["score"] < 100  # a real, non-degenerate comparison


def test_identical_hypotheses_score_100(perfect_and_perturbed):
    perfect, _ = perfect_and_perturbed
    report = evaluate(perfect, REFERENCES)
    assert {b["target"] for b in report["targets"]} == set(TARGETS)
    for block in report["directions"] + report["targets"]:
        assert block["scores"]["BLEU"]["score"] == pytest.approx(100.0)
        assert block["scores"]["chrF2++"]["score"] == pytest.approx(100.0)
        assert block["scores"]["TER"]["score"] == pytest.approx(0.0)
        assert block["resegmented_documents"] == []


def test_boilerplate_skips_are_excluded_and_counted(perfect_and_perturbed):
    perfect, _ = perfect_and_perturbed
    report = evaluate(perfect, REFERENCES, targets=["eng_Latn"])
    korean = next(b for b in report["directions"] if b["source_lang"] == "kor_Hang")
    assert korean["segments"] == 29 and korean["skipped_segments"] == 61 - 29


def test_identical_system_beats_perturbed_with_significance(perfect_and_perturbed):
    perfect, perturbed = perfect_and_perturbed
    report = compare([perturbed, perfect], REFERENCES, test="bs", samples=300)
    assert report["baseline"] == "perturbed"
    pooled = [b for b in report["directions"] if b["source_lang"] == "*"]
    assert {b["target"] for b in pooled} == set(TARGETS)
    for block in pooled:
        for metric in ("BLEU", "chrF2++"):
            baseline, system = block["metrics"][metric]["systems"]
            assert baseline["p_value"] is None and baseline["delta"] == 0
            assert system["delta"] > 0 and system["p_value"] < 0.05
            # Resampling a perfect system always gives 100: no spread. The perturbed one has some.
            assert baseline["ci95"] > 0 and system["ci95"] == pytest.approx(0)
        ter_baseline, ter_system = block["metrics"]["TER"]["systems"]
        assert ter_system["delta"] < 0 and ter_system["p_value"] < 0.05


def test_approximate_randomisation_also_separates_them(perfect_and_perturbed):
    perfect, perturbed = perfect_and_perturbed
    report = compare([perturbed, perfect], REFERENCES, test="ar", samples=300, targets=["eng_Latn"])
    pooled = next(b for b in report["directions"] if b["source_lang"] == "*")
    assert pooled["metrics"]["chrF2++"]["systems"][1]["p_value"] < 0.05


def test_compare_rejects_datasets_with_different_segments(perfect_and_perturbed, tmp_path):
    from datasets import load_from_disk

    perfect, perturbed = perfect_and_perturbed
    fewer = load_from_disk(str(perturbed))
    fewer["segments"] = fewer["segments"].filter(lambda row: row["segment_id"] != "000_1a3a948149a5a5b3:0003")
    fewer.save_to_disk(str(tmp_path / "fewer"))
    with pytest.raises(SeedMTError, match="do not cover the same segments.*000_1a3a948149a5a5b3:0003"):
        compare([perfect, tmp_path / "fewer"], REFERENCES, samples=10)


@pytest.mark.parametrize("target", TARGETS)
def test_resegmentation_recovers_a_known_segmentation(target):
    doc = load_references(REFERENCES, target)["000_1a3a948149a5a5b3"]
    gold = doc.texts
    assert resegment(join_segments(gold, target), gold, target) == gold
    # A noisy hypothesis of the same text: boundaries still land where the gold ones are.
    noisy = [perturb(text, target) for text in gold]
    recovered = resegment(join_segments(noisy, target), gold, target)
    assert sum(a == b for a, b in zip(recovered, noisy)) >= 0.9 * len(gold)


def test_paragraph_level_references_are_aligned_automatically(perfect_and_perturbed, tmp_path):
    """A reference written per paragraph (no segment ids): the translation is re-segmented to it."""
    perfect, _ = perfect_and_perturbed
    doc_id = "001_3e2915cf1267708f"
    segment_refs = load_references(REFERENCES, "eng_Latn")[doc_id]
    from datasets import load_from_disk

    rows = [r for r in load_from_disk(str(perfect))["segments"] if r["doc_id"] == doc_id]
    paragraphs: dict[int, list[str]] = {}
    for row, line in zip(sorted(rows, key=lambda r: r["index"]), segment_refs.lines):
        paragraphs.setdefault(row["paragraph_index"], []).append(line.text)
    folder = tmp_path / "refs" / "eng_Latn"
    folder.mkdir(parents=True)
    (folder / f"{doc_id}.jsonl").write_text("".join(
        json.dumps({"paragraph": p, "text": " ".join(texts)}) + "\n" for p, texts in paragraphs.items()))
    report = evaluate(perfect, tmp_path / "refs", targets=["eng_Latn"])
    (block,) = report["directions"]
    assert block["resegmented_documents"] == [doc_id]
    assert block["segments"] == len(paragraphs) < len(rows)
    assert block["scores"]["BLEU"]["score"] == pytest.approx(100.0)


def write_reference(folder: Path, doc_id: str, lines: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{doc_id}.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("problem, lines, message", [
    ("unknown id", [{"segment_id": "003_8e8481b4ceab6e39:0099", "text": "x"}], r"unknown segment id .*:0099"),
    ("missing", [{"segment_id": "003_8e8481b4ceab6e39:0000", "text": "x"}], r"segment .*:0001 has no reference"),
    ("empty", [{"segment_id": f"003_8e8481b4ceab6e39:{i:04d}", "text": "" if i == 5 else "x"} for i in range(21)],
     r"line 6 \(003_8e8481b4ceab6e39:0005\): empty reference text"),
])
def test_reference_problems_name_file_and_segment(translated_dir, tmp_path, problem, lines, message):
    path = write_reference(tmp_path / "refs" / "eng_Latn", "003_8e8481b4ceab6e39", lines)
    with pytest.raises(ReferenceFileError, match=message) as err:
        evaluate(translated_dir, tmp_path / "refs", targets=["eng_Latn"])
    assert err.value.path == path


def test_cli_reports_a_bad_reference_file_and_exits_1(translated_dir, tmp_path, capsys):
    path = tmp_path / "refs" / "eng_Latn" / "002_5be13cb78bb9960d.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text('{"segment_id": "002_5be13cb78bb9960d:0000", "text": "ok"}\n{not json\n', encoding="utf-8")
    code = main(["eval", str(translated_dir), "--references", str(tmp_path / "refs")])
    err = capsys.readouterr().err
    assert code == 1
    assert str(path) in err and "line 2: not valid JSON" in err and "Traceback" not in err


def test_spbleu_with_a_local_sentencepiece_model(perfect_and_perturbed, tiny_model, tmp_path):
    """spBLEU = BLEU over SentencePiece pieces: equal to sacrebleu's CLI on pre-tokenised text."""
    import sentencepiece

    _, perturbed = perfect_and_perturbed
    spm_file = tiny_model / "sentencepiece.bpe.model"
    report = evaluate(perturbed, REFERENCES, targets=["eng_Latn"], spm_model=spm_file)
    pooled = report["targets"][0]
    processor = sentencepiece.SentencePieceProcessor(model_file=str(spm_file))
    directions, _ = pair_dataset(perturbed, REFERENCES, ["eng_Latn"])
    hyps = [h for key in sorted(directions) for h in directions[key].hypotheses]
    refs = [r for key in sorted(directions) for r in directions[key].references]
    pieces = lambda texts: [" ".join(processor.encode(t, out_type=str)) for t in texts]  # noqa: E731
    cli = sacrebleu_cli(pieces(hyps), pieces(refs), tmp_path, "-m", "bleu", "-tok", "none")
    assert pooled["scores"]["spBLEU"]["score"] == pytest.approx(cli["BLEU"]["score"], abs=1e-4)
    assert "tok:flores200" in pooled["scores"]["spBLEU"]["signature"]
    assert len(pooled["scores"]["spBLEU"]["spm_model_sha256"]) == 64
    assert not any("spBLEU skipped" in n for n in report["notes"])


def test_end_to_end_tiny_model_dataset_through_the_cli(translated_dir, tmp_path, capsys):
    """tiny model -> dataset -> `seedmt eval` against references/ -> JSON with every metric."""
    out_json, out_md = tmp_path / "eval.json", tmp_path / "eval.md"
    code = main(["eval", str(translated_dir), "--references", str(REFERENCES),
                 "--json", str(out_json), "--markdown", str(out_md)])
    printed = capsys.readouterr().out
    assert code == 0
    report = json.loads(out_json.read_text(encoding="utf-8"))
    directions = {(b["source_lang"], b["target"]) for b in report["directions"]}
    assert directions == {(lang, t) for lang in EXPECTED_SEED_LANGS.values() for t in TARGETS}
    for block in report["directions"] + report["targets"]:
        assert set(block["scores"]) == CORE_METRICS
        assert all(0 <= s["score"] for s in block["scores"].values())
        assert all("version:" in s["signature"] for s in block["scores"].values())
    total = sum(b["segments"] for b in report["targets"])
    assert total == 2 * 139
    assert any("spBLEU skipped" in n for n in report["notes"])
    assert "| all → eng_Latn |" in printed and out_md.read_text(encoding="utf-8") in printed


def test_compare_cli_writes_tables(perfect_and_perturbed, tmp_path, capsys):
    perfect, perturbed = perfect_and_perturbed
    code = main(["compare", str(perturbed), str(perfect), "--samples", "100", "--targets", "zho_Hans",
                 "--json", str(tmp_path / "cmp.json")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "## all → zho_Hans (139 segments)" in printed
    assert json.loads((tmp_path / "cmp.json").read_text())["samples"] == 100


@pytest.mark.parametrize("test", ["bs", "ar"])
def test_identical_outputs_are_not_significant(perfect_and_perturbed, tmp_path, test):
    """Two checkpoints that produced the same translations: delta 0, p = 1, said in words."""
    _, perturbed = perfect_and_perturbed
    twin = rewrite_translations(perturbed, tmp_path / "twin", _translations_of(perturbed))
    report = compare([perturbed, twin], REFERENCES, test=test, samples=200, targets=["eng_Latn"])
    for block in report["directions"]:
        assert block["identical_to_baseline"] == ["twin"]
        for metric in block["metrics"].values():
            row = metric["systems"][1]
            assert (row["delta"], row["p_value"], row["note"]) == (0.0, 1.0, "identical outputs")
    from seedmt.eval.report import comparison_markdown

    markdown = comparison_markdown(report)
    assert "(identical outputs)" in markdown and " * |" not in markdown


@pytest.mark.parametrize("test", ["bs", "ar"])
def test_one_changed_segment_is_not_significant(perfect_and_perturbed, tmp_path, test):
    """A single segment changed out of 139: a real but tiny difference that no test should call significant."""
    _, perturbed = perfect_and_perturbed
    original = _translations_of(perturbed)
    changed = "003_8e8481b4ceab6e39:0005"
    one_off = rewrite_translations(perturbed, tmp_path / "one_off", lambda sid, t: (
        original(sid, t) + " indeed" if (sid, t) == (changed, "eng_Latn") else original(sid, t)))
    report = compare([perturbed, one_off], REFERENCES, test=test, samples=300, targets=["eng_Latn"])
    pooled = next(b for b in report["directions"] if b["source_lang"] == "*")
    assert pooled["identical_to_baseline"] == []
    chrf = pooled["metrics"]["chrF2++"]["systems"][1]
    assert chrf["delta"] != 0 and chrf["note"] is None
    assert chrf["p_value"] > 0.05


def _translations_of(out_dir: Path):
    from datasets import load_from_disk

    rows = {r["segment_id"]: r["translation"] for r in load_from_disk(str(out_dir))["segments"]}
    return lambda sid, target: rows[sid][target]


def test_compare_leaves_out_documents_whose_language_the_runs_identified_differently(tiny_model, tmp_path):
    """One run took the Belarusian seed as Russian (`--source-lang`): its segments sit in another direction. The
    comparison says which document differs and compares the rest."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for doc_id in ("001_3e2915cf1267708f", "003_8e8481b4ceab6e39"):
        (seeds / f"{doc_id}.txt").write_text((SEEDS_DIR / f"{doc_id}.txt").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    common = ["--model", str(tiny_model), "--no-similarity", "--cache", str(tmp_path / "cache.sqlite"),
              "--beam-size", "1", "--max-new-tokens", "4"]
    assert main(["translate", str(seeds), "--out", str(tmp_path / "a"), *common]) == 0
    assert main(["translate", str(seeds), "--out", str(tmp_path / "b"), *common,
                 "--source-lang", "003_8e8481b4ceab6e39=rus_Cyrl"]) == 0
    report = compare([tmp_path / "a", tmp_path / "b"], REFERENCES, samples=10)
    assert any("003_8e8481b4ceab6e39 (a bel_Cyrl, b rus_Cyrl)" in note for note in report["notes"])
    directions = {(block["source_lang"], block["target"]) for block in report["directions"]}
    assert directions == {("kat_Geor", "eng_Latn"), ("kat_Geor", "zho_Hans"), ("*", "eng_Latn"), ("*", "zho_Hans")}
    for block in report["directions"]:
        assert block["segments"] == len([line for line in load_references(REFERENCES, block["target"])
                                         ["001_3e2915cf1267708f"].lines if line.text is not None])


def test_report_shows_shared_references_for_a_document_id_with_a_plus(tiny_model, tmp_path):
    """Segments sharing one reference (joined_with) each show it, even when the document id holds a '+'."""
    from seedmt.eval.html_report import _segment_references

    seeds, references = tmp_path / "seeds", tmp_path / "references" / "eng_Latn"
    seeds.mkdir()
    references.mkdir(parents=True)
    text = (SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8")
    (seeds / "news+photo.txt").write_text(text, encoding="utf-8")
    assert main(["translate", str(seeds), "--out", str(tmp_path / "out"), "--model", str(tiny_model),
                 "--targets", "eng_Latn", "--no-similarity", "--beam-size", "1", "--max-new-tokens", "4"]) == 0
    original = load_references(REFERENCES, "eng_Latn")["003_8e8481b4ceab6e39"].lines
    lines = [{"segment_id": line.segment_id.replace("003_8e8481b4ceab6e39", "news+photo"), "text": line.text}
             for line in original]
    lines[1] = {"segment_id": lines[1]["segment_id"], "joined_with": lines[0]["segment_id"]}
    (references / "news+photo.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines),
                                                 encoding="utf-8")
    per_segment, _, _ = _segment_references(tmp_path / "out", tmp_path / "references")
    first = per_segment[("news+photo:0000", "eng_Latn")]
    assert first[0] == original[0].text
    assert per_segment[("news+photo:0001", "eng_Latn")] == first
    assert per_segment[("news+photo:0002", "eng_Latn")][0] == original[2].text


@pytest.mark.slow
@pytest.mark.parametrize("test", ["bs", "ar"])
def test_paired_tests_equal_sacrebleus_own_where_no_difference_ties(test):
    """seedmt runs the paired tests itself (to count ties); with no tie, every figure equals sacrebleu's
    PairedTest on the same systems: scores, bootstrap means and intervals, p-values and signatures."""
    from sacrebleu.metrics import BLEU, CHRF, TER
    from sacrebleu.significance import PairedTest

    from seedmt.eval.significance import SacrebleuMetric, paired_test

    refs = [text for (_, target), text in sorted(reference_texts().items()) if target == "eng_Latn"][:30]
    systems = [refs, [perturb(r, "eng_Latn") for r in refs], [" ".join(r.split()[::-1]) for r in refs]]
    samples = 200 if test == "bs" else 300
    for name, metric in (("BLEU", BLEU()), ("chrF2++", CHRF(word_order=2)), ("TER", TER())):
        signature, ours = paired_test(SacrebleuMetric(name, metric), systems, [refs], test, samples)
        sacre_signatures, theirs = PairedTest([(str(i), s) for i, s in enumerate(systems)], {name: metric},
                                              [refs], test_type=test, n_samples=samples,
                                              n_ar_confidence=1000 if test == "ar" else -1)()
        (score_name,) = [k for k in theirs if k != "System"]
        assert signature == str(sacre_signatures[score_name])
        for mine, sacre in zip(ours, theirs[score_name]):
            assert mine.score == pytest.approx(sacre.score, abs=1e-9)
            assert mine.mean == pytest.approx(sacre.mean, abs=1e-6) and mine.ci == pytest.approx(sacre.ci, abs=1e-6)
            assert mine.p_value == (None if sacre.p_value is None else pytest.approx(sacre.p_value, abs=1e-12))
        assert [r.p_value for r in ours[1:]] != [1.0, 1.0]  # the systems really differ


def test_a_tied_difference_counts_as_extreme():
    """Two systems that differ in one segment: every shuffle gives the observed difference or 0, and a
    p-value counting only strictly larger differences would call that significant."""
    import numpy as np

    from seedmt.eval.significance import p_value_counting_ties

    shuffled = np.array([0.5] * 50 + [0.0] * 49)
    assert p_value_counting_ties(shuffled, 0.5) == pytest.approx(51 / 100)
    assert p_value_counting_ties(np.array([0.2, 0.1]), 0.5) == pytest.approx(1 / 3)
