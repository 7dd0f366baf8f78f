"""Post-edits as references: what reviewers accepted or post-edited in `seedmt review`, in the reference shape
`seedmt eval` reads. Scored against them, a system's TER is its HTER (human-targeted TER), the usual measure of
post-editing effort when checkpoints are compared; `seedmt review export` writes the same lines to
`references/`."""
from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from seedmt.core.errors import SeedMTError
from seedmt.dataset.reviews import ACCEPTED, EDITED, REJECTED, ReviewStore, hter, store_fingerprint, store_path
from seedmt.dataset.schema import SEGMENTS, TRANSLATION_COLUMN
from seedmt.dataset.storage import open_dataset
from seedmt.eval.references import POST_EDITS, Provenance, folder_input, write_reference

ORIGIN = {EDITED: "post-edited", ACCEPTED: "accepted as is"}
CAT_TOOL_ORIGIN = "post-edited in a CAT tool"  # an edit imported from an XLIFF file (`seedmt review import`)


def origin_of(review) -> str:
    """How a reviewed text was made, as reference lines and their provenance say it."""
    if review.status == EDITED and (review.via or "").startswith("xliff:"):
        return CAT_TOOL_ORIGIN
    return ORIGIN[review.status]


@dataclass
class ReviewedReference:
    """One document's reference file for one target, built from its reviews."""

    doc_id: str
    target: str
    lines: list[dict]
    kinds: Counter = field(default_factory=Counter)  # post-edited, accepted as is, rejected, not reviewed
    reviewers: set[str] = field(default_factory=set)
    hters: list[float] = field(default_factory=list)


def reviewed_references(dataset_dir: Path) -> list[ReviewedReference]:
    """Per document and target with at least one accepted or post-edited translation: a line per segment, in
    document order, with `text` (and `origin`, `reviewer`, `reviewed_at`) or `skip` and the reason."""
    path = store_path(dataset_dir)
    if not path.exists():
        raise SeedMTError(f"{path}: no review store; review the dataset first (`seedmt review {dataset_dir}`)")
    store = ReviewStore(path, create=False)
    try:
        reviews = store.reviews()
    finally:
        store.close()
    opened = open_dataset(dataset_dir)
    dataset, targets = opened.tables, opened.targets
    rows = sorted(dataset[SEGMENTS], key=lambda r: (r["doc_id"], r["index"]))
    out: list[ReviewedReference] = []
    for target in targets:
        by_doc: dict[str, ReviewedReference] = {}
        for row in rows:
            if target in row["copied_targets"]:
                continue
            reference = by_doc.setdefault(row["doc_id"], ReviewedReference(row["doc_id"], target, []))
            translation = row[TRANSLATION_COLUMN][target]
            review = reviews.get((row["segment_id"], target))
            if review is not None and review.machine_translation != translation:
                review = None  # made on another translation of the segment
            line = {"segment_id": row["segment_id"], "source": row[TRANSLATION_COLUMN][row["source_lang"]]}
            if review is not None and review.status in ORIGIN:
                origin = origin_of(review)
                line.update(text=review.final_text, origin=origin, reviewer=review.reviewer,
                            reviewed_at=review.updated_at)
                if review.via:
                    line["via"] = review.via
                reference.kinds[origin] += 1
                reference.reviewers.add(review.reviewer)
                if review.status == EDITED:
                    reference.hters.append(hter(translation, review.post_edit, target))
            elif review is not None and review.status == REJECTED:
                line["skip"] = f"translation rejected in review: {review.reason}"
                reference.kinds["rejected"] += 1
            else:
                line["skip"] = "not reviewed"
                reference.kinds["not reviewed"] += 1
            reference.lines.append(line)
        out += [r for r in by_doc.values()
                if r.kinds["post-edited"] or r.kinds[CAT_TOOL_ORIGIN] or r.kinds["accepted as is"]]
    return out


@dataclass(frozen=True)
class ReviewSource:
    """What every reference of one export comes from, read once: the dataset and the review store as they are
    now (the store fingerprinted by its content, committed WAL included), and the run that translated."""
    inputs: tuple[dict, ...]
    run: dict

    @classmethod
    def of(cls, dataset_dir: Path) -> ReviewSource:
        dataset_dir = Path(dataset_dir)
        store = store_path(dataset_dir)
        return cls((folder_input("dataset", dataset_dir),
                    {"role": "review store", "path": str(store), "sha256": store_fingerprint(store)}),
                   open_dataset(dataset_dir).run)


def reviewed_provenance(reference: ReviewedReference, source: ReviewSource, made_by: str) -> Provenance:
    """How a reviewed reference was made: from which dataset, review store and system, by whom, and how many
    segments of each kind."""
    return Provenance(
        made_by, reference.doc_id, reference.target,
        inputs=[dict(x) for x in source.inputs],
        settings={"run_id": source.run["run_id"], "system": source.run["signature"]},
        counts={"segments": len(reference.lines), **dict(reference.kinds),
                "mean_hter": round(sum(reference.hters) / len(reference.hters), 2) if reference.hters else None},
        reviewers=sorted(reference.reviewers))


@contextmanager
def post_edit_references(dataset_dir: Path) -> Iterator[Path]:
    """A temporary references folder holding the dataset's post-edits and accepted translations."""
    references = reviewed_references(Path(dataset_dir))
    if not references:
        raise SeedMTError(f"no translation of {dataset_dir} is accepted or post-edited yet (`seedmt review`)")
    with tempfile.TemporaryDirectory(prefix="seedmt-post-edits-") as folder:
        source = ReviewSource.of(dataset_dir)
        for reference in references:
            write_reference(Path(folder), reviewed_provenance(reference, source, POST_EDITS), reference.lines)
        yield Path(folder)
