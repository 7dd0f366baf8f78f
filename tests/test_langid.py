import random
import subprocess
import sys
from pathlib import Path

import pytest

from seedmt.cli import EXIT_USAGE, main
from seedmt.text.ingest import read_seed
from seedmt.text.langid import LanguageUndecidedError, decide_language, detect_language
from tests.helpers import EXPECTED_SEED_LANGS, SEEDS_DIR, import_or_fail_in_ci, skip_outside_ci

CROATIAN = ("Vlada je u utorak predstavila novi proračun za sljedeću godinu. Ministar financija rekao je da će "
            "porezi ostati isti, a plaće u javnom sektoru porasti će za tri posto. Oporba je kritizirala prijedlog.")


@pytest.mark.parametrize("doc_id,expected", sorted(EXPECTED_SEED_LANGS.items()))
@pytest.mark.parametrize("lid", ["heliport", "py3langid"])
def test_each_seed_is_identified(doc_id, expected, lid):
    doc = read_seed(SEEDS_DIR / f"{doc_id}.txt")
    decision = detect_language(doc.text, lid)
    assert decision.code == expected
    assert decision.method == lid
    assert decision.runner_up and decision.runner_up != expected
    assert decision.margin > 0.5


@pytest.mark.parametrize("text,expected", [
    ("The committee met on Tuesday to discuss the new budget for the coming year.", "eng_Latn"),
    ("会议讨论了来年的新预算，并决定进一步扩大产业规模。", "zho_Hans"),
    ("會議討論了來年的新預算，並決定進一步擴大產業規模，這個問題很重要。", "zho_Hant"),
])
def test_targets_and_script_variants(text, expected):
    assert detect_language(text).code == expected


def test_a_macrolanguage_label_is_undecided_with_its_candidates():
    """heliport says 'hbs' (Serbo-Croatian); NLLB has hrv_Latn and bos_Latn: refuse, naming both."""
    with pytest.raises(LanguageUndecidedError) as caught:
        detect_language(CROATIAN)
    assert "hrv_Latn" in str(caught.value) and "bos_Latn" in str(caught.value)
    assert set(caught.value.candidates) == {"hrv_Latn", "bos_Latn"}


def test_override_beats_sidecar_beats_detection(tmp_path):
    seed = tmp_path / "a.txt"
    seed.write_text("The committee met on Tuesday to discuss the budget for the coming year.", encoding="utf-8")
    assert decide_language(seed.read_text(), seed).code == "eng_Latn"
    (tmp_path / "a.lang").write_text("deu_Latn\n", encoding="utf-8")
    assert decide_language(seed.read_text(), seed).method == "sidecar"
    assert decide_language(seed.read_text(), seed, "fra_Latn").code == "fra_Latn"
    with pytest.raises(LanguageUndecidedError, match="not a FLORES-200 code"):
        decide_language(seed.read_text(), seed, "english")


def test_undecidable_text_asks_for_a_code():
    with pytest.raises(LanguageUndecidedError):
        detect_language("12345 67890 !!! ??? ...")


