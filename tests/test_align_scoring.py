"""The aligner's larger links and its learned costs, on vectors chosen by hand: links of up to 5 sentences, per-
sentence skip costs, Bertalign's similarity score, run vectors estimated from their sentences, the length ratio
of the linked text, the penalty for links as far apart as unrelated text."""
from __future__ import annotations

import numpy as np
import pytest

from seedmt.align.aligner import DocumentPair
from seedmt.align.costs import similarity_scores
from seedmt.align.dp import Band, search
from seedmt.align.embed import normalise
from seedmt.align.links import AlignSettings, link_shapes, settings_for
from seedmt.align.overlaps import EmbeddedSide

CONCEPTS = 16


class ConceptEmbedder:
    """A text's vector is the bag of its words' concepts (a word and its translation share one), so that joined
    sentences embed as the sum of their parts, as a mean-pooling encoder's nearly do."""
    name = "test-concepts"

    def embed(self, texts):
        vectors = np.zeros((len(texts), CONCEPTS), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.replace(".", " ").split():
                vectors[row, int(word.strip("st"))] += 1.0
        return normalise(vectors)


def sentences(prefix: str, *groups) -> list[str]:
    return [" ".join(f"{prefix}{c}" for c in group) + "." for group in groups]


def test_link_shapes_by_size():
    assert link_shapes(4) == ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1))
    assert set(link_shapes(5)) - set(link_shapes(4)) == {(1, 4), (4, 1), (2, 3), (3, 2)}
    assert all(a >= 1 and b >= 1 and a + b <= 6 for a, b in link_shapes(6)) and (5, 1) in link_shapes(6)


@pytest.mark.parametrize("scoring", ["margin", "similarity"])
def test_a_sentence_split_in_four_is_one_1_4_link_once_links_may_hold_five(scoring):
    # source: [0 1] [2 3 4 5] [6 7] [8 9]; the translator split the second sentence into four
    source = sentences("s", (0, 1), (2, 3, 4, 5), (6, 7), (8, 9))
    target = sentences("t", (0, 1), (2,), (3,), (4,), (5,), (6, 7), (8, 9))
    settings = settings_for(scoring, runs="all", trim_merges=False, attach_gain=None, max_link_sentences=5)
    links = DocumentPair(source, target, ConceptEmbedder(), settings=settings).align()
    assert [(x.source_indices, x.target_indices) for x in links] == \
        [((0,), (0,)), ((1,), (1, 2, 3, 4)), ((2,), (5,)), ((3,), (6,))]
    smaller = settings_for(scoring, runs="all", trim_merges=False, attach_gain=None, max_link_sentences=4)
    capped = DocumentPair(source, target, ConceptEmbedder(), settings=smaller).align()
    assert max(len(x.target_indices) for x in capped) == 3  # 1-4 is not a shape of four sentences at most


def test_each_sentence_has_its_own_skip_cost():
    embedder = ConceptEmbedder()
    source = EmbeddedSide(sentences("s", (0,), (1,)), " ", embedder, None)
    target = EmbeddedSide(sentences("t", (0,), (9,), (1,)), " ", embedder, None)
    for side, other in ((source, target), (target, source)):
        side.set_background(other, 512, np.random.default_rng(0))
    settings = AlignSettings(skip_cost=0.5)
    band = Band.full(2, 3)
    cheap = search(source, target, band, settings, 1.0, link_shapes=link_shapes(4))
    assert (1, 0, 1, 1) in cheap  # target 1 (nothing like the source) left out
    costly = search(source, target, band, settings, 1.0, link_shapes=link_shapes(4),
                    skip_target=np.array([0.5, 5.0, 0.5]))
    assert (1, 0, 1, 1) not in costly and any(j <= 1 < j + b and a for _, a, j, b in costly)


def test_similarity_score_is_margin_cosine_times_length_penalty():
    rng = np.random.default_rng(1)
    embedder = type("Random", (), {"name": "r", "embed": lambda self, texts: normalise(
        rng.normal(size=(len(texts), 8)).astype(np.float32))})()
    source = EmbeddedSide(["a" * 10, "b" * 30, "c" * 20], " ", embedder, None)
    target = EmbeddedSide(["x" * 15, "y" * 40, "z" * 25, "w" * 5], " ", embedder, None)
    source.ensure_all()
    target.ensure_all()
    ratio = 1.2
    got = similarity_scores(source, target, 1, 1, 2, np.array([1]), ratio)[0]
    s, t = source.runs[1][1], target.runs[2][1]
    neighbours_target = (target.runs[1][0] @ s + target.runs[1][3] @ s) / 2
    neighbours_source = (source.runs[1][0] @ t + source.runs[1][2] @ t) / 2
    lengths = (30 * ratio, len("y" * 40 + " " + "z" * 25))
    expected = (t @ s - (neighbours_target + neighbours_source) / 2) * np.log2(1 + min(lengths) / max(lengths))
    assert got == pytest.approx(expected, rel=1e-5)


