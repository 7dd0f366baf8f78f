"""Translation metrics, all computed by sacrebleu, each reported with its sacrebleu signature.

- BLEU, chrF2++ (word_order=2, what NLLB reports), chrF2 and TER with the per-language settings of
  `seedmt.core.metric_settings.metrics_for`, the one place that decides them for every score seedmt computes.
- spBLEU (BLEU on FLORES-200 SentencePiece pieces) only with a local SentencePiece model file: sacrebleu's
  own `flores200` tokenizer downloads the model, which is not possible offline. The NLLB checkpoint's
  `sentencepiece.bpe.model` is that model; its sha256 is reported so a score can be traced to the file."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from sacrebleu.metrics import BLEU
from sacrebleu.metrics.base import Metric

from seedmt.core.metric_settings import metrics_for
METRIC_ORDER = ("COMET", "COMETKiwi", "BLEU", "spBLEU", "chrF2++", "chrF2", "TER")
# What `--metrics` names: bleu (with spBLEU when a SentencePiece model is given), chrf (chrF2++ and chrF2), ter,
# comet (reference-based) and cometkiwi (reference-free), both in seedmt.eval.comet.
METRIC_FAMILIES = ("bleu", "chrf", "ter", "comet", "cometkiwi")
DEFAULT_METRICS = ("bleu", "chrf", "ter")
DEFAULT_COMET = "Unbabel/wmt22-comet-da"  # reference-based
DEFAULT_COMETKIWI = "Unbabel/wmt22-cometkiwi-da"  # reference-free
SPBLEU_SKIPPED = ("spBLEU skipped: sacrebleu's flores200 tokenizer downloads its SentencePiece model; "
                  "pass --spm-model PATH (e.g. the NLLB checkpoint's sentencepiece.bpe.model) to compute it")


def bleu_tokenizer(target: str) -> str:
    return metrics_for(target).bleu_tokenize


class _SentencePieceTokenizer:
    """sacrebleu tokenizer interface over a local SentencePiece model."""

    def __init__(self, model_file: Path, signature: str) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        self._signature = signature

    def signature(self) -> str:
        return self._signature

    @lru_cache(maxsize=2**16)  # noqa: B019 - one tokenizer per run, lines repeat across metrics
    def __call__(self, line: str) -> str:
        return " ".join(self._processor.encode(line, out_type=str))


class LocalSpmBLEU(BLEU):
    """spBLEU with a SentencePiece model from disk instead of sacrebleu's download."""

    def __init__(self, spm_model: Path, signature: str = "flores200") -> None:
        super().__init__(tokenize="none")
        self.tokenizer = _SentencePieceTokenizer(spm_model, signature)
        self.tokenizer_signature = signature
        self.spm_sha256 = hashlib.sha256(Path(spm_model).read_bytes()).hexdigest()


def make_metrics(target: str, spm_model: Path | None = None,
                 families: Sequence[str] = DEFAULT_METRICS) -> dict[str, Metric]:
    """The sacrebleu metrics among `families` (COMET is scored apart, by seedmt.eval.comet)."""
    settings = metrics_for(target)
    metrics: dict[str, Metric] = {}
    if "bleu" in families:
        metrics["BLEU"] = settings.bleu()
        if spm_model is not None:
            metrics["spBLEU"] = LocalSpmBLEU(spm_model)
    if "chrf" in families:
        metrics["chrF2++"] = settings.chrf(word_order=2)
        metrics["chrF2"] = settings.chrf(word_order=0)
    if "ter" in families:
        metrics["TER"] = settings.ter()
    return metrics


def corpus_scores(hypotheses: Sequence[str], references: Sequence[str], metrics: dict[str, Metric]) -> dict:
    """{metric: {"score", "signature", ...}} for one system on one set of segments."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    out = {}
    for name, metric in metrics.items():
        result = metric.corpus_score(list(hypotheses), [list(references)])
        entry = {"score": round(result.score, 4), "signature": str(metric.get_signature())}
        if isinstance(metric, LocalSpmBLEU):
            entry["spm_model_sha256"] = metric.spm_sha256
        out[name] = entry
    return out


def segment_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> list[float]:
    """Sentence-level chrF2++ per segment (for reports; corpus scores are not averages of these)."""
    chrf = metrics_for("eng_Latn").chrf()  # chrF's settings are the same for every language
    return [round(chrf.sentence_score(h, [r]).score, 2) for h, r in zip(hypotheses, references, strict=True)]
