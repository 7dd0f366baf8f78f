"""What the translation benchmarks share: the random-weight model, forced output lengths, memory readings.

Random weights never emit </s>, so a benchmark forces every batch to decode exactly
ceil(OUTPUT_LENGTH_RATIO x its longest source) tokens: what a batch of real translations of that length costs
(a batch keeps decoding until its longest row stops). The product's backends know nothing of this; the
benchmark wraps them (`ForcedLengthSpec`, `ForcedLength`), the way a user could adapt a backend per batch.

`--smoke` in every benchmark uses `build_model(..., smoke=True)`: the tiny architecture the tests use, a few
segments, seconds instead of minutes, so that the scripts cannot rot unnoticed."""
from __future__ import annotations

import json
import math
import os
import platform
import resource
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from seedmt.translate.backends.ct2 import CTranslate2Backend  # noqa: E402
from seedmt.translate.backends.hf import TransformersBackend  # noqa: E402
from seedmt.translate.engines import BackendSpec, LocalEngine, LocalSettings  # noqa: E402
from seedmt.translate.ray_engine import RayEngine, RaySettings  # noqa: E402

OUTPUT_LENGTH_RATIO = 1.1


def forced_tokens(longest_source: int, ratio: float = OUTPUT_LENGTH_RATIO) -> int:
    """Tokens to generate for a batch whose longest source has `longest_source` tokens (language tag and </s>
    included); +1: the target language tag is the first generated token in both backends."""
    return math.ceil(ratio * max(1, longest_source - 2)) + 1


class ForcedLengthTransformers(TransformersBackend):
    def generation_options(self, settings, batch_token_ids):
        forced = forced_tokens(max(len(ids) for ids in batch_token_ids))
        return {**super().generation_options(settings, batch_token_ids), "max_new_tokens": forced,
                "min_new_tokens": forced}


class ForcedLengthCT2(CTranslate2Backend):
    def decoding_options(self, settings, batch_tokens):
        forced = forced_tokens(max(len(tokens) for tokens in batch_tokens))
        return {**super().decoding_options(settings, batch_tokens), "max_decoding_length": forced,
                "min_decoding_length": forced}


FORCED_LENGTH_BACKENDS = {"transformers": ForcedLengthTransformers, "ct2": ForcedLengthCT2}


@dataclass(frozen=True)
class ForcedLengthSpec(BackendSpec):
    """The job's backend, loaded as its forced-length variant (in this process or in a Ray worker)."""

    def load(self):
        return FORCED_LENGTH_BACKENDS[self.name](self.model, device=self.device, compute_type=self.compute_type,
                                                 batching=self.batching, **self.options)


def forced(spec: BackendSpec) -> ForcedLengthSpec:
    return ForcedLengthSpec(spec.name, spec.model, spec.device, spec.compute_type, spec.batching, spec.options)


@dataclass(frozen=True)
class ForcedLengthLocal(LocalSettings):
    def build(self, spec: BackendSpec) -> LocalEngine:
        return super().build(forced(spec))


@dataclass(frozen=True)
class ForcedLengthRay(RaySettings):
    def build(self, spec: BackendSpec) -> RayEngine:
        return RayEngine(forced(spec), self)


@lru_cache(maxsize=4)
def seed_segments(seeds_dir: Path) -> list[tuple[str, str, str]]:
    """(doc_id, source language, segment text) for every segment, in file order (read once per process)."""
    from seedmt.translate.pipeline import TranslationJob, prepare_documents

    docs, problems = prepare_documents(TranslationJob(seeds_dir=seeds_dir, out_dir=Path("unused")))
    if problems:
        raise SystemExit(f"seed problems: {problems}")
    return [(d.doc_id, d.source_lang, s.text) for d in docs for s in d.segments]


def evenly_spaced(items: list, count: int) -> list:
    if count <= 0 or count >= len(items):
        return items
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def build_model(work_dir: Path, seeds_dir: Path, *, smoke: bool = False) -> Path:
    """The 600M architecture with random weights (or, with `smoke`, the tests' tiny one), built once in
    `work_dir` and reused."""
    from tests.random_model import NLLB_600M_ARCHITECTURE, NLLB_600M_VOCAB_SIZE, build_random_nllb

    model_dir = Path(work_dir) / ("nllb-tiny-random" if smoke else "nllb-600M-random")
    if (model_dir / "model.safetensors").is_file():
        return model_dir
    lines = [line for path in sorted(Path(seeds_dir).glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    if smoke:
        return build_random_nllb(model_dir, lines, spm_vocab_size=8000)
    print(f"building the 600M architecture with random weights in {model_dir} ...", flush=True)
    return build_random_nllb(model_dir, lines, spm_vocab_size=8000, architecture=NLLB_600M_ARCHITECTURE,
                             model_vocab_size=NLLB_600M_VOCAB_SIZE)


def peak_rss_mib() -> float:
    """This process's own high-water RSS. Not getrusage: after fork/vfork + exec its ru_maxrss starts from
    the parent's peak, so a child would report at least what the parent once used."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict:
    import ctranslate2
    import torch
    import transformers

    flags = ""
    if Path("/proc/cpuinfo").is_file():
        info = Path("/proc/cpuinfo").read_text()
        flags = " ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "amx_tile") if f" {f}" in info)
    return {"cpu_count": os.cpu_count(), "cpu_flags": flags, "platform": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "transformers": transformers.__version__, "ctranslate2": ctranslate2.__version__}


def write_report(out: Path, report: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    print(f"wrote {out}")
