"""Loading and checking the NLLB/M2M100 tokenizer, shared by both backends."""
from __future__ import annotations

from pathlib import Path

from seedmt.translate.errors import ModelFormatError


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


def source_token_ids(tokenizer, segments: list[str], src_lang: str) -> list[list[int]]:
    """`[src_lang] tokens </s>` per segment, exactly as `tokenizer(text)` with src_lang set gives them."""
    language_token_id(tokenizer, src_lang)
    tokenizer.src_lang = src_lang
    return tokenizer(list(segments), add_special_tokens=True)["input_ids"]


def count_source_tokens(tokenizer, segments: list[str], src_lang: str) -> list[int]:
    """Source length in model tokens, language tag and </s> included."""
    return [len(ids) for ids in source_token_ids(tokenizer, segments, src_lang)]
