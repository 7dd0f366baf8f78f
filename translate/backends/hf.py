"""Hugging Face transformers backend: AutoModelForSeq2SeqLM with the model card's usage
(`tokenizer.src_lang`, `generate(forced_bos_token_id=<target code>)`), batched by token budget."""
from __future__ import annotations

from collections.abc import Sequence

from seedmt.translate.backends import BatchCallback
from seedmt.translate.backends.nllb_tokenizer import (count_source_tokens, language_token_id, load_tokenizer,
                                               source_token_ids)
from seedmt.translate.batching import run_in_batches
from seedmt.core.errors import ModelFormatError
from seedmt.translate.model_source import ResolvedModel
from seedmt.translate.settings import BatchingSettings, DecodingSettings
from seedmt.core.threads import fair_share, plan_layout, process_registry, set_torch_threads


def pick_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(dtype: str, device: str):
    """fp32 on CPU (fp16 matmuls are slow there); bf16 on GPUs that have it, else fp16."""
    import torch

    if dtype != "auto":
        return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[dtype]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def generation_kwargs(settings: DecodingSettings) -> dict:
    return {
        "num_beams": settings.beam_size,
        "max_new_tokens": settings.max_new_tokens,
        "length_penalty": settings.length_penalty,
        "no_repeat_ngram_size": settings.no_repeat_ngram_size,
        "do_sample": False,
    }


def load_seq2seq_model(model: ResolvedModel, device: str, dtype):
    from transformers import AutoModelForSeq2SeqLM
    from transformers.utils import logging as transformers_logging

    if not any(model.path.glob("*.safetensors")):
        raise ModelFormatError(
            f"{model.path} has no *.safetensors weights; seedmt does not load pickled checkpoints. "
            "Convert once with transformers (`model.save_pretrained(dir)` writes safetensors)."
        )
    # seedmt shows its own progress bar; the per-tensor loading bar is noise in logs.
    transformers_logging.disable_progress_bar()
    try:
        loaded = AutoModelForSeq2SeqLM.from_pretrained(
            str(model.path), dtype=dtype, use_safetensors=True, trust_remote_code=False
        )
    except Exception as err:  # noqa: BLE001
        raise ModelFormatError(f"cannot load the model from {model.path}: {err}") from None
    return loaded.to(device).eval()


class TransformersBackend:
    name = "transformers"

    def __init__(self, model: ResolvedModel, *, device: str = "auto", compute_type: str = "auto",
                 batching: BatchingSettings | None = None, threads: int = 0, inter_threads: int = 0) -> None:
        self.model_source = model
        self.device = pick_device(device)
        self.dtype = pick_dtype(compute_type, self.device)
        self.batching = (batching or BatchingSettings()).for_device(self.device)
        # Before the model loads: torch's thread pool must be sized before its first parallel work.
        self.layout = plan_layout(self.name, threads, inter_threads)
        set_torch_threads(self.layout.intra_threads)
        self.tokenizer = load_tokenizer(model.path)
        self.model = load_seq2seq_model(model, self.device, self.dtype)

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "compute_type": str(self.dtype).replace("torch.", ""),
                "threads": self.layout.as_dict(), "batching": self.batching.as_dict(),
                **self.model_source.as_dict()}

    def generation_options(self, settings: DecodingSettings, batch_token_ids: list[list[int]]) -> dict:
        """`generate()` keyword arguments for one batch (a subclass may adapt them to the batch)."""
        return generation_kwargs(settings)

    def count_tokens(self, segments: Sequence[str], src_langs: str | Sequence[str]) -> list[int]:
        return count_source_tokens(self.tokenizer, segments, src_langs)

    def translate_segments(self, segments: Sequence[str], src_langs: str | Sequence[str], tgt_lang: str,
                           settings: DecodingSettings, on_batch: BatchCallback | None = None) -> list[str]:
        import torch

        if not segments:
            return []
        target_id = language_token_id(self.tokenizer, tgt_lang)
        token_ids = source_token_ids(self.tokenizer, segments, src_langs)
        def translate_batch(batch: list[int]) -> list[str]:
            kwargs = self.generation_options(settings, [token_ids[i] for i in batch])
            if self.layout.automatic:
                set_torch_threads(fair_share())  # other seedmt runs may have started or ended since
            inputs = self.tokenizer.pad({"input_ids": [token_ids[i] for i in batch]}, return_tensors="pt")
            inputs = {key: value.to(self.device) for key, value in inputs.items()}
            with torch.inference_mode():
                output = self.model.generate(**inputs, forced_bos_token_id=target_id, **kwargs)
            return self.tokenizer.batch_decode(output, skip_special_tokens=True)

        with process_registry().translating():
            return run_in_batches([len(ids) for ids in token_ids], self.batching.max_batch_tokens,
                                  self.batching.max_batch_size, translate_batch, on_batch)
