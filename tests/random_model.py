"""Random-weight NLLB-architecture checkpoints, built locally.

No NLLB weights can be downloaded where seedmt is tested, so tests use a tiny model and the speed
benchmark the real 600M architecture, both with random weights: the tokenizer is a SentencePiece BPE
trained on local text and loaded as `NllbTokenizer` with the FLORES-200 codes as special tokens; the
model is an `M2M100ForConditionalGeneration` (NLLB's architecture) saved as safetensors."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from seedmt.core.languages import FLORES200_CODES

# facebook/nllb-200-distilled-600M's config.json, minus the vocabulary (set from the tokenizer).
NLLB_600M_ARCHITECTURE = dict(
    d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
    decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024,
    scale_embedding=True, activation_function="relu", dropout=0.1, attention_dropout=0.1,
)
NLLB_600M_VOCAB_SIZE = 256206
TINY_ARCHITECTURE = dict(
    d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
    encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=1024, scale_embedding=True,
)


def train_sentencepiece(lines: Iterable[str], out_dir: Path, vocab_size: int) -> Path:
    """Train `sentencepiece.bpe.model` (the NLLB tokenizer's file name) on `lines`."""
    import sentencepiece as spm

    out_dir.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([line for line in lines if line.strip()]),
        model_prefix=str(out_dir / "sentencepiece.bpe"), vocab_size=vocab_size, model_type="bpe",
        character_coverage=1.0, num_threads=1, minloglevel=2, hard_vocab_limit=False,
    )
    return out_dir / "sentencepiece.bpe.model"


def build_nllb_tokenizer(folder: Path):
    """NllbTokenizer from a bare sentencepiece.bpe.model. transformers 5 only registers the language
    tags when they are passed as additional_special_tokens; without them each becomes <unk>."""
    from transformers import NllbTokenizer

    return NllbTokenizer.from_pretrained(str(folder), additional_special_tokens=list(FLORES200_CODES))


def build_random_nllb(out_dir: Path, corpus_lines: Iterable[str], *, spm_vocab_size: int = 3000,
                      architecture: dict | None = None, model_vocab_size: int | None = None,
                      seed: int = 0) -> Path:
    """Write a random-weight NLLB checkpoint (config, safetensors, tokenizer) to `out_dir`.

    `model_vocab_size` larger than the tokenizer pads the embedding/softmax to the real model's size so
    compute matches it; the extra ids are never produced by the tokenizer."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    out_dir = Path(out_dir)
    train_sentencepiece(corpus_lines, out_dir, spm_vocab_size)
    tokenizer = build_nllb_tokenizer(out_dir)
    config = M2M100Config(
        vocab_size=max(len(tokenizer), model_vocab_size or 0),
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
        **(architecture or TINY_ARCHITECTURE),
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config).eval()
    model.save_pretrained(str(out_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(out_dir))
    return out_dir
