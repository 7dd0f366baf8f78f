"""`seedmt align` and `seedmt references import`: sentence alignment across languages."""
from __future__ import annotations

import sys
from pathlib import Path

from seedmt.cli.common import EXIT_OK


def add_parsers(sub) -> None:
    al = sub.add_parser(
        "align", help="align a document with its translation, sentence by sentence, across languages",
        epilog="Many pairs in one run: `seedmt align originals/ translations/ --out links/` pairs files with the "
               "same base name (001.zh with 001.en, a.txt with a.txt); `--pairs list.tsv` names them. The encoder "
               "is loaded once, all documents' sentences are embedded together, each pair gets its own output, "
               "and a pair that fails (a bad file) is reported without stopping the others (exit status 3).",
        description="Split SOURCE and TRANSLATION into sentences (as `seedmt translate` does, or one line = one "
                    "sentence with --presegmented), embed them with the bundled encoders (multilingual-e5-small, joined by Google's multilingual USE where it knows both languages) and link them with a "
                    "monotonic dynamic programme (1-1, 1-2, 2-1, 2-2, 1-3, 3-1, and sentences without a "
                    "counterpart; up to 1-4, 4-1, 2-3, 3-2 with --scoring similarity). Writes one JSON object per link, in document order: source_indices, "
                    "target_indices, source_text, target_text, score, needs_review. `seedmt align score LINKS GOLD` "
                    "scores an alignment against a gold one.")
    al.add_argument("source", type=Path, nargs="?",
                    help="plain-text document, or a folder of them (paired by base name with TRANSLATION's files)")
    al.add_argument("translation", type=Path, nargs="?",
                    help="its translation (made by people or another system), or a folder of translations")
    al.add_argument("--pairs", type=Path, metavar="LIST",
                    help="align every pair this TSV names, one per line: source<TAB>translation[<TAB>output] "
                         "(paths relative to the list's folder), instead of SOURCE TRANSLATION")
    al.add_argument("--out", type=Path, required=True,
                    help="file to write (JSONL, or TSV with --format tsv); for folders or --pairs, the folder "
                         "that receives one <base name>.jsonl (or .tsv) per pair")
    al.add_argument("--format", choices=["jsonl", "tsv"], default="jsonl",
                    help="jsonl: every link with scores; tsv: source<TAB>target per linked pair (default: %(default)s)")
    al.add_argument("--source-lang", metavar="CODE", help="FLORES-200 code of SOURCE (default: identified)")
    al.add_argument("--target-lang", metavar="CODE", help="FLORES-200 code of TRANSLATION (default: identified)")
    al.add_argument("--presegmented", action="store_true",
                    help="each non-empty line is one sentence, taken as it is")
    al.add_argument("--lid", default="heliport", metavar="IDENTIFIER", help="as for translate (default: %(default)s)")
    al.add_argument("--anchors", type=Path, metavar="FILE",
                    help="JSONL of links to keep as they are (e.g. saved by the alignment editor of `seedmt review`); "
                         "the aligner re-searches only the stretches between them")
    al.add_argument("--scoring", choices=["margin", "similarity"], default="margin",
                    help="margin: for documents with page furniture or passages missing on one side (news, web "
                         "pages); similarity: for complete translations whose translators split and merged "
                         "sentences freely (books, literary chapters): Bertalign's scoring, links of up to 5 "
                         "sentences (default: %(default)s; figures for both in the README)")
    _add_embedder_option(al, cache=True)
    al.set_defaults(handler=run_align)

    sc = sub.add_parser(
        "align-score", help="score an alignment against a gold alignment (also: seedmt align score)",
        description="Strict and lax precision, recall and F1 of LINKS against GOLD, as Vecalign's score.py reports "
                    "them. Strict: a link counts only if GOLD has exactly that link; lax: also when one of its "
                    "source sentences is linked to one of its target sentences in GOLD. Either file may be "
                    "`seedmt align` JSONL or Vecalign's `[0, 1]:[2]` lines. Several LINKS GOLD pairs are pooled.")
    sc.add_argument("files", nargs="+", type=Path, metavar="LINKS GOLD", help="alignment and its gold, repeated")
    sc.add_argument("--json", action="store_true", help="print the scores as JSON")
    sc.set_defaults(handler=run_align_score)

    rf = sub.add_parser("references", help="manage reference translations (references/)")
    rf_sub = rf.add_subparsers(dest="references_command", required=True, metavar="ACTION")
    im = rf_sub.add_parser(
        "import", help="turn a document-level translation of a seed into segment-level references",
        description="Align TRANSLATION (a whole-document translation of SEED, e.g. the human translation it was "
                    "made from) to seedmt's own segmentation of SEED and write references/<lang>/<doc_id>.jsonl "
                    "for `seedmt eval`: a segment merged with its neighbour by the translator shares one reference "
                    "(`joined_with`), a segment with no counterpart gets `skip`. Provenance (file, sha256, "
                    "aligner, embedder, date, scores) goes to <doc_id>.provenance.json beside it.")
    im.add_argument("seed", help="seed file, or document id in --seeds")
    im.add_argument("translation", type=Path, help="plain-text translation of the whole seed")
    im.add_argument("--lang", required=True, metavar="CODE", help="FLORES-200 code of the translation")
    im.add_argument("--source-lang", metavar="CODE", help="FLORES-200 code of the seed (default: identified)")
    im.add_argument("--seeds", type=Path, default=Path("seeds"), help="seeds folder (default: %(default)s)")
    im.add_argument("--references", type=Path, default=Path("references"),
                    help="references folder (default: %(default)s)")
    im.add_argument("--force", action="store_true", help="replace an existing reference file")
    im.add_argument("--lid", default="heliport", metavar="IDENTIFIER",
                    help="identifies the seed's language when neither --source-lang nor a .lang file gives it; "
                         "as for translate (default: %(default)s)")
    _add_embedder_option(im, cache=True)
    im.set_defaults(handler=run_references_import)


