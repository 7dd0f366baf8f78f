"""What the review app shows: every (segment, target) of a dataset as a review item, its signals, the
worst-first queue, filters and pages.

An item carries what tells a reviewer where to look: quality flags, the source-translation similarity, the
reference (when `references/` has one) and chrF2++ against it, and the review itself (status, post-edit).
The worst-first queue puts flagged items first, then the lowest similarity, then the lowest chrF2++.

The dataset is read once (Arrow, memory-mapped); reviews come from the store and change as people act."""
from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from seedmt.align.similarity import LOW_SIMILARITY
from seedmt.cat.glossary import Glossary
from seedmt.cat.qa import INFO, Finding, Pair, check_pair, consistency_findings, length_norms
from seedmt.core.errors import SeedMTError
from seedmt.dataset.reviews import EDITED, UNREVIEWED, Review, text_sha256
from seedmt.dataset.schema import DOCUMENTS, SEGMENTS, TRANSLATION_COLUMN, similarity_column
from seedmt.dataset.storage import open_dataset

PAGE_SIZE = 50


@dataclass
class Item:
    """One segment's translation into one target."""

    segment_id: str
    doc_id: str
    index: int
    target: str
    source_lang: str
    source: str
    translation: str
    flags: list[str]  # this target's quality flags, without the target prefix
    similarity: float | None
    reference: str | None = None
    chrf: float | None = None

    def worst_first_key(self) -> tuple:
        """Flags first, then the lowest similarity, then the lowest chrF2++; missing signals go last."""
        return (not self.flags, self.similarity if self.similarity is not None else math.inf,
                self.chrf if self.chrf is not None else math.inf, self.doc_id, self.index)


@dataclass
class Document:
    doc_id: str
    source_lang: str
    segments: int
    items: list[Item] = field(default_factory=list)
    chrf: dict[str, float] = field(default_factory=dict)  # per target, corpus chrF2++ against the references


