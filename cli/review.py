"""`seedmt review` (the review app) and `seedmt review export` (reviewed translations -> references)."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from seedmt.cli.common import EXIT_OK
from seedmt.core.errors import SettingsError


def add_parsers(sub) -> None:
    rv = sub.add_parser(
        "review", help="review and post-edit translations in the browser (a local web app)",
        description="Start a local web app over a translated dataset: documents with their review progress, a "
                    "worst-first queue of segments (quality flags, then lowest similarity, then lowest chrF2++ "
                    "against references), post-editing with a word-level diff, accept / reject, undo / redo, all "
                    "from the keyboard (press ? in the app). Every action is saved at once in "
                    "<OUT>.review.sqlite beside the dataset, which itself is never modified. QA findings "
                    "(`seedmt qa`) are underlined and can be resolved or ignored with a reason; the translation "
                    "memory (<OUT>.tm.sqlite) offers fuzzy matches and a concordance search for the selected "
                    "segment (press i to insert the best match). The alignment editor "
                    "(/align) corrects sentence links between a document and its translation, re-aligns around "
                    "the links you fixed and saves them as references in --references (sessions in "
                    "<OUT>.alignments.sqlite). "
                    "`seedmt review export [OUT]` writes the reviewed translations as references.")
    rv.add_argument("dataset", nargs="?", type=Path, default=Path("out/translations"),
                    help="dataset folder written by `seedmt translate` (default: %(default)s)")
    rv.add_argument("--references", type=Path, default=Path("references"),
                    help="references shown beside the translations, with chrF2++; the alignment editor saves here "
                         "(default: %(default)s)")
    from seedmt.cli.align import _add_embedder_option

    _add_embedder_option(rv)
    rv.add_argument("--glossary", type=Path, metavar="FILE",
                    help="glossary (.tbx, .csv or .tsv): its terms are shown beside each segment and checked by QA")
    rv.add_argument("--reviewer", default=_user(), help="your name in the review log (default: %(default)s)")
    rv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    rv.add_argument("--port", type=int, default=8765, help="(default: %(default)s; 0 = any free port)")
    rv.add_argument("--open", action="store_true", help="open the app in the default browser")
    rv.add_argument("--allow-remote", action="store_true",
                    help="allow a --host other than this machine's loopback (the access token is still required)")
    rv.add_argument("--public-url", metavar="URL",
                    help="with --allow-remote: the address people open, e.g. http://reviews.lab.example:8765/ (the "
                         "app answers only to the Host names it knows, and prints this URL with the token)")
    rv.add_argument("--allowed-host", action="append", default=[], metavar="NAME[:PORT]",
                    help="another name the app answers to (repeatable; the port defaults to --port)")
    from seedmt.review import schemas as limits

    rv.epilog = (f"Limits: a post-edit holds at most {limits.POST_EDIT_FACTOR} times its source segment's length plus "
                 f"{limits.POST_EDIT_SLACK} characters (never more than {limits.MAX_POST_EDIT_CHARS:,}), a rejection "
                 f"reason {limits.MAX_REASON_CHARS:,}; the alignment editor takes documents of up to "
                 f"{limits.MAX_DOCUMENT_CHARS:,} characters each and a links or gold file of up to "
                 f"{limits.MAX_LINKS_CHARS:,}, in a request of at most {limits.body_limit('/api/align') // 2**20} MiB. "
                 "Larger requests are refused (HTTP 413) before anything is stored. "
                 "Exit codes: 0 after a normal stop (Ctrl+C or SIGTERM), 1 when the dataset or a store cannot be "
                 "opened, 2 for refused options (a --host beyond loopback without --allow-remote, a --host that "
                 "listens on every address without --public-url or --allowed-host).")
    rv.set_defaults(handler=run_review)

    ex = sub.add_parser(
        "review-export", help="write reviewed translations as references (also: seedmt review export)",
        description="Every accepted or post-edited translation becomes a reference: "
                    "references/<target>/<doc_id>.jsonl (segment-level; other segments are skipped with the "
                    "reason) and <doc_id>.provenance.json (reviewers, date, the system that made the "
                    "translations, counts). Reference files not written by a review export are never replaced "
                    "without --force.")
    ex.add_argument("dataset", nargs="?", type=Path, default=Path("out/translations"),
                    help="dataset folder that was reviewed (default: %(default)s)")
    ex.add_argument("--references", type=Path, default=Path("references"),
                    help="references folder to write (default: %(default)s)")
    ex.add_argument("--force", action="store_true", help="replace reference files other tools wrote")
    ex.set_defaults(handler=run_export)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


def run_review(args) -> int:
    from seedmt.review.app import LOOPBACK_NAMES, WILDCARD_ADDRESSES, ReviewSettings, create_app

    host = args.host.strip("[]")  # --host [::1] and --host ::1 are the same address
    if host not in LOOPBACK_NAMES and not args.allow_remote:
        raise SettingsError(f"--host {args.host} would let other machines reach the app; pass --allow-remote as "
                            "well if that is what you want (the access token is still required)")
    if host in WILDCARD_ADDRESSES and not (args.public_url or args.allowed_host):
        raise SettingsError(f"--host {args.host} listens on every address of this machine: pass --public-url "
                            "http://NAME:PORT/ (the address people will open) or --allowed-host NAME, so that the app "
                            "can tell its own Host header from a rebound one")
    if args.public_url and not args.public_url.lower().startswith(("http://", "https://")):
        raise SettingsError(f"--public-url {args.public_url}: expected an http:// or https:// URL")
    settings = ReviewSettings(args.dataset, args.references if args.references.is_dir() else None,
                              reviewer=args.reviewer, host=host, port=args.port or _free_port(host),
                              saved_references_dir=args.references, embedder=args.embedder,
                              public_url=args.public_url, allowed_hosts_extra=tuple(args.allowed_host),
                              glossary=args.glossary)
    app = create_app(settings)  # opens the dataset and the store: a bad folder is one error line, before listening
    return serve_until_stopped(settings, app, "seedmt review", "every action is already saved", args.open)


def serve_until_stopped(settings, app, name: str, saved: str, open_browser: bool) -> int:
    """Serve `app`, print its URL once it listens, and stop cleanly on Ctrl+C or SIGTERM."""
    from seedmt.review.app import serve

    def ready(url: str) -> None:
        print(f"{name}: {url}", flush=True)
        print(f"Ctrl+C stops the app; {saved}.", flush=True)

    try:
        serve(settings, app, open_browser=open_browser, ready=ready)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def run_export(args) -> int:
    from seedmt.review.export import export_references

    written = export_references(args.dataset, args.references, force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} reference file(s) from the review of {args.dataset}", file=sys.stderr)
    return EXIT_OK