def _train_fasttext(path: Path, label_per_seed: dict[str, str]) -> Path:
    """A real fastText LID model with FLORES-200 labels, trained on the seeds' lines."""
    import_or_fail_in_ci("fasttext")
    lines = [f"__label__{label} {line.strip()}\n" for doc_id, label in label_per_seed.items()
             for line in (SEEDS_DIR / f"{doc_id}.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(0).shuffle(lines)  # fastText learns in file order
    train = path.with_suffix(".train.txt")
    train.write_text("".join(lines), encoding="utf-8")
    # In its own process: after other libraries have set up threads and floating-point state in this one,
    # fastText's training diverges ("Encountered NaN").
    script = ("import sys, fasttext; fasttext.train_supervised(sys.argv[1], epoch=100, lr=1.0, bucket=100000, "
              "thread=1, seed=1, verbose=0).save_model(sys.argv[2])")
    subprocess.run([sys.executable, "-c", script, str(train), str(path)], check=True, timeout=300)
    return path


@pytest.fixture(scope="module")
def fasttext_model(tmp_path_factory) -> Path:
    return _train_fasttext(tmp_path_factory.mktemp("lid") / "lid.bin",
                           EXPECTED_SEED_LANGS)


@pytest.mark.parametrize("doc_id,expected", sorted(EXPECTED_SEED_LANGS.items()))
def test_a_local_fasttext_model_with_flores_labels(fasttext_model, doc_id, expected):
    decision = detect_language(read_seed(SEEDS_DIR / f"{doc_id}.txt").text, f"fasttext:{fasttext_model}")
    assert (decision.code, decision.method) == (expected, "fasttext")
    assert 0.5 < decision.confidence <= 1.0 + 1e-6


def test_a_small_margin_is_undecided():
    """Half Belarusian, half Russian: heliport ranks the two close together, so no code is chosen."""
    mixed = ("Урад у аўторак прадставіў новы бюджэт на наступны год. "
             "Правительство во вторник представило новый бюджет на следующий год.")
    with pytest.raises(LanguageUndecidedError, match="not clear-cut") as caught:
        detect_language(mixed)
    assert "bel_Cyrl" in str(caught.value) and "rus_Cyrl" in str(caught.value)


def test_cli_rejects_an_unknown_identifier(tmp_path, capsys):
    assert main(["translate", str(SEEDS_DIR), "--lid", "cld3", "--out", str(tmp_path / "o")]) == EXIT_USAGE
    assert "unknown language identifier 'cld3'" in capsys.readouterr().err
    assert main(["translate", str(SEEDS_DIR), "--lid", f"fasttext:{tmp_path}/none.bin",
                 "--out", str(tmp_path / "o")]) == EXIT_USAGE
    assert "fastText model not found" in capsys.readouterr().err


# --- languages outside the identifiers' label sets -------------------------------------------------------

class FakeIdentifier:
    """An identifier whose ranking and label set a test chooses (heliport's units: higher is better)."""

    def __init__(self, name: str, ranking: list[tuple[str, float]], known: set[str]) -> None:
        self.name, self.ranking, self.known = name, ranking, frozenset(known)

    def guesses(self, text, text_script):
        from seedmt.text.langid.identifiers import Guess

        return [Guess(code, (code,), score, True) for code, score in self.ranking]

    def known_codes(self):
        return self.known


HINDI_BELT = "यह एक वाक्य है जिसमें केवल देवनागरी लिपि के अक्षर हैं।"  # any Devanagari text: the fakes decide


@pytest.mark.parametrize("heliport, py3langid, expected", [
    # Bhojpuri read as Hindi by heliport with a clear margin, py3langid unsure: neither knows Bhojpuri.
    ([("hin_Deva", -4.0), ("npi_Deva", -5.5)], [("hin_Deva", 0.80), ("npi_Deva", 0.2)], None),
    # Hindi: both identifiers name it, py3langid sure: taken.
    ([("hin_Deva", -3.7), ("npi_Deva", -5.4)], [("hin_Deva", 0.997), ("npi_Deva", 0.003)], "hin_Deva"),
    # Rundi: heliport has no label for Kinyarwanda or Rundi; py3langid alone says Kinyarwanda.
    ([("lin_Latn", -6.1), ("swh_Latn", -6.15)], [("kin_Latn", 1.0), ("sna_Latn", 0.0)], None),
    # Tibetan: heliport says Tibetan, py3langid (no Tibetan label) Dzongkha: relatives disagree.
    ([("bod_Tibt", -3.3), ("lao_Laoo", -6.9)], [("dzo_Tibt", 1.0), ("hin_Deva", 0.0)], None),
    # Kabyle: heliport lacks it and names something unrelated; py3langid's answer stands.
    ([("lmo_Latn", -6.45), ("quy_Latn", -6.47)], [("kab_Latn", 1.0), ("sna_Latn", 0.0)], "kab_Latn"),
])
def test_a_relative_outside_the_label_sets_is_never_named(heliport, py3langid, expected):
    from seedmt.text.langid.decision import ensemble

    helix = FakeIdentifier("heliport", heliport, {"hin_Deva", "npi_Deva", "lin_Latn", "swh_Latn", "bod_Tibt",
                                                  "lao_Laoo", "lmo_Latn", "quy_Latn"})
    py = FakeIdentifier("py3langid", py3langid, {"hin_Deva", "npi_Deva", "kin_Latn", "sna_Latn", "dzo_Tibt",
                                                 "kab_Latn"})
    text = {"Deva": HINDI_BELT, "Latn": "Abantu bose bavuka bafite agaciro kangana.",
            "Tibt": "བོད་ཀྱི་སྐད་ཡིག་ནི་སྐད་ཡིག་གཅིག་རེད།"}[heliport[0][0].split("_")[1]]
    if expected is None:
        with pytest.raises(LanguageUndecidedError) as refused:
            ensemble(text, helix, py)
        assert len(refused.value.candidates) >= 2
    else:
        assert ensemble(text, helix, py).code == expected


def test_three_letter_labels_of_py3langid_are_understood():
    """py3langid labels some languages with ISO 639-3 codes (crh, vec, kab): those are FLORES-200 languages."""
    from seedmt.text.langid.identifiers import Py3langidIdentifier

    known = Py3langidIdentifier().known_codes()
    assert {"crh_Latn", "vec_Latn", "kab_Latn", "ace_Latn", "yue_Hant", "hau_Latn", "grn_Latn"} <= known


@pytest.mark.slow
def test_real_catalogs_with_their_language_removed_from_the_identifiers_get_no_code():
    """Human-translated program messages (the system's gettext catalogs), identified with their own language
    taken out of both identifiers: whatever code comes back would be wrong."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from langid_eval import MaskedIdentifier, build_documents

    from seedmt.text.langid.decision import ensemble
    from seedmt.text.langid.identifiers import make_identifier

    docs = {k: v for k, v in build_documents(Path("/usr/share/locale")).items()
            if k in {"crh", "dz", "xh", "id", "ms", "nso", "tr", "pt", "hi"}}
    if len(docs) < 5:
        skip_outside_ci("too few gettext catalogs installed here (Debian: gettext, language packs)")
    heliport, py3langid = make_identifier("heliport"), make_identifier("py3langid")
    for locale, (code, text) in docs.items():
        with pytest.raises(LanguageUndecidedError):
            ensemble(text, MaskedIdentifier(heliport, code), MaskedIdentifier(py3langid, code))
