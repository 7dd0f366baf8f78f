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
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from seedmt.translate.backends import TranslationBackend
from seedmt.dataset.cache import INPUTS as CACHED_INPUTS
from seedmt.dataset.cache import SEGMENTS as CACHED_SEGMENTS
from seedmt.dataset.cache import SegmentCache, default_cache_path, system_key
from seedmt.dataset.reviews import current_reviews
from seedmt.dataset.storage import TranslatedDocument, build_dataset, check_writable, output_lock, save_atomically
from seedmt.core.errors import OutputError, SeedProblem, SettingsError
from seedmt.text.ingest import ingest
from seedmt.core.languages import is_flores200, sentence_joiner
from seedmt.text.langid import DEFAULT_IDENTIFIER, check_identifier
from seedmt.text.prepare import PreparationError
from seedmt.text.prepare import prepare_documents as prepare_seeds
from seedmt.translate.model_source import DEFAULT_MODEL, ResolvedModel, resolve_model
from seedmt.core.clock import utc_now
from seedmt.translate.provenance import make_run_record
from seedmt.align.embed import StoredEmbedder, load_embedder
from seedmt.align.similarity import score_similarity
from seedmt.translate.quality import flag_documents
from seedmt.translate.engines import (BackendSpec, EngineSettings, LocalEngine, LocalSettings, TranslationEngine,
                                     TranslationRequest)
from seedmt.core.threads import check_thread_options
from seedmt.text.segment import DEFAULT_MAX_CHARS, split_long_span
from seedmt.translate.settings import BatchingSettings, DecodingSettings

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
    presegmented: bool = False  # every non-empty line is one segment, taken as it is
    lid: str = DEFAULT_IDENTIFIER  # heliport, py3langid or fasttext:PATH (see seedmt.text.langid)
    similarity: bool = True  # score each translation against its source with a multilingual encoder
    # Inputs longer than this (in model tokens) are translated in pieces; NLLB drops content beyond ~200.
    max_input_tokens: int = 200
    backend_options: dict = field(default_factory=dict)
    # Segments of every source language going into one target share batches; False: one language per batch.
    mix_languages: bool = True
    # Where batches run: LocalSettings() (this process) or seedmt.translate.ray_engine.RaySettings(...).
    engine: EngineSettings = field(default_factory=LocalSettings)
    show_progress: bool | None = None  # None: only on a terminal
    # Segment cache (SQLite): None = `seedmt-cache.sqlite` beside the output folder; use_cache=False: none.
    cache_path: Path | None = None
    use_cache: bool = True

    def resolved_cache_path(self) -> Path:
        return self.cache_path or default_cache_path(self.out_dir)

    def check(self) -> None:
        """SettingsError for options that cannot work, before any seed is read."""
        bad = [t for t in self.targets if not is_flores200(t)]
        if bad:
            raise SettingsError(f"not FLORES-200 codes: {', '.join(bad)} (e.g. eng_Latn, zho_Hans)")
        bad = [code for code in self.source_langs.values() if not is_flores200(code)]
        if bad:
            raise SettingsError(f"--source-lang: not FLORES-200 codes: {', '.join(bad)} (e.g. kor_Hang, uig_Arab)")
        check_identifier(self.lid)
        try:
            check_thread_options(self.backend, int(self.backend_options.get("threads", 0)),
                                 int(self.backend_options.get("inter_threads", 0)))
        except ValueError as err:
            raise SettingsError(str(err)) from None
        self.engine.check()

    def backend_spec(self, model: ResolvedModel) -> BackendSpec:
        return BackendSpec(self.backend, model, self.device, self.compute_type, self.batching,
                           dict(self.backend_options))


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
    """Ingest, identify the language and segment every seed (`seedmt.text.prepare`, the path `align` takes
    too); failures (and warnings) become problems, and the other seeds go on."""
    ingested = ingest(job.seeds_dir)
    problems = list(ingested.problems) + list(ingested.warnings)
    docs: list[TranslatedDocument] = []
    overrides = [job.source_langs.get(doc.doc_id) or job.source_langs.get(ALL_FILES) for doc in ingested.documents]
    for prepared in prepare_seeds(ingested.documents, overrides, lid=job.lid, role="source",
                                  presegmented=job.presegmented, max_chars=job.max_segment_chars):
        if isinstance(prepared, PreparationError):
            problems.append(SeedProblem(prepared.path, prepared.problem))
            continue
        doc, decision = prepared.document, prepared.language
        docs.append(TranslatedDocument(doc.doc_id, doc.path.name, doc.text, doc.sha256, decision.code,
                                       decision.method, decision.confidence, prepared.segments,
                                       lang_runner_up=decision.runner_up, lang_margin=decision.margin))
    return docs, problems


