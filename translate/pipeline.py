"""The translation job as a Python API: seeds folder -> translated, aligned dataset on disk.

    from seedmt.translate.pipeline import TranslationJob, run_translation
    report = run_translation(TranslationJob(seeds_dir=Path("seeds"), out_dir=Path("out")))

The CLI (`seedmt translate`) is a thin wrapper over this."""
from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from seedmt.translate.backends import TranslationBackend, load_backend, planned_description
from seedmt.translate.cache import INPUTS as CACHED_INPUTS
from seedmt.translate.cache import SEGMENTS as CACHED_SEGMENTS
from seedmt.translate.cache import SegmentCache, system_key
from seedmt.translate.dataset import TranslatedDocument, build_dataset, check_writable, output_lock, save_atomically
from seedmt.translate.errors import OutputError, SeedProblem
from seedmt.translate.ingest import ingest
from seedmt.translate.languages import NO_SPACE_SCRIPTS, script_of
from seedmt.translate.langid import DEFAULT_IDENTIFIER, LanguageUndecidedError, decide_language
from seedmt.translate.model_source import DEFAULT_MODEL, resolve_model
from seedmt.translate.provenance import make_run_record, utc_now
from seedmt.translate.embed import StoredEmbedder, load_embedder
from seedmt.translate.quality import flag_documents, score_similarity
from seedmt.translate.segment import DEFAULT_MAX_CHARS, segment_document, split_long_span
from seedmt.translate.settings import BatchingSettings, DecodingSettings

log = logging.getLogger(__name__)
DEFAULT_TARGETS = ("eng_Latn", "zho_Hans")
ALL_FILES = "*"
DEFAULT_CACHE_NAME = "seedmt-cache.sqlite"


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
    lid: str = DEFAULT_IDENTIFIER  # heliport, py3langid or fasttext:PATH (see seedmt.translate.langid)
    similarity: bool = True  # score each translation against its source with a multilingual encoder
    # Inputs longer than this (in model tokens) are translated in pieces; NLLB drops content beyond ~200.
    max_input_tokens: int = 200
    backend_options: dict = field(default_factory=dict)
    show_progress: bool | None = None  # None: only on a terminal
    # Segment cache (SQLite): None = `seedmt-cache.sqlite` beside the output folder; use_cache=False: none.
    cache_path: Path | None = None
    use_cache: bool = True

    def resolved_cache_path(self) -> Path:
        return self.cache_path or Path(self.out_dir).parent / DEFAULT_CACHE_NAME


@dataclass
class RunReport:
    out_dir: Path | None
    documents: list[TranslatedDocument]
    problems: list[SeedProblem]
    run: dict | None
    seconds: float
    translated_inputs: int = 0  # model inputs translated in this run
    cached_inputs: int = 0  # model inputs taken from the segment cache
    cache_moved_aside: Path | None = None  # an unreadable cache file, moved away and rebuilt

    @property
    def rejected(self) -> list[SeedProblem]:
        return [p for p in self.problems if p.rejected]

    @property
    def num_segments(self) -> int:
        return sum(len(d.segments) for d in self.documents)


def prepare_documents(job: TranslationJob) -> tuple[list[TranslatedDocument], list[SeedProblem]]:
    """Ingest, identify the language and segment every seed; failures (and warnings) become problems."""
    ingested = ingest(job.seeds_dir)
    problems = list(ingested.problems) + list(ingested.warnings)
    docs: list[TranslatedDocument] = []
    for doc in ingested.documents:
        override = job.source_langs.get(doc.doc_id) or job.source_langs.get(ALL_FILES)
        try:
            decision = decide_language(doc.text, doc.path, override, job.lid)
        except LanguageUndecidedError as err:
            problems.append(SeedProblem(doc.path, f"{err}; pass --source-lang {doc.doc_id}=CODE "
                                                  f"or write the code into {doc.path.with_suffix('.lang').name}"))
            continue
        segments = segment_document(doc.doc_id, doc.text, decision.code, job.max_segment_chars)
        docs.append(TranslatedDocument(doc.doc_id, doc.path.name, doc.text, doc.sha256, decision.code,
                                       decision.method, decision.confidence, segments,
                                       lang_runner_up=decision.runner_up, lang_margin=decision.margin))
    return docs, problems


