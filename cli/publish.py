"""`seedmt publish`: the dataset exported for the Hugging Face Hub, translators (TMX) and MT tools (Moses)."""
from __future__ import annotations

from pathlib import Path

from seedmt.cli.common import EXIT_OK


def add_parsers(sub) -> None:
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
    pb.add_argument("--reviewed-only", action="store_true",
                    help="export only the pairs a reviewer accepted or post-edited (`seedmt review`), with the "
                         "post-edits in place of the machine translations")
    pb.add_argument("--campaign", type=Path, metavar="CAMPAIGN",
                    help="cite a human evaluation campaign (`seedmt humaneval`) in the card: systems, protocol, items, "
                         "annotators, agreement, scores")
    pb.add_argument("--format", choices=("hub", "xliff"), default="hub",
                    help="hub (default): the Hub layout, TMX and Moses; xliff: XLIFF 1.2 for CAT tools, "
                         "EXPORT_DIR/<target>/<doc_id>.xlf, with QA findings and flags as notes (`seedmt review "
                         "import` brings the edited files back)")
    pb.add_argument("--glossary", type=Path, metavar="FILE",
                    help="with --format xliff: glossary whose term checks join the QA notes")
    pb.add_argument("--push", metavar="REPO_ID", help="also upload to this Hub dataset repository")
    pb.add_argument("--public", action="store_true", help="with --push: create the repository public")
    pb.set_defaults(handler=run_publish)


def run_publish(args) -> int:
    if args.format == "xliff":
        return run_xliff_export(args)
    from seedmt.dataset.publish import export_for_hub, push_to_hub

    human_evaluation = None
    if args.campaign is not None:
        from seedmt.eval.humaneval import campaign_report, card_section

        human_evaluation = card_section(campaign_report(args.campaign))
    from seedmt.eval.references import references_summary

    from seedmt.cat.pairs import dataset_pairs
    from seedmt.cat.qa import card_section, check_pairs

    qa_note = card_section(check_pairs(dataset_pairs(args.dataset)))
    export_dir = export_for_hub(args.dataset, args.export_dir, references_summary(args.references),
                                reviewed_only=args.reviewed_only, human_evaluation=human_evaluation, qa_note=qa_note)
    print(f"wrote {export_dir}: README.md, documents/ segments/ runs/ (parquet), translations.tmx, moses/")
    if args.push:
        print(f"pushed to {push_to_hub(export_dir, args.push, private=not args.public)}")
    return EXIT_OK


def run_xliff_export(args) -> int:
    from seedmt.cat.glossary import read_glossary
    from seedmt.cat.xliff import export_xliff
    from seedmt.core.errors import SettingsError

    if args.push or args.reviewed_only or args.campaign:
        raise SettingsError("--format xliff writes files for CAT tools: --push, --reviewed-only and --campaign "
                            "belong to the Hub export")
    files = export_xliff(args.dataset, args.export_dir, glossary=read_glossary(args.glossary) if args.glossary else None)
    print(f"wrote {args.export_dir}: {len(files)} XLIFF file(s) (one per document and target)")
    return EXIT_OK
