import pytest

from tests.conftest import EXPECTED_SEED_LANGS, SEEDS_DIR
from translate.ingest import read_seed
from translate.langid import LanguageUndecidedError, decide_language, detect_language


@pytest.mark.parametrize("doc_id,expected", sorted(EXPECTED_SEED_LANGS.items()))
def test_each_seed_is_identified(doc_id, expected):
    doc = read_seed(SEEDS_DIR / f"{doc_id}.txt")
    decision = detect_language(doc.text)
    assert decision.code == expected
    assert decision.confidence > 0.9


@pytest.mark.parametrize("text,expected", [
    ("The committee met on Tuesday to discuss the new budget for the coming year.", "eng_Latn"),
    ("会议讨论了来年的新预算，并决定进一步扩大产业规模。", "zho_Hans"),
    ("會議討論了來年的新預算，並決定進一步擴大產業規模，這個問題很重要。", "zho_Hant"),
])
def test_targets_and_script_variants(text, expected):
    assert detect_language(text).code == expected


def test_override_beats_sidecar_beats_detection(tmp_path):
    seed = tmp_path / "a.txt"
    seed.write_text("The committee met on Tuesday to discuss the budget.", encoding="utf-8")
    assert decide_language(seed.read_text(), seed).code == "eng_Latn"
    (tmp_path / "a.lang").write_text("deu_Latn\n", encoding="utf-8")
    assert decide_language(seed.read_text(), seed).method == "sidecar"
    assert decide_language(seed.read_text(), seed, "fra_Latn").code == "fra_Latn"
    with pytest.raises(LanguageUndecidedError, match="not a FLORES-200 code"):
        decide_language(seed.read_text(), seed, "english")


def test_undecidable_text_asks_for_a_code():
    with pytest.raises(LanguageUndecidedError):
        detect_language("12345 67890 !!! ??? ...")
