"""XLIFF out to CAT tools and back (seedmt.cat.xliff), TMX through translate-toolkit, and the translation memory
with concordance (seedmt.cat.memory), on a dataset whose translations are the seeds' references."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from seedmt.cat.memory import TranslationMemory, memory_path, read_tmx_pairs
from seedmt.cat.pairs import memory_pairs
from seedmt.cat.qa import Pair
from seedmt.cat.xliff import export_xliff, import_xliff, xliff_pairs
from seedmt.cli import EXIT_OK, EXIT_PARTIAL, main
from seedmt.core.toolkit import toolkit_module
from seedmt.dataset.reviews import EDITED, ReviewStore, store_path
from seedmt.dataset.schema import SEGMENTS, TRANSLATION_COLUMN
from seedmt.dataset.storage import open_dataset
from tests.helpers import REPO_ROOT, dataset_of_references, skip_outside_ci

BELARUSIAN = "003_8e8481b4ceab6e39"
EXTRA = {BELARUSIAN: [("Кошт 300 000 рублёў (каля 90 000 долараў).",
                       {"eng_Latn": "It costs 30,000 roubles (about 90,000 dollars.",
                        "zho_Hans": "费用为30万卢布（约9万美元）。"})]}


@pytest.fixture
def dataset(tmp_path) -> Path:
    return dataset_of_references(tmp_path / "translations", doc_ids=(BELARUSIAN, "004_673d402516499681"), extra=EXTRA)


def units_of(path: Path) -> dict:
    store = toolkit_module("storage.xliff").xlifffile.parsefile(str(path))
    return {u.xmlelement.get("id"): u for u in store.getunits()}


def test_xliff_export_is_xliff_1_2_one_file_per_document_and_target_that_translate_toolkit_reads(dataset, tmp_path):
    store = ReviewStore(store_path(dataset))
    rows = {r["segment_id"]: r for r in open_dataset(dataset).tables[SEGMENTS]}
    first = f"{BELARUSIAN}:0001"
    store.act(first, "eng_Latn", "edit", machine_translation=rows[first][TRANSLATION_COLUMN]["eng_Latn"],
              reviewer="ana", text="One deputy stressed the attention laser technology receives.")
    store.close()
    files = export_xliff(dataset, tmp_path / "xliff")
    assert sorted(str(p.relative_to(tmp_path / "xliff")) for p in files) == sorted(
        f"{t}/{d}.xlf" for t in ("eng_Latn", "zho_Hans") for d in (BELARUSIAN, "004_673d402516499681"))
    text = (tmp_path / "xliff" / "eng_Latn" / f"{BELARUSIAN}.xlf").read_text(encoding="utf-8")
    assert 'xmlns="urn:oasis:names:tc:xliff:document:1.2"' in text and 'version="1.2"' in text
    units = units_of(tmp_path / "xliff" / "eng_Latn" / f"{BELARUSIAN}.xlf")
    assert list(units) == [r for r in rows if r.startswith(BELARUSIAN)]  # stable ids, document order
    edited = units[first]
    assert edited.target == "One deputy stressed the attention laser technology receives."
    assert edited.xmlelement.find("{*}target").get("state") == "signed-off" and edited.isapproved()
    untouched = units[f"{BELARUSIAN}:0002"]
    assert untouched.source == rows[f"{BELARUSIAN}:0002"][TRANSLATION_COLUMN]["bel_Cyrl"]
    assert untouched.xmlelement.find("{*}target").get("state") == "needs-review-translation"
    wrong = units[f"{BELARUSIAN}:0021"]  # the planted pair: number and bracket
    notes = wrong.getnotes("seedmt-qa")
    assert "error numbers" in notes and "warning brackets" in notes
    assert units_of(tmp_path / "xliff" / "zho_Hans" / f"{BELARUSIAN}.xlf")[f"{BELARUSIAN}:0021"].getnotes() == ""


def test_the_same_file_imported_unchanged_changes_nothing(dataset, tmp_path):
    files = export_xliff(dataset, tmp_path / "xliff")
    report = import_xliff(files, dataset, "bob")
    assert report.edited == 0 and report.refused == [] and report.unchanged == report.units > 100
    assert not store_path(dataset).exists()  # not even an empty review store


def test_edited_targets_come_back_as_edits_refused_units_are_named_and_nothing_else_changes(dataset, tmp_path):
    files = export_xliff(dataset, tmp_path / "xliff")
    path = tmp_path / "xliff" / "eng_Latn" / f"{BELARUSIAN}.xlf"
    store = toolkit_module("storage.xliff").xlifffile.parsefile(str(path))
    units = {u.xmlelement.get("id"): u for u in store.getunits()}
    units[f"{BELARUSIAN}:0021"].settarget("It costs 300,000 roubles (about 90,000 dollars).")
    units[f"{BELARUSIAN}:0003"].settarget("Jinan has unique strengths in laser technology.")
    units[f"{BELARUSIAN}:0004"].source = "A source that is not the dataset's."
    units[f"{BELARUSIAN}:0004"].settarget("Changed, but its source no longer matches.")
    path.write_bytes(bytes(store))
    report = import_xliff(files, dataset, "bob")
    assert report.edited == 2 and len(report.hters) == 2 and all(h > 0 for h in report.hters)
    assert "2 edits imported (mean HTER " in report.summary()
    assert report.refused == [f"{BELARUSIAN}.xlf: unit {BELARUSIAN}:0004: its source no longer matches the dataset's "
                              "segment"]
    with ReviewStore(store_path(dataset), create=False) as reviews:
        state = reviews.reviews()
        actions = reviews.actions()
    assert set(state) == {(f"{BELARUSIAN}:0021", "eng_Latn"), (f"{BELARUSIAN}:0003", "eng_Latn")}
    fixed = state[(f"{BELARUSIAN}:0021", "eng_Latn")]
    assert fixed.status == EDITED and fixed.post_edit == "It costs 300,000 roubles (about 90,000 dollars)."
    assert fixed.reviewer == "bob" and fixed.via == f"xliff:{BELARUSIAN}.xlf"
    assert [a["action"] for a in actions] == ["edit", "edit"]
    # a second import of the same file: the edits are what the store holds now, so nothing changes
    again = import_xliff(files, dataset, "bob")
    assert again.edited == 0 and len(again.refused) == 1
    # the reviewed references say how the text was made
    assert main(["review", "export", str(dataset), "--references", str(tmp_path / "refs")]) == EXIT_OK
    lines = (tmp_path / "refs" / "eng_Latn" / f"{BELARUSIAN}.jsonl").read_text(encoding="utf-8")
    assert '"origin": "post-edited in a CAT tool"' in lines
    provenance = (tmp_path / "refs" / "eng_Latn" / f"{BELARUSIAN}.provenance.json").read_text(encoding="utf-8")
    assert '"post-edited in a CAT tool": 2' in provenance


def test_review_import_cli_reports_counts_and_exit_codes(dataset, tmp_path, capsys):
    assert main(["publish", str(dataset), "--to", str(tmp_path / "xliff"), "--format", "xliff"]) == EXIT_OK
    path = tmp_path / "xliff" / "zho_Hans" / f"{BELARUSIAN}.xlf"
    path.write_text(path.read_text(encoding="utf-8").replace(f'id="{BELARUSIAN}:0002"', 'id="no-such-segment"'),
                    encoding="utf-8")
    code = main(["review", "import", str(tmp_path / "xliff"), str(dataset), "--reviewer", "bob"])
    captured = capsys.readouterr()
    assert code == EXIT_PARTIAL and "unit no-such-segment: no such segment" in captured.err
    assert "0 edits imported" in captured.out and "1 refused" in captured.out
    assert main(["review", "import", str(tmp_path / "nothing.xlf"), str(dataset), "--reviewer", "bob"]) == 1
    broken = tmp_path / "broken.xlf"
    broken.write_text("<xliff", encoding="utf-8")
    assert main(["review", "import", str(broken), str(dataset), "--reviewer", "bob"]) == 1
    assert "broken.xlf: not a readable XLIFF file" in capsys.readouterr().err


OMEGAT_PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat><project version="1.0">
<source_dir>__DEFAULT__</source_dir><target_dir>__DEFAULT__</target_dir><tm_dir>__DEFAULT__</tm_dir>
<glossary_dir>__DEFAULT__</glossary_dir><glossary_file>__DEFAULT__</glossary_file>
<dictionary_dir>__DEFAULT__</dictionary_dir>
<source_lang>{source}</source_lang><target_lang>{target}</target_lang>
<source_tok>org.omegat.tokenizer.DefaultTokenizer</source_tok><target_tok>org.omegat.tokenizer.DefaultTokenizer</target_tok>
<sentence_seg>false</sentence_seg><support_default_translations>true</support_default_translations>
<remove_tags>false</remove_tags>
</project></omegat>"""