def _pieces_within_limit(text: str, tokens: int, limit: int) -> list[str]:
    if tokens <= limit:
        return [text]
    pieces = math.ceil(tokens / limit) + 1  # +1: token density varies along the text
    spans = split_long_span(text, 0, len(text), max(1, math.ceil(len(text) / pieces)))
    return [text[a:b] for a, b in spans]


class TranslationContext:
    """State shared by every direction of a run: the engine, the cache, the progress bar and the counts."""

    def __init__(self, job: TranslationJob, engine: TranslationEngine, progress: tqdm,
                 cache: SegmentCache | None, system: str) -> None:
        self.job, self.engine, self.progress, self.cache, self.system = job, engine, progress, cache, system
        self.translated = self.cached = 0
        self.failed: dict[tuple[str, str, str], str] = {}  # (source, target, model input) -> why it failed

    def lookup(self, src: str, tgt: str, texts: list[str], table: str = CACHED_INPUTS) -> dict[str, str]:
        return self.cache.lookup(self.system, src, tgt, texts, table) if self.cache is not None else {}

    def store(self, src: str, tgt: str, pairs: list[tuple[str, str]], table: str = CACHED_INPUTS) -> None:
        if self.cache is not None:
            self.cache.store(self.system, src, tgt, pairs, table)


# A model input or segment is keyed by its source language and text: one batch mixes several languages.
SourceText = tuple[str, str]


def _by_source(items: list[tuple[SourceText, str]]) -> dict[str, list[tuple[str, str]]]:
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (src, text), value in items:
        groups[src].append((text, value))
    return groups


def _lookup(ctx: TranslationContext, keys: list[SourceText], tgt: str, table: str) -> dict[SourceText, str]:
    texts_by_source: dict[str, list[str]] = defaultdict(list)
    for src, text in keys:
        texts_by_source[src].append(text)
    return {(src, text): out for src, texts in texts_by_source.items()
            for text, out in ctx.lookup(src, tgt, texts, table).items()}


def _store(ctx: TranslationContext, pairs: list[tuple[SourceText, str]], tgt: str, table: str) -> None:
    for src, group in _by_source(pairs).items():
        ctx.store(src, tgt, group, table)


@dataclass
class TargetPlan:
    """One target's share of a run: segments found in the cache, and the model inputs the others need."""

    target: str
    done: dict[SourceText, str]  # segment -> translation
    missing: list[SourceText]  # segments still to translate
    pieces: list[list[SourceText]]  # per missing segment, its model inputs (one, or pieces of a long one)
    outputs: dict[SourceText, str]  # model input -> output, cached or translated in this run
    to_translate: list[SourceText]  # model inputs not in the cache


def plan_target(ctx: TranslationContext, segments: list[SourceText], tgt: str) -> TargetPlan:
    """Cache look-ups and model inputs for unique (source language, text) segments into `tgt`; segments over
    `max_input_tokens` become several inputs, joined back in `finish_target`."""
    done = _lookup(ctx, segments, tgt, CACHED_SEGMENTS)
    ctx.cached += len(done)
    missing = [key for key in segments if key not in done]
    if not missing:
        return TargetPlan(tgt, done, [], [], {}, [])
    counts = ctx.engine.count_tokens([text for _, text in missing], [src for src, _ in missing])
    pieces = [[(src, piece) for piece in _pieces_within_limit(text, n, ctx.job.max_input_tokens)]
              for (src, text), n in zip(missing, counts)]
    if any(len(p) > 1 for p in pieces):
        log.warning("%d segment(s) exceed %d tokens and are translated in pieces",
                    sum(len(p) > 1 for p in pieces), ctx.job.max_input_tokens)
    inputs = list(dict.fromkeys(p for segment_pieces in pieces for p in segment_pieces))
    outputs = _lookup(ctx, inputs, tgt, CACHED_INPUTS)
    to_translate = [key for key in inputs if key not in outputs]
    ctx.cached += len(inputs) - len(to_translate)
    return TargetPlan(tgt, done, missing, pieces, outputs, to_translate)


