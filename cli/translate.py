"""`seedmt translate` and `seedmt convert`: options in, the translation API out."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seedmt.cli.common import EXIT_FATAL, EXIT_OK, EXIT_PARTIAL


def add_parsers(sub) -> None:
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
    tr.set_defaults(handler=run_translate)

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
    cv.set_defaults(handler=run_convert)


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


def _add_ct2_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("CTranslate2 backend (--backend ct2)")
    group.add_argument("--ct2-dir", type=Path,
                       help="an already converted model (default: convert --model once, cached in "
                            "$SEEDMT_CACHE or ~/.cache/seedmt/ct2)")
    group.add_argument("--trim-vocabulary", action="store_true",
                       help="decode only tokens of the target's script (+ASCII, digits, punctuation): faster, "
                            "but a translation can no longer contain other scripts' tokens (off by default). "
                            "If --ct2-dir holds a vmap.txt, that map is used for every target instead")


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


def _parse_source_langs(values: list[str]) -> dict[str, str]:
    from seedmt.translate.pipeline import ALL_FILES

    out: dict[str, str] = {}
    for value in values:
        stem, sep, code = value.rpartition("=")
        out[stem if sep else ALL_FILES] = code
    return out


def _engine_settings(args):
    if args.engine == "ray":
        from seedmt.translate.ray_engine import RaySettings

        return RaySettings(address=args.ray_address, workers=args.workers, cpus_per_worker=args.cpus_per_worker,
                           gpus_per_worker=args.gpus_per_worker)
    from seedmt.translate.engines import LocalSettings

    return LocalSettings()


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


def run_convert(args) -> int:
    from seedmt.translate.backends.ct2 import convert_checkpoint
    from seedmt.translate.model_source import resolve_model

    out = convert_checkpoint(resolve_model(args.model, args.revision), args.out, args.quantization,
                             force=args.force)
    print(f"converted {args.model} -> {out} ({args.quantization})")
    return EXIT_OK


def run_translate(args) -> int:
    from seedmt.translate.pipeline import TranslationJob, run_translation
    from seedmt.translate.quality import count_flags

    decoding, batching = _decoding_from_args(args)
    job = TranslationJob(seeds_dir=args.seeds_dir, out_dir=args.out, model=args.model, revision=args.revision,
                         targets=tuple(args.targets), backend=args.backend, device=args.device,
                         compute_type=args.compute_type, decoding=decoding, batching=batching,
                         source_langs=_parse_source_langs(args.source_lang),
                         max_segment_chars=args.max_segment_chars, presegmented=args.presegmented, lid=args.lid,
                         similarity=not args.no_similarity, max_input_tokens=args.max_input_tokens,
                         backend_options=_backend_options(args), cache_path=args.cache, use_cache=not args.no_cache,
                         engine=_engine_settings(args))
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
