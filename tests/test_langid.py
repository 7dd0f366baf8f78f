import random
import subprocess
import sys
from pathlib import Path

import pytest

from seedmt.cli import EXIT_USAGE, main
from seedmt.text.ingest import read_seed
from seedmt.text.langid import LanguageUndecidedError, decide_language, detect_language
from tests.helpers import EXPECTED_SEED_LANGS, SEEDS_DIR

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
    pytest.importorskip("fasttext")
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
