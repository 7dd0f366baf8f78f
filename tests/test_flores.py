"""FLORES as a test set: both published layouts import to the same seeds and references, `translate
--presegmented` keeps one line = one segment, and translate + eval + compare + report run on the import."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import load_from_disk

from seedmt.eval.flores import FloresError, import_flores
from seedmt.eval.metrics import make_metrics
from seedmt.cli import EXIT_OK, main
from seedmt.translate.pipeline import TranslationJob, prepare_documents
from seedmt.dataset.schema import RUNS, SEGMENTS, TRANSLATION_COLUMN
from seedmt.text.segment import reconstruct, segment_lines
from tests.helpers import SEEDS_DIR, TEST_DECODING_ARGS
from tests.helpers import reference_texts

SOURCES = ["kat_Geor", "kor_Hang", "bel_Cyrl"]
SEED_OF = {"kat_Geor": "001_3e2915cf1267708f", "kor_Hang": "004_673d402516499681", "bel_Cyrl": "003_8e8481b4ceab6e39"}
SENTENCES = 6


def parallel_sentences() -> dict[str, list[str]]:
    """Six sentence ids in five languages: the first Georgian seed segments that have references give the
    English and Chinese lines; the Korean and Belarusian lines are those seeds' own referenced segments."""
    refs = reference_texts()
    chosen: dict[str, list[str]] = {}
    for code, doc_id in SEED_OF.items():
        ids = sorted(sid for sid, target in refs if target == "eng_Latn" and sid.startswith(doc_id)
                     and (sid, "zho_Hans") in refs)[:SENTENCES]
        chosen[code] = ids
    docs, _ = prepare_documents(TranslationJob(seeds_dir=SEEDS_DIR, out_dir=Path("unused")))
    segments = {}
    text_of = {s.segment_id: s.text for d in docs for s in d.segments}
    for code in SOURCES:
        segments[code] = [text_of[sid] for sid in chosen[code]]
    segments["eng_Latn"] = [refs[(sid, "eng_Latn")] for sid in chosen["kat_Geor"]]
    segments["zho_Hans"] = [refs[(sid, "zho_Hans")] for sid in chosen["kat_Geor"]]
    return segments


@pytest.fixture(scope="module")
def sentences() -> dict[str, list[str]]:
    return parallel_sentences()


def write_flores200(root: Path, sentences: dict[str, list[str]]) -> Path:
    folder = root / "flores200_dataset" / "devtest"
    folder.mkdir(parents=True)
    for code, lines in sentences.items():
        (folder / f"{code}.devtest").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "flores200_dataset" / "dev").mkdir()
    for code in sentences:  # another split beside it must not be read
        (root / "flores200_dataset" / "dev" / f"{code}.dev").write_text("not this split\n", encoding="utf-8")
    return root / "flores200_dataset"


def write_flores_plus(root: Path, sentences: dict[str, list[str]]) -> Path:
    folder = root / "flores_plus" / "devtest"
    folder.mkdir(parents=True)
    for n, (code, lines) in enumerate(sentences.items()):
        language, script = code.split("_")
        language = "cmn" if code == "zho_Hans" else language  # FLORES+ names Mandarin cmn_Hans
        rows = [{"id": i + 1, "iso_639_3": language, "iso_15924": script, "glottocode": "x", "text": line}
                for i, line in enumerate(lines)]
        if n == 1:
            random.Random(0).shuffle(rows)  # matched by id, not by position
        pq.write_table(pa.Table.from_pylist(rows), folder / f"{code}.parquet")
    return root / "flores_plus"


def write_flores200_parquet(root: Path, sentences: dict[str, list[str]]) -> Path:
    """FLORES-200's per-language parquet layout on the Hub: `<code>/<split>-00000-of-00001.parquet`, columns
    `id`, `URL`, `sentence`, no ISO columns."""
    for code, lines in sentences.items():
        (root / code).mkdir(parents=True)
        rows = [{"id": i + 1, "URL": "https://example.org", "sentence": line} for i, line in enumerate(lines)]
        pq.write_table(pa.Table.from_pylist(rows), root / code / "devtest-00000-of-00001.parquet")
        pq.write_table(pa.Table.from_pylist([{"id": 1, "URL": "", "sentence": "not this split"}]),
                       root / code / "dev-00000-of-00001.parquet")
    return root


