"""Stage 1: read seed files into normalised documents.

Text is decoded strictly (UTF-8, BOM tolerated; UTF-16 with a BOM is decoded too), NFC-normalised, and
cleaned of characters that carry no text for a translation model: C0/C1 control characters (other than tab
and newline), zero-width spaces, stray byte-order marks and bidirectional-formatting controls. ZWJ and ZWNJ
stay: Indic and Perso-Arabic scripts spell with them. All later offsets refer to this normalised text,
which is stored in the dataset, so segments always reconstruct it exactly."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.errors import SeedProblem

SEED_SUFFIX = ".txt"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e"
                        "\u2060\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: Path
    text: str
    removed_characters: tuple[str, ...] = ()  # code points cleaned out of the text, e.g. "U+200B"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IngestResult:
    documents: list[Document]
    problems: list[SeedProblem]  # files rejected
    warnings: list[SeedProblem]  # files taken, with something the user should know


def decode_seed(raw: bytes) -> str:
    """Bytes -> text, or ValueError with a message fit for the user."""
    if raw.startswith(_UTF16_BOMS):
        return raw.decode("utf-16")
    if b"\x00" in raw:
        raise ValueError("binary file (contains NUL bytes), not a text seed")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start}); "
            "re-save the file as UTF-8"
        ) from None


def normalise_text(text: str) -> str:
    """NFC, with Windows/old-Mac line ends unified so paragraph splitting sees one convention."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def remove_invisible(text: str) -> tuple[str, list[str]]:
    """Text without control/invisible characters, and the code points removed (e.g. 'U+200B')."""
    removed = [f"U+{ord(m.group()):04X}" for m in _INVISIBLE.finditer(text)]
    return (_INVISIBLE.sub("", text), removed) if removed else (text, [])


def read_seed(path: Path) -> Document:
    """Read one seed; raises ValueError/OSError describing the problem."""
    text, removed = remove_invisible(normalise_text(decode_seed(path.read_bytes())))
    if not text.strip():
        raise ValueError("empty file" if not text and not removed else "contains no visible text")
    return Document(doc_id=path.stem, path=path, text=text, removed_characters=tuple(removed))


def _removal_note(removed: tuple[str, ...]) -> str:
    kinds = sorted(set(removed))
    return (f"removed {len(removed)} control/invisible character(s) "
            f"({', '.join(kinds[:5])}{' ...' if len(kinds) > 5 else ''})")


def list_seed_files(seeds_dir: Path) -> tuple[list[Path], list[Path]]:
    """(seed files, other files) in `seeds_dir`; `.lang` sidecars are neither."""
    if not seeds_dir.is_dir():
        raise FileNotFoundError(f"seeds folder not found: {seeds_dir}")
    files = sorted(p for p in seeds_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    return ([p for p in files if p.suffix == SEED_SUFFIX],
            [p for p in files if p.suffix not in (SEED_SUFFIX, ".lang")])


def ingest(seeds_dir: Path) -> IngestResult:
    """Every `*.txt` in `seeds_dir`, sorted by name; unreadable files become problems, not exceptions."""
    documents: list[Document] = []
    problems: list[SeedProblem] = []
    seeds, others = list_seed_files(seeds_dir)
    warnings = [SeedProblem(p, f"ignored: not a {SEED_SUFFIX} file", rejected=False) for p in others]
    first_with_text: dict[str, Path] = {}
    for path in seeds:
        try:
            document = read_seed(path)
        except (ValueError, OSError) as err:
            problems.append(SeedProblem(path, str(err)))
            continue
        if document.removed_characters:
            warnings.append(SeedProblem(path, _removal_note(document.removed_characters), rejected=False))
        twin = first_with_text.setdefault(document.sha256, path)
        if twin != path:
            warnings.append(SeedProblem(path, f"same text as {twin.name}; its segments are translated once",
                                        rejected=False))
        documents.append(document)
    return IngestResult(documents, problems, warnings)