def test_omegat_reads_the_export_writes_it_back_and_the_import_restores_every_unit(dataset, tmp_path):
    if shutil.which("omegat") is None:
        skip_outside_ci("OmegaT is not installed (Debian package omegat)")
    files = export_xliff(dataset, tmp_path / "xliff")
    path = next(p for p in files if p.parent.name == "eng_Latn" and p.stem == BELARUSIAN)
    project = tmp_path / "omegat-project"
    for folder in ("source", "target", "tm", "omegat", "glossary", "dictionary"):
        (project / folder).mkdir(parents=True)
    (project / "omegat.project").write_text(OMEGAT_PROJECT.format(source="be", target="en"), encoding="utf-8")
    shutil.copy(path, project / "source")
    # what a translator typed in OmegaT's editor: OmegaT 3's XLIFF filter offers a unit's <target> (here the
    # machine translation) as the text to work on, and keeps its work in omegat/project_save.tmx
    units = units_of(path)
    edited = {f"{BELARUSIAN}:0003": "Jinan has unique strengths in laser technology."}
    body = "".join(f'<tu><tuv lang="be"><seg>{escape(units[i].target)}</seg></tuv>'
                   f'<tuv lang="en"><seg>{escape(text)}</seg></tuv></tu>' for i, text in edited.items())
    (project / "omegat" / "project_save.tmx").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.1"><header creationtool="OmegaT" o-tmf="OmegaT TMX" '
        'adminlang="EN-US" datatype="plaintext" creationtoolversion="3.6.0" segtype="paragraph" srclang="be"/>'
        f"<body>{body}</body></tmx>", encoding="utf-8")
    done = subprocess.run(["omegat", "--mode=console-translate", f"--config-dir={tmp_path / 'omegat-config'}",
                           "--disable-project-locking", "--no-team", str(project)],
                          capture_output=True, text=True, timeout=300)
    written = project / "target" / path.name
    assert done.returncode == 0 and written.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    report = import_xliff([written], dataset, "omegat-user")
    assert report.units == len(units) and report.refused == [] and report.without_target == 0
    assert report.edited == 1 and report.unchanged == len(units) - 1
    with ReviewStore(store_path(dataset), create=False) as reviews:
        assert reviews.review(f"{BELARUSIAN}:0003", "eng_Latn").post_edit == edited[f"{BELARUSIAN}:0003"]


