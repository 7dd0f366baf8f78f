"""CTranslate2 backend: the same decoding as the transformers backend (target prefix = target language
code, beam size, max length), on a converted checkpoint (int8 on CPU, int8_float16 on CUDA).

Conversion runs once per (weights fingerprint, quantization) and is cached on disk; the cache entry is
written to a temporary folder and renamed into place, so an interrupted conversion is never reused.

Optional vocabulary trimming restricts decoding to tokens written in the target's script (plus ASCII,
digits, punctuation and special tokens) through a CTranslate2 vocabulary map. NLLB's output layer spans
256k tokens, so this cuts the largest single cost per decoding step. Risk: a translation can no longer
contain a token from another script (a Greek letter or a Cyrillic name in English output)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from seedmt.translate.backends import BatchCallback
from seedmt.translate.backends.nllb_tokenizer import (count_source_tokens, language_token_id, load_tokenizer,
                                               source_token_ids)
from seedmt.translate.batching import run_in_flight
from seedmt.core.files import make_staging_folder, recover_folder, replace_folder
from seedmt.core.errors import ModelFormatError
from seedmt.core.languages import FLORES200_SET, script_of
from seedmt.translate.model_source import ResolvedModel, weights_fingerprint
from seedmt.translate.settings import BatchingSettings, DecodingSettings
from seedmt.core.threads import plan_layout, process_registry

CT2_MODEL_FILES = ("model.bin", "config.json", "shared_vocabulary.json")
VMAP_FILE = "vmap.txt"
# Scripts a target language's output may use besides its own: Chinese text carries Latin names and units.
_EXTRA_SCRIPTS = {"Hans": {"Latn"}, "Hant": {"Latn"}, "Jpan": {"Latn", "Hans", "Hant"}, "Hang": {"Latn", "Hans"}}
_UNICODE_PREFIX_OF_SCRIPT = {"Latn": ("LATIN",), "Hans": ("CJK",), "Hant": ("CJK",), "Cyrl": ("CYRILLIC",),
                             "Arab": ("ARABIC",), "Hang": ("HANGUL",), "Jpan": ("HIRAGANA", "KATAKANA", "CJK")}


def default_cache_dir() -> Path:
    root = os.environ.get("SEEDMT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "seedmt")
    return Path(root) / "ct2"


def resolve_device(device: str) -> str:
    import ctranslate2

    if device != "auto":
        return device
    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def default_compute_type(device: str) -> str:
    return "int8_float16" if device.startswith("cuda") else "int8"


def convert_checkpoint(model: ResolvedModel, out_dir: Path, quantization: str, *, force: bool = False) -> Path:
    """Convert an NLLB/M2M100 transformers checkpoint to CTranslate2, reused when present. The conversion is
    written into a staging folder and swapped in only once complete: a conversion stopped at any point (kill -9
    included) leaves the model `out_dir` held before, which keeps translating."""
    import ctranslate2

    out_dir = Path(out_dir)
    recover_folder(out_dir)
    if not force and all((out_dir / f).is_file() for f in CT2_MODEL_FILES):
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = make_staging_folder(out_dir)
    try:
        converter = ctranslate2.converters.TransformersConverter(
            str(model.path), low_cpu_mem_usage=True, trust_remote_code=False)
        converter.convert(str(staging), quantization=quantization, force=True)
        (staging / "seedmt_source.json").write_text(json.dumps({**model.as_dict(), "quantization": quantization},
                                                               indent=2), encoding="utf-8")
        replace_folder(staging, out_dir)
    except Exception as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelFormatError(f"CTranslate2 conversion of {model.path} failed: {err}") from None
    return out_dir


def cached_conversion(model: ResolvedModel, quantization: str, cache_dir: Path | None = None) -> Path:
    return convert_checkpoint(model, (cache_dir or default_cache_dir()) / f"{model.fingerprint}-{quantization}",
                              quantization)


def weights_identity(model: ResolvedModel, ct2_dir: Path | None, trim_vocabulary: bool) -> dict:
    """The model fields of describe(): what the outputs depend on. A conversion seedmt made of `model` is named
    by the model's own identity. A folder the user passes (`--ct2-dir`) may hold any model's conversion, so
    its own files identify it: the weights, its vocabulary and, when trimming uses it, its own vmap.txt; it is
    named by the model it says it was converted from (seedmt_source.json), else by its path. The tokenizer
    still comes from `model`."""
    if ct2_dir is None:
        return model.as_dict()
    ct2_dir = Path(ct2_dir)
    digest = hashlib.sha256(weights_fingerprint(ct2_dir).encode())
    files = ("config.json", "shared_vocabulary.json") + ((VMAP_FILE,) if trim_vocabulary else ())
    for name in files:
        path = ct2_dir / name
        digest.update(f"{name}:".encode() + (path.read_bytes() if path.is_file() else b"-"))
    try:
        source = json.loads((ct2_dir / "seedmt_source.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        source = {}
    return {"model": source.get("model") or str(ct2_dir), "model_path": str(ct2_dir),
            "revision": source.get("revision"), "weights_fingerprint": digest.hexdigest()[:16],
            "tokenizer": model.name}


def _token_scripts(token: str) -> set[str]:
    scripts = set()
    for char in token:
        if char.isalpha():
            scripts.add(unicodedata.name(char, "?").split(" ", 1)[0])
    return scripts


def target_vocabulary(vocabulary: Sequence[str], target: str) -> list[str]:
    """Tokens a `target` translation may contain: its script(s), ASCII, digits, punctuation, specials."""
    allowed_scripts = {script_of(target)} | _EXTRA_SCRIPTS.get(script_of(target), set())
    allowed_prefixes = {p for s in allowed_scripts for p in _UNICODE_PREFIX_OF_SCRIPT.get(s, (s.upper(),))}
    keep = []
    for token in vocabulary:
        if token in FLORES200_SET:
            if token == target:
                keep.append(token)
            continue
        if token.startswith("<") and token.endswith(">"):
            keep.append(token)
            continue
        scripts = _token_scripts(token.replace("▁", ""))
        if not scripts or scripts <= allowed_prefixes:
            keep.append(token)
    return keep


def trimmed_model_view(ct2_dir: Path, target: str) -> Path:
    """A folder sharing the converted weights with a vmap.txt restricted to `target`'s script."""
    vocabulary = json.loads((ct2_dir / "shared_vocabulary.json").read_text(encoding="utf-8"))
    return vocabulary_map_view(ct2_dir, f"vmap-{target}", lambda: target_vocabulary(vocabulary, target))


