"""Re-segment a hypothesis to reference segments by minimum edit distance (the mwerSegmenter method of
Matusov et al., 2005, used in speech translation evaluation).

The hypothesis of a whole document is one token sequence; the references, concatenated, another. The
Levenshtein alignment between the two crosses each reference boundary at some hypothesis position; cutting
the hypothesis there gives the segmentation that minimises the summed word edit distance to the references.
Languages written without spaces (Chinese, Japanese, Thai...) are aligned on characters."""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from seedmt.core.errors import SeedMTError
from seedmt.core.languages import sentence_joiner, written_without_spaces

# The edit-distance matrix holds (hypothesis tokens + 1) x (reference tokens + 1) 32-bit cells: 2 GiB at most.
MAX_MATRIX_CELLS = 2 ** 29


class ResegmentTooLarge(SeedMTError):
    """A document too long to re-segment as one piece."""


_WORD = re.compile(r"\w+|[^\w\s]")  # punctuation apart, so "happy." still matches "happy"
_CHAR = re.compile(r"\S")


def _tokens(text: str, by_character: bool) -> list[tuple[int, int]]:
    return [m.span() for m in (_CHAR if by_character else _WORD).finditer(text)]


def _edit_distance_matrix(hyp: Sequence[str], ref: Sequence[str]) -> np.ndarray:
    """D[i, j] = edit distance between hyp[:i] and ref[:j]; rows are vectorised.

    Within a row, D[i, j] = min(A[j], D[i, j-1] + 1) with A the substitution/deletion candidates, which
    unrolls to j + cummin(A[k] - k)."""
    n, m = len(hyp), len(ref)
    vocab: dict[str, int] = {}
    ref_ids = np.array([vocab.setdefault(t, len(vocab)) for t in ref], dtype=np.int64)
    hyp_ids = [vocab.setdefault(t, len(vocab)) for t in hyp]
    columns = np.arange(m + 1, dtype=np.int32)
    matrix = np.empty((n + 1, m + 1), dtype=np.int32)
    matrix[0] = columns
    for i in range(1, n + 1):
        previous = matrix[i - 1]
        candidates = np.empty(m + 1, dtype=np.int32)
        candidates[0] = i
        substitution = previous[:-1] + (ref_ids != hyp_ids[i - 1])
        candidates[1:] = np.minimum(previous[1:] + 1, substitution)
        matrix[i] = columns + np.minimum.accumulate(candidates - columns)
    return matrix


def _split_points(matrix: np.ndarray, hyp: Sequence[str], ref: Sequence[str], boundaries: list[int]) -> list[int]:
    """Hypothesis positions where the optimal path crosses each reference boundary (ref token index)."""
    i, j = len(hyp), len(ref)
    split_at: dict[int, int] = {}
    wanted = set(boundaries)
    while i > 0 or j > 0:
        if j in wanted and j not in split_at:
            split_at[j] = i  # first visit while walking back = the path's last row in this column
        here = matrix[i, j]
        if i > 0 and j > 0 and matrix[i - 1, j - 1] + (hyp[i - 1] != ref[j - 1]) == here:
            i, j = i - 1, j - 1
        elif i > 0 and matrix[i - 1, j] + 1 == here:
            i -= 1
        else:
            j -= 1
    for boundary in wanted - split_at.keys():
        split_at[boundary] = 0
    return [split_at[b] for b in boundaries]


def resegment(hypothesis: str, references: Sequence[str], target: str, *, ignore_case: bool = True) -> list[str]:
    """Cut `hypothesis` (one document) into len(references) pieces aligned to the references."""
    if not references:
        raise ValueError("no reference segments to align to")
    by_character = written_without_spaces(target)
    hyp_spans = _tokens(hypothesis, by_character)

    def norm(token: str) -> str:
        return token.lower() if ignore_case else token

    hyp = [norm(hypothesis[a:b]) for a, b in hyp_spans]
    ref: list[str] = []
    boundaries: list[int] = []
    for reference in references[:-1]:
        ref.extend(norm(reference[a:b]) for a, b in _tokens(reference, by_character))
        boundaries.append(len(ref))
    ref.extend(norm(references[-1][a:b]) for a, b in _tokens(references[-1], by_character))
    if (len(hyp) + 1) * (len(ref) + 1) > MAX_MATRIX_CELLS:
        raise ResegmentTooLarge(f"{len(hyp):,} x {len(ref):,} tokens is too long to re-segment in one piece (at "
                                f"most {MAX_MATRIX_CELLS:,} cells, {MAX_MATRIX_CELLS * 4 // 2**20:,} MiB); give the "
                                "translation sentence by sentence, or split the document")
    cuts = _split_points(_edit_distance_matrix(hyp, ref), hyp, ref, boundaries)
    pieces = []
    for start, end in zip([0, *cuts], [*cuts, len(hyp_spans)]):
        pieces.append(hypothesis[hyp_spans[start][0]:hyp_spans[end - 1][1]] if end > start else "")
    return pieces


def join_segments(segments: Sequence[str], target: str) -> str:
    return sentence_joiner(target).join(s.strip() for s in segments)
