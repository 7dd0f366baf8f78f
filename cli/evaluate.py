"""`seedmt eval`, `seedmt compare`, `seedmt report` and `seedmt flores import`: scoring against references."""
from __future__ import annotations

import argparse
from pathlib import Path

from seedmt.cli.common import EXIT_OK
from seedmt.eval.metrics import DEFAULT_COMET, DEFAULT_COMETKIWI, DEFAULT_METRICS, METRIC_FAMILIES


def add_parsers(sub) -> None:
    ev = sub.add_parser(
        "eval", help="score a translated dataset against references/ with sacrebleu",
        description="BLEU (zh tokenizer for Chinese, 13a otherwise), chrF2++, chrF2, TER and optionally spBLEU, "
                    "per direction, per document and per segment, each with its sacrebleu signature. References "
                    "that do not follow the dataset's segmentation are aligned by minimum edit distance.")
    ev.add_argument("dataset", type=Path, help="dataset folder written by `seedmt translate`")
    _add_scoring_options(ev)
    ev.set_defaults(handler=run_eval)

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
    cp.set_defaults(handler=run_compare)

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
    rp.add_argument("--comet-model", metavar="ID_OR_DIR",
                    help="add COMET: a per-segment column, and with --compare a COMET summary and plot (Hub id "
                         "from the local cache, or folder)")
    rp.add_argument("--campaign", type=Path, metavar="CAMPAIGN",
                    help="add the results of a human evaluation campaign (`seedmt humaneval`)")
    rp.add_argument("-o", "--output", type=Path, default=Path("report.html"), help="(default: %(default)s)")
    rp.set_defaults(handler=run_report)

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
    fi.add_argument("--force", action="store_true",
                    help="replace reference files there that an earlier FLORES import did not write")
    fi.set_defaults(handler=run_flores_import)


def _add_scoring_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--references", type=Path, default=Path("references"),
                        help="folder with <target>/<doc_id>.jsonl reference files (default: %(default)s)")
    parser.add_argument("--targets", nargs="+", metavar="CODE",
                        help="score only these targets (default: every target that has references)")
    parser.add_argument("--spm-model", type=Path,
                        help="SentencePiece model for spBLEU (the NLLB checkpoint's sentencepiece.bpe.model); "
                             "without it spBLEU is skipped, since sacrebleu would download the model")
    parser.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS), choices=list(METRIC_FAMILIES),
                        metavar="METRIC",
                        help="bleu (and spBLEU with --spm-model), chrf (chrF2++ and chrF2), ter, comet "
                             "(reference-based, --comet-model), cometkiwi (reference-free, --cometkiwi-model) "
                             "(default: %(default)s)")
    parser.add_argument("--comet-model", metavar="ID_OR_DIR",
                        help=f"COMET model: Hub id (from the local cache) or folder (default: {DEFAULT_COMET})")
    parser.add_argument("--cometkiwi-model", metavar="ID_OR_DIR",
                        help=f"reference-free COMET model (default: {DEFAULT_COMETKIWI})")
    parser.add_argument("--post-edits", nargs="?", const=True, default=None, metavar="REVIEWED_DATASET",
                        help="score against what reviewers accepted or post-edited in `seedmt review` instead of "
                             "--references: TER is then HTER, the post-editing effort. Without a value, the "
                             "post-edits of the (first) dataset itself")
    parser.add_argument("--json", type=Path, help="write the full results (JSON) here")
    parser.add_argument("--markdown", type=Path, help="write the Markdown tables here (they are printed anyway)")


def _write_outputs(args, data: dict, markdown: str) -> None:
    from seedmt.core.files import write_json, write_text_atomically

    print(markdown, end="")
    if args.json:
        write_json(args.json, data)
        print(f"wrote {args.json}")
    if args.markdown:
        write_text_atomically(args.markdown, markdown)
        print(f"wrote {args.markdown}")


def run_eval(args) -> int:
    from seedmt.eval.evaluate import evaluate
    from seedmt.eval.report import evaluation_markdown

    with _references(args, args.dataset) as references:
        report = evaluate(args.dataset, references, targets=args.targets, spm_model=args.spm_model,
                          metrics=tuple(args.metrics), comet_model=args.comet_model,
                          cometkiwi_model=args.cometkiwi_model)
    _write_outputs(args, report, evaluation_markdown(report))
    return EXIT_OK


def _references(args, dataset: Path):
    """--references, or with --post-edits a temporary folder of post-edits (seedmt.eval.post_edits)."""
    from contextlib import nullcontext

    from seedmt.eval.post_edits import post_edit_references

    if args.post_edits is None:
        return nullcontext(args.references)
    return post_edit_references(dataset if args.post_edits is True else Path(args.post_edits))


def run_compare(args) -> int:
    from seedmt.eval.compare import compare
    from seedmt.eval.report import comparison_markdown

    with _references(args, args.datasets[0]) as references:
        report = compare(args.datasets, references, test=args.test, samples=args.samples,
                         targets=args.targets, spm_model=args.spm_model, metrics=tuple(args.metrics),
                         comet_model=args.comet_model, cometkiwi_model=args.cometkiwi_model)
    _write_outputs(args, report, comparison_markdown(report))
    return EXIT_OK


def run_report(args) -> int:
    from seedmt.eval.html_report import build_report
    from seedmt.core.files import write_text_atomically

    if args.compare:
        from seedmt.eval.compare import check_same_segments, name_systems

        check_same_segments(name_systems([args.dataset, *args.compare]))
    from seedmt.cat.pairs import MACHINE_TRANSLATION, dataset_pairs
    from seedmt.cat.qa import check_pairs

    qa = {(r.pair.key, r.pair.target_lang): [(f.check, f.severity, f.message) for f in r.findings]
          for r in check_pairs(dataset_pairs(args.dataset, (MACHINE_TRANSLATION,))) if r.findings}
    write_text_atomically(args.output, build_report(args.dataset, args.references, args.compare, comet_model=args.comet_model,
                                                     campaign=args.campaign, qa=qa))
    print(f"wrote {args.output}")
    return EXIT_OK


def run_flores_import(args) -> int:
    from seedmt.eval.flores import import_flores

    written = import_flores(args.source, args.langs, args.out_dir, split=args.split, targets=args.targets,
                           force=args.force)
    print(f"wrote {len(written['seeds'])} seeds to {args.out_dir / 'seeds'} and {len(written['references'])} "
          f"reference files to {args.out_dir / 'references'}; next: seedmt translate {args.out_dir / 'seeds'} "
          "--presegmented")
    return EXIT_OK
