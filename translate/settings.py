"""Decoding and batching settings shared by every backend; stored verbatim in the run provenance."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class DecodingSettings:
    """Defaults follow NLLB's own evaluation recipe: beam 4, at most 200 generated tokens."""

    beam_size: int = 4
    max_new_tokens: int = 200
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    # CTranslate2 only: beam search keeps going until beam_size * patience hypotheses finished.
    patience: float = 1.0

    def as_dict(self) -> dict:
        return asdict(self)


# Most segments per batch when not set. On CPU each segment's beams hold logits over NLLB's 256k-token
# vocabulary at every step, so the batch size bounds the working set of beam search; several small batches
# in parallel also beat one large batch there (benchmarks/cpu_throughput.py). GPUs want large batches.
CPU_MAX_BATCH_SIZE = 8
GPU_MAX_BATCH_SIZE = 64


@dataclass(frozen=True)
class BatchingSettings:
    """Batches are filled up to a budget of padded source tokens (batch size x longest input)."""

    max_batch_tokens: int = 2048
    max_batch_size: int = 0  # 0: CPU_MAX_BATCH_SIZE on CPU, GPU_MAX_BATCH_SIZE on GPU

    def for_device(self, device: str) -> "BatchingSettings":
        if self.max_batch_size:
            return self
        default = CPU_MAX_BATCH_SIZE if device == "cpu" else GPU_MAX_BATCH_SIZE
        return replace(self, max_batch_size=default)

    def as_dict(self) -> dict:
        return asdict(self)