def _pieces_within_limit(text: str, tokens: int, limit: int) -> list[str]:
    if tokens <= limit:
        return [text]
    pieces = math.ceil(tokens / limit) + 1  # +1: token density varies along the text
    spans = split_long_span(text, 0, len(text), max(1, math.ceil(len(text) / pieces)))
    return [text[a:b] for a, b in spans]


class TranslationContext:
    """State shared by every direction of a run: the backend (loaded on first need, so a run whose segments
    are all cached never loads the model), the cache, the progress bar and the counts."""

    def __init__(self, job: TranslationJob, load: Callable[[], TranslationBackend], progress: tqdm,
                 cache: SegmentCache | None, system: str) -> None:
        self.job, self.progress, self.cache, self.system = job, progress, cache, system
        self._load = load
        self.loaded: TranslationBackend | None = None
        self.translated = self.cached = 0

    @property
    def backend(self) -> TranslationBackend:
        if self.loaded is None:
            self.loaded = self._load()
        return self.loaded

    def lookup(self, src: str, tgt: str, texts: list[str], table: str = CACHED_INPUTS) -> dict[str, str]:
        return self.cache.lookup(self.system, src, tgt, texts, table) if self.cache is not None else {}

    def store(self, src: str, tgt: str, pairs: list[tuple[str, str]], table: str = CACHED_INPUTS) -> None:
        if self.cache is not None:
            self.cache.store(self.system, src, tgt, pairs, table)


def translate_inputs(ctx: TranslationContext, inputs: list[str], src: str, tgt: str) -> dict[str, str]:
    """Model input -> output for unique `inputs`: from the cache where present, else translated, with each
    finished batch written to the cache at once."""
    done = ctx.lookup(src, tgt, inputs)
    missing = [text for text in inputs if text not in done]
    ctx.cached += len(inputs) - len(missing)
    ctx.progress.total += len(missing)
    ctx.progress.refresh()

    def on_batch(positions: list[int], outputs: list[str]) -> None:
        pairs = [(missing[i], out) for i, out in zip(positions, outputs)]
        ctx.store(src, tgt, pairs)
        done.update(pairs)
        ctx.translated += len(pairs)
        ctx.progress.update(len(pairs))

    if missing:
        ctx.backend.translate_segments(missing, src, tgt, ctx.job.decoding, on_batch=on_batch)
    return done


def translate_direction(ctx: TranslationContext, texts: list[str], src: str, tgt: str) -> list[str]:
    """Unique `texts` from src to tgt; over-long inputs are split, translated, and joined back."""
    done = ctx.lookup(src, tgt, texts, CACHED_SEGMENTS)
    ctx.cached += len(done)
    missing = [text for text in texts if text not in done]
    if missing:
        counts = ctx.backend.count_tokens(missing, src)
        pieces_per_text = [_pieces_within_limit(t, n, ctx.job.max_input_tokens) for t, n in zip(missing, counts)]
        if any(len(p) > 1 for p in pieces_per_text):
            log.warning("%d segment(s) exceed %d tokens and are translated in pieces",
                        sum(len(p) > 1 for p in pieces_per_text), ctx.job.max_input_tokens)
        outputs = translate_inputs(ctx, list(dict.fromkeys(p for pieces in pieces_per_text for p in pieces)),
                                   src, tgt)
        joiner = "" if script_of(tgt) in NO_SPACE_SCRIPTS else " "
        joined = [(text, joiner.join(outputs[p] for p in pieces)) for text, pieces in zip(missing, pieces_per_text)]
        ctx.store(src, tgt, joined, CACHED_SEGMENTS)
        done.update(joined)
    return [done[text] for text in texts]


