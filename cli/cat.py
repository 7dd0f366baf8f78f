"""`seedmt qa` (QA checks), `seedmt tm` (translation memory and concordance) and `seedmt review import` (an
XLIFF file edited in a CAT tool, back into the review store)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from seedmt.cli.common import EXIT_FATAL, EXIT_OK, EXIT_PARTIAL
from seedmt.core.errors import SettingsError

DEFAULT_DATASET = Path("out/translations")


def add_parsers(sub) -> None:
    from seedmt.cat.qa import CHECKS

    qa = sub.add_parser(
        "qa", help="QA checks over translations, post-edits and references (numbers, URLs, tags, terms...)",
        description="Run translators' QA checks over every (source, translation) pair seedmt holds: the dataset's "
                    "machine translations, the post-edits in its review store and the references in --references. "
                    "Each finding has a check, a severity and character spans in source and translation. Checks: "
                    + "; ".join(f"{name} ({severity}): {what}" for name, (severity, what) in CHECKS.items()) + ".",
        epilog="Exit codes: 0 when no finding reaches --fail-on (or without it), 3 when one does, 1 when the "
               "dataset, a reference file or the glossary cannot be read.")
    qa.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET,
                    help="dataset folder written by `seedmt translate` (default: %(default)s)")
    qa.add_argument("--references", type=Path, default=Path("references"),
                    help="references folder to check as well, when it exists (default: %(default)s)")
    qa.add_argument("--no-references", action="store_true", help="leave the references out")
    qa.add_argument("--glossary", type=Path, metavar="FILE",
                    help="glossary (.tbx, .csv or .tsv: source term, target term, target language, note, forbidden)")
    qa.add_argument("--kind", action="append", choices=("machine translation", "post-edit", "reference"),
                    help="check only these kinds of pairs (repeatable; default: all)")
    qa.add_argument("--severity", choices=("error", "warning", "info"), default="info",
                    help="report findings of this severity and above (default: all)")
    qa.add_argument("--json", action="store_true", help="one JSON report on stdout instead of text")
    qa.add_argument("--fail-on", choices=("error", "warning", "info"),
                    help="exit 3 when a finding of this severity or above is reported")
    qa.set_defaults(handler=run_qa)

    tm = sub.add_parser(
        "tm", help="translation memory: build it, look up fuzzy matches, search it (concordance)",
        description="A translation memory beside the dataset (<OUT>.tm.sqlite) of every pair the project holds: "
                    "references, post-edits and translations reviewers accepted, and imported TMX or XLIFF files. "
                    "The review app uses it for fuzzy matches and concordance, and adds each post-edit as it is "
                    "saved.")
    tm_sub = tm.add_subparsers(dest="tm_command", required=True, metavar="ACTION")
    build = tm_sub.add_parser("build", help="add the project's pairs (and TMX/XLIFF files) to the memory",
                              description="Add the references, the reviewed post-edits and accepted translations of "
                                          "the dataset, and any TMX or XLIFF files given, to the memory.")
    build.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    build.add_argument("--references", type=Path, default=Path("references"))
    build.add_argument("--import", dest="imports", action="append", type=Path, default=[], metavar="FILE",
                       help="a TMX or XLIFF file whose pairs to add (repeatable)")
    build.set_defaults(handler=run_tm_build)
    lookup = tm_sub.add_parser("lookup", help="fuzzy matches for one segment",
                               description="The memory's best fuzzy matches for a segment, with the match "
                                           "percentage and the differences between the memory's source and it.")
    lookup.add_argument("segment", help="the segment to translate")
    lookup.add_argument("--from", dest="source_lang", required=True, help="its language (FLORES-200 code)")
    lookup.add_argument("--to", dest="target_lang", required=True, help="the target language (FLORES-200 code)")
    lookup.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    lookup.add_argument("--limit", type=int, default=5)
    lookup.add_argument("--json", action="store_true")
    lookup.set_defaults(handler=run_tm_lookup)
    search = tm_sub.add_parser("search", help="concordance: pairs whose source or target holds a phrase")
    search.add_argument("phrase")
    search.add_argument("--lang", required=True, help="the phrase's language (FLORES-200 code)")
    search.add_argument("--side", choices=("source", "target"), default="source")
    search.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=run_tm_search)

    imp = sub.add_parser(
        "review-import", help="bring XLIFF files edited in a CAT tool back as edits (also: seedmt review import)",
        description="Read XLIFF files exported with `seedmt publish --format xliff` and edited in a CAT tool "
                    "(OmegaT, Trados, memoQ, Phrase): each unit whose target differs from the text the review store "
                    "holds becomes an edit by --reviewer (its references say \"post-edited in a CAT tool\"). Units "
                    "whose source no longer matches the dataset, or whose id is unknown, are refused and named; "
                    "nothing else changes. A file imported unchanged changes nothing.",
        epilog="Exit codes: 0 all units imported or unchanged, 3 some units refused (the others imported), 1 a file "
               "or the dataset cannot be read.")
    imp.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_FOLDER",
                     help="XLIFF files or folders of them, and optionally the dataset folder last "
                          f"(default dataset: {DEFAULT_DATASET})")
    imp.add_argument("--reviewer", required=True, help="whose edits these are, in the review log")
    imp.set_defaults(handler=run_review_import)


def _is_dataset(path: Path) -> bool:
    return path.is_dir() and (path / "dataset_dict.json").is_file()


def run_qa(args) -> int:
    from seedmt.cat.glossary import read_glossary
    from seedmt.cat.pairs import KINDS, REFERENCE, dataset_pairs, dataset_source_languages, reference_pairs
    from seedmt.cat.qa import SEVERITIES, check_pairs, finding_counts

    kinds = tuple(args.kind or KINDS)
    glossary = read_glossary(args.glossary) if args.glossary else None
    pairs = dataset_pairs(args.dataset, kinds) if set(kinds) - {REFERENCE} else []
    if REFERENCE in kinds and not args.no_references and args.references.is_dir():
        pairs += reference_pairs(args.references, dataset_source_languages(args.dataset))
    reports = check_pairs(pairs, glossary)
    shown = SEVERITIES[:SEVERITIES.index(args.severity) + 1]
    for report in reports:
        report.findings = [f for f in report.findings if f.severity in shown]
    counts = finding_counts(reports)
    flagged = [r for r in reports if r.findings]
    if args.json:
        json.dump({"pairs": len(reports), "pairs_with_findings": len(flagged), "counts": counts,
                   "reports": [r.to_dict() for r in flagged]}, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for report in flagged:
            pair = report.pair
            print(f"{pair.key} [{pair.kind} -> {pair.target_lang}]")
            for finding in report.findings:
                print(f"  {finding.severity:7} {finding.check}: {finding.message}")
        summary = ", ".join(f"{check} {n}" for check, n in counts.items()) or "no findings"
        print(f"{len(flagged)} of {len(reports)} pairs with findings ({summary})", file=sys.stderr)
    if args.fail_on:
        failing = SEVERITIES[:SEVERITIES.index(args.fail_on) + 1]
        if any(f.severity in failing for r in reports for f in r.findings):
            return EXIT_PARTIAL
    return EXIT_OK


def _memory(dataset: Path, create: bool = False):
    from seedmt.cat.memory import TranslationMemory, memory_path

    path = memory_path(dataset)
    if not create and not path.exists():
        raise SettingsError(f"{path}: no translation memory yet; build it with `seedmt tm build {dataset}`")
    return TranslationMemory(path)


def run_tm_build(args) -> int:
    from seedmt.cat.memory import read_tmx_pairs
    from seedmt.cat.pairs import memory_pairs
    from seedmt.cat.xliff import xliff_pairs

    memory = _memory(args.dataset, create=True)
    try:
        added = memory.add(memory_pairs(args.dataset, args.references))
        for path in args.imports:
            pairs = xliff_pairs(path) if path.suffix.lower() in (".xlf", ".xliff") else read_tmx_pairs(path)
            added += memory.add(pairs)
        total = len(memory)
    finally:
        memory.close()
    print(f"{memory.path}: {total} pairs ({added} new)")
    return EXIT_OK


def run_tm_lookup(args) -> int:
    memory = _memory(args.dataset)
    try:
        matches = memory.lookup(args.segment, args.source_lang, args.target_lang, limit=args.limit)
    finally:
        memory.close()
    if args.json:
        print(json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=1))
    else:
        for match in matches:
            print(f"{match.score:5.1f}%  {match.source}\n        {match.target}  [{match.origin}]")
        if not matches:
            print("no match", file=sys.stderr)
    return EXIT_OK


def run_tm_search(args) -> int:
    memory = _memory(args.dataset)
    try:
        hits = memory.concordance(args.phrase, args.lang, side=args.side, limit=args.limit)
    finally:
        memory.close()
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
    else:
        for hit in hits:
            print(f"{hit.source}\n  -> {hit.target}  [{hit.origin}]")
        print(f"{len(hits)} pair(s)", file=sys.stderr)
    return EXIT_OK


def run_review_import(args) -> int:
    from seedmt.cat.xliff import XLIFF_SUFFIX, import_xliff

    paths = list(args.paths)
    dataset = paths.pop() if len(paths) > 1 and _is_dataset(paths[-1]) else DEFAULT_DATASET
    files = []
    for path in paths:
        if _is_dataset(path):
            raise SettingsError(f"{path} is a dataset: give it last, after the XLIFF files")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in (XLIFF_SUFFIX, ".xliff"))
            if not found:
                raise SettingsError(f"{path}: no .xlf or .xliff files in this folder")
            files += found
        else:
            files.append(path)
    report = import_xliff(files, dataset, args.reviewer)
    for refused in report.refused:
        print(f"seedmt: refused: {refused}", file=sys.stderr)
    print(report.summary())
    if report.refused:
        return EXIT_PARTIAL if report.edited or report.unchanged else EXIT_FATAL
    return EXIT_OK
