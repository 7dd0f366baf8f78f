import pytest

from seedmt.translate.backends.nllb_tokenizer import language_token_id, source_token_ids
from seedmt.core.errors import ModelFormatError
from seedmt.core.languages import FLORES200_CODES


def test_tokenizer_wraps_source_in_language_tag_and_eos(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    ids = source_token_ids(tok, ["조글로미디어 경준해"], "kor_Hang")[0]
    tokens = tok.convert_ids_to_tokens(ids)
    assert tokens[0] == "kor_Hang" and tokens[-1] == "</s>"
    assert tok.unk_token not in tokens[:1]
    # every FLORES-200 code is a distinct, known token
    code_ids = [language_token_id(tok, code) for code in FLORES200_CODES]
    assert len(set(code_ids)) == len(FLORES200_CODES)


def test_tokenizer_without_language_codes_is_rejected(tiny_model, tmp_path):
    """transformers 5 builds NllbTokenizer from a bare SPM file without the codes unless told: tags
    silently become <unk>. Our loader must refuse such a tokenizer instead of translating garbage."""
    import shutil

    from transformers import NllbTokenizer

    shutil.copy(tiny_model / "sentencepiece.bpe.model", tmp_path / "sentencepiece.bpe.model")
    bare = NllbTokenizer.from_pretrained(str(tmp_path))
    bare.src_lang = "kor_Hang"
    first = bare("조글로").input_ids[0]
    assert first == bare.unk_token_id  # the silent failure mode exists...
    with pytest.raises(ModelFormatError, match="kor_Hang"):
        language_token_id(bare, "kor_Hang")  # ...and we catch it
