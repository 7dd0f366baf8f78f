"""Reference translations on disk: `references/<target>/<doc_id>.jsonl`, one JSON object per line.

Two shapes, chosen per file:
- segment-level (what references/ holds): every line has `segment_id` (the dataset's `<doc_id>:<index>`),
  optional `source` (the source segment, for translators and to detect a changed segmentation) and either
  `text` or `skip` (why the segment has no reference, e.g. web-page boilerplate). Every segment of the
  document must be listed once.
  A segment that shares its reference with the segment before it (a source sentence the translator merged
  with its neighbour: a 2-1 or 3-1 link when `seedmt references import` aligned the translation) has
  `joined_with` (the id of the group's first segment, which holds the shared `text`) instead of `text`; eval
  scores the group's joined translation against that text as one unit.
- unit-level: lines without `segment_id`, only `text` (and optionally `paragraph`), in document order: a
  reference written per paragraph or for the whole document. Hypotheses are re-segmented to these units
  (see seedmt.eval.resegment).

Beside each file, `<doc_id>.provenance.json` says how it was made, in one shape whoever wrote it (`Provenance`).
Every command that writes references goes through `write_reference`: the file and its provenance are written
atomically, and a file seedmt did not write for the same purpose is never replaced without `--force`.

Problems are reported as ReferenceFileError naming the file and, where it applies, the line and id."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from seedmt.core.clock import utc_now
from seedmt.core.errors import SeedMTError
from seedmt.core.files import write_text_atomically

REFERENCE_SUFFIX = ".jsonl"
PROVENANCE_SUFFIX = ".provenance.json"
PROVENANCE_FORMAT = 1
# Who writes references, as `made_by` records it, and what that means for how the text was made.
IMPORTED = "seedmt references import"  # a translation made elsewhere, aligned to the seed's segments
REVIEW_EXPORT = "seedmt review export"  # machine translations that people accepted or post-edited
ALIGNMENT_EDITOR = "seedmt alignment editor"  # an imported translation whose alignment a person corrected
FLORES_IMPORT = "seedmt flores import"  # FLORES' professional translations, copied unchanged
POST_EDITS = "seedmt eval --post-edits"  # the review export's texts, for scoring only (a temporary folder)
HOW_MADE = {
    IMPORTED: "imported: a translation made elsewhere, aligned to the seed's segments by seedmt's aligner",
    REVIEW_EXPORT: "post-edited: machine translations accepted or post-edited by the reviewers named",
    ALIGNMENT_EDITOR: "imported, alignment corrected by a person in seedmt's alignment editor",
    FLORES_IMPORT: "human translations (FLORES professional translators), copied unchanged",
    POST_EDITS: "post-edited: machine translations accepted or post-edited by the reviewers named",
}


class ReferenceFileError(SeedMTError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class ReferenceLine:
    text: str | None  # None when skipped, or when the text is shared with an earlier segment (joined_with)
    segment_id: str | None = None
    source: str | None = None
    skip: str | None = None
    joined_with: str | None = None  # the segment whose `text` this one shares


@dataclass(frozen=True)
class DocumentReference:
    doc_id: str
    target: str
    path: Path
    lines: tuple[ReferenceLine, ...]

    @property
    def segment_level(self) -> bool:
        return bool(self.lines) and self.lines[0].segment_id is not None

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines if line.text is not None]


def _parse_line(path: Path, number: int, raw: str) -> ReferenceLine:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ReferenceFileError(path, f"line {number}: not valid JSON ({err.msg})") from None
    if not isinstance(record, dict):
        raise ReferenceFileError(path, f"line {number}: expected a JSON object")
    segment_id, text, skip = record.get("segment_id"), record.get("text"), record.get("skip")
    joined_with = record.get("joined_with")
    where = f"line {number}" + (f" ({segment_id})" if segment_id else "")
    if sum(value is not None for value in (text, skip, joined_with)) > 1:
        raise ReferenceFileError(path, f"{where}: give only one of `text`, `skip` and `joined_with`")
    if joined_with is not None:
        if segment_id is None:
            raise ReferenceFileError(path, f"{where}: `joined_with` needs a `segment_id`")
    elif skip is None:
        if not isinstance(text, str):
            raise ReferenceFileError(path, f"{where}: `text` is missing (write `skip` with a reason to leave "
                                           "a segment out)")
        if not text.strip():
            raise ReferenceFileError(path, f"{where}: empty reference text")
    elif segment_id is None:
        raise ReferenceFileError(path, f"{where}: `skip` needs a `segment_id`")
    return ReferenceLine(text=text.strip() if text is not None else None, segment_id=segment_id,
                         source=record.get("source"), skip=skip, joined_with=joined_with)


def read_reference_file(path: Path, target: str) -> DocumentReference:
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ReferenceFileError(path, f"not UTF-8 (byte {err.start})") from None
    lines = tuple(_parse_line(path, n, raw) for n, raw in enumerate(content.splitlines(), 1) if raw.strip())
    if not lines:
        raise ReferenceFileError(path, "no references in the file")
    kinds = {line.segment_id is not None for line in lines}
    if len(kinds) > 1:
        raise ReferenceFileError(path, "mixes lines with and without `segment_id`")
    seen: set[str] = set()
    holders = {line.segment_id for line in lines if line.text is not None}
    for line in lines:
        if line.segment_id is not None:
            if line.segment_id in seen:
                raise ReferenceFileError(path, f"segment {line.segment_id} is listed twice")
            seen.add(line.segment_id)
        if line.joined_with is not None and line.joined_with not in holders:
            raise ReferenceFileError(path, f"segment {line.segment_id} is joined_with {line.joined_with}, which "
                                           "has no `text` in this file")
    return DocumentReference(doc_id=path.stem, target=target, path=path, lines=lines)


def load_references(references_dir: Path, target: str) -> dict[str, DocumentReference]:
    """Every reference file for `target`, keyed by document id (the file stem)."""
    folder = Path(references_dir) / target
    if not folder.is_dir():
        return {}
    return {p.stem: read_reference_file(p, target) for p in sorted(folder.glob(f"*{REFERENCE_SUFFIX}"))}


def reference_targets(references_dir: Path) -> list[str]:
    return sorted(p.name for p in Path(references_dir).iterdir() if p.is_dir() and any(p.glob("*.jsonl")))


def check_segment_ids(reference: DocumentReference, segment_ids: list[str]) -> None:
    """A segment-level file must list exactly the document's segments."""
    listed = [line.segment_id for line in reference.lines]
    unknown = [s for s in listed if s not in set(segment_ids)]
    if unknown:
        raise ReferenceFileError(reference.path, f"unknown segment id {unknown[0]} (not in the dataset"
                                                 f"{f', and {len(unknown) - 1} more' if len(unknown) > 1 else ''})")
    missing = [s for s in segment_ids if s not in set(listed)]
    if missing:
        raise ReferenceFileError(reference.path, f"segment {missing[0]} has no reference line"
                                                 f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}; "
                                                 "add it with `text`, or with `skip` and a reason")


