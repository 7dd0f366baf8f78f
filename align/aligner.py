"""Cross-lingual sentence alignment: a document and its translation, sentence by sentence (Vecalign's method,
Thompson & Koehn 2019, with multilingual sentence embeddings).

1. Every sentence, and every run of 2 or 3 consecutive sentences joined, is embedded (`seedmt.align.embed`;
   each distinct text once). Each document's mean sentence vector is subtracted from its vectors: what all
   sentences of one document share (its language, its topic) says nothing about which sentence translates
   which, and removing it makes the embeddings markedly more language-neutral (Libovicky et al. 2020). For a
   short document the mean is mostly the sentences themselves, so it is shrunk towards zero (`centering_prior`);
   when either side has a single sentence, neither is centred.
2. A link joins 1-3 source sentences to 1-3 target sentences (1-1, 1-2, 2-1, 2-2, 1-3, 3-1); a sentence can
   also stay unlinked (1-0, 0-1). Its distance is the cosine distance of the joined texts' embeddings divided by
   how far each side lies, on average, from the sentences of the other document (a sample of 512 in long
   ones). That margin keeps a generic sentence that resembles everything (a date, "Photo: Xinhua") from
   capturing its neighbours' partners: a pair no closer than random sentences has distance 1, a good
   translation 0.3-0.7.
3. A length term (Gale & Church) adds the |log| of how far a link's length ratio is from the ratio of the two
   languages, measured on confident 1-1 pairs (mutual nearest neighbours) rather than on whole documents, so
   that boilerplate or an untranslated passage on one side does not skew it.
4. A monotonic dynamic programme picks the links of least total cost: distance x sentences covered for a link,
   `skip_cost` per unlinked sentence. Long documents first align averaged blocks of sentences (a coarse pass),
   then run the full programme only in a band around the coarse path, so the cost grows linearly with length.

Every link carries `score` = 1 - distance (about 0 for a pair no closer than random sentences, 0.3-0.7 for
good translations); links scoring under `review_threshold` (default 0.2), and unlinked sentences, are marked
`needs_review`."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seedmt.align.coarse import coarse_band
from seedmt.align.costs import length_ratio, link_distances
from seedmt.align.dp import Band, search
from seedmt.align.embed import Embedder
from seedmt.align.links import AlignSettings, Link
from seedmt.align.overlaps import EmbeddedSide

__all__ = ["AlignSettings", "Link", "align_sentences"]


def align_sentences(source: Sequence[str], target: Sequence[str], embedder: Embedder,
                    joiners: tuple[str, str] = (" ", " "),
                    settings: AlignSettings | None = None) -> list[Link]:
    """Monotonic many-to-many alignment of two sentence lists (each sentence in exactly one link).

    `joiners` join consecutive sentences of each side into one text ("" for Chinese, Japanese, Thai...)."""
    settings = settings or AlignSettings()
    rng = np.random.default_rng(settings.seed)
    # A one-sentence side has no mean of its own to remove, and centring only the other side would compare
    # vectors of two different spaces.
    prior = settings.centering_prior if min(len(source), len(target)) >= 2 else None
    src, tgt = EmbeddedSide(source, joiners[0], embedder, prior), EmbeddedSide(target, joiners[1], embedder, prior)
    if src.n == 0 or tgt.n == 0:
        return [Link((i,), (), None, True) for i in range(src.n)] + [Link((), (j,), None, True) for j in range(tgt.n)]
    src.set_background(tgt, settings.background_samples, rng)
    tgt.set_background(src, settings.background_samples, rng)
    if (src.n + 1) * (tgt.n + 1) <= settings.full_search_cells:
        band = Band.full(src.n, tgt.n)
    else:
        band = coarse_band(src, tgt, settings, rng)
    links = []
    ratio = length_ratio(src, tgt, settings.anchor_distance)
    for i, a, j, b in search(src, tgt, band, settings, ratio):
        if a == 0 or b == 0:
            links.append(Link(tuple(range(i, i + a)), tuple(range(j, j + b)), None, True))
            continue
        score = round(float(1.0 - link_distances(src, tgt, a, i, b, np.array([j]))[0]), 4)
        links.append(Link(tuple(range(i, i + a)), tuple(range(j, j + b)), score, score < settings.review_threshold))
    return links
