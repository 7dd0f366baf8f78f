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

Problems are reported as ReferenceFileError naming the file and, where it applies, the line and id."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.errors import SeedMTError

REFERENCE_SUFFIX = ".jsonl"


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