class ReviewQueue:
    def __init__(self, dataset_dir: Path, references_dir: Path | None = None, glossary: Glossary | None = None) -> None:
        self.dataset_dir = Path(dataset_dir)
        self.glossary = glossary
        opened = open_dataset(self.dataset_dir)
        self.dataset, run = opened.tables, opened.run
        self.targets: list[str] = opened.targets
        self.system = run["signature"]
        self.run_id = run["run_id"]
        self.items: list[Item] = []
        self.documents: dict[str, Document] = {}
        segments = self.dataset[SEGMENTS]
        # Whole columns as Python lists at once: reading an Arrow-backed column row by row is far slower.
        names = ["segment_id", "doc_id", "index", "source_lang", "copied_targets", "quality_flags",
                 TRANSLATION_COLUMN] + [similarity_column(t) for t in self.targets
                                        if similarity_column(t) in segments.column_names]
        columns = segments.select_columns(names).to_dict()
        translations = columns[TRANSLATION_COLUMN]
        similarities = {t: columns.get(similarity_column(t)) or [None] * len(segments) for t in self.targets}
        for row in self.dataset[DOCUMENTS]:
            self.documents[row["doc_id"]] = Document(row["doc_id"], row["source_lang"], row["num_segments"])
        for k in range(len(segments)):
            source_lang = columns["source_lang"][k]
            for target in self.targets:
                if target in columns["copied_targets"][k]:
                    continue
                prefix = f"{target}:"
                item = Item(columns["segment_id"][k], columns["doc_id"][k], columns["index"][k], target, source_lang,
                            translations[k][source_lang], translations[k][target],
                            [f[len(prefix):] for f in columns["quality_flags"][k] if f.startswith(prefix)],
                            similarities[target][k])
                self.items.append(item)
                self.documents[item.doc_id].items.append(item)
        self.by_key = {(item.segment_id, item.target): item for item in self.items}
        self.notes: list[str] = []
        if references_dir is not None and Path(references_dir).is_dir():
            self._add_references(Path(references_dir))
        self.worst_first = sorted(self.items, key=Item.worst_first_key)
        # QA (seedmt.cat.qa): the pair-level norms and the consistency across the dataset now (cheap); each item's
        # own checks when it is first shown or filtered on, or by `check_all` in the background
        pairs = [Pair(item.segment_id, item.source, item.translation, item.source_lang, item.target)
                 for item in self.items]
        self._length_norms = length_norms(pairs)
        self._consistency = {(pairs[i].key, pairs[i].target_lang): found
                             for i, found in consistency_findings(pairs).items()}
        self._qa: dict[tuple[str, str, str], list[Finding]] = {}
        self._qa_lock = threading.Lock()
        self.qa_checked = 0

    def _add_references(self, references_dir: Path) -> None:
        """Reference and chrF2++ per item, where the references follow the dataset's segmentation."""
        from seedmt.eval.evaluate import pair_dataset, per_document_scores
        from seedmt.eval.metrics import segment_chrf
        from seedmt.core.metric_settings import metrics_for

        try:
            directions, notes = pair_dataset(self.dataset_dir, references_dir)
        except SeedMTError as err:
            self.notes.append(str(err))
            return
        self.notes += notes
        for (_, target), paired in directions.items():
            for members, reference, chrf in zip(paired.unit_segments, paired.references,
                                                segment_chrf(paired.hypotheses, paired.references)):
                for segment_id in members:
                    item = self.by_key.get((segment_id, target))
                    if item is not None:
                        item.reference, item.chrf = reference, round(chrf, 2)
            for doc_id, scores in per_document_scores(paired, {"chrF2++": metrics_for(target).chrf()}).items():
                self.documents[doc_id].chrf[target] = round(scores["chrF2++"], 2)

    # --- QA findings ---------------------------------------------------------------------------------------------

    def qa_findings(self, item: Item, text: str | None = None) -> list[Finding]:
        """QA findings of the item's translation (or of `text`, a post-edit of it), computed once per text."""
        text = item.translation if text is None else text
        key = (item.segment_id, item.target, text)
        found = self._qa.get(key)
        if found is None:
            found = check_pair(Pair(item.segment_id, item.source, text, item.source_lang, item.target), self.glossary,
                               self._length_norms.get((item.source_lang, item.target)))
            if text == item.translation:
                found += self._consistency.get((item.segment_id, item.target), [])
            with self._qa_lock:
                self._qa[key] = found
        return found

    def check_all(self) -> None:
        """Every item's machine translation checked (run in a background thread when the app starts);
        `qa_checked` counts how far it has got."""
        for count, item in enumerate(self.items, start=1):
            self.qa_findings(item)
            self.qa_checked = count

    def open_findings(self, item: Item, reviews: dict[tuple[str, str], Review], decisions: dict) -> list[Finding]:
        """Findings in the text the item holds now (the post-edit, if any) that no reviewer resolved or ignored."""
        text = current_text(item, reviews)
        digest = text_sha256(text)
        return [f for f in self.qa_findings(item, text)
                if (item.segment_id, item.target, f.check, digest) not in decisions]

    def glossary_hits(self, item: Item, reviews: dict[tuple[str, str], Review]) -> list:
        if self.glossary is None:
            return []
        return self.glossary.hits(item.source, item.source_lang, current_text(item, reviews), item.target)

    def select(self, reviews: dict[tuple[str, str], Review], *, doc: str | None = None, target: str | None = None,
               flag: str | None = None, status: str | None = None, order: str = "worst", qa: str | None = None,
               decisions: dict | None = None) -> list[Item]:
        """`qa`: items whose current text has an open QA finding of this check ("any": of any check but the
        informational ones)."""
        items = self.worst_first if order == "worst" else self.items
        out = []
        for item in items:
            if doc and item.doc_id != doc or target and item.target != target:
                continue
            if flag == "any" and not item.flags or flag and flag != "any" and flag not in item.flags:
                continue
            if status and status_of(item, reviews) != status:
                continue
            if qa:
                found = self.open_findings(item, reviews, decisions or {})
                if not any(f.severity != INFO if qa == "any" else f.check == qa for f in found):
                    continue
            out.append(item)
        return out

    def document_summaries(self, reviews: dict[tuple[str, str], Review]) -> list[dict]:
        out = []
        for doc in self.documents.values():
            counts = defaultdict(int)
            for item in doc.items:
                counts[status_of(item, reviews)] += 1
            out.append({"doc_id": doc.doc_id, "source_lang": doc.source_lang, "segments": doc.segments,
                        "items": len(doc.items), "to_review": counts[UNREVIEWED],
                        "reviewed": len(doc.items) - counts[UNREVIEWED],
                        "flagged": sum(bool(item.flags) for item in doc.items),
                        "low_similarity": sum(item.similarity is not None and item.similarity < LOW_SIMILARITY
                                              for item in doc.items),
                        "chrf": doc.chrf, "counts": dict(counts)})
        return out


def status_of(item: Item, reviews: dict[tuple[str, str], Review]) -> str:
    review = reviews.get((item.segment_id, item.target))
    if review is None or review.machine_translation != item.translation:
        return UNREVIEWED
    return review.status




def current_text(item: Item, reviews: dict[tuple[str, str], Review]) -> str:
    """The translation the item holds now: the reviewer's post-edit, or the machine translation."""
    review = reviews.get((item.segment_id, item.target))
    if review is not None and review.machine_translation == item.translation and review.status == EDITED:
        return review.post_edit
    return item.translation
