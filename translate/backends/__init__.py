"""Translation backends share one shape, after CTranslate2's Translator:
`translate_segments(segments, src_langs, tgt_lang, settings) -> list[str]`, results in input order.
`src_langs` is one FLORES-200 code or one per segment (segments of several languages share batches).

A backend is chosen by the name a user types (`--backend transformers` / `--backend ct2`)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from seedmt.core.errors import SettingsError
from seedmt.translate.model_source import ResolvedModel
from seedmt.translate.settings import BatchingSettings, DecodingSettings

BACKEND_NAMES = ("transformers", "ct2")
# Called after each batch with the batch's input positions and their translations (progress, caching).
BatchCallback = Callable[[list[int], list[str]], None]


class TranslationBackend(Protocol):
    name: str

    def translate_segments(
        self,
        segments: Sequence[str],
        src_langs: str | Sequence[str],
        tgt_lang: str,
        settings: DecodingSettings,
        on_batch: BatchCallback | None = None,
    ) -> list[str]:
        """Translate each segment independently; `on_batch(positions, outputs)` after every batch."""
        ...

    def count_tokens(self, segments: Sequence[str], src_langs: str | Sequence[str]) -> list[int]:
        """Source length in model tokens, language tag and </s> included."""
        ...

    def describe(self) -> dict:
        """Provenance: backend, device, compute type, model identity, thread layout."""
        ...


def load_backend(
    name: str,
    model: ResolvedModel,
    *,
    device: str = "auto",
    compute_type: str = "auto",
    batching: BatchingSettings | None = None,
    **options,
) -> TranslationBackend:
    return backend_class(name)(model, device=device, compute_type=compute_type,
                               batching=batching or BatchingSettings(), **options)


def backend_class(name: str) -> type:
    """The class behind a backend name; every one takes (model, *, device, compute_type, batching, threads,
    inter_threads, backend-specific options)."""
    if name == "transformers":
        from seedmt.translate.backends.hf import TransformersBackend

        return TransformersBackend
    if name == "ct2":
        from seedmt.translate.backends.ct2 import CTranslate2Backend

        return CTranslate2Backend
    raise SettingsError(f"unknown backend '{name}' (choose from {', '.join(BACKEND_NAMES)})")


def planned_description(name: str, model: ResolvedModel, *, device: str = "auto", compute_type: str = "auto",
                        **options) -> dict:
    """What `load_backend(...).describe()` will say about the fields that decide the outputs (backend, model,
    device, compute type, vocabulary trimming), worked out without loading the model."""
    if name == "transformers":
        from seedmt.translate.backends.hf import pick_device, pick_dtype

        resolved = pick_device(device)
        dtype = str(pick_dtype(compute_type, resolved)).replace("torch.", "")
        return {"backend": name, "device": resolved, "compute_type": dtype, **model.as_dict()}
    if name == "ct2":
        from seedmt.translate.backends.ct2 import default_compute_type, resolve_device, weights_identity

        resolved = resolve_device(device)
        trim = bool(options.get("trim_vocabulary"))
        return {"backend": name, "device": resolved,
                "compute_type": default_compute_type(resolved) if compute_type == "auto" else compute_type,
                "trim_vocabulary": trim, **weights_identity(model, options.get("ct2_dir"), trim)}
    raise SettingsError(f"unknown backend '{name}' (choose from {', '.join(BACKEND_NAMES)})")
