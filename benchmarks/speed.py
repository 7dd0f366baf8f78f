"""Speed benchmark on the real NLLB-200-distilled-600M architecture with random weights.

    python benchmarks/speed.py                       # default configurations, ~30 min on 2 CPU cores
    python benchmarks/speed.py --configs ct2-int8-sorted --sentences 0

No NLLB weights can be downloaded here, so the model is built locally: the 600M config (d_model 1024,
12+12 layers, FFN 4096) with the embedding/softmax padded to NLLB's 256,206 tokens, random weights,
and a SentencePiece tokenizer trained on the seeds. Compute per token is the real model's.

Random weights never emit </s>, so every batch is forced to produce exactly
ceil(1.1 x longest source in the batch) tokens (min = max new tokens). That is what a batch costs with
a real model too: transformers keeps decoding finished rows until the longest one stops.

Each configuration runs in its own process so that its peak RSS (model load included) is its own.
Results (JSON) go to benchmarks/results/. The naive baseline, transformers fp32 with fixed batches of
16 in file order, is measured in the same run and every ratio is relative to it."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import (OUTPUT_LENGTH_RATIO, REPO, build_model, evenly_spaced, forced_tokens, machine,  # noqa: E402
                    peak_rss_mib, seed_segments, write_report)

from seedmt.translate.batching import token_budget_batches  # noqa: E402
from seedmt.translate.settings import BatchingSettings, DecodingSettings  # noqa: E402
BASELINE = "hf-fp32-file-order"


@dataclass(frozen=True)
class Config:
    name: str
    backend: str  # transformers | ct2
    compute_type: str
    sorted_batches: bool  # token-budget batches, longest first; else fixed chunks in file order
    # CT2 vocabulary map: keep this many output tokens (None: full 256k softmax).
    kept_vocabulary: int | None = None
    job: bool = False  # the whole seed job: every segment, both targets


CONFIGS = {c.name: c for c in [
    Config(BASELINE, "transformers", "float32", sorted_batches=False),
    Config("hf-fp32-sorted", "transformers", "float32", sorted_batches=True),
    Config("ct2-int8-sorted", "ct2", "int8", sorted_batches=True),
    Config("ct2-int8-sorted-vocab64k", "ct2", "int8", sorted_batches=True, kept_vocabulary=65536),
    Config("ct2-int8-sorted-vocab32k", "ct2", "int8", sorted_batches=True, kept_vocabulary=32768),
    Config("ct2-int8-sorted-vocab16k", "ct2", "int8", sorted_batches=True, kept_vocabulary=16384),
    Config("job-ct2-int8", "ct2", "int8", sorted_batches=True, job=True),
    Config("job-ct2-int8-vocab16k", "ct2", "int8", sorted_batches=True, kept_vocabulary=16384, job=True),
]}
# What `python benchmarks/speed.py` runs (~30 min on 2 cores). hf-fp32-sorted equals the baseline when each
# source language has <= 16 sampled sentences (one batch either way); job-ct2-int8 takes ~25 min alone.
DEFAULT_CONFIGS = [BASELINE, "ct2-int8-sorted", "ct2-int8-sorted-vocab64k", "ct2-int8-sorted-vocab32k",
                   "ct2-int8-sorted-vocab16k", "job-ct2-int8-vocab16k"]
FILE_ORDER_BATCH = 16


def load_backend_for(config: Config, model_dir: Path, ct2_cache: Path):
    from common import FORCED_LENGTH_BACKENDS

    from seedmt.translate.backends.ct2 import cached_conversion, vocabulary_map_view
    from seedmt.translate.model_source import resolve_model

    model = resolve_model(str(model_dir))
    # A batch handed over by the benchmark is translated as one batch by the backend.
    batching = BatchingSettings(max_batch_tokens=1_000_000, max_batch_size=1_000)
    if config.backend == "transformers":
        return FORCED_LENGTH_BACKENDS["transformers"](model, device="cpu", compute_type=config.compute_type,
                                                      batching=batching), {}
    ct2_dir = cached_conversion(model, config.compute_type, ct2_cache)
    extra = {}
    if config.kept_vocabulary:
        vocabulary = json.loads((ct2_dir / "shared_vocabulary.json").read_text(encoding="utf-8"))
        # The first K ids: specials, language codes and the tokenizer's pieces come first. A real
        # keep-set is chosen by script (`--trim-vocabulary`); only its size matters for speed.
        ct2_dir = vocabulary_map_view(ct2_dir, f"vmap-first{config.kept_vocabulary}",
                                      lambda: vocabulary[: config.kept_vocabulary])
        extra["vocabulary_size"] = len(vocabulary)
    backend = FORCED_LENGTH_BACKENDS["ct2"](model, device="cpu", compute_type=config.compute_type,
                                            batching=batching, ct2_dir=ct2_dir,
                                            trim_vocabulary=bool(config.kept_vocabulary))
    return backend, extra


def plan_batches(lengths: list[int], config: Config) -> list[list[int]]:
    if config.sorted_batches:
        defaults = BatchingSettings().for_device("cpu")
        return token_budget_batches(lengths, defaults.max_batch_tokens, defaults.max_batch_size)
    return [list(range(i, min(i + FILE_ORDER_BATCH, len(lengths)))) for i in range(0, len(lengths), FILE_ORDER_BATCH)]


def run_config(config: Config, model_dir: Path, seeds_dir: Path, sentences: int, targets: list[str],
               beam_size: int, ct2_cache: Path) -> dict:
    """Measure one configuration in this process; returns its JSON record."""
    segments = seed_segments(seeds_dir)
    if not config.job:
        segments = evenly_spaced(segments, sentences)
    load_clock = time.perf_counter()
    backend, extra = load_backend_for(config, model_dir, ct2_cache)
    load_seconds = time.perf_counter() - load_clock
    by_language: dict[str, list[str]] = {}
    for _, lang, text in segments:
        by_language.setdefault(lang, []).append(text)
    source_tokens = output_tokens = 0
    clock = time.perf_counter()
    for target in targets:
        for lang, texts in by_language.items():
            # Content tokens only: the language tag and </s> are not part of the output length.
            lengths = [n - 2 for n in backend.count_tokens(texts, lang)]
            settings = DecodingSettings(beam_size=beam_size)
            for batch in plan_batches(lengths, config):
                # The backend decodes exactly this many tokens, the language tag first (benchmarks/common.py).
                forced = forced_tokens(max(lengths[i] for i in batch) + 2) - 1
                outputs = backend.translate_segments([texts[i] for i in batch], lang, target, settings)
                assert len(outputs) == len(batch)
                output_tokens += forced * len(batch)
                source_tokens += sum(lengths[i] for i in batch)
    seconds = time.perf_counter() - clock
    translated = len(segments) * len(targets)
    return {
        "config": config.name, "backend": config.backend, "compute_type": config.compute_type,
        "batching": "token-budget sorted" if config.sorted_batches else f"fixed {FILE_ORDER_BATCH}, file order",
        "kept_vocabulary": config.kept_vocabulary, **extra,
        "beam_size": beam_size, "targets": targets, "segments": translated,
        "source_tokens": source_tokens,
        "output_tokens": output_tokens, "seconds": round(seconds, 2), "load_seconds": round(load_seconds, 2),
        "sentences_per_second": round(translated / seconds, 3),
        "output_tokens_per_second": round(output_tokens / seconds, 1),
        "peak_rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, choices=list(CONFIGS),
                        help=f"configurations to run; {BASELINE} always runs (ratios are relative to it)")
    parser.add_argument("--sentences", type=int, default=48,
                        help="seed segments (evenly spaced over the seeds) for the ratio configurations; "
                             "0 = all. job-* configurations always translate every segment into both targets")
    parser.add_argument("--target", default="eng_Latn", help="target of the ratio configurations")
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--seeds", type=Path, default=REPO / "seeds")
    parser.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work",
                        help="random-weight model and its CTranslate2 conversions (about 4 GB; reused)")
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/speed-<time>.json)")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds, not minutes: the tiny test architecture, 4 sentences, three configurations, "
                             "the first in a child process and the others in this one (checks that the script still "
                             "runs; the figures mean nothing)")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)  # child process: one configuration
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.smoke:
        args.configs, args.sentences = [BASELINE, "ct2-int8-sorted", "ct2-int8-sorted-vocab16k"], 4
    model_dir = build_model(args.work_dir, args.seeds, smoke=args.smoke)
    ct2_cache = args.work_dir / "ct2"

    if args.run_one:
        config = CONFIGS[args.run_one]
        targets = ["eng_Latn", "zho_Hans"] if config.job else [args.target]
        record = run_config(config, model_dir, args.seeds, args.sentences, targets, args.beam_size, ct2_cache)
        print("RESULT " + json.dumps(record), flush=True)
        return 0

    names = [BASELINE] + [n for n in args.configs if n != BASELINE]
    for quantization in sorted({CONFIGS[n].compute_type for n in names if CONFIGS[n].backend == "ct2"}):
        # Converted here, once, so no configuration's time or peak RSS includes the conversion.
        from seedmt.translate.backends.ct2 import cached_conversion
        from seedmt.translate.model_source import resolve_model

        print(f"converting to CTranslate2 ({quantization}) ...", flush=True)
        cached_conversion(resolve_model(str(model_dir)), quantization, ct2_cache)
    results = []
    for position, name in enumerate(names):
        print(f"[{name}] running ...", flush=True)
        if args.smoke and position:
            # The smoke run's figures mean nothing: one child process checks that path, the rest run here.
            config = CONFIGS[name]
            record = run_config(config, model_dir, args.seeds, args.sentences,
                                ["eng_Latn", "zho_Hans"] if config.job else [args.target], args.beam_size, ct2_cache)
            results.append(record)
            continue
        command = [sys.executable, __file__, "--run-one", name, "--sentences", str(args.sentences),
                   "--target", args.target, "--beam-size", str(args.beam_size), "--seeds", str(args.seeds),
                   "--work-dir", str(args.work_dir)] + (["--smoke"] if args.smoke else [])
        proc = subprocess.run(command, capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            print(proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"[{name}] failed (exit {proc.returncode})")
        record = json.loads(lines[-1][len("RESULT "):])
        results.append(record)
        print(f"[{name}] {record['sentences_per_second']} sent/s, {record['output_tokens_per_second']} tok/s, "
              f"peak RSS {record['peak_rss_mib']} MiB, {record['seconds']} s", flush=True)
    baseline = results[0]
    for record in results:
        if not record["config"].startswith("job-"):
            record["speedup_vs_baseline"] = round(record["sentences_per_second"] / baseline["sentences_per_second"], 2)
    report = {"benchmark": "seedmt speed, NLLB-200-distilled-600M architecture, random weights",
              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "output_length": f"forced: ceil({OUTPUT_LENGTH_RATIO} x longest source in batch) tokens",
              "baseline": BASELINE, "machine": machine(), "results": results}
    write_report(args.out or REPO / "benchmarks" / "results" / f"speed-{time.strftime('%Y%m%d-%H%M%S')}.json",
                 report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
