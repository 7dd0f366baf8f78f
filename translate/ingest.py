"""Stage 1: read seed files into normalised documents.

Text is decoded strictly (UTF-8, BOM tolerated; UTF-16 with a BOM is decoded too) and NFC-normalised.
All later offsets refer to this normalised text, which is stored in the dataset, so segments always
reconstruct it exactly."""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from translate.errors import SeedProblem

SEED_SUFFIX = ".txt"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: Path
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IngestResult:
    documents: list[Document]
    problems: list[SeedProblem]


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


def read_seed(path: Path) -> Document:
    """Read one seed; raises ValueError/OSError describing the problem."""
    text = normalise_text(decode_seed(path.read_bytes()))
    if not text.strip():
        raise ValueError("empty file" if not text else "contains only whitespace")
    return Document(doc_id=path.stem, path=path, text=text)


def list_seed_files(seeds_dir: Path) -> list[Path]:
    if not seeds_dir.is_dir():
        raise FileNotFoundError(f"seeds folder not found: {seeds_dir}")
    return sorted(p for p in seeds_dir.iterdir() if p.is_file() and p.suffix == SEED_SUFFIX)


def ingest(seeds_dir: Path) -> IngestResult:
    """Every `*.txt` in `seeds_dir`, sorted by name; unreadable files become problems, not exceptions."""
    documents: list[Document] = []
    problems: list[SeedProblem] = []
    for path in list_seed_files(seeds_dir):
        try:
            documents.append(read_seed(path))
        except (ValueError, OSError) as err:
            problems.append(SeedProblem(path, str(err)))
    return IngestResult(documents, problems)