def _on_batch(ctx: TranslationContext, plan: TargetPlan):
    """Each finished batch goes into the cache at once: a killed run loses at most the batches in flight."""
    def on_batch(positions: list[int], outputs: list[str]) -> None:
        pairs = [(plan.to_translate[i], out) for i, out in zip(positions, outputs)]
        _store(ctx, pairs, plan.target, CACHED_INPUTS)
        plan.outputs.update(pairs)
        ctx.translated += len(pairs)
        ctx.progress.update(len(pairs))
    return on_batch


def translate_plans(ctx: TranslationContext, plans: list[TargetPlan]) -> None:
    """Translate every plan's uncached model inputs in one call to the engine (Ray: one actor pool, one model
    load per worker, for the whole run). Inputs of failed batches stay untranslated, with their error."""
    work = [plan for plan in plans if plan.to_translate]
    if not work:
        return
    ctx.progress.total += sum(len(plan.to_translate) for plan in work)
    ctx.progress.refresh()
    requests = [TranslationRequest([text for _, text in plan.to_translate], [src for src, _ in plan.to_translate],
                                   plan.target, _on_batch(ctx, plan)) for plan in work]
    for failure in ctx.engine.translate(requests, ctx.job.decoding):
        for src, text in zip(failure.src_langs, failure.texts):
            ctx.failed[(src, failure.tgt_lang, text)] = failure.error


def finish_target(ctx: TranslationContext, plan: TargetPlan) -> dict[SourceText, str]:
    """Join each segment's translated pieces and cache the segment; segments with a failed input stay out."""
    joiner = sentence_joiner(plan.target)
    joined = [(key, joiner.join(plan.outputs[p] for p in pieces)) for key, pieces in zip(plan.missing, plan.pieces)
              if all(p in plan.outputs for p in pieces)]
    _store(ctx, joined, plan.target, CACHED_SEGMENTS)
    return {**plan.done, **dict(joined)}


def translate_documents(docs: list[TranslatedDocument], ctx: TranslationContext) -> None:
    """Fill `doc.translations`. Segments of every source language going into one target share batches
    (NLLB reads each row's own language tag); identical segments are translated once per direction."""
    job = ctx.job
    plans: list[TargetPlan] = []
    for target in job.targets:
        segments = list(dict.fromkeys((doc.source_lang, s.text) for doc in docs if doc.source_lang != target
                                      for s in doc.segments))
        if job.mix_languages:
            groups = [segments]
        else:
            groups = [[key for key in segments if key[0] == src] for src in dict.fromkeys(src for src, _ in segments)]
        plans += [plan_target(ctx, group, target) for group in groups if group]
    translate_plans(ctx, plans)
    memo: dict[str, dict[SourceText, str]] = defaultdict(dict)
    for plan in plans:
        memo[plan.target].update(finish_target(ctx, plan))
    for doc in docs:
        for target in job.targets:
            if target == doc.source_lang:
                doc.translations[target] = [s.text for s in doc.segments]
                doc.copied_targets.append(target)
            else:
                doc.translations[target] = [memo[target].get((doc.source_lang, s.text)) for s in doc.segments]