def test_tmx_is_written_through_translate_toolkit_and_reads_back(translated_dir, tmp_path):
    from seedmt.dataset.publish import export_for_hub

    export = export_for_hub(translated_dir, tmp_path / "export")
    pairs = read_tmx_pairs(export / "translations.tmx")
    rows = list(open_dataset(translated_dir).tables[SEGMENTS])
    assert len(pairs) == 2 * len(rows)  # every segment into both targets
    first = rows[0]
    assert {(p.source_lang, p.target_lang, p.source, p.target) for p in pairs if p.key == first["segment_id"]} == {
        (first["source_lang"], t, first[TRANSLATION_COLUMN][first["source_lang"]], first[TRANSLATION_COLUMN][t])
        for t in ("eng_Latn", "zho_Hans")}


# --- translation memory -------------------------------------------------------------------------------------------

def test_memory_fuzzy_matches_with_differences_exact_match_and_concordance(dataset, tmp_path):
    memory = TranslationMemory(memory_path(dataset))
    try:
        added = memory.add(memory_pairs(dataset, REPO_ROOT / "references"))
        assert added == len(memory) > 250
        source = "Цзінань мае унікальныя перавагі ў галіне лазерных тэхналогій."
        exact = memory.lookup(source, "bel_Cyrl", "eng_Latn")
        assert exact[0].score == 100.0 and exact[0].target == "Jinan has unique advantages in laser technology."
        assert exact[0].origin == "reference" and exact[0].differences == ()
        segment = "Цзінань мае вялікія перавагі ў галіне лазерных тэхналогій."
        fuzzy = memory.lookup(segment, "bel_Cyrl", "eng_Latn")
        assert 80 <= fuzzy[0].score < 100 and fuzzy[0].source == source
        changed = "".join(source[s:e] for op, s, e in fuzzy[0].differences if op != "insert")
        assert changed and set(changed) <= set("унікальныя")
        assert memory.lookup(segment, "bel_Cyrl", "zho_Hans")[0].target.startswith("济南")
        assert memory.lookup("Зусім іншы сказ пра надвор'е ў горадзе.", "bel_Cyrl", "eng_Latn") == []
        hits = memory.concordance("laser technology", "eng_Latn", side="target")
        assert hits and all("laser technology" in h.target.lower() for h in hits)
        assert all(h.target[s:e].lower() == "laser technology" for h in hits for s, e in h.target_spans)
        chinese = memory.concordance("激光", "zho_Hans", side="target")
        assert chinese and all("激光" in h.target for h in chinese)
        # a post-edit added later is found at once
        memory.add([Pair("k", segment, "Jinan has great strengths in lasers.",
                      "bel_Cyrl", "eng_Latn", "post-edit")])
        assert memory.lookup(segment, "bel_Cyrl", "eng_Latn")[0].score == 100.0
    finally:
        memory.close()


