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

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTED_SEED_LANGS = {
    "000_1a3a948149a5a5b3": "uig_Arab",
    "001_3e2915cf1267708f": "kat_Geor",
    "002_5be13cb78bb9960d": "kan_Knda",
    "003_8e8481b4ceab6e39": "bel_Cyrl",
    "004_673d402516499681": "kor_Hang",
}
# Small enough for a fast suite, large enough to exercise beam search and batching.
TEST_DECODING_ARGS = ["--beam-size", "4", "--max-new-tokens", "12"]


def seed_lines() -> list[str]:
    return [line for path in sorted(SEEDS_DIR.glob("*.txt"))
            for line in path.read_text(encoding="utf-8").splitlines()]


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
