"""What the aligner knows of one document: the embedding of every sentence and of the runs of 2 or 3 consecutive
sentences it needs (the candidates for 1-2, 2-1, 2-2, 1-3 and 3-1 links, Vecalign's "overlaps"), centred, with
each one's background distance to the other document."""
from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence

import numpy as np

from seedmt.align.embed import Embedder, normalise
from seedmt.align.margin import mean_distance

MAX_RUN = 4  # longest run of consecutive sentences one side of a link may hold


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def number_marks(text: str) -> int:
    """A fingerprint of the numbers in a text: one of 64 bits set per distinct number. A number is kept as its
    significant digits, so that the ways languages write one quantity meet: separators and leading or trailing
    zeros dropped ("300,000" = "30万" = "3", "33.69" = "336.9", "09" = "9"), any script's digits."""
    marks = 0
    for match in _NUMBER.findall(text):
        digits = "".join(str(unicodedata.digit(c)) for c in match if c.isdigit())
        value = digits.strip("0") or "0"
        marks |= 1 << (zlib.crc32(value.encode()) % 64)
    return marks


class EmbeddedSide:
    """Embeddings of one document's sentences and, where asked for, runs of 2-3 consecutive sentences.

    Sentences are embedded at once; a run is embedded when `ensure` asks for it (the aligner asks only where its
    first pass, on single sentences, leaves doubt), and `available[k]` says which runs of k sentences are."""

    def __init__(self, sentences: Sequence[str], joiner: str, embedder: Embedder,
                 centering_prior: float | None, paragraph_starts: Sequence[bool] | None = None,
                 unknown_break_share: float = 0.0) -> None:
        self.n = len(sentences)
        self.embedder = embedder
        # paragraph breaks inside each run (a run of k sentences from i crosses those before i+1 .. i+k-1); where
        # paragraphs are unknown, each boundary inside a run counts as `unknown_break_share` of a break
        self.starts = None if paragraph_starts is None else np.asarray(paragraph_starts, dtype=bool)  # or unknown
        if paragraph_starts is None:
            starts = np.full(self.n, unknown_break_share, dtype=np.float64)
        else:
            starts = np.asarray(paragraph_starts, dtype=np.float64)
        if len(starts) != self.n:
            raise ValueError("paragraph_starts must have one flag per sentence")
        before = np.concatenate([[0.0], np.cumsum(starts)])
        self.crossings = {k: before[k:self.n + 1] - before[1:self.n + 2 - k] if self.n >= k else
                          np.zeros(0, dtype=np.float64) for k in range(1, MAX_RUN + 1)}
        self.texts = {k: [joiner.join(sentences[i:i + k]) for i in range(self.n - k + 1)]
                      for k in range(1, MAX_RUN + 1)}
        self.lengths = {k: np.array([len(t) for t in texts], dtype=np.float64) for k, texts in self.texts.items()}
        self.total_length = float(sum(len(t) for t in sentences))
        # the numbers each run carries, as a 64-bit fingerprint: figures, dates and list numbers are written
        # with digits in most languages, so a pair whose sides both hold numbers and share none is suspect
        marks = np.array([number_marks(t) for t in sentences], dtype=np.uint64)
        self.numbers = {k: np.bitwise_or.reduce(np.stack([marks[o:self.n - k + 1 + o] for o in range(k)]), axis=0)
                        if self.n >= k else np.zeros(0, dtype=np.uint64) for k in range(1, MAX_RUN + 1)}
        vectors = np.asarray(embedder.embed(self.texts[1]), dtype=np.float32) if self.n else \
            np.zeros((0, 1), dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
        self._encoded = vectors  # the encoder's own sentence vectors, before centring: runs are estimated from them
        self.shared = None
        if self.n and centering_prior is not None:  # what all sentences share says nothing about alignment
            self.shared = vectors.mean(axis=0) * (self.n / (self.n + centering_prior))
            vectors = normalise(vectors - self.shared)
        self.runs: dict[int, np.ndarray] = {1: vectors}
        self.available: dict[int, np.ndarray] = {1: np.ones(self.n, dtype=bool)}
        self.estimated: dict[int, np.ndarray] = {1: np.zeros(self.n, dtype=bool)}
        for k in range(2, MAX_RUN + 1):
            self.runs[k] = np.zeros((len(self.texts[k]), dim), dtype=np.float32)
            self.available[k] = np.zeros(len(self.texts[k]), dtype=bool)
            self.estimated[k] = np.zeros(len(self.texts[k]), dtype=bool)
        self.background: dict[int, np.ndarray] = {}
        self._sample: np.ndarray | None = None

    def ensure(self, wanted: dict[int, Sequence[int]]) -> int:
        """Embed the runs {k: start positions} not embedded yet (one encoder call); returns how many."""
        missing = {k: np.array(sorted({int(i) for i in positions if 0 <= i < len(self.texts[k])}), dtype=np.int64)
                   for k, positions in wanted.items() if k > 1}
        missing = {k: rows[~self.available[k][rows] | self.estimated[k][rows]] for k, rows in missing.items()}
        texts = [self.texts[k][i] for k, rows in missing.items() for i in rows]
        if not texts:
            return 0
        vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)
        if self.shared is not None:
            vectors = normalise(vectors - self.shared)
        start = 0
        for k, rows in missing.items():
            block = vectors[start:start + len(rows)]
            start += len(rows)
            self.runs[k][rows] = block
            self.available[k][rows] = True
            self.estimated[k][rows] = False
            if self._sample is not None:
                self.background[k][rows] = mean_distance(block, self._sample)
        return len(texts)

    def estimate(self, longest: int = MAX_RUN) -> int:
        """Give every run of up to `longest` sentences not embedded yet a vector estimated from their
        sentences, without the encoder: the length-weighted mean of the sentences' vectors. A mean-pooling
        encoder's vector of joined text is close to the token-weighted mean of its parts' vectors, so the
        estimate ranks candidate merges almost as the encoder would, at no cost; `ensure` later replaces the
        estimates the alignment's decisions rest on by the encoder's vectors. Returns how many were estimated."""
        wanted = {k: range(len(self.texts[k])) for k in range(2, longest + 1)}
        done = 0
        lengths = self.lengths[1][:, None].astype(np.float32) + 1.0
        for k, positions in wanted.items():
            if k < 2 or not len(self.texts[k]):
                continue
            rows = np.array(sorted({int(i) for i in positions if 0 <= i < len(self.texts[k])}), dtype=np.int64)
            rows = rows[~self.available[k][rows]] if len(rows) else rows
            if not len(rows):
                continue
            summed = sum(self._encoded[rows + o] * lengths[rows + o] for o in range(k))
            block = normalise(summed)
            if self.shared is not None:
                block = normalise(block - self.shared)
            self.runs[k][rows] = block
            self.available[k][rows] = True
            self.estimated[k][rows] = True
            if self._sample is not None:
                self.background[k][rows] = mean_distance(block, self._sample)
            done += len(rows)
        return done

    def ensure_all(self, longest: int = MAX_RUN) -> int:
        return self.ensure({k: range(len(self.texts[k])) for k in range(2, longest + 1)})

    def window(self, start: int, end: int) -> EmbeddedSide:
        """Sentences start..end-1 alone, with the vectors and backgrounds measured on the whole document (runs
        that would reach past either end are left out): the programme between two fixed links."""
        part = object.__new__(EmbeddedSide)
        part.n = end - start

        def cut(table: dict) -> dict:
            return {k: v[start:max(start, end - k + 1)] for k, v in table.items()}

        part.runs, part.background, part.lengths = cut(self.runs), cut(self.background), cut(self.lengths)
        part.available, part.crossings, part.numbers = cut(self.available), cut(self.crossings), cut(self.numbers)
        part.estimated = cut(self.estimated)
        part.total_length = float(part.lengths[1].sum()) if part.n else 0.0
        return part

    def set_background(self, other: EmbeddedSide, samples: int, rng: np.random.Generator) -> None:
        """Mean cosine distance of each run to the other document's sentences (a random sample if there are more)."""
        if other.n == 0:
            for k, vectors in self.runs.items():
                self.background[k] = np.ones(len(vectors), dtype=np.float32)
            return
        picks = rng.choice(other.n, size=min(samples, other.n), replace=False)
        self._sample = other.runs[1][picks]
        for k, vectors in self.runs.items():
            background = np.ones(len(vectors), dtype=np.float32)
            rows = np.flatnonzero(self.available[k])
            background[rows] = mean_distance(vectors[rows], self._sample)
            self.background[k] = background
