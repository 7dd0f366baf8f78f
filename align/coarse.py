"""The aligner's coarse pass for long documents: align averaged blocks of sentences with 1-1 moves only,
then keep a band of cells around that path for the full programme, so cost grows linearly with length."""
from __future__ import annotations

import numpy as np

from seedmt.align.costs import sentence_distances
from seedmt.align.dp import Band
from seedmt.align.links import AlignSettings
from seedmt.align.overlaps import EmbeddedSide


def block_means(vectors: np.ndarray, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Averages of `blocks` near-equal runs of consecutive rows, and each block's first row."""
    edges = np.linspace(0, len(vectors), blocks + 1).round().astype(np.int64)
    means = np.stack([vectors[a:b].mean(axis=0) for a, b in zip(edges[:-1], edges[1:])])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12), edges


class BlockSide(EmbeddedSide):
    """A coarse side: block averages stand in for sentences (runs of one block only)."""

    def __init__(self, means: np.ndarray) -> None:  # noqa: D107 - no embedding here
        self.n = len(means)
        self.runs = {1: means.astype(np.float32)}
        self.available = {1: np.ones(len(means), dtype=bool)}
        self.background = {}
        self._sample = None


def coarse_band(src: EmbeddedSide, tgt: EmbeddedSide, settings: AlignSettings, rng: np.random.Generator) -> Band:
    blocks = min(settings.coarse_blocks, src.n, tgt.n)
    src_means, src_edges = block_means(src.runs[1], blocks)
    tgt_means, tgt_edges = block_means(tgt.runs[1], blocks)
    coarse_src, coarse_tgt = BlockSide(src_means), BlockSide(tgt_means)
    coarse_src.set_background(coarse_tgt, settings.background_samples, rng)
    coarse_tgt.set_background(coarse_src, settings.background_samples, rng)
    # The coarse pass compares block means by margin distance whatever the full programme's scoring: it takes the
    # skip cost of that scale (similarity mode's skip_cost is on another scale and would skip every block).
    margin = AlignSettings()
    coarse_settings = AlignSettings(skip_cost=margin.skip_cost, shape_penalty=margin.shape_penalty) \
        if settings.scoring != "margin" else AlignSettings(skip_cost=settings.skip_cost,
                                                           shape_penalty=settings.shape_penalty)
    path = search_one_to_one(coarse_src, coarse_tgt, coarse_settings)
    n, m = src.n, tgt.n
    lo = np.full(n + 1, m, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for p, q in path:  # coarse cells (block p of the source, block q of the target) on the path
        rows = slice(src_edges[max(p - 1, 0)], src_edges[min(p + 1, blocks)] + 1)
        lo[rows] = np.minimum(lo[rows], tgt_edges[max(q - 1, 0)])
        hi[rows] = np.maximum(hi[rows], tgt_edges[min(q + 1, blocks)])
    lo = np.maximum(lo - settings.band, 0)
    hi = np.minimum(hi + settings.band, m)
    lo[0], hi[n] = 0, m
    # monotonic: a later row never starts before, or ends before, an earlier one
    lo = np.minimum.accumulate(lo[::-1])[::-1]
    hi = np.maximum.accumulate(hi)
    return Band(lo, hi)


def search_one_to_one(src: EmbeddedSide, tgt: EmbeddedSide, settings: AlignSettings) -> list[tuple[int, int]]:
    """Coarse cells on the least-cost path with 1-1, 1-0 and 0-1 moves only."""
    n, m = src.n, tgt.n
    distance = sentence_distances(src, tgt)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0] = np.arange(m + 1) * settings.skip_cost
    for i in range(1, n + 1):
        row = np.full(m + 1, np.inf)
        row[0] = cost[i - 1][0] + settings.skip_cost
        row[1:] = np.minimum(cost[i - 1][:-1] + distance[i - 1], cost[i - 1][1:] + settings.skip_cost)
        # 0-1 moves within the row: row[j] = min_k<=j row[k] + (j-k) * skip
        steps = np.arange(m + 1) * settings.skip_cost
        cost[i] = np.minimum.accumulate(row - steps) + steps
    cells, i, j = [], n, m
    while i > 0 and j > 0:
        cells.append((i - 1, j - 1))
        here = cost[i, j]
        if np.isclose(here, cost[i - 1, j - 1] + distance[i - 1, j - 1]):
            i, j = i - 1, j - 1
        elif np.isclose(here, cost[i - 1, j] + settings.skip_cost):
            i -= 1
        else:
            j -= 1
    cells += [(k, 0) for k in range(i)] + [(0, k) for k in range(j)]
    return sorted(set(cells))
