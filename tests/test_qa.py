"""QA checks (seedmt.cat.qa) and glossaries (seedmt.cat.glossary): each check on pairs built for it, with the
spans it reports; translate-toolkit loaded from a checkout whose `translate/` folder has its import name; the
seeds' references (translations taken as correct) hardly flagged."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from seedmt.cat.glossary import Glossary, GlossaryError, find_term, read_glossary
from seedmt.cat.qa import CHECKS, INFO, Pair, check_pair, check_pairs
from tests.helpers import REPO_ROOT


def findings(source: str, target: str, source_lang: str = "kor_Hang", target_lang: str = "eng_Latn",
             glossary: Glossary | None = None) -> dict:
    """check id -> finding, for one pair."""
    found = check_pair(Pair("s1", source, target, source_lang, target_lang), glossary)
    return {f.check: f for f in found}


def spans_text(text: str, spans) -> list[str]:
    return [text[s:e] for s, e in spans]


def test_translate_toolkit_loads_from_a_checkout_whose_translate_folder_shadows_it():
    # run from the repository root, `import translate` would find seedmt's own translate/ folder
    code = ("import sys, translate; print(translate.__file__); "
            "from seedmt.core.toolkit import toolkit_module; print(toolkit_module('storage.xliff').__file__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    # the folder wins a plain import there; toolkit_module then refuses to mix them, naming the module in the way
    assert done.returncode != 0 and "another module named 'translate'" in done.stderr, done.stderr[-2000:]
    code = "from seedmt.core.toolkit import toolkit_module; print(toolkit_module('storage.xliff').__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "site-packages" in done.stdout and str(REPO_ROOT / "translate") not in done.stdout


@pytest.mark.parametrize("source,target,target_lang", [
    ("가격은 300,000원이다.", "价格为30万韩元。", "zho_Hans"),
    ("가격은 300,000원이다.", "The price is 300,000 won.", "eng_Latn"),
    ("3,5 млн рублёў.", "3.5 million roubles.", "eng_Latn"),
    ("2023년12월6일 11시46분", "December 6, 2023, 11:46", "eng_Latn"),
    ("2023년12월6일", "2023年12月6日", "zho_Hans"),
    ("«14-я пяцігодка» пачынаецца.", "“十四五”开局。", "zho_Hans"),
    ("Выраб павялічыўся ў 5 разоў.", "Output grew fivefold.", "eng_Latn"),
    ("25 000 Вт", "25,000 W", "eng_Latn"),
])
def test_numbers_written_the_ways_languages_write_them_match(source, target, target_lang):
    assert "numbers" not in findings(source, target, "bel_Cyrl", target_lang)


def test_a_changed_number_is_found_with_both_spans():
    source, target = "가격은 300,000원(약 230달러)이다.", "The price is 30,000 won (about 230 dollars)."
    finding = findings(source, target)["numbers"]
    assert finding.severity == "error"
    assert spans_text(source, finding.source_spans) == ["300,000"]
    assert spans_text(target, finding.target_spans) == ["30,000"]


def test_urls_emails_placeholders_and_markup_are_translate_toolkits_checks_with_spans():
    source = "자세한 내용은 https://example.org/a?id=7 또는 info@example.org, {name}님 <b>%d</b>건."
    target = "Details at https://example.org/a?id=8 or info@exampel.org, {nam}, <b>%s</b> items."
    found = findings(source, target)
    assert spans_text(source, found["urls"].source_spans) == ["https://example.org/a?id=7"]
    assert spans_text(target, found["urls"].target_spans) == ["https://example.org/a?id=8"]
    assert spans_text(target, found["emails"].target_spans) == ["info@exampel.org"]
    assert "{nam}" in spans_text(target, found["placeholders"].target_spans)
    assert "placeholders" in found and found["placeholders"].severity == "error"
    clean = findings(source, "Details at https://example.org/a?id=7 or info@example.org, {name}, <b>%d</b> items.")
    assert not {"urls", "emails", "placeholders", "markup"} & set(clean)
    assert "markup" in findings("<b>굵게</b> 쓴다.", "Written <b>bold.")


def test_brackets_dropped_and_quotes_left_open_are_found_full_width_forms_are_brackets_too():
    assert "brackets" not in findings("중차장객(中车长客)이 발언했다.", "中车长客（CRRC）作了发言。", target_lang="zho_Hans")
    dropped = findings("중차장객(中车长客)이 발언했다.", "CRRC (Changchun spoke.")
    assert spans_text("CRRC (Changchun spoke.", dropped["brackets"].target_spans) == ["("]
    # a gloss the translator leaves out whole is no bracket error
    assert "brackets" not in findings("련주기업(链主企业)을 선두로 한다.", "Led by chain-leader enterprises.")
    assert "quotes" in findings("그는 \"좋다\"고 말했다.", "He said \"good.")
    assert "quotes" not in findings("그는 \"좋다\"고 말했다.", "他说“好”。", target_lang="zho_Hans")


def test_untranslated_and_words_left_in_the_source_script():
    source = "대장비 산업 집군 건설사업에 대해 조사연구했다."
    assert findings(source, source)["untranslated"].severity == "error"
    left = findings(source, "He researched the 대장비산업 cluster.")
    assert spans_text("He researched the 대장비산업 cluster.", left["source_script"].target_spans) == ["대장비산업"]
    # a source in the target's own script copied word for word is untranslated too
    assert "untranslated" in findings("Die Preise steigen stark.", "Die Preise steigen stark.", "deu_Latn")
    # names the languages share are not
    assert "untranslated" not in findings("Berlin", "Berlin", "deu_Latn")


def test_end_punctuation_question_and_exclamation_in_every_script():
    assert "end_punctuation" in findings("정말 그런가?", "Is it really so.")
    assert "end_punctuation" not in findings("정말 그런가?", "真的是这样吗？", target_lang="zho_Hans")
    assert "end_punctuation" not in findings("هەقىقەتەن شۇنداقمۇ؟", "Is it really so?", "uig_Arab")
    assert "end_punctuation" not in findings("그는 다음과 같이 강조했다.", "他强调：", target_lang="zho_Hans")
    lost = findings("이 문장은 끝에 마침표가 있다.", "This sentence ends without its stop")
    assert lost["final_stop"].severity == INFO


def test_form_checks_double_spaces_repeated_words_whitespace():
    found = findings("그는 말했다.", " He said  the the thing.")
    assert {"double_spaces", "repeated_words", "whitespace"} <= set(found)
    assert spans_text(" He said  the the thing.", found["repeated_words"].target_spans) == ["the the"]
    assert all(found[c].severity == INFO for c in ("double_spaces", "repeated_words", "whitespace"))


def test_length_far_off_the_pairs_norm_and_consistency_across_pairs():
    sentence = "대장비 산업 집군 건설사업에 대해 조사연구하고 좌담회를 주재했다."
    pairs = [Pair(f"s{i}", sentence + f" {i}번", f"He chaired symposium number {i} on the equipment cluster.",
                  "kor_Hang", "eng_Latn") for i in range(10)]
    pairs.append(Pair("long", sentence, "He chaired a symposium. " * 12, "kor_Hang", "eng_Latn"))
    pairs.append(Pair("again", sentence + " 3번", "A symposium on the cluster was chaired by him, number 3.",
                      "kor_Hang", "eng_Latn"))
    pairs.append(Pair("same", "완전히 다른 원문 문장이 여기에 있다.", "He chaired symposium number 4 on the equipment cluster.",
                      "kor_Hang", "eng_Latn"))
    reports = {r.pair.key: {f.check for f in r.findings} for r in check_pairs(pairs)}
    assert "length" in reports["long"] and "length" not in reports["s1"]
    assert "inconsistent_translation" in reports["again"] and "inconsistent_translation" in reports["s3"]
    assert "inconsistent_source" in reports["same"] and "inconsistent_source" in reports["s4"]
    assert "inconsistent_translation" not in reports["s5"]


def test_every_check_has_a_severity_and_a_description():
    assert all(severity in ("error", "warning", "info") and what for severity, what in CHECKS.values())


# --- glossary ----------------------------------------------------------------------------------------------------

def test_terms_match_on_word_boundaries_with_inflection_and_inside_unspaced_scripts():
    assert find_term("memory", "translation memories are kept", "eng_Latn") == ((12, 20),)
    assert find_term("cat", "a category", "eng_Latn") == ()
    assert find_term("CAT tool", "two cat  tools", "eng_Latn") == ((4, 14),)
    assert find_term("激光", "济南激光产业", "zho_Hans") == ((2, 4),)
    assert find_term("서울", "서울에서 열렸다", "kor_Hang") == ((0, 4),)  # a Korean particle joins the word


def test_glossary_findings_term_missing_and_forbidden(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text("source term,target term,target language,note,forbidden\n"
                    "대장비,large equipment,en,client term,\n"
                    "대장비,heavy machinery,en,old term,yes\n"
                    "집군,集群,zho_Hans,,\n", encoding="utf-8")
    glossary = read_glossary(path)
    assert len(glossary) == 3 and glossary.terms[1].forbidden
    source = "대장비 산업 집군 건설사업"
    missing = findings(source, "The big machine industry cluster project", glossary=glossary)
    assert spans_text(source, missing["glossary"].source_spans) == ["대장비"]
    assert "glossary" not in findings(source, "The large equipment industry cluster project", glossary=glossary)
    forbidden = findings(source, "The heavy machinery industry cluster project", glossary=glossary)
    assert spans_text("The heavy machinery industry cluster project", forbidden["forbidden_term"].target_spans) == \
        ["heavy machinery"]
    assert "glossary" not in findings(source, "大装备产业集群建设", target_lang="zho_Hans", glossary=glossary)


def test_tbx_glossary_through_translate_toolkit(tmp_path):
    path = tmp_path / "terms.tbx"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX" xml:lang="en"><text><body>
<termEntry id="t1"><descrip type="definition">laser cutting</descrip>
 <langSet xml:lang="ko"><tig><term>레이저</term></tig></langSet>
 <langSet xml:lang="en"><tig><term>laser</term></tig></langSet>
 <langSet xml:lang="zh-Hans"><tig><term>激光</term></tig><tig><term>镭射</term>
   <termNote type="administrativeStatus">deprecatedTerm-admn</termNote></tig></langSet>
</termEntry></body></text></martif>""", encoding="utf-8")
    glossary = read_glossary(path)
    assert {(t.source, t.target, t.target_lang, t.forbidden) for t in glossary.terms} == {
        ("레이저", "laser", "eng_Latn", False), ("레이저", "激光", "zho_Hans", False), ("레이저", "镭射", "zho_Hans", True)}
    assert "forbidden_term" in findings("레이저 절단", "镭射切割", target_lang="zho_Hans", glossary=glossary)


