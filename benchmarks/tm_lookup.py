"""Translation memory lookup at scale: fuzzy matches and concordance over 1,000,000 pairs.

    python benchmarks/tm_lookup.py                  # 1,000,000 pairs, 300 lookups; JSON in results/
    python benchmarks/tm_lookup.py --smoke          # 5,000 pairs, 30 lookups (seconds)

The memory is built with seedmt's own `TranslationMemory` from the seeds' reference pairs (five source languages
into English and Chinese) and variants of them: each variant keeps a reference pair's sentences and replaces a
share of the words on each side (characters in Chinese), drawn between 30% and 100%, with words drawn from a Zipf
distribution over the language's vocabulary, so that the memory holds near neighbours of every real sentence and
many more sentences that share only some words with it, in the languages' scripts and lengths. A million real sentences hold hundreds of thousands of word types, far more than the
references: the vocabulary is the references' words, most frequent first, followed by as many words made of a
real word's beginning and another's end (Chinese: CJK ideographs), up to `--vocabulary` types. Lookups are reference
sources with a few words changed (what a translator's next segment looks like against a memory); each is timed
end to end (index query, rapidfuzz scoring, difference spans). Concordance: a word of a reference, searched in
sources and targets."""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, write_report  # noqa: E402

from seedmt.cat.memory import TranslationMemory  # noqa: E402
from seedmt.cat.pairs import reference_pairs  # noqa: E402
from seedmt.core.languages import written_without_spaces  # noqa: E402

BATCH = 20_000


def tokens(text: str, lang: str) -> list[str]:
    return list(text) if written_without_spaces(lang) else text.split()


def joined(parts: list[str], lang: str) -> str:
    return "".join(parts) if written_without_spaces(lang) else " ".join(parts)


def zipf_vocabulary(words: list[str], lang: str, size: int, rng: random.Random) -> list[str]:
    """The language's words, most frequent first, then made-up words in its script up to `size` types."""
    ranked = [w for w, _ in Counter(words).most_common()]
    known, common = set(ranked), ranked[:5000]
    for _ in range(20 * size):  # made-up words may repeat: stop trying after this many
        if len(ranked) >= size:
            break
        if written_without_spaces(lang):
            word = chr(rng.randrange(0x4E00, 0x9FA5))
        else:
            a, b = rng.choice(common), rng.choice(common)
            word = a[:rng.randint(1, len(a))] + b[rng.randint(0, len(b) - 1):]
        if word not in known:
            known.add(word)
            ranked.append(word)
    return ranked


def variant(text: str, lang: str, vocabulary: list[str], rng: random.Random, share: float) -> str:
    parts = tokens(text, lang)
    for i in range(len(parts)):
        if rng.random() < share:
            parts[i] = vocabulary[int(len(vocabulary) ** rng.random()) - 1]  # P(rank r) ~ 1/r
    return joined(parts, lang)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--vocabulary", type=int, default=200_000, help="word types per language")
    parser.add_argument("--memory", type=Path, help="memory file to build (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "tm-lookup.json")
    args = parser.parse_args()
    if args.smoke:
        args.pairs, args.lookups = 5_000, 30

    rng = random.Random(args.seed)
    real = reference_pairs(REPO / "references")
    vocabulary = defaultdict(list)
    for pair in real:
        vocabulary[pair.source_lang] += tokens(pair.source, pair.source_lang)
        vocabulary[pair.target_lang] += tokens(pair.target, pair.target_lang)
    types = min(args.vocabulary, args.pairs)
    vocabulary = {lang: zipf_vocabulary(words, lang, types if not written_without_spaces(lang) else min(types, 20_000),
                                        rng) for lang, words in sorted(vocabulary.items())}

    with tempfile.TemporaryDirectory(prefix="seedmt-tm-bench-") as work:
        path = args.memory or Path(work) / "memory.tm.sqlite"
        memory = TranslationMemory(path)
        started = time.perf_counter()
        memory.add(real)
        made = len(real)
        while made < args.pairs:
            rows = []
            for _ in range(min(BATCH, args.pairs - made)):
                pair = rng.choice(real)
                share = rng.uniform(0.3, 1.0)
                rows.append((pair.source_lang, pair.target_lang,
                             variant(pair.source, pair.source_lang, vocabulary[pair.source_lang], rng, share),
                             variant(pair.target, pair.target_lang, vocabulary[pair.target_lang], rng, share),
                             "benchmark variant"))
            memory.add_rows(rows)
            made += len(rows)  # variants drawn twice count once in the memory: `memory_pairs` says how many
            print(f"\r{made:,} pairs", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        memory.optimise()
        memory_pairs = len(memory)
        build_seconds = time.perf_counter() - started
        size = path.stat().st_size

        queries = [rng.choice(real) for _ in range(args.lookups)]
        memory.lookup(queries[0].source, queries[0].source_lang, queries[0].target_lang)  # warm the page cache
        timings, found, exact_first = [], 0, 0
        for pair in queries:
            segment = variant(pair.source, pair.source_lang, vocabulary[pair.source_lang], rng, 0.1)
            t = time.perf_counter()
            matches = memory.lookup(segment, pair.source_lang, pair.target_lang)
            timings.append((time.perf_counter() - t) * 1000)
            found += bool(matches)
            # the reference pair the segment was made from should come first (or a variant as close)
            exact_first += bool(matches) and matches[0].score >= max(
                (m.score for m in matches if m.source == pair.source.strip()), default=101)
        concordance = []
        for pair in queries[: max(10, args.lookups // 10)]:
            word = pair.target.split()[len(pair.target.split()) // 2] if not written_without_spaces(
                pair.target_lang) else pair.target[len(pair.target) // 2:len(pair.target) // 2 + 2]
            t = time.perf_counter()
            memory.concordance(word, pair.target_lang, side="target", limit=20)
            concordance.append((time.perf_counter() - t) * 1000)
        memory.close()

    report = {
        "benchmark": "tm_lookup", "smoke": args.smoke, "pairs": memory_pairs, "vocabulary_per_language": types,
        "build_seconds": round(build_seconds, 1), "memory_file_mib": round(size / 2**20, 1),
        "lookups": len(timings), "lookup_ms_median": round(statistics.median(timings), 2),
        "lookup_ms_p95": round(percentile(timings, 0.95), 2), "lookup_ms_max": round(max(timings), 2),
        "lookups_with_a_match": found, "source_pair_ranked_first": exact_first,
        "concordance_searches": len(concordance), "concordance_ms_median": round(statistics.median(concordance), 2),
        "concordance_ms_p95": round(percentile(concordance, 0.95), 2), "machine": machine(),
    }
    write_report(args.out, report)
    print(f"{memory_pairs:,} pairs: lookup median {report['lookup_ms_median']} ms, p95 {report['lookup_ms_p95']} ms; "
          f"concordance median {report['concordance_ms_median']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