def segmentation_changed(reference: DocumentReference, sources: dict[str, str]) -> bool:
    """True when the dataset's segments no longer match the `source` texts recorded in the reference:
    a dataset segment whose id is absent from the reference or whose text differs. (Reference ids absent
    from the dataset, all else equal, mean an incomplete dataset: check_segment_ids reports that.)"""
    recorded = {line.segment_id: line.source for line in reference.lines}
    if not any(source is not None for source in recorded.values()):
        return False
    return any(segment_id not in recorded or recorded[segment_id] not in (None, text)
               for segment_id, text in sources.items())


# --- writing, and how each file was made ---------------------------------------------------------------------

def reference_path(references_dir: Path, target: str, doc_id: str) -> Path:
    return Path(references_dir) / target / f"{doc_id}{REFERENCE_SUFFIX}"


def provenance_path(reference: Path) -> Path:
    return Path(reference).with_suffix(PROVENANCE_SUFFIX)


def file_input(role: str, path: Path | str, data: bytes | None = None) -> dict:
    """An input of a reference file, as provenance records it: its role, where it was, and its sha256 (of
    `data` when given, else of the file)."""
    digest = hashlib.sha256(data if data is not None else Path(path).read_bytes()).hexdigest()
    return {"role": role, "path": str(path), "sha256": digest}