def test_glossary_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("source term,target term,target language\n레이저,laser,xx-nowhere\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"bad.csv: line 2: unknown language 'xx-nowhere'"):
        read_glossary(bad)
    header = tmp_path / "header.tsv"
    header.write_text("term\ttranslation\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"header.tsv: line 1: the header needs"):
        read_glossary(header)
    with pytest.raises(GlossaryError, match="not a readable TBX"):
        (tmp_path / "broken.tbx").write_text("<martif", encoding="utf-8")
        read_glossary(tmp_path / "broken.tbx")


# --- the seeds' references, and planted errors -------------------------------------------------------------------

def test_the_seeds_references_are_hardly_flagged():
    from seedmt.cat.pairs import reference_pairs
    from tests.helpers import EXPECTED_SEED_LANGS

    pairs = reference_pairs(REPO_ROOT / "references", EXPECTED_SEED_LANGS)
    assert len(pairs) > 250 and {p.target_lang for p in pairs} == {"eng_Latn", "zho_Hans"}
    flagged = [r for r in check_pairs(pairs) if any(f.severity != INFO for f in r.findings)]
    assert len(flagged) <= 0.02 * len(pairs), [(r.pair.key, [f.message for f in r.findings]) for r in flagged]


def test_qa_cli_reports_json_and_fails_on_errors(tmp_path):
    from seedmt.cli import EXIT_OK, EXIT_PARTIAL, main
    from tests.helpers import dataset_of_references

    extra = {"003_8e8481b4ceab6e39": [("Кошт 300 000 рублёў (каля 90 000 долараў).",
                                       {"eng_Latn": "It costs 30,000 roubles (about 90,000 dollars.",
                                        "zho_Hans": "费用为30万卢布（约9万美元）。"})]}
    dataset = dataset_of_references(tmp_path / "translations", doc_ids=("003_8e8481b4ceab6e39",), extra=extra)
    out = tmp_path / "qa.json"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["qa", str(dataset), "--no-references", "--json", "--severity", "warning"])
    assert code == EXIT_OK
    out.write_text(buffer.getvalue(), encoding="utf-8")
    report = json.loads(out.read_text(encoding="utf-8"))
    last = [r for r in report["reports"] if r["key"].endswith(":0021")]
    assert [r["target_lang"] for r in last] == ["eng_Latn"]  # the Chinese translation is right
    assert {f["check"] for f in last[0]["findings"]} == {"numbers", "brackets"}
    assert main(["qa", str(dataset), "--no-references", "--fail-on", "error"]) == EXIT_PARTIAL
