"""Sentence-aligner benchmark: embedding throughput, alignment (DP) seconds, peak memory and F1 for long
documents built from the seeds and their English references.

    python benchmarks/align_speed.py                     # 100, 1,000 and 5,000 sentences; JSON in results/
    python benchmarks/align_speed.py --sizes 1000

Each size is built by repeating the five seeds (source) and their joined, re-split English references
(target) until the source has at least that many sentences; the gold alignment is known for every sentence
(tests/align_cases.py). Each size runs in its own process, so its peak RSS is its own. Embedding throughput
is over the distinct texts the aligner embeds (sentences and runs of 2-3 joined sentences), each once; the
repeated seeds make later copies free, so the DP time, not the embedding time, is what grows with length."""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(size: int):
    sys.path.insert(0, str(ROOT))
    from tests.helpers import EXPECTED_SEED_LANGS, build_case

    cases = [build_case(doc_id, "eng_Latn") for doc_id in sorted(EXPECTED_SEED_LANGS)]
    source, target, gold = [], [], set()
    while len(source) < size:
        for case in cases:
            if len(source) >= size:
                break
            gold |= {(i + len(source), j + len(target)) for i, j in case.gold}
            source += case.source
            target += case.target_sentences
    return source, target, gold


def run_one(size: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from seedmt.align.aligner import align_sentences
    from seedmt.align.embed import load_embedder
    from tests.helpers import link_pairs, scores

    source, target, gold = build(size)
    embedder = load_embedder()
    started = time.perf_counter()
    align_sentences(source, target, embedder)  # first pass embeds every distinct text once
    first = time.perf_counter() - started
    distinct = embedder.embedded
    started = time.perf_counter()
    links = align_sentences(source, target, embedder)  # everything embedded: the alignment alone
    align_seconds = time.perf_counter() - started
    embed_seconds = first - align_seconds
    precision, recall, f1 = scores(link_pairs(links), gold)
    return {"source_sentences": len(source), "target_sentences": len(target), "distinct_texts_embedded": distinct,
            "embedding_seconds": round(embed_seconds, 2),
            "embedded_texts_per_second": round(distinct / embed_seconds, 1) if embed_seconds > 0 else None,
            "alignment_seconds": round(align_seconds, 2), "links": len(links),
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--smoke", action="store_true", help="one 20-sentence pair (checks the script still runs)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "align-speed.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes = [20]
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    results = []
    for size in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True,
                              check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": {"cpus": __import__("os").cpu_count(),
                                                "processor": platform.processor() or platform.machine(),
                                                "python": platform.python_version()},
                                    "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
