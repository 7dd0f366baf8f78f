"""The aligner's dynamic programme: the least-cost monotonic path of links through a band of cells."""
from __future__ import annotations

import math

import numpy as np

from seedmt.align.costs import length_mismatch, link_distances, similarity_scores
from seedmt.align.links import LINK_SHAPES, SKIPS, AlignSettings
from seedmt.align.overlaps import EmbeddedSide


class Band:
    """Cells (i, j) the programme may visit: for each i, j in [lo[i], hi[i]]."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo, self.hi = lo, hi

    @classmethod
    def full(cls, n: int, m: int) -> Band:
        return cls(np.zeros(n + 1, dtype=np.int64), np.full(n + 1, m, dtype=np.int64))


def search(src: EmbeddedSide, tgt: EmbeddedSide, band: Band, settings: AlignSettings,
           length_ratio: float, unlinked_source: np.ndarray | None = None,
           unlinked_target: np.ndarray | None = None,
           link_shapes: tuple[tuple[int, int], ...] = LINK_SHAPES, skip_source: np.ndarray | None = None,
           skip_target: np.ndarray | None = None) -> list[tuple[int, int, int, int]]:
    """Least-cost monotonic path through the band; returns links as (i, a, j, b), in order.

    `unlinked_source` / `unlinked_target` (booleans, one per sentence) mark sentences a person fixed as having
    no counterpart: no link may take them in. Runs of sentences not embedded (`available`) are not used.
    `skip_source` / `skip_target`: what leaving each sentence out costs (default: `settings.skip_cost`)."""
    n, m = src.n, tgt.n
    if skip_source is None:
        skip_source = np.full(n, settings.skip_cost)
    if skip_target is None:
        skip_target = np.full(m, settings.skip_cost)
    # Prefix counts of the fixed sentences: a run [x, x + k) holds one when the counts differ.
    fixed_source = np.concatenate([[0], np.cumsum(unlinked_source)]) if unlinked_source is not None else None
    fixed_target = np.concatenate([[0], np.cumsum(unlinked_target)]) if unlinked_target is not None else None
    inf = np.inf
    cost: list[np.ndarray] = []
    move: list[np.ndarray] = []  # index into SHAPES_AND_SKIPS, -1 at the origin
    shapes = link_shapes + SKIPS
    for i in range(n + 1):
        lo, hi = int(band.lo[i]), int(band.hi[i])
        js = np.arange(lo, hi + 1)
        row = np.full(len(js), inf)
        back = np.full(len(js), -1, dtype=np.int8)
        if i == 0:
            row[js == 0] = 0.0
        for index, (a, b) in enumerate(shapes):
            if a == 0 or i - a < 0:
                continue
            prev_lo, prev_hi = int(band.lo[i - a]), int(band.hi[i - a])
            # target start j - b must lie in the previous row's band and j - b >= 0
            valid = (js - b >= max(prev_lo, 0)) & (js - b <= prev_hi)
            if b > 0:
                valid &= js - b + b <= m
                valid &= js - b <= tgt.n - b
                if fixed_source is not None and fixed_source[i] != fixed_source[i - a]:
                    continue
                if not src.available[a][i - a]:
                    continue
                if fixed_target is not None:
                    inside = np.clip(js - b, 0, m)
                    valid &= fixed_target[np.clip(inside + b, 0, m)] == fixed_target[inside]
            if b > 1:
                if not len(tgt.available[b]):
                    continue
                valid &= tgt.available[b][np.clip(js - b, 0, len(tgt.available[b]) - 1)]
            if not valid.any():
                continue
            starts = js[valid] - b
            previous = cost[i - a][starts - prev_lo]
            if b == 0:
                candidate = previous + skip_source[i - 1]
            elif settings.scoring == "similarity":
                candidate = previous - similarity_scores(src, tgt, a, i - a, b, starts, length_ratio) + \
                    (a + b - 2) * settings.similarity_shape_penalty
                if settings.similarity_paragraph_penalty:
                    candidate = candidate + settings.similarity_paragraph_penalty * (
                        src.crossings[a][i - a] + tgt.crossings[b][starts])
                if settings.unrelated_weight:
                    distance = link_distances(src, tgt, a, i - a, b, starts)
                    candidate = candidate + settings.unrelated_weight * np.maximum(
                        distance - settings.unrelated_distance, 0.0) * (a + b) / 2
            else:
                extra = (a + b - 2) * settings.shape_penalty
                if settings.paragraph_penalty:
                    # translators rarely merge across paragraphs; page furniture stands in lines of its own
                    extra = extra + settings.paragraph_penalty * (src.crossings[a][i - a] + tgt.crossings[b][starts])
                distance = link_distances(src, tgt, a, i - a, b, starts)
                if settings.unrelated_weight:
                    # a pair about as far apart as unrelated sentences costs more than leaving both out
                    distance = distance + settings.unrelated_weight * np.maximum(
                        distance - settings.unrelated_distance, 0.0)
                mismatch = (length_mismatch(src, tgt, length_ratio, a, i - a, b, starts)
                            if settings.length_weight else 0.0)
                candidate = previous + (distance + settings.length_weight * mismatch) * (a + b) / 2 + extra
            better = candidate < row[valid]
            positions = np.flatnonzero(valid)[better]
            row[positions] = candidate[better]
            back[positions] = index
        # 0-1 moves stay in the row: row[j] = min(row[j], row[j-1] + skip), one pass left to right
        skip_index = len(shapes) - 1
        for k in range(1, len(js)):
            candidate = row[k - 1] + skip_target[js[k] - 1]
            if candidate < row[k]:
                row[k] = candidate
                back[k] = skip_index
        cost.append(row)
        move.append(back)
    if not math.isfinite(cost[n][m - int(band.lo[n])]):
        raise RuntimeError("alignment band does not reach the end of both documents")
    links: list[tuple[int, int, int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        a, b = shapes[int(move[i][j - int(band.lo[i])])]
        links.append((i - a, a, j - b, b))
        i, j = i - a, j - b
    return links[::-1]
