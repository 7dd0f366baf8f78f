"""Decoding and batching settings shared by every backend; stored verbatim in the run provenance."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DecodingSettings:
    """Defaults follow NLLB's own evaluation recipe: beam 4, at most 200 generated tokens."""

    beam_size: int = 4
    max_new_tokens: int = 200
    # Forces a minimum output length; only the speed benchmark uses it (random weights never stop).
    min_new_tokens: int = 0
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    # CTranslate2 only: beam search keeps going until beam_size * patience hypotheses finished.
    patience: float = 1.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BatchingSettings:
    """Batches are filled up to a budget of padded source tokens (batch size x longest input)."""

    max_batch_tokens: int = 2048
    max_batch_size: int = 64

    def as_dict(self) -> dict:
        return asdict(self)
