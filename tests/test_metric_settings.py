"""One owner of per-language metric settings: the same hypothesis, reference and target get the same BLEU, chrF
and TER signature and score in `seedmt eval`, `compare`, HTER and human evaluation, for every script class
seedmt knows; and the tokenizers follow sacrebleu's own defaults for the target language."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sacrebleu.metrics import BLEU

from seedmt.core.metric_settings import metrics_for

# (target, a machine translation, its post-edit / reference): one per script class
CASES = [
    ("eng_Latn", "The mayor thanked the volunteers on Tuesday.", "On Tuesday the mayor thanked all volunteers."),
    ("rus_Cyrl", "Мэр поблагодарил волонтёров во вторник.", "Во вторник мэр поблагодарил всех волонтёров."),
    ("zho_Hans", "市长周二感谢了志愿者。", "周二市长感谢了所有志愿者。"),
    ("zho_Hant", "市長週二感謝了志願者。", "週二市長感謝了所有志願者。"),
    ("jpn_Jpan", "市長は火曜日にボランティアに感謝した。", "火曜日、市長はすべてのボランティアに感謝した。"),
    ("kor_Hang", "시장은 화요일에 자원봉사자들에게 감사했다.", "화요일에 시장은 모든 자원봉사자들에게 감사했다."),
    ("tha_Thai", "นายกเทศมนตรีขอบคุณอาสาสมัครในวันอังคาร", "ในวันอังคารนายกเทศมนตรีขอบคุณอาสาสมัครทุกคน"),
    ("arb_Arab", "شكر العمدة المتطوعين يوم الثلاثاء.", "يوم الثلاثاء شكر العمدة جميع المتطوعين."),
    ("hin_Deva", "महापौर ने मंगलवार को स्वयंसेवकों को धन्यवाद दिया।", "मंगलवार को महापौर ने सभी स्वयंसेवकों को धन्यवाद दिया।"),
    ("kat_Geor", "მერმა სამშაბათს მოხალისეებს მადლობა გადაუხადა.", "სამშაბათს მერმა ყველა მოხალისეს მადლობა გადაუხადა."),
]


def _eval_scores(target, hyp, ref):
    from seedmt.eval.metrics import corpus_scores, make_metrics

    return corpus_scores([hyp], [ref], make_metrics(target))


def _compare_scores(target, hyp, ref):
    from seedmt.eval.compare import _compare_direction
    from seedmt.eval.evaluate import PairedSegments

    paired = PairedSegments("xxx_Latn", target, sources=["s"], hypotheses=[hyp], references=[ref])
    block = _compare_direction([SimpleNamespace(name="a"), SimpleNamespace(name="b")], [paired, paired], "bs", 10,
                               None)
    return {name: {"score": m["systems"][0]["score"], "signature": m["signature"]}
            for name, m in block["metrics"].items()}


def _human_evaluation_scores(target, hyp, ref):
    from seedmt.dataset.campaigns import Item
    from seedmt.eval.humaneval import _metric_scores

    item = Item(1, "doc", "doc:0", "xxx_Latn", "source", [], [], "regular", None, None, [hyp, hyp], ["a", "b"])
    return _metric_scores({1: item}, ["a", "b"], [1], {"doc:0": ref}, target)


@pytest.mark.parametrize("target,hyp,ref", CASES, ids=[c[0] for c in CASES])
def test_every_place_scores_alike(target, hyp, ref):
    from seedmt.dataset.reviews import hter

    evaluated = _eval_scores(target, hyp, ref)
    compared = _compare_scores(target, hyp, ref)
    human = _human_evaluation_scores(target, hyp, ref)
    for name in ("BLEU", "chrF2++", "TER"):
        # compare's signature adds the test's own fields (bs, seed) to the metric's
        assert set(evaluated[name]["signature"].split("|")) <= set(compared[name]["signature"].split("|")), name
        assert compared[name]["score"] == pytest.approx(evaluated[name]["score"], abs=1e-4), name
        assert human[name]["signature"] == evaluated[name]["signature"], name
        sign = -1 if name == "TER" else 1
        assert sign * human[name]["systems"]["a"] == pytest.approx(evaluated[name]["score"], abs=1e-4), name
    # HTER is TER of the machine translation against its post-edit, with the same settings
    assert hter(hyp, ref, target) == pytest.approx(evaluated["TER"]["score"], abs=0.01)


def test_tokenizers_follow_sacrebleus_defaults_for_the_target():
    for target, language in (("zho_Hans", "zh"), ("jpn_Jpan", "ja"), ("kor_Hang", "ko"), ("eng_Latn", "en"),
                             ("tha_Thai", "th")):
        default = BLEU(trg_lang=language)
        settings = metrics_for(target)
        if settings.notes:  # MeCab missing: the fallback is said, and the signature names it
            assert "MeCab" in settings.notes[0] and settings.bleu_tokenize in ("char", "13a")
            continue
        assert settings.bleu_tokenize == default.tokenizer.signature().split("-")[0] or \
            default.tokenizer.signature().startswith(settings.bleu_tokenize), target
    assert metrics_for("zho_Hans").ter_asian_support and metrics_for("jpn_Jpan").ter_asian_support
    assert not metrics_for("tha_Thai").ter_asian_support and not metrics_for("kor_Hang").ter_asian_support
    assert "eff:yes" in str(_signature(metrics_for("eng_Latn").bleu(sentence=True)))
    assert "eff:no" in str(_signature(metrics_for("eng_Latn").bleu()))


def test_a_missing_mecab_is_said_and_recorded(monkeypatch):
    from seedmt.core import metric_settings

    metrics_for.cache_clear()
    monkeypatch.setattr(metric_settings, "_mecab_available", lambda tokenizer: False)
    try:
        settings = metrics_for("jpn_Jpan")
        assert settings.bleu_tokenize == "char" and "sacrebleu[ja]" in settings.notes[0]
        assert "tok:char" in str(_signature(settings.bleu()))
    finally:
        metrics_for.cache_clear()


def _signature(metric):
    metric.corpus_score(["a"], [["a"]])
    return metric.get_signature()
