"""Engines run the translation batches the pipeline plans; the pipeline does not know where they run.

The pipeline plans a run (cache look-ups, long inputs cut into pieces) and hands its engine a list of
`TranslationRequest`s, one per target. An engine translates them, calls each request's `on_batch` as every
batch finishes (the pipeline caches it at once), and returns the batches it could not translate. Two engines
implement the protocol:

- `LocalEngine` (`LocalSettings`): the backend in this process;
- `RayEngine` (`seedmt.translate.ray_engine.RaySettings`): the backend on Ray Data actors.

A job names its engine with a settings object whose `build(spec)` makes the engine, so that choosing Ray is a
value the user passes, not a branch in the pipeline. `BackendSpec` says which backend to load and how; it is
what every engine loads, in this process or in a worker. Engines load the backend lazily: a run whose
segments are all cached never loads a model."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from seedmt.translate.backends import BatchCallback, TranslationBackend, load_backend, planned_description
from seedmt.translate.model_source import ResolvedModel
from seedmt.translate.settings import BatchingSettings, DecodingSettings
from seedmt.core.threads import process_registry


@dataclass(frozen=True)
class BackendSpec:
    """A backend to load: its name (`transformers`, `ct2`), the model, device, compute type, batching and the
    backend's own options (threads, inter_threads, ct2_dir, trim_vocabulary, cache_dir)."""

    name: str
    model: ResolvedModel
    device: str = "auto"
    compute_type: str = "auto"
    batching: BatchingSettings = field(default_factory=BatchingSettings)
    options: dict = field(default_factory=dict)

    def load(self) -> TranslationBackend:
        return load_backend(self.name, self.model, device=self.device, compute_type=self.compute_type,
                            batching=self.batching, **self.options)

    def planned(self, device: str | None = None) -> dict:
        """What the loaded backend's describe() will say about the fields that decide its outputs."""
        return planned_description(self.name, self.model, device=device or self.device,
                                   compute_type=self.compute_type, **self.options)


@dataclass
class TranslationRequest:
    """Model inputs going into one target; `src_langs` has one FLORES-200 code per input."""

    texts: list[str]
    src_langs: list[str]
    tgt_lang: str
    on_batch: BatchCallback | None = None


@dataclass
class BatchFailure:
    """A batch that was not translated; `texts` are the model inputs it held."""

    texts: list[str]
    src_langs: list[str]
    tgt_lang: str
    error: str


class TranslationEngine(Protocol):
    def planned(self) -> dict:
        """The system that will translate (backend, model, weights, compute type...), without loading it."""
        ...

    def count_tokens(self, texts: Sequence[str], src_langs: Sequence[str]) -> list[int]:
        """Source length in model tokens, language tag and </s> included."""
        ...

    def translate(self, requests: Sequence[TranslationRequest], settings: DecodingSettings) -> list[BatchFailure]:
        """Translate every request; each finished batch goes to its request's `on_batch` as it finishes.
        Returns the batches that failed (their inputs stay untranslated); an engine that cannot go on past a
        failure raises instead."""
        ...

    def describe(self) -> dict:
        """The system that translated, for the runs table: the loaded backend's own description, or the
        planned one with `model_loaded: False` when nothing needed translating."""
        ...

    def record(self) -> dict:
        """The runs table's `engine` column."""
        ...

    def running(self) -> AbstractContextManager:
        """Held while the run translates: a local engine registers for its share of this machine's CPUs
        from before its model loads, so that runs started together share the cores from the first batch."""
        ...


class EngineSettings(Protocol):
    def check(self) -> None:
        """Raise SettingsError (or SeedMTError) for settings that cannot work, before any seed is read."""
        ...

    def build(self, spec: BackendSpec) -> TranslationEngine:
        ...


class LocalEngine:
    """The backend in this process, loaded on first need."""

    def __init__(self, load: Callable[[], TranslationBackend], planned: dict) -> None:
        self._load, self._planned = load, planned
        self.loaded: TranslationBackend | None = None

    @classmethod
    def around(cls, backend: TranslationBackend) -> LocalEngine:
        """An engine for a backend the caller has already loaded."""
        engine = cls(lambda: backend, backend.describe())
        engine.loaded = backend
        return engine

    @property
    def backend(self) -> TranslationBackend:
        if self.loaded is None:
            self.loaded = self._load()
        return self.loaded

    def planned(self) -> dict:
        return self._planned

    def count_tokens(self, texts: Sequence[str], src_langs: Sequence[str]) -> list[int]:
        return self.backend.count_tokens(texts, src_langs)

    def translate(self, requests: Sequence[TranslationRequest], settings: DecodingSettings) -> list[BatchFailure]:
        for request in requests:
            self.backend.translate_segments(request.texts, request.src_langs, request.tgt_lang, settings,
                                            on_batch=request.on_batch)
        return []  # a failing batch raises: nothing is left half-done in this process

    def describe(self) -> dict:
        return self.loaded.describe() if self.loaded is not None else {**self._planned, "model_loaded": False}

    def record(self) -> dict:
        return {"name": "local"}

    def running(self) -> AbstractContextManager:
        return process_registry().translating()


@dataclass(frozen=True)
class LocalSettings:
    """Translate in this process (`--engine local`, the default)."""

    def check(self) -> None:
        pass

    def build(self, spec: BackendSpec) -> LocalEngine:
        return LocalEngine(spec.load, spec.planned())
