"""Shared fixtures. Nothing here touches the network: HF_HUB_OFFLINE is set before any HF import."""
from __future__ import annotations

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
# load_dataset caches what it reads; a per-session cache keeps tests from reading a stale earlier export.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="seedmt-test-datasets-cache-")
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.helpers import SEEDS_DIR, TEST_DECODING_ARGS, XSS, seed_lines  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A random-weight NLLB-architecture checkpoint with a SentencePiece vocabulary trained on the seeds."""
    from tests.random_model import build_random_nllb

    return build_random_nllb(tmp_path_factory.mktemp("tiny-nllb"), seed_lines(), spm_vocab_size=8000)


@pytest.fixture(scope="session")
def translated_dir(tiny_model, tmp_path_factory) -> Path:
    """The five seeds translated once through the CLI with the tiny model (shared by many tests)."""
    from seedmt.cli import main

    out = tmp_path_factory.mktemp("run") / "translations"
    code = main(["translate", str(SEEDS_DIR), "--model", str(tiny_model), "--out", str(out),
                 "--max-input-tokens", "1024", *TEST_DECODING_ARGS])
    assert code == 0
    return out


@pytest.fixture(scope="session")
def reviewed_dataset(tiny_model, tmp_path_factory) -> Path:
    """Two seeds translated with the tiny model into English only; one carries markup that must show as text."""
    root = tmp_path_factory.mktemp("review")
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "be.txt").write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    # mostly Cyrillic (the markup's Latin letters must not outnumber the text's, or rus_Cyrl is refused)
    (seeds / "markup.txt").write_text(f"Цены на хлеб, молоко и овощи в магазинах города заметно выросли за последний "
                                      f"месяц. {XSS}\n", encoding="utf-8")
    (seeds / "markup.lang").write_text("rus_Cyrl\n", encoding="utf-8")
    out = root / "out" / "translations"
    from seedmt.cli import main

    assert main(["translate", str(seeds), "--out", str(out), "--model", str(tiny_model), "--targets", "eng_Latn",
                 "--beam-size", "1", "--max-new-tokens", "6", "--cache", str(root / "cache.sqlite")]) == 0
    return out