def test_estimated_runs_are_length_weighted_means_and_the_encoder_replaces_them():
    embedder = ConceptEmbedder()
    side = EmbeddedSide(sentences("s", (0,), (1, 2, 3), (4,)), " ", embedder, centering_prior=2.0)
    assert side.estimate(3) == 3  # two runs of 2, one of 3
    raw = embedder.embed(side.texts[1])
    weights = side.lengths[1] + 1
    expected = normalise(normalise((raw[0] * weights[0] + raw[1] * weights[1])[None]) - side.shared)[0]
    assert np.allclose(side.runs[2][0], expected, atol=1e-6) and side.estimated[2][0]
    assert side.ensure({2: [0]}) == 1 and not side.estimated[2][0]
    assert np.allclose(side.runs[2][0], normalise(embedder.embed([side.texts[2][0]]) - side.shared)[0], atol=1e-6)


def test_the_linked_length_ratio_leaves_out_text_without_counterpart():
    # target sentences are twice as long as their sources, plus one long line of furniture with no counterpart
    source = sentences("s", (0,), (1,), (2,), (3,))
    target = sentences("t", (0, 0), (1, 1), (2, 2), (3, 3))
    target.insert(2, " ".join(f"t{c}" for c in list(range(10, 16)) * 4) + ".")
    pair = DocumentPair(source, target, ConceptEmbedder(), settings=settings_for("similarity"))
    assert pair.ratio == pytest.approx((sum(map(len, target)) - len(target[2]) + 1) / (sum(map(len, source)) + 1))
    documents = DocumentPair(source, target, ConceptEmbedder(), settings=AlignSettings(length_ratio="documents"))
    assert documents.ratio > pair.ratio * 1.5


def test_a_pair_as_far_apart_as_unrelated_text_costs_more_than_leaving_both_out():
    source = sentences("s", (0, 1), (2, 3), (4, 5), (14,), (6, 7), (8, 9), (10, 11))
    target = sentences("t", (0, 1), (2, 3), (4, 5), (15,), (6, 7), (8, 9), (10, 11))  # the middle pair: unrelated
    # (no centring: in a document this short, removing the mean makes the two odd sentences alike)
    kept = {"runs": "all", "trim_merges": False, "attach_gain": None, "centering_prior": 1e9}
    plain = settings_for("similarity", unrelated_weight=0.0, **kept)
    guarded = settings_for("similarity", **kept)
    linked = [(x.source_indices, x.target_indices)
              for x in DocumentPair(source, target, ConceptEmbedder(), settings=plain).align()]
    left_out = [(x.source_indices, x.target_indices)
                for x in DocumentPair(source, target, ConceptEmbedder(), settings=guarded).align()]
    assert ((3,), (3,)) in linked
    assert ((3,), ()) in left_out and ((), (3,)) in left_out


class WordVectorEmbedder:
    """A text's vector is the sum of fixed random vectors of its words (a word and its translation, `sN` and
    `tN`, share one): many distinct sentences, as a long document has."""
    name = "test-word-vectors"

    def embed(self, texts):
        table = np.random.default_rng(7).normal(size=(5000, 64)).astype(np.float32)
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.replace(".", " ").split():
                vectors[row] += table[int(word.strip("st"))]
        return normalise(vectors)


@pytest.mark.parametrize("scoring", ["margin", "similarity"])
def test_a_document_past_the_coarse_pass_threshold_aligns_in_either_scoring(scoring):
    """700 sentences a side: (n+1)(m+1) is past `full_search_cells`, so the coarse pass bands the search. With
    similarity scoring it used to reuse that scoring's skip cost on the margin scale and skip everything."""
    rng = np.random.default_rng(3)
    words = [rng.choice(5000, size=8, replace=False) for _ in range(700)]
    source = sentences("s", *[w[:6] for w in words])
    # a free translation: half of each sentence's words have a counterpart, the rest are its own
    target = sentences("t", *[np.concatenate([w[:3], w[6:]]) for w in words])
    settings = settings_for(scoring)
    assert 701 * 701 > settings.full_search_cells
    links = DocumentPair(source, target, WordVectorEmbedder(), (" ", " "), settings).align()
    right = sum(x.source_indices == x.target_indices and len(x.source_indices) == 1 for x in links)
    assert right >= 690, right


@pytest.mark.parametrize("field, value", [("scoring", "similarty"), ("runs", "everything"),
                                          ("length_ratio", "document"), ("max_link_sentences", 9),
                                          ("skip_cost", -0.5), ("doubt", 1.5), ("band", 0)])
def test_settings_that_cannot_work_are_refused_by_name(field, value):
    """A misspelt choice used to take another branch without a word (`scoring="similarty"` aligned by margin)."""
    from seedmt.align.links import AlignSettings

    with pytest.raises(ValueError, match=f"AlignSettings.{field} must"):
        AlignSettings(**{field: value})
    AlignSettings(scoring="similarity", runs="estimated", length_ratio="linked", max_link_sentences=5)