def imported_files(out: Path) -> dict[str, str]:
    """The seeds and references (not their provenance, which names the files read)."""
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "README.md" and not p.name.endswith(".provenance.json")}


@pytest.fixture(scope="module")
def flores(tmp_path_factory, sentences) -> Path:
    root = tmp_path_factory.mktemp("flores")
    source = write_flores200(root / "release", sentences)
    out = root / "imported"
    assert main(["flores", "import", str(source), "--langs", *SOURCES, "--to", str(out)]) == EXIT_OK
    return out


def test_every_layout_imports_to_identical_seeds_and_references(flores, tmp_path, sentences):
    plus = write_flores_plus(tmp_path, sentences)
    out = tmp_path / "from-plus"
    import_flores(plus, SOURCES, out)
    assert imported_files(out) == imported_files(flores)
    for reference in (out / "references").glob("*/*.jsonl"):
        provenance = json.loads(reference.with_suffix(".provenance.json").read_text(encoding="utf-8"))
        assert provenance["made_by"] == "seedmt flores import" and provenance["settings"]["layout"] == "flores_plus"
        assert provenance["inputs"] and all(len(i["sha256"]) == 64 for i in provenance["inputs"])
    per_language = write_flores200_parquet(tmp_path / "per-language", sentences)
    import_flores(per_language, SOURCES, tmp_path / "from-per-language")
    assert imported_files(tmp_path / "from-per-language") == imported_files(flores)
    seed = flores / "seeds" / "flores-devtest-kor_Hang.txt"
    assert seed.read_text(encoding="utf-8").splitlines() == sentences["kor_Hang"]
    assert (flores / "seeds" / "flores-devtest-kor_Hang.lang").read_text().strip() == "kor_Hang"
    lines = [json.loads(line) for line in
             (flores / "references" / "zho_Hans" / "flores-devtest-kor_Hang.jsonl").read_text().splitlines()]
    assert [line["segment_id"] for line in lines] == [f"flores-devtest-kor_Hang:{i:04d}" for i in range(SENTENCES)]
    assert [line["text"] for line in lines] == sentences["zho_Hans"]
    assert [line["flores_id"] for line in lines] == list(range(1, SENTENCES + 1))
    readme = (flores / "references" / "README.md").read_text()
    assert "FLORES-200 release" in readme and "sha256" in readme and "devtest" in readme


