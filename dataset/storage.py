"""Storage: documents, aligned segments and run provenance as a Hugging Face dataset.

Writes go to a temporary sibling folder which is renamed into place, so a crash never leaves a
half-written dataset where the last good one was."""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from datasets import Dataset, DatasetDict, load_from_disk

from seedmt.core.errors import OutputBusyError, OutputError, SeedMTError, output_error
from seedmt.core.files import staged_folder
from seedmt.core.languages import written_without_spaces
from seedmt.dataset.reviews import EDITED, UNREVIEWED
from seedmt.dataset.schema import (DOCUMENTS, RUNS, RUNS_FEATURES, SCHEMA_VERSION, SEGMENTS, TABLES, TRANSLATION_COLUMN,
                                   documents_features,
                                   post_edit_column, review_column, segments_features, similarity_column,
                                   target_column)
from seedmt.text.segment import Segment, separators


@dataclass
class TranslatedDocument:
    """A document, its segments, and per target the translation of each segment (same order)."""

    doc_id: str
    file_name: str
    text: str
    sha256: str
    source_lang: str
    lang_method: str
    lang_confidence: float | None
    segments: list[Segment]
    lang_runner_up: str | None = None  # the identifier's best other language
    lang_margin: float | None = None  # the decision's lead over it
    translations: dict[str, list[str]] = field(default_factory=dict)
    copied_targets: list[str] = field(default_factory=list)
    quality_flags: list[list[str]] = field(default_factory=list)  # per segment, from seedmt.translate.quality
    similarities: dict[str, list[float | None]] = field(default_factory=dict)  # per target, per segment


def join_translations(doc: TranslatedDocument, target: str) -> str:
    """Full-document translation: segment translations joined with the source's own separators, except
    that spaces between sentences are dropped for targets written without them (Chinese, Japanese...)."""
    seps = separators(doc.text, [(s.start, s.end) for s in doc.segments])
    drop_spaces = written_without_spaces(target) and target != doc.source_lang
    if drop_spaces:
        seps = [sep if "\n" in sep else "" for sep in seps]
    return "".join(sep + text for sep, text in zip(seps, doc.translations[target])) + seps[-1]


def build_dataset(docs: list[TranslatedDocument], targets: list[str], run: dict,
                  reviews: dict | None = None) -> DatasetDict:
    """The three tables. `reviews`: (segment_id, target) -> Review (seedmt.dataset.reviews.current_reviews)
    fills the review_<target> and post_edit_<target> columns; the others are "unreviewed"."""
    reviews = reviews or {}
    languages = {d.source_lang for d in docs} | set(targets)
    doc_rows, segment_rows = [], []
    for doc in docs:
        doc_rows.append({
            "doc_id": doc.doc_id, "file_name": doc.file_name, "source_lang": doc.source_lang,
            "lang_method": doc.lang_method, "lang_confidence": doc.lang_confidence,
            "lang_runner_up": doc.lang_runner_up, "lang_margin": doc.lang_margin, "sha256": doc.sha256,
            "text": doc.text, "num_segments": len(doc.segments), "copied_targets": doc.copied_targets,
            **{target_column(t): join_translations(doc, t) for t in targets}, "run_id": run["run_id"],
        })
        for i, seg in enumerate(doc.segments):
            pair = {lang: None for lang in languages}
            pair[doc.source_lang] = seg.text
            pair.update({t: doc.translations[t][i] for t in targets})
            segment_rows.append({
                "segment_id": seg.segment_id, "doc_id": doc.doc_id, "index": seg.index,
                "paragraph_index": seg.paragraph_index, "sentence_index": seg.sentence_index,
                "start": seg.start, "end": seg.end, "source_lang": doc.source_lang,
                TRANSLATION_COLUMN: pair, "copied_targets": doc.copied_targets,
                "quality_flags": doc.quality_flags[i] if doc.quality_flags else [],
                **{similarity_column(t): doc.similarities.get(t, [None] * len(doc.segments))[i] for t in targets},
                **review_columns(seg.segment_id, targets, doc.copied_targets, reviews),
                "run_id": run["run_id"],
            })
    return DatasetDict({
        DOCUMENTS: Dataset.from_list(doc_rows, features=documents_features(targets)),
        SEGMENTS: Dataset.from_list(segment_rows, features=segments_features(languages, targets)),
        RUNS: Dataset.from_list([run], features=RUNS_FEATURES),
    })