def test_tm_cli_build_lookup_search_and_imports(dataset, tmp_path, capsys):
    assert main(["tm", "lookup", "Цзінань", "--from", "bel_Cyrl", "--to", "eng_Latn", "--dataset", str(dataset)]) == 2
    assert "seedmt tm build" in capsys.readouterr().err
    files = export_xliff(dataset, tmp_path / "xliff")
    assert main(["tm", "build", str(dataset), "--references", str(tmp_path / "none"),
                 "--import", str(files[0])]) == EXIT_OK
    assert "pairs" in capsys.readouterr().out
    assert len(xliff_pairs(files[0])) > 0
    assert main(["tm", "lookup", "Цзінань мае унікальныя перавагі ў галіне лазерных тэхналогій.", "--from",
                 "bel_Cyrl", "--to", "eng_Latn", "--dataset", str(dataset), "--json"]) == EXIT_OK
    out = capsys.readouterr().out
    assert '"score": 100.0' in out and "xliff:" in out
    assert main(["tm", "search", "laser", "--lang", "eng_Latn", "--side", "target", "--dataset", str(dataset)]) == 0


def test_work_done_in_seedmt_after_the_export_is_never_overwritten_by_the_file(dataset, tmp_path):
    """Ana post-edits two segments in the review app after the export; the translator leaves one of them alone in
    the CAT tool and changes the other (and a third nobody touched). The untouched unit does not bring back the
    old text, the doubly changed one is refused with the file's text kept in the log, the third is imported."""
    files = export_xliff(dataset, tmp_path / "xliff")
    rows = {r["segment_id"]: r for r in open_dataset(dataset).tables[SEGMENTS]}
    left, both, third = (f"{BELARUSIAN}:{i:04d}" for i in (1, 2, 3))
    with ReviewStore(store_path(dataset)) as store:
        for segment in (left, both):
            store.act(segment, "eng_Latn", "edit", machine_translation=rows[segment][TRANSLATION_COLUMN]["eng_Latn"],
                      reviewer="ana", text=f"Ana's post-edit of {segment} 👩‍💻")
    path = tmp_path / "xliff" / "eng_Latn" / f"{BELARUSIAN}.xlf"
    store = toolkit_module("storage.xliff").xlifffile.parsefile(str(path))
    units = {u.xmlelement.get("id"): u for u in store.getunits()}
    units[both].settarget("The translator's text for this segment.")
    units[third].settarget("Jinan has unique strengths in laser technology.")
    path.write_bytes(bytes(store))
    report = import_xliff(files, dataset, "tom")
    assert report.edited == 1 and len(report.refused) == 1 and f"unit {both}: changed in seedmt since the export " \
        "(by ana" in report.refused[0]
    with ReviewStore(store_path(dataset), create=False) as reviews:
        assert reviews.review(left, "eng_Latn").post_edit == f"Ana's post-edit of {left} 👩‍💻"
        assert reviews.review(both, "eng_Latn").post_edit == f"Ana's post-edit of {both} 👩‍💻"
        assert reviews.review(third, "eng_Latn").post_edit == "Jinan has unique strengths in laser technology."
        kept = reviews.rejected_concurrent_edits(both, "eng_Latn")
    assert [(k["text"], k["reviewer"]) for k in kept] == [("The translator's text for this segment.", "tom")]
