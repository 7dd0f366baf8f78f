"""`seedmt align` and `seedmt references import`: sentence alignment across languages."""
from __future__ import annotations

import sys
from pathlib import Path

from seedmt.cli.common import EXIT_OK


def add_parsers(sub) -> None:
    al = sub.add_parser(
        "align", help="align a document with its translation, sentence by sentence, across languages",
        description="Split SOURCE and TRANSLATION into sentences (as `seedmt translate` does, or one line = one "
                    "sentence with --presegmented), embed them with multilingual-e5-small and link them with a "
                    "monotonic dynamic programme (1-1, 1-2, 2-1, 2-2, 1-3, 3-1, and sentences without a "
                    "counterpart; up to 1-4, 4-1, 2-3, 3-2 with --scoring similarity). Writes one JSON object per link, in document order: source_indices, "
                    "target_indices, source_text, target_text, score, needs_review. `seedmt align score LINKS GOLD` "
                    "scores an alignment against a gold one.")
    al.add_argument("source", type=Path, help="plain-text document")
    al.add_argument("translation", type=Path, help="its translation (made by people or another system)")
    al.add_argument("--out", type=Path, required=True, help="file to write (JSONL, or TSV with --format tsv)")
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
    from seedmt.align.embed import DEFAULT_EMBEDDER, EMBEDDER_HELP

    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, metavar="NAME", help=EMBEDDER_HELP +
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
    from seedmt.core.files import write_text_atomically
    from seedmt.align.documents import align_documents

    from seedmt.align.links import settings_for

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
    linked = sum(bool(link.source_indices and link.target_indices) for link in result.links)
    review = sum(link.needs_review for link in result.links)
    kept = sum(link.is_anchor for link in result.links)
    print(f"wrote {args.out}: {len(result.source)} {result.source_lang} and {len(result.target)} "
          f"{result.target_lang} sentences, {linked} links, "
          f"{len(result.links) - linked} sentences without a counterpart, {review} marked needs_review"
          + (f", {kept} fixed links kept" if args.anchors else "") + f"; encoder {result.encoder}")
    return EXIT_OK


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
