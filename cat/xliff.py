"""XLIFF 1.2 (OASIS), the file every CAT tool reads: a dataset out for post-editing, and the edited file back.

Export (`export_xliff`, `seedmt publish --format xliff`): one file per document and target,
`<target>/<doc_id>.xlf`, written through translate-toolkit. Each segment is a `trans-unit` whose `id` is the
segment id (stable across exports), its `source` the segment and its `target` the text the project holds now:
the machine translation, with `state="needs-review-translation"`, or what a reviewer stands behind
(`state="signed-off"`, `approved="yes"`: the post-edit, or the machine translation accepted as is); a rejected
translation is `state="needs-translation"`. Notes (`from="seedmt-qa"`, `seedmt-flags`, `seedmt-review`) carry the
QA findings, the quality flags and the review decision.

Import (`import_xliff`, `seedmt review import`): each unit whose target the CAT tool changed becomes an edit by the
named reviewer, made "via" the file (its references say "post-edited in a CAT tool"). Each exported unit carries,
in XLIFF's `extradata`, the review version and a hash of the target it went out with: a target left as exported
changes nothing (work done in seedmt since stays), and a target changed in the CAT tool while the segment was also
changed in seedmt is refused (named; the file's text is kept in the review log as a refused edit). A unit whose source no longer matches the dataset, whose id is unknown, or whose
target language is not one of the dataset's is refused and named; nothing else changes. Importing a file exported
and left unchanged changes nothing."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from seedmt.cat.glossary import Glossary
from seedmt.cat.qa import Pair, check_pairs
from seedmt.core.errors import SeedMTError
from seedmt.core.files import staged_folder
from seedmt.dataset.publish import iso_language, xml_text
from seedmt.dataset.reviews import (ACCEPTED, EDITED, REJECTED, ReviewConflict, ReviewStore, check_segment_text,
                                    current_reviews, hter, review_versions, store_path, text_sha256)
from seedmt.dataset.schema import DOCUMENTS, SEGMENTS, TRANSLATION_COLUMN
from seedmt.dataset.storage import open_dataset

XLIFF_12 = "urn:oasis:names:tc:xliff:document:1.2"
NEEDS_REVIEW, SIGNED_OFF, NEEDS_TRANSLATION = "needs-review-translation", "signed-off", "needs-translation"
XLIFF_SUFFIX = ".xlf"
VIA_PREFIX = "xliff:"


class XliffError(SeedMTError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@lru_cache(maxsize=1)
def _xliff_classes():
    """translate-toolkit's XLIFF store, writing XLIFF 1.2 (the toolkit's own skeleton is 1.1)."""
    from seedmt.core.toolkit import toolkit_module

    xliff = toolkit_module("storage.xliff")

    class Unit12(xliff.xliffunit):
        namespace = XLIFF_12

    class File12(xliff.xlifffile):
        UnitClass = Unit12
        namespace = XLIFF_12
        XMLskeleton = (f'<?xml version="1.0" ?>\n<xliff version="1.2" xmlns="{XLIFF_12}">\n'
                       '<file original="NoName" source-language="en" datatype="plaintext">\n<body>\n</body>\n'
                       '</file>\n</xliff>')

    return xliff, File12


def exported_mark(version: int, text: str) -> str:
    """`extradata` of an exported unit: the review version and a hash of the target it was exported with."""
    return f"seedmt:{version}:{text_sha256(text)}"


def _exported(unit) -> tuple[int, str] | None:
    mark = unit.xmlelement.get("extradata") or ""
    parts = mark.split(":")
    if len(parts) != 3 or parts[0] != "seedmt" or not parts[1].isdigit() or len(parts[2]) != 64:
        return None
    return int(parts[1]), parts[2]


def _state_of(review) -> tuple[str, bool]:
    if review is None:
        return NEEDS_REVIEW, False
    if review.status in (ACCEPTED, EDITED):
        return SIGNED_OFF, True
    if review.status == REJECTED:
        return NEEDS_TRANSLATION, False
    return NEEDS_REVIEW, False


def export_xliff(dataset_dir: Path | str, out_dir: Path | str, *, glossary: Glossary | None = None) -> list[Path]:
    """`out_dir/<target>/<doc_id>.xlf` for every document and target of the dataset (copied targets left out),
    written to a staging folder and moved into place whole; returns the files."""
    _, File12 = _xliff_classes()
    opened = open_dataset(dataset_dir)
    rows = sorted(opened.tables[SEGMENTS], key=lambda r: (r["doc_id"], r["index"]))
    file_names = dict(zip(opened.tables[DOCUMENTS]["doc_id"], opened.tables[DOCUMENTS]["file_name"]))
    translations = [(row["segment_id"], t, row[TRANSLATION_COLUMN][t]) for row in rows for t in opened.targets
                    if t not in row["copied_targets"] and row[TRANSLATION_COLUMN].get(t) is not None]
    reviews = current_reviews(opened.path, translations)
    versions = review_versions(opened.path)

    def held(row, target) -> str:
        review = reviews.get((row["segment_id"], target))
        return review.post_edit if review is not None and review.status == EDITED else row[TRANSLATION_COLUMN][target]

    units = [(row, target) for row in rows for target in opened.targets
             if target not in row["copied_targets"] and row[TRANSLATION_COLUMN].get(target) is not None]
    qa = check_pairs([Pair(row["segment_id"], row[TRANSLATION_COLUMN][row["source_lang"]], held(row, target),
                           row["source_lang"], target) for row, target in units], glossary)
    findings = {(row["segment_id"], target): report.findings for (row, target), report in zip(units, qa)}

    files: dict[tuple[str, str], object] = {}
    for row, target in units:
        key = (target, row["doc_id"])
        if key not in files:
            store = File12(sourcelanguage=iso_language(row["source_lang"]), targetlanguage=iso_language(target))
            store.setfilename(store.getfilenode("NoName"), file_names.get(row["doc_id"]) or row["doc_id"])
            files[key] = store
        store = files[key]
        unit = store.addsourceunit(xml_text(row[TRANSLATION_COLUMN][row["source_lang"]]),
                                   filename=file_names.get(row["doc_id"]) or row["doc_id"])
        unit.setid(row["segment_id"])
        unit.settarget(xml_text(held(row, target)))
        review = reviews.get((row["segment_id"], target))
        # what the unit was exported with (XLIFF's attribute for a tool's own data): the import tells a target the
        # CAT tool left alone from one a translator changed, and work done in seedmt since from neither
        unit.xmlelement.set("extradata", exported_mark(versions.get((row["segment_id"], target), 0),
                                                       held(row, target)))
        state, approved = _state_of(review)
        unit.xmlelement.find(f"{{{XLIFF_12}}}target").set("state", state)
        unit.markapproved(approved)
        for finding in findings[(row["segment_id"], target)]:
            unit.addnote(xml_text(f"{finding.severity} {finding.check}: {finding.message}"), origin="seedmt-qa")
        flags = [f.split(":", 1)[1] for f in row["quality_flags"] if f.startswith(f"{target}:")]
        if flags:
            unit.addnote("quality flags: " + ", ".join(flags), origin="seedmt-flags")
        if review is not None:
            what = {ACCEPTED: "accepted as is", EDITED: "post-edited", REJECTED: f"rejected: {review.reason}"}
            unit.addnote(xml_text(f"{what[review.status]} by {review.reviewer} at {review.updated_at}"),
                         origin="seedmt-review")
    out_dir = Path(out_dir).resolve()
    written = []
    with staged_folder(out_dir, "the XLIFF export") as staging:
        for (target, doc_id), store in sorted(files.items()):
            (staging / target).mkdir(exist_ok=True)
            (staging / target / f"{doc_id}{XLIFF_SUFFIX}").write_bytes(bytes(store))
            written.append(out_dir / target / f"{doc_id}{XLIFF_SUFFIX}")
    return written


@dataclass
class ImportReport:
    """What `import_xliff` did with each unit: edits written, units left as they were, and those refused."""
    files: list[Path] = field(default_factory=list)
    units: int = 0
    edited: int = 0
    unchanged: int = 0
    without_target: int = 0
    refused: list[str] = field(default_factory=list)  # "<file>: unit <id>: <why>"
    hters: list[float] = field(default_factory=list)  # of each edit imported: TER of the MT against it

    def summary(self) -> str:
        effort = f" (mean HTER {sum(self.hters) / len(self.hters):.2f})" if self.hters else ""
        return (f"{self.units} units in {len(self.files)} file(s): {self.edited} edits imported{effort}, "
                f"{self.unchanged} unchanged, {self.without_target} without a target, {len(self.refused)} refused")


def _unit_text(unit, which: str) -> str | None:
    element = unit.xmlelement.find(f"{{*}}{which}")
    if element is None:
        return None
    # the text content with any inline markup a CAT tool added flattened to its text
    return "".join(element.itertext())


def _languages(unit, store) -> tuple[str | None, str | None]:
    """(source-language, target-language) of the `file` element a unit belongs to."""
    file_node = next((a for a in unit.xmlelement.iterancestors() if a.tag.endswith("}file")), None)
    if file_node is None:
        return store.getsourcelanguage(), store.gettargetlanguage()
    return file_node.get("source-language"), file_node.get("target-language")


def _dataset_target(code: str | None, targets: Sequence[str]) -> str | None:
    if not code:
        return None
    matches = [t for t in targets if t == code or iso_language(t).lower() == code.lower()
               or iso_language(t).split("-")[0].lower() == code.lower().split("-")[0]]
    exact = [t for t in matches if t == code or iso_language(t).lower() == code.lower()]
    return (exact or matches or [None])[0]


def read_units(path: Path):
    """translate-toolkit's store of one XLIFF file (1.1 or 1.2), XliffError when it cannot be read."""
    xliff, _ = _xliff_classes()
    try:
        store = xliff.xlifffile.parsefile(str(path))
    except Exception as err:  # lxml and the toolkit raise several kinds on malformed files
        raise XliffError(path, f"not a readable XLIFF file ({type(err).__name__}: {err})") from None
    return store


