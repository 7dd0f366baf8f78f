"""What a link costs: the margin-normalised distance of its two sides' embeddings, and a length term
(Gale & Church) for how far its length ratio is from the ratio of the two languages."""
from __future__ import annotations

import numpy as np

from seedmt.align.margin import margin_distance
from seedmt.align.overlaps import EmbeddedSide

MAX_LENGTH_RATIO = 5.0  # characters, e.g. English against Chinese is about 3-4


def link_distances(src: EmbeddedSide, tgt: EmbeddedSide, a: int, i: int, b: int, js: np.ndarray) -> np.ndarray:
    """Distance of linking source run (i, a) with target runs (j, b) for every j in `js`."""
    return margin_distance(tgt.runs[b][js] @ src.runs[a][i], src.background[a][i], tgt.background[b][js])


def merge_gain(src: EmbeddedSide, tgt: EmbeddedSide, a: int, i: int, b: int, js: np.ndarray,
               distance: np.ndarray) -> np.ndarray:
    """How much closer the joined texts of a merged link (a + b > 2) are than the best link left when one sentence
    at either end of either side is taken out: the evidence that every sentence belongs in the link. A boilerplate
    line or the sentence of a missing passage added to a good pair brings nothing (about 0, or less)."""
    best = np.full(len(js), np.inf)
    if a > 1:
        for start in (i, i + 1):  # without the last, or without the first source sentence
            best = np.minimum(best, link_distances(src, tgt, a - 1, start, b, js))
    if b > 1:
        for shift in (0, 1):
            best = np.minimum(best, link_distances(src, tgt, a, i, b - 1, js + shift))
    return best - distance


def numbers_disagree(src: EmbeddedSide, tgt: EmbeddedSide, a: int, i: int, b: int, js: np.ndarray) -> np.ndarray:
    """Whether both sides of the link hold numbers and share none: "7." against "6.", one date line against
    another. (A side without numbers says nothing: numbers are often written out in words.)"""
    source, target = src.numbers[a][i], tgt.numbers[b][js]
    return (source != 0) & (target != 0) & ((source & target) == 0)


def sentence_distances(src: EmbeddedSide, tgt: EmbeddedSide, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Distances of source sentences `rows` to every target sentence (one row each)."""
    return margin_distance(src.runs[1][rows] @ tgt.runs[1].T, src.background[1][rows, None],
                           tgt.background[1][None, :])


def length_mismatch(src: EmbeddedSide, tgt: EmbeddedSide, ratio: float, a: int, i: int, b: int, js: np.ndarray) -> np.ndarray:
    """|log| of how far the pair's length ratio is from the languages' `ratio` (0 when equal)."""
    return np.abs(np.log((tgt.lengths[b][js] + 10) / (ratio * src.lengths[a][i] + 10)))


def nearest_neighbours(src: EmbeddedSide, tgt: EmbeddedSide) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each source sentence's nearest target sentence and its distance, and each target sentence's nearest
    source sentence and its distance."""
    nearest_target = np.empty(src.n, dtype=np.int64)
    nearest_distance = np.empty(src.n, dtype=np.float32)
    column_best = np.full(tgt.n, np.inf, dtype=np.float32)
    nearest_source = np.zeros(tgt.n, dtype=np.int64)
    for start in range(0, src.n, 1024):  # row blocks: two 5,000-sentence documents never hold n x m distances
        rows = np.arange(start, min(start + 1024, src.n))
        distance = sentence_distances(src, tgt, rows)
        nearest_target[rows] = distance.argmin(axis=1)
        nearest_distance[rows] = distance.min(axis=1)
        better = distance.min(axis=0) < column_best
        column_best[better] = distance.min(axis=0)[better]
        nearest_source[better] = rows[distance.argmin(axis=0)[better]]
    return nearest_target, nearest_distance, nearest_source, column_best


def length_ratio(src: EmbeddedSide, tgt: EmbeddedSide, anchor_distance: float, neighbours=None) -> float:
    """Target/source length ratio of the two languages, measured on confident 1-1 pairs.

    Confident pairs are mutual nearest neighbours closer than `anchor_distance`; with fewer than 3 of them, the
    ratio of the whole documents stands in, within what translation between any two scripts gives."""
    nearest_target, nearest_distance, nearest_source, _ = neighbours or nearest_neighbours(src, tgt)
    anchors = [(i, int(j)) for i, j in enumerate(nearest_target)
               if nearest_source[j] == i and nearest_distance[i] < anchor_distance]
    if len(anchors) >= 3:
        return float(np.median([(tgt.lengths[1][j] + 10) / (src.lengths[1][i] + 10) for i, j in anchors]))
    ratio = (tgt.total_length + 1) / (src.total_length + 1)
    return min(max(ratio, 1 / MAX_LENGTH_RATIO), MAX_LENGTH_RATIO)


def similarity_scores(src: EmbeddedSide, tgt: EmbeddedSide, a: int, i: int, b: int, js: np.ndarray,
                      ratio: float) -> np.ndarray:
    """Bertalign's score of linking source run (i, a) with target runs (j, b), j in `js` (Liu & Zhu 2022): the
    cosine of the two runs less the mean cosine of each run with the sentences just before and after its
    counterpart (a margin: a run close to everything around it proves little), times log2(1 + shorter / longer)
    of the two lengths in characters, the target's scaled by the languages' `ratio` (1 when they match: a link
    whose sides differ in length is worth less, whatever their cosine)."""
    source = src.runs[a][i]
    targets = tgt.runs[b][js]
    cosine = targets @ source
    m, n = tgt.n, src.n
    before, after = js - 1, js + b
    left = np.where(before >= 0, tgt.runs[1][np.clip(before, 0, m - 1)] @ source, 0.0)
    right = np.where(after < m, tgt.runs[1][np.clip(after, 0, m - 1)] @ source, 0.0)
    target_neighbours = (left + right) / 2
    up = src.runs[1][i - 1] @ targets.T if i - 1 >= 0 else np.zeros(len(js))
    down = src.runs[1][i + a] @ targets.T if i + a < n else np.zeros(len(js))
    source_neighbours = (up + down) / 2
    score = cosine - (target_neighbours + source_neighbours) / 2
    source_length = src.lengths[a][i] * ratio
    target_length = tgt.lengths[b][js]
    penalty = np.log2(1 + np.minimum(source_length, target_length) / np.maximum(np.maximum(source_length,
                                                                                          target_length), 1e-9))
    return score * penalty
