"""COMET speed on the real wmt22-comet-da architecture (XLM-R large encoder, 250,002-token vocabulary, the
3072-1024 estimator) with random weights: segments per second and peak memory of `seedmt.eval.comet`.

    python benchmarks/comet_speed.py                    # 64 seed segments, batch sizes 8 and 16
    python benchmarks/comet_speed.py --smoke            # a tiny architecture, seconds

The model folder (hparams.yaml, checkpoints/model.ckpt, encoder/ with the XLM-R large configuration and a
SentencePiece tokenizer trained on the seeds) is written once under --work-dir; the checkpoint is read
through the same weights_only path as a released model. Real texts go in: seed segments as sources, their
references as references and translations (the scores are meaningless; the cost is that of real input
lengths). Each batch size runs in its own process, so that its peak RSS is its own."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import REPO, machine, peak_rss_mib, write_report  # noqa: E402

LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
             max_position_embeddings=514, vocab_size=250002)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
            max_position_embeddings=514, vocab_size=2002)


def build_model(folder: Path, smoke: bool) -> Path:
    import torch
    import yaml
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

    from tests.helpers import reference_texts, seed_lines

    if (folder / "checkpoints" / "model.ckpt").is_file():
        return folder
    import sentencepiece as spm

    encoder = folder / "encoder"
    encoder.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(sentence_iterator=iter(seed_lines() + list(reference_texts().values())),
                                   model_prefix=str(encoder / "sentencepiece.bpe"), vocab_size=2000,
                                   model_type="unigram", character_coverage=1.0, num_threads=1, minloglevel=2,
                                   hard_vocab_limit=False)
    tokenizer = XLMRobertaTokenizer.from_pretrained(str(encoder))
    tokenizer.save_pretrained(str(encoder))
    architecture = TINY if smoke else LARGE
    config = XLMRobertaConfig(pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                              eos_token_id=tokenizer.eos_token_id, **architecture)
    config.save_pretrained(str(encoder))
    torch.manual_seed(0)
    model = XLMRobertaModel(config, add_pooling_layer=False)
    hidden = [3072, 1024] if not smoke else [24, 16]
    state = {f"encoder.model.{k}": v for k, v in model.state_dict().items()}
    for k in range(config.num_hidden_layers + 1):
        state[f"layerwise_attention.scalar_parameters.{k}"] = torch.randn(1)
    state["layerwise_attention.gamma"] = torch.ones(1)
    sizes = [config.hidden_size * 6, *hidden, 1]
    for n, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        state[f"estimator.ff.{3 * n}.weight"] = torch.randn(b, a) * 0.02
        state[f"estimator.ff.{3 * n}.bias"] = torch.zeros(b)
    (folder / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "hyper_parameters": {}, "epoch": 0, "global_step": 0},
               folder / "checkpoints" / "model.ckpt")
    hparams = {"class_identifier": "regression_metric", "encoder_model": "XLM-RoBERTa", "pool": "avg",
               "layer": "mix", "layer_transformation": "sparsemax", "layer_norm": False, "hidden_sizes": hidden,
               "activations": "Tanh", "final_activation": None, "pretrained_model": "xlm-roberta-large"}
    (folder / "hparams.yaml").write_text(yaml.dump(hparams), encoding="utf-8")
    return folder


def run_one(folder: Path, batch_size: int, segments: int) -> dict:
    from seedmt.eval.comet import CometTriple, load_comet
    from tests.helpers import REFERENCES, TARGETS

    from seedmt.eval.references import load_references

    triples = []
    for target in TARGETS:
        for doc in load_references(REFERENCES, target).values():
            triples += [CometTriple(line.source, line.text, line.text) for line in doc.lines if line.text]
    triples = triples[:segments]
    clock = time.perf_counter()
    model = load_comet(str(folder))
    load_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    scores = model.score(triples, batch_size=batch_size)
    seconds = time.perf_counter() - clock
    assert len(scores) == len(triples)
    return {"batch_size": batch_size, "segments": len(triples), "load_seconds": round(load_seconds, 2),
            "seconds": round(seconds, 2), "segments_per_second": round(len(triples) / seconds, 2),
            "peak_rss_mib": peak_rss_mib()}


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=64)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--smoke", action="store_true", help="a tiny architecture, 8 segments")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "comet-speed.json")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.smoke:
        args.segments, args.batch_sizes = 8, [4]
    folder = args.work_dir / ("comet-tiny-random" if args.smoke else "comet-xlmr-large-random")
    if args.run_one:
        print("RESULT " + json.dumps(run_one(folder, int(args.run_one), args.segments)), flush=True)
        return 0
    build_model(folder, args.smoke)
    results = []
    for batch_size in args.batch_sizes:
        done = subprocess.run([sys.executable, __file__, "--run-one", str(batch_size), "--segments",
                               str(args.segments), "--work-dir", str(args.work_dir)] + (["--smoke"] if args.smoke else []),
                              capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            raise SystemExit(f"batch size {batch_size} failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(lines[-1][len("RESULT "):]))
        print(json.dumps(results[-1]), flush=True)
    write_report(args.out, {"benchmark": "seedmt COMET, wmt22-comet-da architecture, random weights",
                            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            "architecture": "tiny" if args.smoke else "XLM-R large (24 x 1024), estimator 3072-1024",
                            "machine": machine(), "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
