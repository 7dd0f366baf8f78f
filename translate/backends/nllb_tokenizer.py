"""Loading and checking the NLLB/M2M100 tokenizer, shared by both backends."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedmt.core.errors import ModelFormatError


def load_tokenizer(model_path: Path):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(model_path), trust_remote_code=False)
    except Exception as err:  # noqa: BLE001 - any failure here means an unusable folder
        raise ModelFormatError(f"cannot load the tokenizer from {model_path}: {err}") from None


def language_token_id(tokenizer, code: str) -> int:
    """Id of a language tag; a tokenizer built without the FLORES-200 codes maps them to <unk> silently,
    which would translate from/into nothing in particular, so that is an error here."""
    token_id = tokenizer.convert_tokens_to_ids(code)
    if token_id is None or token_id == tokenizer.unk_token_id:
        raise ModelFormatError(
            f"the tokenizer does not know the language code '{code}' (it maps to <unk>); "
            "an NLLB tokenizer needs the FLORES-200 codes as special tokens"
        )
    return int(token_id)


def per_row(src_langs: str | Sequence[str], count: int) -> list[str]:
    """One source language per segment: a single code applies to all of them."""
    if isinstance(src_langs, str):
        return [src_langs] * count
    if len(src_langs) != count:
        raise ValueError(f"{len(src_langs)} source languages for {count} segments")
    return list(src_langs)


def source_token_ids(tokenizer, segments: Sequence[str], src_langs: str | Sequence[str]) -> list[list[int]]:
    """`[src_lang] tokens </s>` per segment, exactly as `tokenizer(text)` with src_lang set gives them.
    `src_langs` is one code, or one per segment: NLLB reads the source language from each row's own tag,
    so segments of several languages can share a batch."""
    langs = per_row(src_langs, len(segments))
    out: list[list[int]] = [[] for _ in segments]
    for lang in dict.fromkeys(langs):
        language_token_id(tokenizer, lang)
        positions = [i for i, code in enumerate(langs) if code == lang]
        tokenizer.src_lang = lang
        ids = tokenizer([segments[i] for i in positions], add_special_tokens=True)["input_ids"]
        for position, row in zip(positions, ids):
            out[position] = row
    return out


def count_source_tokens(tokenizer, segments: Sequence[str], src_langs: str | Sequence[str]) -> list[int]:
    """Source length in model tokens, language tag and </s> included."""
    return [len(ids) for ids in source_token_ids(tokenizer, segments, src_langs)]
