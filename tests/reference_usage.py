"""The NLLB model card's usage, one segment at a time: the oracle our batched backends must equal."""
from __future__ import annotations

from pathlib import Path


class ModelCardTranslator:
    def __init__(self, model_dir: Path) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir)).eval()

    def translate(self, text: str, src_lang: str, tgt_lang: str, *, num_beams: int, max_new_tokens: int) -> str:
        import torch

        self.tokenizer.src_lang = src_lang
        inputs = self.tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            tokens = self.model.generate(**inputs, forced_bos_token_id=self.tokenizer.convert_tokens_to_ids(tgt_lang),
                                         num_beams=num_beams, max_new_tokens=max_new_tokens)
        return self.tokenizer.batch_decode(tokens, skip_special_tokens=True)[0]
