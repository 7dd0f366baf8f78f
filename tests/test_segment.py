import pytest

from tests.helpers import EXPECTED_SEED_LANGS, SEEDS_DIR
from seedmt.text.ingest import read_seed
from seedmt.text.segment import reconstruct, segment_document


@pytest.mark.parametrize("doc_id,lang", sorted(EXPECTED_SEED_LANGS.items()))
def test_seeds_reconstruct_exactly(doc_id, lang):
    doc = read_seed(SEEDS_DIR / f"{doc_id}.txt")
    segments = segment_document(doc_id, doc.text, lang)
    assert reconstruct(doc.text, segments) == doc.text
    assert all(doc.text[s.start:s.end] == s.text and s.text == s.text.strip() for s in segments)
    assert all(len(s.text) <= 400 for s in segments)
    assert [s.index for s in segments] == list(range(len(segments)))
    assert len(segments) > doc.text.count("\n\n")  # more sentences than paragraphs


def test_sentences_and_paragraph_indices():
    text = "First one. Second one.\n\nThird in para two.\n"
    segments = segment_document("d", text, "eng_Latn")
    assert [s.text for s in segments] == ["First one.", "Second one.", "Third in para two."]
    assert [(s.paragraph_index, s.sentence_index) for s in segments] == [(0, 0), (0, 1), (1, 0)]
    assert segments[0].segment_id == "d:0000"


def test_long_sentence_is_cut_at_clause_boundaries_then_spaces():
    clause = "word " * 30 + "end, "
    text = (clause * 10).strip() + " and no full stop"
    segments = segment_document("d", text, "eng_Latn", max_chars=200)
    assert len(segments) > 1 and all(len(s.text) <= 200 for s in segments)
    assert all(s.text.endswith(",") for s in segments[:-1])
    assert reconstruct(text, segments) == text


def test_unbroken_text_is_cut_hard():
    text = "x" * 1000
    segments = segment_document("d", text, "eng_Latn", max_chars=300)
    assert [len(s.text) for s in segments] == [300, 300, 300, 100]
    assert reconstruct(text, segments) == text
