"""The aligner on harder document pairs, built deterministically from the seeds and their references
(`tests.helpers.build_robust_case`): whole paragraphs (or a paragraph's last sentences) missing from the
translation or from the original, lines of web-page furniture in the target language, sentences merged by the
translator; each variant built twice (generator seeds 0 and 1), 60 cases. The thresholds are what the aligner
reaches today (figures in the README's alignment section), so that a change which trades robustness away fails
here."""
from __future__ import annotations

import pytest

from seedmt.align.aligner import align_sentences
from seedmt.align.embed import load_embedder
from seedmt.core.languages import sentence_joiner
from tests.helpers import ALL_CASES, ROBUSTNESS_SEEDS, ROBUSTNESS_VARIANTS, build_case, build_robust_case, robustness_figures

pytestmark = pytest.mark.slow

# F1 of the clean cases before paragraphs entered the aligner (issue 24's "today"): none may fall by over 0.005.
CLEAN_BEFORE = {"000_1a3a948149a5a5b3": (0.986, 1.000), "001_3e2915cf1267708f": (0.986, 0.957),
                "002_5be13cb78bb9960d": (0.977, 1.000), "003_8e8481b4ceab6e39": (1.000, 1.000),
                "004_673d402516499681": (0.984, 0.982)}


def _align(case):
    return align_sentences(case.source, case.target_sentences, load_embedder(),
                           (sentence_joiner(case.source_lang), sentence_joiner(case.target)),
                           paragraph_starts=case.paragraph_starts)


@pytest.fixture(scope="module")
def figures() -> dict:
    out = {}
    for doc_id, target in ALL_CASES:
        out[(doc_id, target, "clean", 0)] = robustness_figures(_align(build_case(doc_id, target)),
                                                            build_case(doc_id, target))
        for name, edits in ROBUSTNESS_VARIANTS.items():
            for seed in ROBUSTNESS_SEEDS:
                case = build_robust_case(doc_id, target, seed, **edits)
                links = _align(case)
                # every sentence of both sides in exactly one link
                assert sorted(i for x in links for i in x.source_indices) == list(range(len(case.source)))
                assert sorted(j for x in links for j in x.target_indices) == list(range(len(case.target_sentences)))
                out[(doc_id, target, name, seed)] = robustness_figures(links, case)
    return out


def test_missing_passages_and_boilerplate_do_not_glue_junk_into_links(figures):
    """Measured on the 60 harder cases: mean F1 0.977 (0.960 before merges had to earn their place, 0.975 before
    split pieces could join a link at a small loss), precision 0.980 (0.974, 0.982), lowest F1 0.864 (a Korean page with its furniture, against a Chinese translation missing
    passages and carrying furniture of its own)."""
    hard = [f for (_, _, name, _), f in figures.items() if name != "clean"]
    mean_f1 = sum(f["f1"] for f in hard) / len(hard)
    mean_precision = sum(f["precision"] for f in hard) / len(hard)
    assert mean_f1 >= 0.973 and mean_precision >= 0.978, (mean_f1, mean_precision)
    assert min(f["f1"] for f in hard) >= 0.85


def test_the_clean_cases_are_unchanged(figures):
    for (doc_id, target, name, _), f in figures.items():
        if name == "clean":
            before = CLEAN_BEFORE[doc_id][0 if target == "eng_Latn" else 1]
            assert f["f1"] >= before - 0.005, (doc_id, target, f["f1"], before)


def test_doubtful_links_are_flagged_and_good_ones_are_not(figures):
    """Of the links still wrong (sentences from different gold units), 28 of 30 are marked needs_review; of the
    right links 5.2% are (2.6% on the clean cases): a sentence that joins a link although the link scores a little
    lower with it (a piece a translator split off) is marked, as a merge that did not clearly earn its place."""
    hard = [f for (_, _, name, _), f in figures.items() if name != "clean"]
    clean = [f for (_, _, name, _), f in figures.items() if name == "clean"]
    wrong = sum(f["wrong"] for f in hard)
    assert sum(f["wrong_flagged"] for f in hard) >= 0.9 * wrong
    assert sum(f["right_flagged"] for f in hard) <= 0.055 * sum(f["right"] for f in hard)
    assert sum(f["right_flagged"] for f in clean) <= 0.03 * sum(f["right"] for f in clean)
