"""The aligner's first pass: embed every sentence of a document and every run of 2 or 3 consecutive sentences
(the candidates for 1-2, 2-1, 2-2, 1-3 and 3-1 links, Vecalign's "overlaps"), centre them, and measure each
one's background distance to the other document."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seedmt.align.embed import Embedder, normalise
from seedmt.align.margin import mean_distance

MAX_RUN = 3  # longest run of consecutive sentences one side of a link may hold


class EmbeddedSide:
    """Embeddings of one document's sentences and runs of 2-3 consecutive sentences."""

    def __init__(self, sentences: Sequence[str], joiner: str, embedder: Embedder,
                 centering_prior: float | None, paragraph_starts: Sequence[bool] | None = None) -> None:
        self.n = len(sentences)
        # paragraph breaks inside each run (a run of k sentences from i crosses those before i+1 .. i+k-1)
        starts = np.zeros(self.n, dtype=np.int64) if paragraph_starts is None else \
            np.asarray(paragraph_starts, dtype=np.int64)
        if len(starts) != self.n:
            raise ValueError("paragraph_starts must have one flag per sentence")
        before = np.concatenate([[0], np.cumsum(starts)])
        self.crossings = {k: before[k:self.n + 1] - before[1:self.n + 2 - k] if self.n >= k else
                          np.zeros(0, dtype=np.int64) for k in range(1, MAX_RUN + 1)}
        runs = {k: [joiner.join(sentences[i:i + k]) for i in range(self.n - k + 1)] for k in range(1, MAX_RUN + 1)}
        self.lengths = {k: np.array([len(t) for t in texts], dtype=np.float64) for k, texts in runs.items()}
        self.total_length = float(sum(len(t) for t in sentences))
        everything = [t for k in runs for t in runs[k]]
        vectors = embedder.embed(everything) if everything else np.zeros((0, 1), dtype=np.float32)
        self.runs: dict[int, np.ndarray] = {}
        start = 0
        for k in range(1, MAX_RUN + 1):
            self.runs[k] = np.asarray(vectors[start:start + len(runs[k])], dtype=np.float32)
            start += len(runs[k])
        if self.n and centering_prior is not None:  # what all sentences share says nothing about alignment
            shared = self.runs[1].mean(axis=0) * (self.n / (self.n + centering_prior))
            self.runs = {k: normalise(run_vectors - shared) if len(run_vectors) else run_vectors
                         for k, run_vectors in self.runs.items()}
        self.background: dict[int, np.ndarray] = {}

    def window(self, start: int, end: int) -> EmbeddedSide:
        """Sentences start..end-1 alone, with the vectors and backgrounds measured on the whole document (runs
        that would reach past either end are left out): the programme between two fixed links."""
        part = object.__new__(EmbeddedSide)
        part.n = end - start
        part.runs = {k: v[start:max(start, end - k + 1)] for k, v in self.runs.items()}
        part.background = {k: v[start:max(start, end - k + 1)] for k, v in self.background.items()}
        part.lengths = {k: v[start:max(start, end - k + 1)] for k, v in self.lengths.items()}
        part.total_length = float(part.lengths[1].sum()) if part.n else 0.0
        part.crossings = {k: v[start:max(start, end - k + 1)] for k, v in self.crossings.items()}
        return part

    def set_background(self, other: EmbeddedSide, samples: int, rng: np.random.Generator) -> None:
        """Mean cosine distance of each run to the other document's sentences (a random sample if there are more)."""
        if other.n == 0:
            for k, vectors in self.runs.items():
                self.background[k] = np.ones(len(vectors), dtype=np.float32)
            return
        picks = rng.choice(other.n, size=min(samples, other.n), replace=False)
        sample = other.runs[1][picks]
        for k, vectors in self.runs.items():
            self.background[k] = mean_distance(vectors, sample)
