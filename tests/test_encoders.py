"""Sentence encoders loaded through sentence-transformers (`--embedder labse`, `--embedder st:NAME_OR_FOLDER`):
a tiny BERT of LaBSE's architecture (CLS pooling, a tanh dense layer, normalisation), built and saved at test time,
loads from its folder offline, and its vectors equal LaBSE's recipe computed by hand with transformers."""
from __future__ import annotations

import numpy as np
import pytest

from seedmt.align.embed import load_embedder
from seedmt.cli import EXIT_FATAL, EXIT_USAGE, main

WORDS = ["the", "cat", "sat", "on", "mat", "le", "chat", "est", "assis", "sur", "tapis", "a", "dog", "."]


@pytest.fixture(scope="module")
def tiny_labse(tmp_path_factory):
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root = tmp_path_factory.mktemp("tiny-labse")
    bert_dir = root / "bert"
    bert_dir.mkdir()
    (bert_dir / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n",
                                        encoding="utf-8")
    BertTokenizerFast(vocab_file=str(bert_dir / "vocab.txt"), do_lower_case=True).save_pretrained(bert_dir)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=5 + len(WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).save_pretrained(bert_dir, safe_serialization=True)
    transformer = models.Transformer(str(bert_dir), max_seq_length=32)
    pooling = models.Pooling(32, pooling_mode="cls")
    dense = models.Dense(32, 32, activation_function=torch.nn.Tanh())
    model = SentenceTransformer(modules=[transformer, pooling, dense, models.Normalize()], device="cpu")
    folder = root / "st"
    model.save(str(folder))
    return folder


def test_a_sentence_transformers_folder_loads_offline_and_pools_as_its_modules_say(tiny_labse, monkeypatch):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    load_embedder.cache_clear()
    embedder = load_embedder(f"st:{tiny_labse}")
    texts = ["the cat sat on the mat .", "le chat est assis sur le tapis .", "a dog"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    # LaBSE's recipe by hand: the [CLS] state, the dense layer with tanh, L2 normalisation
    tokenizer = AutoTokenizer.from_pretrained(tiny_labse)
    bert = AutoModel.from_pretrained(tiny_labse, use_safetensors=True).eval()
    dense_dir = next(p for p in tiny_labse.iterdir() if p.name.endswith("_Dense"))
    weights = load_file(str(dense_dir / "model.safetensors"))
    with torch.no_grad():
        batch = tokenizer(texts, padding=True, truncation=True, max_length=32, return_tensors="pt")
        cls = bert(**batch).last_hidden_state[:, 0]
        pooled = torch.tanh(cls @ weights["linear.weight"].T + weights["linear.bias"])
        expected = torch.nn.functional.normalize(pooled, dim=1).numpy()
    assert np.allclose(vectors, expected, atol=1e-5)
    assert embedder.name == f"sentence-transformers:{tiny_labse}"
    load_embedder.cache_clear()


def test_the_aligner_runs_on_such_an_encoder(tiny_labse, tmp_path, capsys):
    load_embedder.cache_clear()
    source, target = tmp_path / "en.txt", tmp_path / "fr.txt"
    source.write_text("the cat sat on the mat.\na dog sat.\n", encoding="utf-8")
    target.write_text("le chat est assis sur le tapis.\nle chat est assis.\n", encoding="utf-8")
    out = tmp_path / "links.jsonl"
    assert main(["align", str(source), str(target), "--out", str(out), "--presegmented", "--source-lang",
                 "eng_Latn", "--target-lang", "fra_Latn", "--embedder", f"st:{tiny_labse}"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) >= 2
    load_embedder.cache_clear()


def test_an_encoder_that_is_not_there_is_one_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    load_embedder.cache_clear()
    source = tmp_path / "en.txt"
    source.write_text("A sentence.\n", encoding="utf-8")
    code = main(["align", str(source), str(source), "--out", str(tmp_path / "x.jsonl"), "--presegmented",
                 "--source-lang", "eng_Latn", "--target-lang", "eng_Latn", "--embedder",
                 "st:sentence-transformers/no-such-model-here"])
    err = capsys.readouterr().err
    assert code == EXIT_FATAL and "no-such-model-here" in err and "Traceback" not in err
    assert main(["align", str(source), str(source), "--out", str(tmp_path / "x.jsonl"),
                 "--embedder", "word2vec"]) == EXIT_USAGE
    assert "unknown embedder" in capsys.readouterr().err
    load_embedder.cache_clear()