def translate_documents(docs: list[TranslatedDocument], ctx: TranslationContext) -> None:
    """Fill `doc.translations`; identical segments across documents are translated once per direction."""
    job = ctx.job
    directions: dict[tuple[str, str], list[str]] = defaultdict(list)
    for doc in docs:
        for target in job.targets:
            if target == doc.source_lang:
                continue
            directions[(doc.source_lang, target)].extend(s.text for s in doc.segments)
    unique = {key: list(dict.fromkeys(texts)) for key, texts in directions.items()}
    memo: dict[tuple[str, str], dict[str, str]] = {}
    for (src, tgt), texts in unique.items():
        ctx.progress.set_postfix_str(f"{src}->{tgt}")
        memo[(src, tgt)] = dict(zip(texts, translate_direction(ctx, texts, src, tgt)))
    for doc in docs:
        for target in job.targets:
            if target == doc.source_lang:
                doc.translations[target] = [s.text for s in doc.segments]
                doc.copied_targets.append(target)
            else:
                table = memo[(doc.source_lang, target)]
                doc.translations[target] = [table[s.text] for s in doc.segments]


def inputs_digest(docs: list[TranslatedDocument]) -> str:
    return hashlib.sha256("|".join(f"{d.doc_id}:{d.sha256}:{d.source_lang}" for d in docs).encode()).hexdigest()


def run_translation(job: TranslationJob, backend: TranslationBackend | None = None) -> RunReport:
    started, clock = utc_now(), time.perf_counter()
    docs, problems = prepare_documents(job)
    if not docs:
        return RunReport(None, [], problems, None, time.perf_counter() - clock)
    check_writable(job.out_dir)
    with output_lock(job.out_dir):
        model = backend.model_source if backend is not None else resolve_model(job.model, job.revision)
        planned = backend.describe() if backend is not None else planned_description(
            job.backend, model, device=job.device, compute_type=job.compute_type, **job.backend_options)

        def load() -> TranslationBackend:
            return backend or load_backend(job.backend, model, device=job.device, compute_type=job.compute_type,
                                           batching=job.batching, **job.backend_options)

        cache = SegmentCache(job.resolved_cache_path()) if job.use_cache else None
        disable = None if job.show_progress is None else not job.show_progress
        system = system_key(planned, {**job.decoding.as_dict(), "max_input_tokens": job.max_input_tokens})
        try:
            with tqdm(total=0, desc="translating", unit="input", disable=disable) as progress:
                ctx = TranslationContext(job, load, progress, cache, system)
                translate_documents(docs, ctx)
            flag_documents(docs, job.targets)
            if job.similarity:
                embedder = load_embedder()
                score_similarity(docs, job.targets, StoredEmbedder(embedder, cache) if cache else embedder)
        finally:
            if cache is not None:
                cache.close()
        # A run served wholly from the cache records the system it planned (nothing was loaded).
        info = ctx.loaded.describe() if ctx.loaded is not None else {**planned, "model_loaded": False}
        segmentation = {"splitter": "sentencex", "max_chars": job.max_segment_chars,
                        "max_input_tokens": job.max_input_tokens}
        run = make_run_record(info, job.decoding, job.batching, segmentation, list(job.targets), started, utc_now(),
                              inputs_digest(docs))
        try:
            save_atomically(build_dataset(docs, list(job.targets), run), job.out_dir)
        except OutputError as err:
            kept = (f"; the translations are kept in the segment cache {job.resolved_cache_path()}, so the same "
                    "command translates nothing again once the problem is fixed") if job.use_cache else ""
            raise OutputError(f"{err}; the previous dataset, if any, is untouched{kept}") from None
    return RunReport(job.out_dir, docs, problems, run, time.perf_counter() - clock, ctx.translated, ctx.cached,
                     cache.moved_aside if cache is not None else None)