def _add_embedder_option(parser, cache: bool = False) -> None:
    from seedmt.align.embed import ALIGN_EMBEDDER, EMBEDDER_HELP

    parser.add_argument("--embedder", default=ALIGN_EMBEDDER, metavar="NAME", help=EMBEDDER_HELP +
                        " (default: %(default)s)")
    if cache:
        parser.add_argument("--cache", type=Path, metavar="FILE",
                            help="keep sentence embeddings in this SQLite file (e.g. the segment cache "
                                 "out/seedmt-cache.sqlite) so that re-aligning the same texts embeds nothing again")


def _embedder(args):
    from seedmt.align.embed import StoredEmbedder, load_embedder

    embedder = load_embedder(args.embedder)
    if getattr(args, "cache", None) is None:
        return embedder
    from seedmt.dataset.cache import SegmentCache

    return StoredEmbedder(embedder, SegmentCache(args.cache))


def _close(embedder) -> None:
    """Close the embedding cache `--cache` opened (its WAL folded back into the file)."""
    if hasattr(embedder, "close"):
        embedder.close()


def run_align(args) -> int:
    from seedmt.core.errors import SettingsError
    from seedmt.core.files import write_text_atomically
    from seedmt.align.documents import align_documents

    from seedmt.align.links import settings_for

    if args.pairs is not None or (args.source is not None and args.source.is_dir()):
        return _run_align_many(args)
    if args.source is None or args.translation is None:
        raise SettingsError("give SOURCE and TRANSLATION (files or folders), or --pairs LIST")
    if args.translation.is_dir():
        raise SettingsError(f"{args.translation} is a folder but {args.source} is not: give two files or two folders")
    embedder = _embedder(args)
    try:
        result = align_documents(args.source, args.translation, embedder, source_lang=args.source_lang,
                                 target_lang=args.target_lang, presegmented=args.presegmented, lid=args.lid,
                                 anchors_path=args.anchors, settings=settings_for(args.scoring))
    finally:
        _close(embedder)
    for warning in result.warnings:
        print(f"seedmt: warning: {warning}", file=sys.stderr)
    write_text_atomically(args.out, result.jsonl() if args.format == "jsonl" else result.tsv())
    print(_summary(args.out, result, kept_anchors=bool(args.anchors)))
    return EXIT_OK


def _summary(out: Path, result, kept_anchors: bool = False) -> str:
    linked = sum(bool(link.source_indices and link.target_indices) for link in result.links)
    review = sum(link.needs_review for link in result.links)
    kept = sum(link.is_anchor for link in result.links)
    return (f"wrote {out}: {len(result.source)} {result.source_lang} and {len(result.target)} "
            f"{result.target_lang} sentences, {linked} links, "
            f"{len(result.links) - linked} sentences without a counterpart, {review} marked needs_review"
            + (f", {kept} fixed links kept" if kept_anchors else "") + f"; encoder {result.encoder}")


