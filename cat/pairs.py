"""Every (source, translation) pair seedmt holds, as QA and the translation memory read them: a dataset's
machine translations, the post-edits in its review store, and segment-level references."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seedmt.cat.qa import Pair
from seedmt.core.languages import sentence_joiner
from seedmt.dataset.reviews import EDITED, current_reviews
from seedmt.dataset.schema import SEGMENTS, TRANSLATION_COLUMN
from seedmt.dataset.storage import open_dataset
from seedmt.eval.references import load_references, reference_targets

MACHINE_TRANSLATION, POST_EDIT, REFERENCE = "machine translation", "post-edit", "reference"
ACCEPTED = "accepted translation"  # a machine translation a reviewer accepted as is
KINDS = (MACHINE_TRANSLATION, POST_EDIT, REFERENCE)


def dataset_pairs(dataset_dir: Path | str, kinds: tuple[str, ...] = (MACHINE_TRANSLATION, POST_EDIT)) -> list[Pair]:
    """The dataset's machine translations (copied targets left out) and the post-edits reviewers saved for them
    (a review of another translation of the segment does not count)."""
    opened = open_dataset(dataset_dir)
    rows = list(opened.tables[SEGMENTS])
    translations = [(row["segment_id"], t, row[TRANSLATION_COLUMN][t]) for row in rows for t in opened.targets
                    if t not in row["copied_targets"] and row[TRANSLATION_COLUMN].get(t) is not None]
    reviews = current_reviews(opened.path, translations) if POST_EDIT in kinds else {}
    pairs = []
    for row in rows:
        source = row[TRANSLATION_COLUMN][row["source_lang"]]
        for target in opened.targets:
            text = row[TRANSLATION_COLUMN].get(target)
            if target in row["copied_targets"] or text is None:
                continue
            if MACHINE_TRANSLATION in kinds:
                pairs.append(Pair(row["segment_id"], source, text, row["source_lang"], target, MACHINE_TRANSLATION))
            review = reviews.get((row["segment_id"], target))
            if review is not None and review.status == EDITED:
                pairs.append(Pair(row["segment_id"], source, review.post_edit, row["source_lang"], target, POST_EDIT))
    return pairs


def dataset_source_languages(dataset_dir: Path | str) -> dict[str, str]:
    """doc_id -> source language, as the dataset decided it."""
    opened = open_dataset(dataset_dir)
    return dict(zip(opened.tables["documents"]["doc_id"], opened.tables["documents"]["source_lang"]))


def reference_pairs(references_dir: Path | str, source_langs: dict[str, str] | None = None, *,
                    identify: bool = True) -> list[Pair]:
    """Segment-level references that record their source: one pair per reference text (a group of segments
    sharing one reference, `joined_with`, is one pair of their joined sources). `source_langs`: doc_id -> source
    language; a document missing from it has its language identified from its sources (`identify`), or is left
    out."""
    pairs = []
    for target in reference_targets(Path(references_dir)):
        for doc_id, reference in load_references(Path(references_dir), target).items():
            if not reference.segment_level:
                continue
            lines = [line for line in reference.lines if line.source is not None]
            if not lines:
                continue
            lang = (source_langs or {}).get(doc_id)
            if lang is None:
                if not identify:
                    continue
                lang = _identified(lines)
            pairs.extend(_grouped(lines, lang, target))
    return pairs


def _identified(lines) -> str:
    from seedmt.text.langid import detect_language

    return detect_language("\n".join(line.source for line in lines)).code


def _grouped(lines, source_lang: str, target: str) -> Iterator[Pair]:
    groups: dict[str, list] = {}
    for line in lines:
        holder = line.joined_with or (line.segment_id if line.text is not None else None)
        if holder is not None:
            groups.setdefault(holder, []).append(line)
    texts = {line.segment_id: line.text for line in lines if line.text is not None}
    joiner = sentence_joiner(source_lang)
    for holder, members in groups.items():
        if holder in texts:
            yield Pair(holder, joiner.join(m.source for m in members), texts[holder], source_lang, target, REFERENCE)


def reviewed_pairs(dataset_dir: Path | str) -> list[Pair]:
    """What reviewers stand behind: post-edits, and machine translations they accepted as is."""
    opened = open_dataset(dataset_dir)
    rows = list(opened.tables[SEGMENTS])
    translations = [(row["segment_id"], t, row[TRANSLATION_COLUMN][t]) for row in rows for t in opened.targets
                    if t not in row["copied_targets"] and row[TRANSLATION_COLUMN].get(t) is not None]
    reviews = current_reviews(opened.path, translations)
    pairs = []
    for row in rows:
        for target in opened.targets:
            review = reviews.get((row["segment_id"], target))
            if review is not None and review.final_text:
                pairs.append(Pair(row["segment_id"], row[TRANSLATION_COLUMN][row["source_lang"]], review.final_text,
                                  row["source_lang"], target, POST_EDIT if review.status == EDITED else ACCEPTED))
    return pairs


def memory_pairs(dataset_dir: Path | str, references_dir: Path | str | None, *, identify: bool = True) -> list[Pair]:
    """Every pair a project's translation memory holds: references, post-edits and accepted translations.
    References of documents outside the dataset have their source language identified (`identify`), or are
    left out."""
    pairs = reviewed_pairs(dataset_dir)
    if references_dir is not None and Path(references_dir).is_dir():
        pairs = reference_pairs(references_dir, dataset_source_languages(dataset_dir), identify=identify) + pairs
    return pairs