def test_missing_language_and_different_counts_are_named(tmp_path, sentences):
    source = write_flores200(tmp_path / "a", sentences)
    with pytest.raises(FloresError, match="kan_Knda"):
        import_flores(source, ["kan_Knda"], tmp_path / "out")
    short = dict(sentences, bel_Cyrl=sentences["bel_Cyrl"][:-1])
    with pytest.raises(FloresError, match=r"bel_Cyrl: 5 sentences"):
        import_flores(write_flores200(tmp_path / "b", short), SOURCES, tmp_path / "out")
    plus = write_flores_plus(tmp_path / "c", short)
    with pytest.raises(FloresError, match=r"bel_Cyrl: 5 sentences"):
        import_flores(plus, SOURCES, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    code = main(["flores", "import", str(tmp_path / "nowhere"), "--langs", "kat_Geor", "--to", str(tmp_path / "o")])
    assert code == 1


def test_presegmented_keeps_every_line_as_one_segment():
    text = "First sentence. Second sentence on the same line.\n\n  Indented line kept as is.\nLast"
    segments = segment_lines("doc", text)
    assert [s.text for s in segments] == ["First sentence. Second sentence on the same line.",
                                          "  Indented line kept as is.", "Last"]
    assert reconstruct(text, segments) == text
    assert [s.index for s in segments] == [0, 1, 2]


@pytest.fixture(scope="module")
def systems(flores, tiny_model, tmp_path_factory) -> list[Path]:
    """The FLORES seeds translated by three systems (beam 4, 2 and 1)."""
    root = tmp_path_factory.mktemp("systems")
    outs = []
    for beam in (4, 2, 1):
        out = root / f"beam{beam}"
        code = main(["translate", str(flores / "seeds"), "--presegmented", "--model", str(tiny_model),
                     "--out", str(out), "--max-new-tokens", "12", "--beam-size", str(beam), "--no-similarity"])
        assert code == EXIT_OK
        outs.append(out)
    return outs


def test_translate_presegmented_on_flores(systems, flores, sentences):
    dataset = load_from_disk(str(systems[0]))
    segments = dataset[SEGMENTS]
    for code in SOURCES:
        rows = sorted((r for r in segments if r["source_lang"] == code), key=lambda r: r["index"])
        assert [r[TRANSLATION_COLUMN][code] for r in rows] == sentences[code]
    segmentation = json.loads(dataset[RUNS][0]["segmentation"])
    assert segmentation["presegmented"] is True and segmentation["splitter"] == "lines"


def test_run_id_depends_on_presegmented(flores, tiny_model, tmp_path):
    ids = []
    for extra in ([], ["--presegmented"]):
        out = tmp_path / f"out{len(extra)}"
        assert main(["translate", str(flores / "seeds"), "--model", str(tiny_model), "--out", str(out),
                     "--no-similarity", *TEST_DECODING_ARGS, *extra]) == EXIT_OK
        ids.append(load_from_disk(str(out))[RUNS][0]["run_id"])
    assert ids[0] != ids[1]


def test_eval_and_compare_on_flores(systems, flores, tmp_path, sentences):
    from sacrebleu.metrics import CHRF

    references = flores / "references"
    eval_json = tmp_path / "eval.json"
    assert main(["eval", str(systems[0]), "--references", str(references), "--json", str(eval_json)]) == EXIT_OK
    report = json.loads(eval_json.read_text())
    block = next(b for b in report["directions"] if b["source_lang"] == "kor_Hang" and b["target"] == "eng_Latn")
    rows = sorted((r for r in load_from_disk(str(systems[0]))[SEGMENTS] if r["source_lang"] == "kor_Hang"),
                  key=lambda r: r["index"])
    expected = CHRF(word_order=2).corpus_score([r[TRANSLATION_COLUMN]["eng_Latn"] for r in rows],
                                               [sentences["eng_Latn"]]).score
    assert block["segments"] == SENTENCES
    assert block["scores"]["chrF2++"]["score"] == pytest.approx(expected, abs=0.01)
    assert "chrF2++" in make_metrics("eng_Latn")

    markdown = tmp_path / "compare.md"
    assert main(["compare", *map(str, systems), "--references", str(references), "--samples", "200",
                 "--markdown", str(markdown)]) == EXIT_OK
    text = markdown.read_text()
    summary = text[text.index("### Summary: chrF2++"):text.index("\n## ")]
    header = summary.splitlines()[2]
    assert all(f"`{s.name}`" in header for s in systems)
    rows = [line for line in summary.splitlines() if line.startswith("| ")][1:]
    assert {row.split(" | ")[0] for row in rows} == {f"| {source} → {target}" for source in [*SOURCES, "all"]
                                                      for target in ("eng_Latn", "zho_Hans")}
    assert all(len(row.strip("|").split(" | ")) == 1 + len(systems) for row in rows)


@pytest.mark.slow
def test_three_system_report_in_the_browser(systems, flores, tmp_path):
    from tests.test_html_report import headless

    out = tmp_path / "report.html"
    assert main(["report", str(systems[0]), "--references", str(flores / "references"), "--compare",
                 str(systems[1]), str(systems[2]), "-o", str(out)]) == EXIT_OK
    dom = headless("--dump-dom", out.as_uri()).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body and 'data-script-errors=""' in body.group(0)
    assert f'data-rendered-segments="{SENTENCES * len(SOURCES)}"' in body.group(0)
    first_table = dom[dom.index('<section class="document"'):]
    first_table = first_table[:first_table.index("</tr>")]
    for target in ("eng_Latn", "zho_Hans"):
        assert first_table.count(f'class="translation" data-target="{target}"') == 3
    assert "Significance" in dom and "95% confidence intervals" in dom
    summary = dom[dom.index('<table class="significance summary">'):]
    summary = summary[:summary.index("</table>")]
    header = summary[:summary.index("</tr>")]
    assert [name for name in re.findall(r"<th>([^<]*)</th>", header)] == ["direction", *[s.name for s in systems]]
    assert summary.count("<tr>") == 1 + (len(SOURCES) + 1) * 2  # header, each direction, each target pooled
    for system in systems:
        assert system.name in dom
