"""`seedmt` command line: parses arguments, calls the Python API, and turns its errors into one-line messages
and exit codes (`seedmt.cli.common`). One module per command group; nothing else lives here."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from seedmt.cli import align, cat, evaluate, humaneval, publish, review, translate
from seedmt.cli.common import EXIT_BUSY, EXIT_FATAL, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from seedmt.core.errors import OutputBusyError, SeedMTError, SettingsError

__all__ = ["EXIT_BUSY", "EXIT_FATAL", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedmt",
        description="Machine-translation workbench: translate seed documents with NLLB-200 into an aligned "
                    "Hugging Face dataset, score it against references, compare checkpoints, align documents "
                    "with their translations, publish the dataset and review it in an HTML report.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (translate, evaluate, publish, align, review, cat, humaneval):
        group.add_parsers(sub)
    return parser


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command line as `seedmt` reads it, two-word commands included."""
    if argv[:2] == ["review", "export"]:  # `seedmt review export` reads better than `seedmt review-export`
        argv = ["review-export", *argv[2:]]
    if argv[:2] == ["review", "import"]:  # likewise `seedmt review import FILE.xlf`
        argv = ["review-import", *argv[2:]]
    if argv[:2] == ["align", "score"]:  # likewise `seedmt align score LINKS GOLD`
        argv = ["align-score", *argv[2:]]
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = parse_arguments(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except SettingsError as err:
        print(f"seedmt: error: {err}", file=sys.stderr)
        return EXIT_USAGE
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