def vocabulary_map_view(ct2_dir: Path, name: str, keep_tokens: Callable[[], list[str]]) -> Path:
    """`ct2_dir/name`: the converted model's files (hard links, no copy) plus a vmap.txt that lets
    decoding choose only from `keep_tokens()`. Built once; reused while its vmap.txt exists."""
    view = ct2_dir / name
    if (view / VMAP_FILE).is_file():
        return view
    staging = make_staging_folder(view)
    for file_name in CT2_MODEL_FILES:
        try:
            os.link(ct2_dir / file_name, staging / file_name)
        except OSError:
            shutil.copy2(ct2_dir / file_name, staging / file_name)
    # An empty source n-gram lists candidates that are always allowed: a fixed target vocabulary.
    (staging / VMAP_FILE).write_text("\t" + " ".join(keep_tokens()) + "\n", encoding="utf-8")
    if view.exists():
        shutil.rmtree(view)
    os.replace(staging, view)
    return view


class CTranslate2Backend:
    name = "ct2"

    def __init__(self, model: ResolvedModel, *, device: str = "auto", compute_type: str = "auto",
                 batching: BatchingSettings | None = None, ct2_dir: Path | None = None,
                 cache_dir: Path | None = None, trim_vocabulary: bool = False, threads: int = 0,
                 inter_threads: int = 0) -> None:
        self.model_source = model
        self.device = resolve_device(device)
        self.compute_type = default_compute_type(self.device) if compute_type == "auto" else compute_type
        self.batching = (batching or BatchingSettings()).for_device(self.device)
        self.trim_vocabulary = trim_vocabulary
        self.layout = plan_layout(self.name, threads, inter_threads, self.device)
        self.tokenizer = load_tokenizer(model.path)
        self.user_ct2_dir = Path(ct2_dir) if ct2_dir else None
        if self.user_ct2_dir is not None:
            recover_folder(self.user_ct2_dir)
        if self.user_ct2_dir is not None and not all((self.user_ct2_dir / f).is_file() for f in CT2_MODEL_FILES):
            raise ModelFormatError(f"{self.user_ct2_dir} is not a CTranslate2 model (it needs "
                                   f"{', '.join(CT2_MODEL_FILES)}); `seedmt convert` makes one")
        self.ct2_dir = self.user_ct2_dir or cached_conversion(model, self.compute_type, cache_dir)
        self._translators: dict[str, object] = {}

    def _translator(self, target: str):
        """One live translator per model folder (a trimmed view per target is loaded in turn, to bound memory)."""
        import ctranslate2

        path = self._model_folder(target)
        key = str(path)
        if key not in self._translators:
            self._translators.clear()
            device, _, index = self.device.partition(":")
            self._translators[key] = ctranslate2.Translator(
                str(path), device=device, device_index=int(index or 0), compute_type=self.compute_type,
                inter_threads=self.layout.inter_threads, intra_threads=self.layout.intra_threads)
        return self._translators[key]

    def _model_folder(self, target: str) -> Path:
        """With trimming: a vmap.txt already in the model folder is the user's own map, used for
        every target; otherwise one is derived from the target's script."""
        if not self.trim_vocabulary:
            return self.ct2_dir
        if (self.ct2_dir / VMAP_FILE).is_file():
            return self.ct2_dir
        return trimmed_model_view(self.ct2_dir, target)

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "compute_type": self.compute_type,
                "ct2_model": str(self.ct2_dir), "trim_vocabulary": self.trim_vocabulary, "threads": self.layout.as_dict(),
                "batching": self.batching.as_dict(),
                **weights_identity(self.model_source, self.user_ct2_dir, self.trim_vocabulary)}

    def count_tokens(self, segments: Sequence[str], src_langs: str | Sequence[str]) -> list[int]:
        return count_source_tokens(self.tokenizer, segments, src_langs)

    def translate_segments(self, segments: Sequence[str], src_langs: str | Sequence[str], tgt_lang: str,
                           settings: DecodingSettings, on_batch: BatchCallback | None = None) -> list[str]:
        if not segments:
            return []
        language_token_id(self.tokenizer, tgt_lang)
        token_ids = source_token_ids(self.tokenizer, segments, src_langs)
        source_tokens = [self.tokenizer.convert_ids_to_tokens(ids) for ids in token_ids]
        translator = self._translator(tgt_lang)

        def submit_batch(batch: list[int]):
            batch_tokens = [source_tokens[i] for i in batch]
            pending = translator.translate_batch(batch_tokens, target_prefix=[[tgt_lang]] * len(batch),
                                                 asynchronous=True, **self.decoding_options(settings, batch_tokens))
            return lambda: [self._decode(result.result().hypotheses[0], tgt_lang) for result in pending]

        with process_registry().translating():
            return run_in_flight([len(t) for t in source_tokens], self.batching.max_batch_tokens,
                                 self.batching.max_batch_size, submit_batch, self.layout.inter_threads, on_batch)

    def decoding_options(self, settings: DecodingSettings, batch_tokens: list[list[str]]) -> dict:
        """`translate_batch()` keyword arguments for one batch (a subclass may adapt them to the batch)."""
        return {"beam_size": settings.beam_size, "patience": settings.patience,
                "length_penalty": settings.length_penalty, "no_repeat_ngram_size": settings.no_repeat_ngram_size,
                # The target-language prefix counts as the first generated token, as in transformers.
                "max_decoding_length": settings.max_new_tokens, "min_decoding_length": 1,
                "use_vmap": self.trim_vocabulary}

    def _decode(self, tokens: list[str], tgt_lang: str) -> str:
        if tokens and tokens[0] == tgt_lang:
            tokens = tokens[1:]
        return self.tokenizer.decode(self.tokenizer.convert_tokens_to_ids(tokens), skip_special_tokens=True)