def _run_align_many(args) -> int:
    """Folders or a pair list: one output per pair, a failing pair reported without stopping the others."""
    from seedmt.align.documents import align_pairs, pairs_from_list, pairs_in_folders
    from seedmt.align.links import settings_for
    from seedmt.cli.common import EXIT_FATAL, EXIT_PARTIAL
    from seedmt.core.errors import SettingsError
    from seedmt.core.files import write_text_atomically

    if args.anchors:
        raise SettingsError("--anchors keeps one pair's links: align that pair on its own")
    suffix = ".jsonl" if args.format == "jsonl" else ".tsv"
    alone = []
    if args.pairs is not None:
        if args.source is not None:
            raise SettingsError("give either SOURCE TRANSLATION or --pairs LIST, not both")
        pairs = pairs_from_list(args.pairs, args.out, suffix)
    else:
        if args.translation is None or not args.translation.is_dir():
            raise SettingsError(f"{args.source} is a folder: give the folder of its translations too")
        pairs, alone = pairs_in_folders(args.source, args.translation, args.out, suffix)
        for path in alone:
            print(f"seedmt: error: {path}: no file with the same base name in the other folder (left out)",
                  file=sys.stderr)
    if args.out.exists() and not args.out.is_dir():
        raise SettingsError(f"--out {args.out} is a file: many pairs need a folder")
    inputs = {path.resolve() for pair in pairs for path in (pair.source, pair.target)}
    for pair in pairs:
        if pair.out.resolve() in inputs:
            raise SettingsError(f"{pair.out} is one of the documents to align: its links would overwrite it; "
                                "choose another --out folder or output name")
    embedder = _embedder(args)
    failed = 0
    try:
        for paths, result in align_pairs(pairs, embedder, source_lang=args.source_lang,
                                         target_lang=args.target_lang, presegmented=args.presegmented,
                                         lid=args.lid, settings=settings_for(args.scoring)):
            if not isinstance(result, Exception):
                for warning in result.warnings:
                    print(f"seedmt: warning: {warning}", file=sys.stderr)
                try:
                    paths.out.parent.mkdir(parents=True, exist_ok=True)
                    write_text_atomically(paths.out, result.jsonl() if args.format == "jsonl" else result.tsv())
                    print(_summary(paths.out, result))
                    continue
                except OSError as err:
                    result = f"{err.filename or paths.out}: {err.strerror or err}"
            failed += 1
            message = str(result)
            named = str(paths.source) in message or str(paths.target) in message or str(paths.out) in message
            print(f"seedmt: error: {message if named else f'{paths.source} + {paths.target}: {message}'}",
                  file=sys.stderr)
    finally:
        _close(embedder)
    print(f"aligned {len(pairs) - failed} of {len(pairs)} pairs" + (f"; {failed} failed (listed above)" if failed
                                                                     else "")
          + (f"; {len(alone)} files without a partner left out" if alone else ""))
    if failed == len(pairs):
        return EXIT_FATAL
    return EXIT_PARTIAL if failed or alone else EXIT_OK


def run_align_score(args) -> int:
    import json
    from dataclasses import asdict

    from seedmt.align.gold import gold_scores, read_alignment
    from seedmt.core.errors import SettingsError

    if len(args.files) % 2:
        raise SettingsError("give LINKS GOLD in pairs (an alignment, then its gold alignment)")
    pairs = [(read_alignment(test), read_alignment(gold)) for test, gold in zip(args.files[::2], args.files[1::2])]
    result = gold_scores(pairs)
    print(json.dumps({k: round(v, 4) for k, v in asdict(result).items()}) if args.json else result.table(), end="" if not args.json else "\n")
    return EXIT_OK


def run_references_import(args) -> int:
    from seedmt.eval.reference_import import import_reference

    embedder = _embedder(args)
    try:
        out, info = import_reference(args.seed, args.translation, args.lang, args.references, embedder,
                                     seeds_dir=args.seeds, source_lang=args.source_lang, lid=args.lid,
                                     force=args.force)
    finally:
        _close(embedder)
    counts = info.counts
    print(f"wrote {out}: {counts['segments']} segments, {counts['with_reference']} with a reference, "
          f"{counts['joined']} sharing one, {counts['skipped']} skipped, {counts['needs_review']} marked "
          f"needs_review (mean score {counts['mean_score']})")
    return EXIT_OK
