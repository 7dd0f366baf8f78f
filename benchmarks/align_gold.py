"""The sentence aligner on manually aligned corpora, scored as the sentence-alignment literature scores it.

    python benchmarks/align_gold.py --data path/to/mac-dev-zh-en --data path/to/bleualign-dev-de-fr
    python benchmarks/align_gold.py --smoke            # a small case of our own in the same layout

A corpus folder is in one of the two layouts the field's tools read:
- Vecalign / Bertalign: `NNN.<src>`, `NNN.<tgt>` and the gold `NNN.align` per document (MAC: `NNN.zh`,
  `NNN.en`; the source is the side named by `--source-ext`, else the side whose code comes first in
  `SOURCE_FIRST`);
- Bleualign: `dev.<src>`, `dev.<tgt>` and the gold `dev.<src><tgt>` (Text+Berg: `dev.de`, `dev.fr`, `dev.defr`).
Texts are one sentence per line; gold lines are `[source ids]:[target ids]`.

All documents of a corpus are aligned end to end by one `seedmt align --pairs LIST --presegmented` process (timed:
process start to the last file written; the encoder loaded once, all sentences embedded together), then scored with `seedmt.align.gold` (Vecalign's `score.py`
definitions: strict and lax precision, recall, F1). Per corpus the JSON also holds the link-shape confusion
(each gold link's shape against the shape of the output link holding its first sentence), skips made against
gold skips, the encoders that served, and seconds. Written to `benchmarks/results/align-gold.json` (or `--out`)."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, write_report  # noqa: E402

# file extension -> FLORES-200 code
LANGUAGES = {"zh": "zho_Hans", "en": "eng_Latn", "de": "deu_Latn", "fr": "fra_Latn", "be": "bel_Cyrl",
             "ja": "jpn_Jpan", "ko": "kor_Hang", "ru": "rus_Cyrl", "es": "spa_Latn", "it": "ita_Latn"}
SOURCE_FIRST = ("zh", "de", "be", "ja", "ko", "ru", "es", "it", "fr", "en")  # which side is the source
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "align-gold.json"


def documents(folder: Path, source_ext: str | None = None) -> list[dict]:
    """The documents of a corpus folder: source and target files, their codes, the gold file."""
    golds = sorted(folder.glob("*.align"))
    found = []
    if golds:
        for gold in golds:
            sides = sorted(p.suffix[1:] for p in folder.glob(gold.stem + ".*") if p.suffix not in (".align",)
                           and p.suffix[1:] in LANGUAGES)
            if len(sides) != 2:
                raise SystemExit(f"{gold}: expected two text files {gold.stem}.<lang> beside it, found {sides}")
            src = source_ext if source_ext in sides else min(sides, key=SOURCE_FIRST.index)
            tgt = next(s for s in sides if s != src)
            found.append({"name": gold.stem, "source": folder / f"{gold.stem}.{src}",
                          "target": folder / f"{gold.stem}.{tgt}", "gold": gold, "pair": (src, tgt)})
        return found
    for text in sorted(folder.glob("*.*")):
        stem, ext = text.stem, text.suffix[1:]
        if ext not in LANGUAGES:
            continue
        for other in LANGUAGES:
            gold = folder / f"{stem}.{ext}{other}"
            if gold.is_file() and (folder / f"{stem}.{other}").is_file():
                found.append({"name": stem, "source": text, "target": folder / f"{stem}.{other}", "gold": gold,
                              "pair": (ext, other)})
    if not found:
        raise SystemExit(f"{folder}: no corpus here (NNN.<src>/NNN.<tgt>/NNN.align, or dev.<src>/dev.<tgt>/"
                         "dev.<src><tgt>)")
    return found


def align_corpus(documents: list[dict], work: Path, extra: list[str]) -> tuple[dict[str, list], float, str]:
    """All documents of a corpus (one language pair) through one `seedmt align --pairs` process: the alignment of
    each, the seconds from process start to the last file written, and what the command printed."""
    listing = work / "pairs.tsv"
    listing.write_text("".join(f"{d['source'].resolve()}\t{d['target'].resolve()}\t{work / (d['name'] + '.jsonl')}\n"
                               for d in documents), encoding="utf-8")
    src, tgt = documents[0]["pair"]
    command = [sys.executable, "-m", "seedmt", "align", "--pairs", str(listing), "--out", str(work),
               "--presegmented", "--source-lang", LANGUAGES[src], "--target-lang", LANGUAGES[tgt], *extra]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"seedmt align failed: {done.stderr[-2000:]}")
    from seedmt.align.gold import read_alignment

    return {d["name"]: read_alignment(work / f"{d['name']}.jsonl") for d in documents}, seconds, done.stdout


def shape(pair) -> str:
    return f"{len(pair[0])}-{len(pair[1])}"


def confusion(test: list, gold: list) -> dict[str, dict[str, int]]:
    """gold shape -> output shape of the link that holds the gold link's first sentence -> count."""
    by_source = {i: pair for pair in test for i in pair[0]}
    by_target = {j: pair for pair in test for j in pair[1]}
    table: dict[str, Counter] = {}
    for pair in gold:
        if not pair[0] and not pair[1]:
            continue
        found = by_source.get(pair[0][0]) if pair[0] else by_target.get(pair[1][0])
        table.setdefault(shape(pair), Counter())[shape(found) if found else "none"] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(table.items())}


