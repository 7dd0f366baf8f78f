"""The margin-normalised distance of two embeddings, shared by the aligner and the similarity score.

A raw cosine distance means little on its own: some sentences (a date, "Photo: Xinhua") lie close to
everything, and one encoder's cosines differ in scale between language pairs. Dividing the distance of a pair
by how far each side lies, on average, from unrelated text (its background) gives about 1 for a pair no closer
than random sentences and well under 1 for a translation, comparable across languages."""
from __future__ import annotations

import numpy as np


def mean_distance(vectors: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Mean cosine distance of each row of `vectors` to the rows of `others` (all L2-normalised)."""
    if not len(vectors):
        return np.zeros(0)
    return (1.0 - vectors @ others.T).mean(axis=1)


def margin_distance(cosine: np.ndarray, background_a: np.ndarray, background_b: np.ndarray) -> np.ndarray:
    """Cosine distance divided by the mean of the two sides' backgrounds (broadcasting)."""
    return (1.0 - cosine) / np.maximum((background_a + background_b) / 2, 1e-6)
