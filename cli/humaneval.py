"""`seedmt humaneval create | annotate | report`: blind human evaluation of checkpoints (ESA or MQM)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from seedmt.cli.common import EXIT_OK
from seedmt.core.errors import SeedMTError, SettingsError


def add_parsers(sub) -> None:
    he = sub.add_parser(
        "humaneval", help="judge checkpoints the way WMT does: blind error-span annotation (ESA) or MQM",
        description="A human evaluation campaign over several systems' translations of the same seeds: "
                    "`create` samples the items and the annotators' queues into one campaign file, `annotate` "
                    "serves one annotator's queue in the browser (keyboard first, blind: no system is named), "
                    "`report` scores it as WMT does (MQM weights, ESA means, bootstrap intervals, significance "
                    "clusters, agreement, quality control, how well the metrics agree with the people).")
    actions = he.add_subparsers(dest="humaneval_command", required=True, metavar="ACTION")

    cr = actions.add_parser(
        "create", help="sample a campaign from two or more translated datasets",
        description="Sample segments every system translated (stratified by document, or whole documents), hide "
                    "and shuffle the systems per item, give each annotator a queue (a share of the items judged by "
                    "two people, for agreement) with quality-control items mixed in (one translation degraded on "
                    "purpose, later in the same queue). Seeded: the same command makes the same campaign.")
    cr.add_argument("systems", nargs="+", type=Path, metavar="DATASET",
                    help="datasets written by `seedmt translate` (one per system); the folder name names the system "
                         "in the report, never to the annotators")
    cr.add_argument("--protocol", choices=["esa", "mqm"], default="esa", help="(default: %(default)s)")
    cr.add_argument("--items", type=int, default=200, help="segments to judge (default: %(default)s)")
    cr.add_argument("--annotators", required=True, metavar="NAME,NAME", help="comma-separated annotator names")
    cr.add_argument("--target", metavar="CODE", help="the target language judged (default: the first dataset's "
                                                     "first target)")
    cr.add_argument("--unit", choices=["segments", "documents"], default="segments",
                    help="draw segments stratified by document, or whole documents (default: %(default)s)")
    cr.add_argument("--overlap", type=float, default=0.2,
                    help="share of the items a second annotator judges too (default: %(default)s)")
    cr.add_argument("--quality-control", type=float, default=0.1,
                    help="share of each queue repeated with one translation degraded (default: %(default)s)")
    cr.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    cr.add_argument("--out", type=Path, required=True, metavar="CAMPAIGN", help="the campaign file to write")
    cr.set_defaults(handler=run_create)

    an = actions.add_parser(
        "annotate", help="serve one annotator's queue in the browser",
        description="The review app's annotation pages for CAMPAIGN and ANNOTATOR, on 127.0.0.1 with an access "
                    "token in the printed URL. Every judgement is saved at once (one transaction); reopening "
                    "continues where the annotator stopped. Press ? in the page for the keys.")
    an.add_argument("campaign", type=Path)
    an.add_argument("--annotator", required=True)
    an.add_argument("--port", type=int, default=8766, help="(default: %(default)s; 0 = any free port)")
    an.add_argument("--open", action="store_true", help="open the page in the default browser")
    an.set_defaults(handler=run_annotate)

    rp = actions.add_parser(
        "report", help="score a campaign, or an MQM file in WMT's TSV layout",
        description="Per system: MQM penalty per segment and per 100 source words (major 5, minor 1, minor "
                    "punctuation 0.1, non-translation 25) or the ESA mean score, with 95% bootstrap intervals; "
                    "pairwise permutation tests and a ranking in clusters; Krippendorff's alpha and span F1 on "
                    "the items judged twice; quality-control results per annotator; Kendall tau and pairwise "
                    "accuracy of BLEU, chrF2++ and TER against the human scores (with --references).")
    rp.add_argument("campaign", type=Path, nargs="?", help="the campaign file")
    rp.add_argument("--mqm-tsv", type=Path, metavar="FILE", help="score this WMT-layout MQM TSV instead")
    rp.add_argument("--references", type=Path, default=Path("references"),
                    help="references for the metric comparison (default: %(default)s)")
    rp.add_argument("--comet-model", metavar="ID_OR_DIR",
                    help="add COMET to the metrics compared with the human scores (Hub id from the local cache, or "
                         "folder)")
    rp.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write JSON (to stdout without FILE)")
    rp.add_argument("--export-tsv", type=Path, metavar="FILE",
                    help="also write the annotations in WMT's MQM TSV layout")
    rp.set_defaults(handler=run_report)


def run_create(args) -> int:
    from seedmt.dataset.campaigns import create_campaign
    from seedmt.eval.compare import name_systems

    systems = [(s.name, s.out_dir) for s in name_systems(args.systems)]
    store = create_campaign(args.out, systems, protocol=args.protocol, items=args.items,
                            annotators=args.annotators.split(","), target=args.target, unit=args.unit,
                            overlap=args.overlap, quality_control=args.quality_control, seed=args.seed)
    try:
        regular = [i for i in store.items() if i.kind == "regular"]
        queues = {a: len(store.queue(a)) for a in store.annotators()}
        target = store.target
    finally:
        store.close()
    print(f"wrote {args.out}: {args.protocol.upper()}, {len(regular)} items into {target}, "
          f"{len(systems)} systems; queues " + ", ".join(f"{a} {n}" for a, n in queues.items()))
    print(f"next: seedmt humaneval annotate {args.out} --annotator {next(iter(queues))}")
    return EXIT_OK


def run_annotate(args) -> int:
    from seedmt.cli.review import _free_port, serve_until_stopped
    from seedmt.review.annotation import create_annotation_app
    from seedmt.review.app import ReviewSettings

    settings = ReviewSettings(args.campaign, reviewer=args.annotator, port=args.port or _free_port("127.0.0.1"))
    app = create_annotation_app(settings, args.campaign, args.annotator)
    return serve_until_stopped(settings, app, "seedmt humaneval", "every judgement is already saved", args.open)


def run_report(args) -> int:
    from seedmt.core.files import write_text_atomically
    from seedmt.eval.humaneval import campaign_report, export_mqm_tsv, report_markdown, score_mqm_tsv

    if args.mqm_tsv is not None:
        try:
            report = score_mqm_tsv(args.mqm_tsv)
        except (OSError, UnicodeDecodeError, ValueError) as err:
            # the file's fault, not the command line's: exit 1, like any unreadable input
            raise SeedMTError(f"{args.mqm_tsv}: {getattr(err, 'strerror', None) or err}") from None
        if args.json is None:
            for system, scores in report["systems"].items():
                print(f"{system}\tMQM per segment {scores['mqm_per_segment']}\t({scores['segments']} rated segments)")
    else:
        if args.campaign is None:
            raise SettingsError("give a CAMPAIGN file, or --mqm-tsv FILE")
        report = campaign_report(args.campaign, args.references if args.references.is_dir() else None,
                                 comet_model=args.comet_model)
        if args.export_tsv is not None:
            write_text_atomically(args.export_tsv, export_mqm_tsv(args.campaign))
            print(f"wrote {args.export_tsv}", file=sys.stderr)
        if args.json is None:
            print(report_markdown(report), end="")
    if args.json == "-":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif args.json is not None:
        write_text_atomically(Path(args.json), json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return EXIT_OK