def untranslated_problems(docs: list[TranslatedDocument], ctx: TranslationContext) -> list[SeedProblem]:
    """A document with a segment whose translation failed is left out of the dataset and reported with the
    segment ids; the next run retries it (nothing failed is cached)."""
    problems = []
    for doc in docs:
        missing = {target: [s.segment_id for s, t in zip(doc.segments, translations) if t is None]
                   for target, translations in doc.translations.items()}
        missing = {target: ids for target, ids in missing.items() if ids}
        if not missing:
            continue
        errors = sorted({error for (src, tgt, _), error in ctx.failed.items()
                         if src == doc.source_lang and tgt in missing})
        where = "; ".join(f"{target}: {', '.join(ids)}" for target, ids in missing.items())
        problems.append(SeedProblem(Path(ctx.job.seeds_dir) / doc.file_name, f"not translated ({where}): {' | '.join(errors) or 'batch failed'}"))
    return problems


def segmentation_record(job: TranslationJob) -> dict:
    """How the seeds were cut into segments; part of `run_id`."""
    if job.presegmented:
        return {"splitter": "lines", "presegmented": True, "max_input_tokens": job.max_input_tokens}
    return {"splitter": "sentencex", "max_chars": job.max_segment_chars, "max_input_tokens": job.max_input_tokens}


def inputs_digest(docs: list[TranslatedDocument]) -> str:
    return hashlib.sha256("|".join(f"{d.doc_id}:{d.sha256}:{d.source_lang}" for d in docs).encode()).hexdigest()


def run_translation(job: TranslationJob, backend: TranslationBackend | None = None, *,
                    engine: TranslationEngine | None = None) -> RunReport:
    """Translate `job.seeds_dir` into `job.out_dir`. Instead of the engine and backend the job describes, a
    caller may pass a `backend` already loaded (it translates in this process) or an `engine` of its own.
    Raises SettingsError for options that cannot work."""
    job.check()
    started, clock = utc_now(), time.perf_counter()
    docs, problems = prepare_documents(job)
    if not docs:
        return RunReport(None, [], problems, None, time.perf_counter() - clock)
    check_writable(job.out_dir)
    with output_lock(job.out_dir):
        if engine is None:
            engine = (LocalEngine.around(backend) if backend is not None
                      else job.engine.build(job.backend_spec(resolve_model(job.model, job.revision))))
        cache = SegmentCache(job.resolved_cache_path()) if job.use_cache else None
        disable = None if job.show_progress is None else not job.show_progress
        system = system_key(engine.planned(), {**job.decoding.as_dict(), "max_input_tokens": job.max_input_tokens})
        try:
            with tqdm(total=0, desc="translating", unit="input", disable=disable) as progress, engine.running():
                ctx = TranslationContext(job, engine, progress, cache, system)
                translate_documents(docs, ctx)
            failed = untranslated_problems(docs, ctx)
            if failed:
                problems += failed
                failed_files = {problem.path.name for problem in failed}
                docs = [doc for doc in docs if doc.file_name not in failed_files]
                if not docs:
                    return RunReport(None, [], problems, None, time.perf_counter() - clock, ctx.translated,
                                     ctx.cached)
            flag_documents(docs, job.targets)
            if job.similarity:
                embedder = load_embedder()
                score_similarity(docs, job.targets, StoredEmbedder(embedder, cache) if cache else embedder)
        finally:
            if cache is not None:
                cache.close()
        run = make_run_record(engine.describe(), job.decoding, job.batching, segmentation_record(job),
                              list(job.targets), started, utc_now(), inputs_digest(docs), engine.record())
        # Reviews of this dataset's earlier runs, where the translation reviewed is still the one translated.
        reviews = current_reviews(job.out_dir, [(segment.segment_id, target, doc.translations[target][i])
                                                for doc in docs for target in job.targets
                                                for i, segment in enumerate(doc.segments)])
        try:
            save_atomically(build_dataset(docs, list(job.targets), run, reviews), job.out_dir)
        except OutputError as err:
            kept = (f"; the translations are kept in the segment cache {job.resolved_cache_path()}, so the same "
                    "command translates nothing again once the problem is fixed") if job.use_cache else ""
            raise OutputError(f"{err}; the previous dataset, if any, is untouched{kept}") from None
    return RunReport(job.out_dir, docs, problems, run, time.perf_counter() - clock, ctx.translated, ctx.cached,
                     cache.moved_aside if cache is not None else None)