def import_xliff(paths: Sequence[Path | str], dataset_dir: Path | str, reviewer: str) -> ImportReport:
    """Bring the targets of edited XLIFF files back into the dataset's review store as edits (module docstring).
    Every file is read and checked before anything is written."""
    if not (reviewer or "").strip():
        raise SeedMTError("an import needs the reviewer's name (--reviewer)")
    opened = open_dataset(dataset_dir)
    rows = {row["segment_id"]: row for row in opened.tables[SEGMENTS]}
    report = ImportReport()
    planned = []  # (segment_id, target, machine translation, new text, via, (version, sha256) exported, where)
    for path in map(Path, paths):
        store = read_units(path)
        report.files.append(path)
        for unit in store.getunits():
            report.units += 1
            unit_id = unit.xmlelement.get("id") or ""
            code = _languages(unit, store)[1]
            target = _dataset_target(code, opened.targets)
            row = rows.get(unit_id)
            where = f"{path.name}: unit {unit_id or '(no id)'}"
            if row is None:
                report.refused.append(f"{where}: no such segment in {opened.path}")
                continue
            if target is None or target in row["copied_targets"]:
                report.refused.append(f"{where}: target language {code or '(none)'} is not one of the dataset's "
                                      f"translations ({', '.join(opened.targets)})")
                continue
            source = row[TRANSLATION_COLUMN][row["source_lang"]]
            if _unit_text(unit, "source") != xml_text(source):
                report.refused.append(f"{where}: its source no longer matches the dataset's segment")
                continue
            text = _unit_text(unit, "target")
            if text is None or not text.strip():
                report.without_target += 1
                continue
            try:
                check_segment_text(text, "target")
            except ValueError as err:
                report.refused.append(f"{where}: {err}")
                continue
            planned.append((unit_id, target, row[TRANSLATION_COLUMN][target], text.strip(),
                            f"{VIA_PREFIX}{path.name}", _exported(unit), where))
    held = current_reviews(opened.path, [(s, t, mt) for s, t, mt, *_ in planned])
    edits = []
    for segment_id, target, machine_translation, text, via, exported, where in planned:
        review = held.get((segment_id, target))
        now = review.post_edit if review is not None and review.status == EDITED else machine_translation
        if text == now:
            report.unchanged += 1
        elif exported is not None and text_sha256(text) == exported[1]:
            report.unchanged += 1  # left as exported: what was done in seedmt since stays
        elif exported is not None:
            # changed in the CAT tool: an edit of the version it was exported at (changed in seedmt since, it is
            # refused, and the CAT tool's text is kept in the review log beside theirs)
            edits.append((segment_id, target, machine_translation, text, via, exported[0], where))
        else:  # a file without seedmt's mark: an edit of whatever the store holds now
            edits.append((segment_id, target, machine_translation, text, via, None, where))
    if not edits:
        return report  # nothing to write: the review store is not even created
    store = ReviewStore(store_path(opened.path))
    try:
        for segment_id, target, machine_translation, text, via, expected, where in edits:
            try:
                store.act(segment_id, target, "edit", machine_translation=machine_translation, reviewer=reviewer,
                          text=text, expected_version=expected, via=via)
            except ReviewConflict as conflict:
                current = conflict.current
                report.refused.append(f"{where}: changed in seedmt since the export (by {current.reviewer or '?'} "
                                      f"at {current.updated_at}); their version is kept, the file's text is in the "
                                      "review log as a refused edit")
                continue
            report.edited += 1
            report.hters.append(hter(machine_translation, text, target))
    finally:
        store.close()
    return report


def xliff_pairs(path: Path | str) -> list[Pair]:
    """The (source, target) pairs of an XLIFF file with targets, for the translation memory."""
    from seedmt.core.languages import flores_code_for

    path = Path(path)
    store = read_units(path)
    pairs = []
    for unit in store.getunits():
        source_code, target_code = _languages(unit, store)
        source, target = _unit_text(unit, "source"), _unit_text(unit, "target")
        if not (source and target and target.strip()):
            continue
        source_lang, target_lang = flores_code_for(source_code or ""), flores_code_for(target_code or "")
        if source_lang is None or target_lang is None:
            raise XliffError(path, f"unit {unit.xmlelement.get('id') or '?'}: languages {source_code or '(none)'} -> "
                                   f"{target_code or '(none)'} are not FLORES-200 or ISO 639-1 codes seedmt knows")
        pairs.append(Pair(unit.xmlelement.get("id") or "", source, target, source_lang, target_lang,
                          f"{VIA_PREFIX}{path.name}"))
    return pairs
