"""The translation job as a Python API: seeds folder -> translated, aligned dataset on disk.

    from translate.pipeline import TranslationJob, run_translation
    report = run_translation(TranslationJob(seeds_dir=Path("seeds"), out_dir=Path("out")))

The CLI (`seedmt translate`) is a thin wrapper over this."""
from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from translate.backends import TranslationBackend, load_backend
from translate.dataset import TranslatedDocument, build_dataset, check_writable, save_atomically
from translate.errors import SeedProblem
from translate.ingest import ingest
from translate.languages import NO_SPACE_SCRIPTS, script_of
from translate.langid import LanguageUndecidedError, decide_language
from translate.model_source import DEFAULT_MODEL, resolve_model
from translate.provenance import make_run_record, utc_now
from translate.segment import DEFAULT_MAX_CHARS, segment_document, split_long_span
from translate.settings import BatchingSettings, DecodingSettings

log = logging.getLogger(__name__)
DEFAULT_TARGETS = ("eng_Latn", "zho_Hans")
ALL_FILES = "*"


@dataclass
class TranslationJob:
    seeds_dir: Path
    out_dir: Path
    model: str = DEFAULT_MODEL
    revision: str | None = None
    targets: tuple[str, ...] = DEFAULT_TARGETS
    backend: str = "transformers"
    device: str = "auto"
    compute_type: str = "auto"
    decoding: DecodingSettings = field(default_factory=DecodingSettings)
    batching: BatchingSettings = field(default_factory=BatchingSettings)
    # doc_id (file stem) -> FLORES-200 code; key "*" applies to every file.
    source_langs: dict[str, str] = field(default_factory=dict)
    max_segment_chars: int = DEFAULT_MAX_CHARS
    # Inputs longer than this (in model tokens) are translated in pieces; NLLB drops content beyond ~200.
    max_input_tokens: int = 200
    backend_options: dict = field(default_factory=dict)
    show_progress: bool | None = None  # None: only on a terminal


@dataclass
class RunReport:
    out_dir: Path | None
    documents: list[TranslatedDocument]
    problems: list[SeedProblem]
    run: dict | None
    seconds: float

    @property
    def num_segments(self) -> int:
        return sum(len(d.segments) for d in self.documents)


def prepare_documents(job: TranslationJob) -> tuple[list[TranslatedDocument], list[SeedProblem]]:
    """Ingest, identify the language and segment every seed; failures become problems."""
    ingested = ingest(job.seeds_dir)
    problems = list(ingested.problems)
    docs: list[TranslatedDocument] = []
    for doc in ingested.documents:
        override = job.source_langs.get(doc.doc_id) or job.source_langs.get(ALL_FILES)
        try:
            decision = decide_language(doc.text, doc.path, override)
        except LanguageUndecidedError as err:
            problems.append(SeedProblem(doc.path, f"{err}; pass --source-lang {doc.doc_id}=CODE "
                                                  f"or write the code into {doc.path.with_suffix('.lang').name}"))
            continue
        segments = segment_document(doc.doc_id, doc.text, decision.code, job.max_segment_chars)
        docs.append(TranslatedDocument(doc.doc_id, doc.path.name, doc.text, doc.sha256, decision.code,
                                       decision.method, decision.confidence, segments))
    return docs, problems


def _pieces_within_limit(text: str, tokens: int, limit: int) -> list[str]:
    if tokens <= limit:
        return [text]
    pieces = math.ceil(tokens / limit) + 1  # +1: token density varies along the text
    spans = split_long_span(text, 0, len(text), max(1, math.ceil(len(text) / pieces)))
    return [text[a:b] for a, b in spans]


def translate_direction(backend: TranslationBackend, texts: list[str], src: str, tgt: str,
                        job: TranslationJob, progress: tqdm) -> list[str]:
    """Unique `texts` from src to tgt; over-long inputs are split, translated, and joined back."""
    counts = backend.count_tokens(texts, src)
    pieces_per_text = [_pieces_within_limit(t, n, job.max_input_tokens) for t, n in zip(texts, counts)]
    if any(len(p) > 1 for p in pieces_per_text):
        log.warning("%d segment(s) exceed %d tokens and are translated in pieces",
                    sum(len(p) > 1 for p in pieces_per_text), job.max_input_tokens)
    flat = [piece for pieces in pieces_per_text for piece in pieces]
    translated = iter(backend.translate_segments(
        flat, src, tgt, job.decoding, on_progress=lambda n: progress.update(n)))
    joiner = "" if script_of(tgt) in NO_SPACE_SCRIPTS else " "
    return [joiner.join(next(translated) for _ in pieces) for pieces in pieces_per_text]


def translate_documents(docs: list[TranslatedDocument], backend: TranslationBackend, job: TranslationJob) -> None:
    """Fill `doc.translations`; identical segments across documents are translated once per direction."""
    directions: dict[tuple[str, str], list[str]] = defaultdict(list)
    for doc in docs:
        for target in job.targets:
            if target == doc.source_lang:
                continue
            directions[(doc.source_lang, target)].extend(s.text for s in doc.segments)
    unique = {key: list(dict.fromkeys(texts)) for key, texts in directions.items()}
    total = sum(len(texts) for texts in unique.values())
    memo: dict[tuple[str, str], dict[str, str]] = {}
    disable = None if job.show_progress is None else not job.show_progress
    with tqdm(total=total, desc="translating", unit="seg", disable=disable) as progress:
        for (src, tgt), texts in unique.items():
            progress.set_postfix_str(f"{src}->{tgt}")
            memo[(src, tgt)] = dict(zip(texts, translate_direction(backend, texts, src, tgt, job, progress)))
    for doc in docs:
        for target in job.targets:
            if target == doc.source_lang:
                doc.translations[target] = [s.text for s in doc.segments]
                doc.copied_targets.append(target)
            else:
                table = memo[(doc.source_lang, target)]
                doc.translations[target] = [table[s.text] for s in doc.segments]


def run_translation(job: TranslationJob, backend: TranslationBackend | None = None) -> RunReport:
    started, clock = utc_now(), time.perf_counter()
    docs, problems = prepare_documents(job)
    if not docs:
        return RunReport(None, [], problems, None, time.perf_counter() - clock)
    check_writable(job.out_dir)
    if backend is None:
        backend = load_backend(job.backend, resolve_model(job.model, job.revision), device=job.device,
                               compute_type=job.compute_type, batching=job.batching, **job.backend_options)
    translate_documents(docs, backend, job)
    run = make_run_record(backend.describe(), job.decoding, job.batching,
                          {"splitter": "sentencex", "max_chars": job.max_segment_chars,
                           "max_input_tokens": job.max_input_tokens},
                          list(job.targets), started, utc_now())
    save_atomically(build_dataset(docs, list(job.targets), run), job.out_dir)
    return RunReport(job.out_dir, docs, problems, run, time.perf_counter() - clock)