def folder_input(role: str, folder: Path) -> dict:
    """A folder as an input (a dataset): one sha256 over its files' relative paths and bytes, in name order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return {"role": role, "path": str(folder), "sha256": digest.hexdigest()}


@dataclass(frozen=True)
class Provenance:
    """How one reference file was made. The same fields whoever wrote it."""

    made_by: str  # the seedmt command (IMPORTED, REVIEW_EXPORT, ALIGNMENT_EDITOR, FLORES_IMPORT, POST_EDITS)
    doc_id: str
    target: str
    inputs: list[dict]  # `file_input`s: what the text was made from
    settings: dict = field(default_factory=dict)  # what else decided the output (aligner settings, system ...)
    counts: dict = field(default_factory=dict)  # segments, with a reference, joined, skipped ...
    reviewers: list[str] = field(default_factory=list)  # the people involved, where any were
    details: dict = field(default_factory=dict)  # what a writer adds (copies kept beside the file, session ...)
    how: str = ""  # in words (HOW_MADE of made_by when left empty)
    date: str = ""  # when it was written (now when left empty)
    seedmt_version: str = ""  # (this seedmt when left empty)
    format: int = PROVENANCE_FORMAT

    def to_json(self) -> str:
        from seedmt import __version__

        record = {**asdict(self), "how": self.how or HOW_MADE.get(self.made_by, ""), "date": self.date or utc_now(),
                  "seedmt_version": self.seedmt_version or __version__}
        return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def read_provenance(reference: Path) -> Provenance | None:
    """The provenance of a reference file, or None when it has none that seedmt can read (a file a person
    wrote, or copied from elsewhere). Files from seedmt 0.1, whose provenance had each writer's own keys, read
    as the same shape: their keys become `details`."""
    try:
        record = json.loads(provenance_path(reference).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    if record.get("format") == PROVENANCE_FORMAT:
        known = {name: record[name] for name in Provenance.__dataclass_fields__ if name in record}
        try:
            return Provenance(**known)
        except TypeError:
            return None
    made_by = record.get("made_by") or (IMPORTED if "aligner" in record else None)  # 0.1 imports lacked it
    if not isinstance(made_by, str):
        return None
    reviewers = record.get("reviewers") or ([record["reviewer"]] if record.get("reviewer") else [])
    return Provenance(made_by, str(record.get("doc_id", Path(reference).stem)), str(record.get("target", "")), [],
                      reviewers=list(reviewers), details=record,
                      date=str(record.get("imported_at") or record.get("exported_at") or record.get("saved_at") or ""))


class ReferenceOverwriteError(SeedMTError):
    """Writing would replace a reference file that seedmt did not write for the same purpose."""


def replaceable(reference: Path, made_by: Collection[str]) -> bool:
    """Whether `reference` may be replaced without --force: absent, or written by one of `made_by`."""
    if not Path(reference).exists():
        return True
    provenance = read_provenance(reference)
    return provenance is not None and provenance.made_by in made_by


def check_replaceable(paths: Sequence[Path], made_by: Collection[str], force: bool) -> None:
    """ReferenceOverwriteError naming the files among `paths` that would be replaced but were not written by
    `made_by` (all existing files when `made_by` is empty), unless `force`."""
    if force:
        return
    protected = [str(path) for path in paths if not replaceable(path, made_by)]
    if protected:
        who = " or ".join(f"`{m}`" for m in made_by) if made_by else ""
        raise ReferenceOverwriteError(
            f"{len(protected)} reference file(s) {'were not written by ' + who + ' and ' if who else ''}would be "
            f"replaced: {', '.join(protected[:3])}{' ...' if len(protected) > 3 else ''}; pass --force to replace "
            "them, or write elsewhere")


def reference_jsonl(lines: Sequence[dict]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def write_reference(references_dir: Path, provenance: Provenance, lines: Sequence[dict], *, force: bool = False,
                    replaces: Collection[str] | None = None, companions: dict[str, str] | None = None) -> Path:
    """Write `references/<target>/<doc_id>.jsonl` and its provenance; returns the reference file.

    A file already there is replaced only when written by one of `replaces` (default: the same command,
    `provenance.made_by`; pass () to protect every file) or with `force`. Each file is written atomically, and
    the old provenance is removed first: a writer stopped half-way leaves a reference with no provenance, which
    is protected like a file seedmt did not write, never one whose provenance describes other text.
    `companions`: texts kept beside the reference (path relative to its folder -> text), written first."""
    out = reference_path(references_dir, provenance.target, provenance.doc_id)
    check_replaceable([out], (provenance.made_by,) if replaces is None else replaces, force)
    for relative, text in (companions or {}).items():
        companion = (out.parent / relative).resolve()
        if not companion.is_relative_to(out.parent.resolve()):
            raise ValueError(f"a companion file must stay beside the reference: {relative}")
        write_text_atomically(companion, text)
    try:
        provenance_path(out).unlink(missing_ok=True)
    except OSError as err:
        raise ReferenceFileError(provenance_path(out), f"cannot replace it: {err.strerror or err}") from None
    write_text_atomically(out, reference_jsonl(lines))
    write_text_atomically(provenance_path(out), provenance.to_json())
    return out


def write_folder_provenance(references_dir: Path, text: str) -> Path:
    """The README.md of a references folder: its provenance in words, for the dataset card."""
    path = Path(references_dir) / "README.md"
    write_text_atomically(path, text)
    return path


def references_summary(references_dir: Path | None) -> str | None:
    """The dataset card's paragraph on a references folder: its README.md (the folder's provenance in words) up to
    its known limitations, or None without one."""
    readme = Path(references_dir) / "README.md" if references_dir else None
    if not readme or not readme.is_file():
        return None
    return (f"Reference translations for scoring live in `{references_dir}` of the seedmt repository; "
            "from their provenance file:\n\n> " +
            "\n> ".join(readme.read_text(encoding="utf-8").split("## Known limitations")[0].strip().splitlines()))