def run_corpus(folder: Path, source_ext: str | None, extra: list[str]) -> dict:
    from seedmt.align.gold import gold_scores, read_alignment

    results, pairs = [], []
    total_confusion: dict[str, Counter] = {}
    skips_made = skips_gold = 0
    found = documents(folder, source_ext)
    if len({d["pair"] for d in found}) != 1:
        raise SystemExit(f"{folder}: documents of several language pairs; give each pair a folder of its own")
    with tempfile.TemporaryDirectory(prefix="seedmt-align-gold-") as work:
        alignments, seconds, printed = align_corpus(found, Path(work), extra)
    for document in found:
        test = alignments[document["name"]]
        gold = read_alignment(document["gold"])
        scores = gold_scores([(test, gold)])
        made = sum(1 for s, t in test if not s or not t)
        expected = sum(1 for s, t in gold if bool(s) != bool(t))
        skips_made, skips_gold = skips_made + made, skips_gold + expected
        for gold_shape, row in confusion(test, gold).items():
            total_confusion.setdefault(gold_shape, Counter()).update(row)
        results.append({"document": document["name"], "source_sentences": _lines(document["source"]),
                        "target_sentences": _lines(document["target"]), "skips_made": made,
                        "gold_skips": expected, **{k: round(v, 4) for k, v in asdict(scores).items()}})
        pairs.append((test, gold))
        print(f"  {folder.name}/{document['name']}: strict F1 {scores.f1_strict:.3f}, lax F1 "
              f"{scores.f1_lax:.3f}", file=sys.stderr)
    overall = gold_scores(pairs)
    encoders = sorted({line.rsplit("; encoder ", 1)[1] for line in printed.splitlines() if "; encoder " in line})
    return {"corpus": folder.name, "documents": results, "seconds": round(seconds, 1), "encoders": encoders,
            "skips_made": skips_made, "gold_skips": skips_gold,
            "shape_confusion": {k: dict(sorted(v.items())) for k, v in sorted(total_confusion.items())},
            **{k: round(v, 4) for k, v in asdict(overall).items()}}


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def smoke_corpus(folder: Path) -> Path:
    """A small corpus in the Vecalign layout from a seed and its references: the Belarusian seed's sentences, the
    English references one per line, with two pairs of references joined into one line (2-1 gold links) and one
    reference left out (a source sentence without counterpart)."""
    from seedmt.eval.references import load_references
    from seedmt.text.segment import segment_document

    doc_id = "003_8e8481b4ceab6e39"
    text = (ROOT / "seeds" / f"{doc_id}.txt").read_text(encoding="utf-8")
    segments = segment_document(doc_id, text, "bel_Cyrl")
    references = {line.segment_id: line.text for line in load_references(ROOT / "references", "eng_Latn")[doc_id].lines}
    pairs = [(s.text, references[s.segment_id]) for s in segments if references.get(s.segment_id)][:16]
    source, target, gold = [], [], []
    k = 0
    while k < len(pairs):
        i = len(source)
        if k in (3, 9) and k + 1 < len(pairs):  # the translator joined two sentences
            source += [pairs[k][0], pairs[k + 1][0]]
            gold.append(([i, i + 1], [len(target)]))
            target.append(pairs[k][1] + " " + pairs[k + 1][1])
            k += 2
            continue
        source.append(pairs[k][0])
        if k == 6:  # left untranslated
            gold.append(([i], []))
        else:
            gold.append(([i], [len(target)]))
            target.append(pairs[k][1])
        k += 1
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "001.be").write_text("".join(line + "\n" for line in source), encoding="utf-8")
    (folder / "001.en").write_text("".join(line + "\n" for line in target), encoding="utf-8")
    (folder / "001.align").write_text("".join(f"{s}:{t}\n" for s, t in gold), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", default=[], metavar="DIR",
                        help="a corpus folder (repeatable)")
    parser.add_argument("--source-ext", help="the source side's file extension, where the default guess is wrong")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report (default: %(default)s)")
    parser.add_argument("--smoke", action="store_true", help="a small corpus of our own (checks the script runs)")
    parser.add_argument("--align-option", action="append", default=[], metavar="OPTION",
                        help="passed on to `seedmt align` (repeatable), e.g. --align-option=--embedder=labse")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="seedmt-align-gold-smoke-") as scratch:
        folders = [smoke_corpus(Path(scratch) / "smoke-be-en")] if args.smoke else args.data
        if not folders:
            parser.error("give --data DIR (or --smoke)")
        corpora = []
        for folder in folders:
            print(f"{folder}:", file=sys.stderr)
            corpora.append(run_corpus(folder, args.source_ext, args.align_option))
    report = {"benchmark": "seedmt align on manually aligned corpora", "machine": machine(),
              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "align_options": args.align_option,
              "corpora": corpora}
    for corpus in corpora:
        print(f"{corpus['corpus']}: strict P {corpus['precision_strict']:.3f} R {corpus['recall_strict']:.3f} "
              f"F1 {corpus['f1_strict']:.3f} | lax F1 {corpus['f1_lax']:.3f} | skips {corpus['skips_made']} "
              f"(gold {corpus['gold_skips']}) | {corpus['seconds']:.0f} s")
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