def review_columns(segment_id: str, targets: list[str], copied_targets: list[str], reviews: dict) -> dict:
    """review_<target> (status) and post_edit_<target> of one segment; None for copied targets."""
    columns = {}
    for target in targets:
        review = reviews.get((segment_id, target))
        copied = target in copied_targets
        columns[review_column(target)] = None if copied else review.status if review else UNREVIEWED
        columns[post_edit_column(target)] = review.post_edit if review and review.status == EDITED else None
    return columns


def check_writable(out_dir: Path) -> None:
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the output folder's parent {parent}: {err.strerror}") from None
    if not os.access(parent, os.W_OK) or (out_dir.exists() and not os.access(out_dir, os.W_OK)):
        raise OutputError(f"output folder {out_dir} is not writable")


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Exclusive lock on `<out_dir>.lock` for the whole run, so that two runs on the same output cannot
    interleave. The OS releases it when the process dies, so a killed run never leaves a stale lock."""
    lock_path = Path(out_dir).resolve().with_name(f"{Path(out_dir).name}.lock")
    try:
        handle = open(lock_path, "a+b", buffering=0)  # unbuffered: nothing left to flush at close
    except OSError as err:
        raise output_error("the lock file", lock_path, err) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().decode("utf-8", "replace").strip() or "unknown"
            raise OutputBusyError(f"another seedmt run ({holder}) is writing {out_dir}; wait for it to finish "
                                  "or pass a different --out") from None
        try:
            os.ftruncate(handle.fileno(), 0)
            os.pwrite(handle.fileno(), f"pid {os.getpid()}".encode(), 0)
        except OSError:
            pass  # the pid is only a note for the user; the flock above is the lock
        try:
            yield
        finally:
            try:
                os.ftruncate(handle.fileno(), 0)
            except OSError:
                pass
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_atomically(dataset: DatasetDict, out_dir: Path) -> None:
    """save_to_disk into a temp sibling, then swap it in; the old dataset survives any failure before."""
    check_writable(out_dir)
    with staged_folder(out_dir, "the dataset") as staging:
        dataset.save_to_disk(str(staging))


class NotADatasetError(SeedMTError):
    """The folder is not a dataset written by `seedmt translate`, or one from a newer seedmt."""


@dataclass(frozen=True)
class OpenedDataset:
    """A translation dataset as every command reads it: its tables, its run and the targets it holds."""

    path: Path
    tables: DatasetDict
    run: dict  # the row of the runs table
    targets: list[str]  # the run's targets, in the order it translated them


def dataset_targets(tables: DatasetDict) -> list[str]:
    """The targets a dataset holds: those of the run that wrote it, in the order it translated them."""
    return list(tables[RUNS][0]["targets"])


def open_dataset(dataset_dir: Path | str) -> OpenedDataset:
    """The dataset `seedmt translate` wrote in `dataset_dir`, checked: a folder with its three tables, in a
    schema this seedmt reads. Anything else is one NotADatasetError naming the folder and the problem."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise NotADatasetError(f"{dataset_dir}: no such folder; pass the folder `seedmt translate` wrote")
    if not (dataset_dir / "dataset_dict.json").is_file():
        raise NotADatasetError(f"{dataset_dir}: not a seedmt dataset (no dataset_dict.json); pass the folder "
                               "`seedmt translate` wrote")
    try:
        tables = load_from_disk(str(dataset_dir))
    except Exception as err:  # noqa: BLE001 - any failure to read it means the same to the user
        raise NotADatasetError(f"{dataset_dir}: cannot read the dataset ({err})") from None
    missing = [t for t in TABLES if t not in tables]
    if missing:
        raise NotADatasetError(f"{dataset_dir}: not a seedmt dataset (no {', '.join(missing)} table)")
    runs = tables[RUNS]
    versions = [v for v in runs["schema_version"] if v is not None] if "schema_version" in runs.column_names else []
    version = max(versions, default=1)
    if version > SCHEMA_VERSION:
        raise NotADatasetError(f"{dataset_dir}: written by a newer seedmt (dataset schema {version}; this one "
                               f"reads up to {SCHEMA_VERSION}); upgrade seedmt")
    if not len(runs):
        raise NotADatasetError(f"{dataset_dir}: not a seedmt dataset (its runs table is empty)")
    return OpenedDataset(dataset_dir, tables, runs[0], dataset_targets(tables))
