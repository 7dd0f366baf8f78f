"""The dataset schema, declared once. Every writer and reader (translate, eval, publish) imports it.

A translation dataset is a `datasets.DatasetDict` with three tables:
- documents: one row per seed, with the full translation per target language;
- segments:  one row per sentence, offsets into the document, and a `translation` column holding the
             source and every target under their FLORES-200 codes (`datasets.Translation`);
- runs:      provenance of each translation run (model, revision, backend, decoding, versions, times).

`SCHEMA_VERSION` is recorded in the runs table; a reader refuses a dataset written by a newer seedmt.
"""
from __future__ import annotations

from collections.abc import Iterable

from datasets import Features, List, Translation, Value


DOCUMENTS = "documents"
SEGMENTS = "segments"
RUNS = "runs"
TABLES = (DOCUMENTS, SEGMENTS, RUNS)
TRANSLATION_COLUMN = "translation"
# 2: review_<target> and post_edit_<target> in segments, schema_version in runs.
SCHEMA_VERSION = 2


def target_column(target: str) -> str:
    """Documents table column with the full translation into `target`."""
    return f"translation_{target}"


def documents_features(targets: Iterable[str]) -> Features:
    return Features({
        "doc_id": Value("string"),
        "file_name": Value("string"),
        "source_lang": Value("string"),
        "lang_method": Value("string"),  # the identifier (heliport, py3langid, fasttext), sidecar or override
        "lang_confidence": Value("float32"),  # the identifier's own: heliport's margin, else a probability
        "lang_runner_up": Value("string"),  # the identifier's best other language (FLORES-200 code or its label)
        "lang_margin": Value("float32"),  # lead of the chosen language over the runner-up
        "sha256": Value("string"),
        "text": Value("string"),
        "num_segments": Value("int32"),
        "copied_targets": List(Value("string")),  # targets equal to the source language: copied, not translated
        **{target_column(t): Value("string") for t in targets},
        "run_id": Value("string"),
    })


def similarity_column(target: str) -> str:
    """Segments table column with the source-translation similarity for `target` (seedmt.translate.quality)."""
    return f"similarity_{target}"


def review_column(target: str) -> str:
    """Segments table column with the review status of the translation into `target` (seedmt.dataset.reviews):
    unreviewed, accepted, edited or rejected; None for copied targets."""
    return f"review_{target}"


def post_edit_column(target: str) -> str:
    """Segments table column with the reviewer's post-edit of the translation into `target`, when edited."""
    return f"post_edit_{target}"


def segments_features(languages: Iterable[str], targets: Iterable[str] = ()) -> Features:
    """`languages`: every source language in the run plus the targets."""
    targets = list(targets)
    return Features({
        "segment_id": Value("string"),  # "<doc_id>:<index>", the key references are aligned to
        "doc_id": Value("string"),
        "index": Value("int32"),
        "paragraph_index": Value("int32"),
        "sentence_index": Value("int32"),
        "start": Value("int32"),  # character offsets into documents.text (NFC)
        "end": Value("int32"),
        "source_lang": Value("string"),
        TRANSLATION_COLUMN: Translation(languages=sorted(set(languages))),
        "copied_targets": List(Value("string")),
        "quality_flags": List(Value("string")),  # "<target>:<flag>", see seedmt.translate.quality
        # margin-normalised cross-lingual similarity of source and translation; None for copied targets
        **{similarity_column(t): Value("float32") for t in targets},
        **{review_column(t): Value("string") for t in targets},
        **{post_edit_column(t): Value("string") for t in targets},
        "run_id": Value("string"),
    })


RUNS_FEATURES = Features({
    "run_id": Value("string"),
    "started_at": Value("string"),
    "finished_at": Value("string"),
    "model": Value("string"),
    "model_path": Value("string"),
    "revision": Value("string"),
    "weights_fingerprint": Value("string"),
    "backend": Value("string"),
    "device": Value("string"),
    "compute_type": Value("string"),
    "targets": List(Value("string")),
    "decoding": Value("string"),  # JSON of DecodingSettings
    "batching": Value("string"),  # JSON of BatchingSettings, as the backend resolved them
    "threads": Value("string"),  # JSON of the CPU thread layout: threads, inter_threads, intra_threads, automatic
    "engine": Value("string"),  # JSON: local, or ray with its worker count and Ray version
    "segmentation": Value("string"),  # JSON: splitter and max_chars
    "versions": Value("string"),  # JSON: package versions
    "signature": Value("string"),  # one-line summary, sacrebleu-style
    "backend_details": Value("string"),  # JSON: converted model folder, vocabulary trimming...
    "schema_version": Value("int32"),  # SCHEMA_VERSION of the seedmt that wrote the dataset
})
