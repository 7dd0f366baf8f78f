"""COMET without unbabel-comet: segment scores equal COMET's own, run live in its own virtual environment.

The oracle is unbabel-comet in a separate environment (it pins transformers<5 and numpy<2); `.ci/run` builds it
and points SEEDMT_COMET_ORACLE at its Python. The tiny checkpoints are written there by COMET's own model
classes and Lightning's Trainer.save_checkpoint, over a tiny XLM-R whose tokenizer is built here."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
from pathlib import Path

import pytest
import torch

from seedmt.eval.comet import CometModelError, CometTriple, load_comet, read_checkpoint, system_score
from tests.helpers import REPO_ROOT, TARGETS, perturb, reference_texts, seed_lines

ORACLE = REPO_ROOT / "tests" / "comet_oracle.py"


@pytest.fixture(scope="module")
def oracle() -> str:
    python = os.environ.get("SEEDMT_COMET_ORACLE")
    if not python or not Path(python).exists():
        message = ("no COMET oracle: set SEEDMT_COMET_ORACLE to the Python of a virtual environment with "
                   "unbabel-comet (.ci/run builds one) to check the native COMET against it")
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run it")
        pytest.skip(message)
    return python


def build_xlmr(folder: Path) -> Path:
    """A tiny XLM-R: SentencePiece on the seeds, 3 layers of 32, 40 positions (so long texts are cut)."""
    import sentencepiece as spm
    from transformers import XLMRobertaConfig, XLMRobertaTokenizer

    folder.mkdir(parents=True)
    lines = seed_lines() + [text for text in reference_texts().values()]
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=str(folder / "sentencepiece.bpe"),
                                   vocab_size=2000, model_type="unigram", character_coverage=1.0, num_threads=1,
                                   minloglevel=2, hard_vocab_limit=False)
    tokenizer = XLMRobertaTokenizer.from_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    # The tokenizer.json is read by both transformers generations; its config keeps only what both understand.
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    for key in ("extra_special_tokens", "backend", "is_local", "local_files_only", "add_prefix_space"):
        config.pop(key, None)
    config["model_max_length"] = 512
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                     intermediate_size=48, max_position_embeddings=40, pad_token_id=tokenizer.pad_token_id,
                     bos_token_id=tokenizer.bos_token_id,
                     eos_token_id=tokenizer.eos_token_id).save_pretrained(str(folder))
    return folder


MODELS = {  # name -> oracle build options: both model classes, both layer transformations, layer norm on/off
    "regression-sparsemax": ["--kind", "regression", "--layer-transformation", "sparsemax"],
    "regression-softmax-norm": ["--kind", "regression", "--layer-transformation", "softmax", "--layer-norm"],
    "unified-softmax": ["--kind", "unified", "--layer-transformation", "softmax"],
}


@pytest.fixture(scope="module")
def models(oracle, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("comet")
    encoder = build_xlmr(root / "xlmr")
    built = {}
    for seed, (name, options) in enumerate(MODELS.items()):
        run_oracle(oracle, "build", str(root / name), "--encoder", str(encoder), "--seed", str(seed), *options)
        built[name] = root / name
    return built


def run_oracle(python: str, *args: str) -> str:
    done = subprocess.run([python, str(ORACLE), *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def triples() -> list[dict]:
    """Real sources, references and degraded translations of the seeds; very different lengths, some far longer
    than the tiny encoder's 38 positions (truncated), one empty-ish and one in another script."""
    refs = reference_texts()
    sources = {}
    from seedmt.eval.references import load_references
    from tests.helpers import REFERENCES

    for target in TARGETS:
        for doc in load_references(REFERENCES, target).values():
            for line in doc.lines:
                if line.text is not None:
                    sources[(line.segment_id, target)] = line.source
    keys = sorted(refs)[::7]
    data = [{"src": sources[k], "mt": perturb(refs[k], k[1]), "ref": refs[k]} for k in keys]
    data += [{"src": "Хлеб.", "mt": "Bread", "ref": "Bread."},
             {"src": sources[keys[0]] * 4, "mt": refs[keys[0]] * 4, "ref": refs[keys[0]]}]
    return data


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("batch_size", [1, 5, 32])
def test_native_scores_equal_unbabel_comet(models, oracle, tmp_path, name, batch_size):
    data = triples()
    (tmp_path / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    reference = json.loads(run_oracle(oracle, "score", str(models[name]), str(tmp_path / "data.json"),
                                      "--batch-size", str(batch_size)))
    model = load_comet(str(models[name]))
    native = model.score([CometTriple(d["src"], d["mt"], d["ref"]) for d in data], batch_size=batch_size)
    assert len(native) == len(reference["scores"]) == len(data)
    assert max(abs(a - b) for a, b in zip(native, reference["scores"])) < 1e-5
    assert abs(system_score(native) - reference["system_score"]) < 1e-5
    assert max(native) - min(native) > 0.01  # segments score differently: a 1e-5 agreement means something


@pytest.mark.slow
def test_lightning_hyperparameters_load_and_anything_else_is_refused(models, oracle, tmp_path):
    source = models["regression-sparsemax"] / "checkpoints" / "model.ckpt"
    checkpoint = torch.load(source, weights_only=True)
    lightning_style = tmp_path / "lightning.ckpt"
    run_oracle(oracle, "lightning-dict", str(source), str(lightning_style))
    with pytest.raises(pickle.UnpicklingError):  # plain weights_only loading refuses Lightning's class...
        torch.load(lightning_style, weights_only=True)
    loaded = read_checkpoint(lightning_style)  # ...which seedmt admits, by name, as a plain dict
    assert dict(loaded["hyper_parameters"]) == dict(checkpoint["hyper_parameters"])

    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    hostile = tmp_path / "hostile.ckpt"
    with open(hostile, "wb") as handle:
        torch.save({**checkpoint, "callbacks": Payload()}, handle, pickle_protocol=pickle.HIGHEST_PROTOCOL)
    with pytest.raises(CometModelError, match="objects other than tensors"):
        read_checkpoint(hostile)


def test_an_unavailable_model_is_one_line_and_exit_1(translated_dir, capsys):
    from seedmt.cli import main

    assert main(["eval", str(translated_dir), "--references", str(REPO_ROOT / "references"),
                 "--metrics", "chrf", "comet", "--comet-model", "Unbabel/no-such-comet-model"]) == 1
    err = capsys.readouterr().err
    assert "COMET model 'Unbabel/no-such-comet-model' is not available" in err and "--comet-model" in err
    assert "Traceback" not in err


@pytest.mark.slow  # the models are built and checked by unbabel-comet in its own environment
def test_eval_reports_comet_per_direction_and_segment(models, translated_dir, tmp_path, capsys, monkeypatch):
    from seedmt.cli import main

    out = tmp_path / "scores.json"
    model = models["regression-sparsemax"]
    assert main(["eval", str(translated_dir), "--references", str(REPO_ROOT / "references"),
                 "--metrics", "chrf", "comet", "--comet-model", str(model), "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "COMET" in capsys.readouterr().out
    block = report["directions"][0]
    assert set(block["scores"]) == {"chrF2++", "chrF2", "COMET"}
    segment_scores = [s["COMET"] for s in block["per_segment"]]
    assert block["scores"]["COMET"]["score"] == pytest.approx(sum(segment_scores) / len(segment_scores), abs=1e-4)
    assert str(model) in block["scores"]["COMET"]["signature"]

    # The scores are kept in the segment cache beside the dataset: the same evaluation runs no model.
    from seedmt.eval.comet import CometModel

    monkeypatch.setattr(CometModel, "score", lambda *args, **kwargs: pytest.fail("COMET ran again"))
    again = tmp_path / "again.json"
    assert main(["eval", str(translated_dir), "--references", str(REPO_ROOT / "references"),
                 "--metrics", "chrf", "comet", "--comet-model", str(model), "--json", str(again)]) == 0
    assert json.loads(again.read_text(encoding="utf-8"))["directions"] == report["directions"]


@pytest.mark.slow  # the models are built and checked by unbabel-comet in its own environment
def test_compare_tests_comet_with_the_same_paired_resampling(models, translated_dir, tmp_path):
    from seedmt.eval.compare import compare
    from tests.helpers import REFERENCES, rewrite_translations

    refs = reference_texts()
    perfect = rewrite_translations(translated_dir, tmp_path / "perfect", lambda sid, t: refs.get((sid, t), "x"))
    worse = rewrite_translations(translated_dir, tmp_path / "worse",
                                 lambda sid, t: perturb(refs[(sid, t)], t) if (sid, t) in refs else "x")
    model = str(models["regression-sparsemax"])
    report = compare([perfect, worse], REFERENCES, samples=200, metrics=("chrf", "comet"), comet_model=model)
    pooled = [b for b in report["directions"] if b["source_lang"] == "*" and b["target"] == "eng_Latn"][0]
    rows = pooled["metrics"]["COMET"]["systems"]
    scorer = load_comet(model)
    from seedmt.eval.evaluate import pair_dataset, pooled_by_target

    means = []
    for dataset in (perfect, worse):
        paired = pooled_by_target(pair_dataset(dataset, REFERENCES, ["eng_Latn"])[0])["eng_Latn"]
        scores = scorer.score([CometTriple(s, h, r) for s, h, r in
                               zip(paired.sources, paired.hypotheses, paired.references)])
        means.append(system_score(scores))
    assert rows[0]["score"] == pytest.approx(means[0], abs=1e-4)
    assert rows[1]["delta"] == pytest.approx(means[1] - means[0], abs=1e-4)
    assert 0 < rows[1]["p_value"] <= 1 and rows[0]["ci95"] is not None
    assert "bs:200" in pooled["metrics"]["COMET"]["signature"]


@pytest.mark.slow  # the models are built and checked by unbabel-comet in its own environment
def test_report_shows_comet_per_segment_and_in_the_comparison(models, translated_dir, tmp_path):
    import re

    from seedmt.cli import main
    from tests.helpers import REFERENCES, rewrite_translations

    refs = reference_texts()
    other = rewrite_translations(translated_dir, tmp_path / "perfect", lambda sid, t: refs.get((sid, t), "x"))
    out = tmp_path / "report.html"
    assert main(["report", str(translated_dir), "--references", str(REFERENCES), "--compare", str(other),
                 "--comet-model", str(models["regression-sparsemax"]), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    cells = re.findall(r'<td class="score comet">([^<]*)</td>', page)
    assert len(cells) == 171 * 2  # every segment, both targets
    assert sum(cell != "—" for cell in cells) >= len(refs)  # a score wherever there is a reference
    assert "<h2>COMET</h2>" in page and 'alt="COMET per direction and system, with 95% confidence intervals"' in page


@pytest.mark.slow  # the models are built and checked by unbabel-comet in its own environment
def test_comet_on_the_cpu_takes_this_process_fair_share_of_the_cores(models, monkeypatch):
    import seedmt.core.threads as threads

    calls = []
    monkeypatch.setattr(threads, "fair_share", lambda *args: 1)
    monkeypatch.setattr(threads, "set_torch_threads", lambda count: calls.append(count))
    model = load_comet(str(models["regression-sparsemax"]), device="cpu")
    model.score([CometTriple("Хлеб.", "Bread", "Bread.")] * 5, batch_size=2)
    assert calls == [1, 1, 1]  # before each of the three batches


@pytest.mark.slow  # the models are built and checked by unbabel-comet in its own environment
def test_human_evaluation_compares_comet_with_the_people(models):
    """`seedmt humaneval report --comet-model`: COMET's segment Kendall tau against the human scores is scipy's
    tau on the segment scores the native COMET gives the same triples."""
    from scipy.stats import kendalltau

    from seedmt.dataset.campaigns import REGULAR, Item
    from seedmt.eval.comet import CometTriple
    from seedmt.eval.humaneval import metric_trust

    refs = [(sid, text) for (sid, target), text in sorted(reference_texts().items()) if target == "eng_Latn"][:8]
    systems = ["a", "b"]
    items = {k: Item(k, "d", sid, "eng_Latn", f"source {k}", [], [], REGULAR, None, None,
                     [text, perturb(text, "eng_Latn")], systems) for k, (sid, text) in enumerate(refs, 1)}
    human = {(k, s): [90.0 - 40 * (s == "b") + k] for k in items for s in systems}
    references = dict(refs)
    trust = metric_trust(items, systems, human, sorted(items), "esa", references, "eng_Latn",
                         comet_model=str(models["regression-softmax-norm"]))
    model = load_comet(str(models["regression-softmax-norm"]))
    keys = [(k, s) for k in sorted(items) for s in systems]
    comet = model.score([CometTriple(items[k].source, items[k].translations[systems.index(s)],
                                     references[items[k].segment_id]) for k, s in keys])
    assert trust["COMET"]["kendall_tau"] == round(float(kendalltau(comet, [human[k][0] for k in keys]).statistic), 4)
    assert trust["COMET"]["segments"] == len(keys) and set(trust) == {"BLEU", "chrF2++", "TER", "COMET"}
