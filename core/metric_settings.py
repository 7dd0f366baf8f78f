"""One owner of the per-language settings of sacrebleu's metrics: every score seedmt computes (`seedmt eval`,
`compare`, the report, HTER of post-edits, human evaluation's metric correlations) builds its BLEU, chrF and TER
here, so the same hypothesis, reference and target language always get the same signature and score.

The rules follow sacrebleu's own defaults for a target language:
- BLEU: the `zh` tokenizer for Chinese, `ja-mecab` for Japanese, `ko-mecab` for Korean (sacrebleu's
  `BLEU(trg_lang=...)`), `13a` for everything else. The MeCab tokenizers need optional packages
  (`pip install "seedmt[cjk]"`, i.e. sacrebleu's `ja` and `ko` extras); without them BLEU for that target falls
  back to `char` (Japanese) or `13a` (Korean), `MetricSettings.notes` says so, and the signature names the
  tokenizer actually used.
- chrF2++ (`word_order=2`, what NLLB reports) and chrF2 are language-independent.
- TER: `asian_support` where the target is written with Han characters or kana (Chinese, Japanese), the only
  scripts it changes anything for; off elsewhere.
- Segment-level BLEU (`bleu(sentence=True)`) uses `effective_order`, as sacrebleu recommends for single
  sentences; corpus BLEU never does. Its signature says `eff:yes`.
HTER is the TER of these settings between a machine translation and its post-edit."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from seedmt.core.languages import iso639_1, script_of

# sacrebleu's own choice of BLEU tokenizer by target language (sacrebleu.metrics.bleu.BLEU._TOKENIZER_MAP)
_BLEU_TOKENIZER_BY_LANGUAGE = {"zh": "zh", "ja": "ja-mecab", "ko": "ko-mecab"}
# what stands in when a MeCab tokenizer's packages are missing: a language without spaces is cut into characters
_FALLBACK = {"ja-mecab": "char", "ko-mecab": "13a"}
_EXTRA = {"ja-mecab": "ja", "ko-mecab": "ko"}
TER_ASIAN_SCRIPTS = frozenset({"Hans", "Hant", "Jpan"})
CHINESE_SCRIPTS = frozenset({"Hans", "Hant"})


@dataclass(frozen=True)
class MetricSettings:
    target: str
    bleu_tokenize: str  # the tokenizer actually used
    ter_asian_support: bool
    notes: tuple[str, ...] = ()

    def bleu(self, *, sentence: bool = False):
        from sacrebleu.metrics import BLEU

        return BLEU(tokenize=self.bleu_tokenize, effective_order=sentence)

    @staticmethod
    def chrf(word_order: int = 2):
        from sacrebleu.metrics import CHRF

        return CHRF(word_order=word_order)

    def ter(self):
        from sacrebleu.metrics import TER

        return TER(asian_support=self.ter_asian_support)


def _language(target: str) -> str:
    if script_of(target) in CHINESE_SCRIPTS:
        return "zh"
    return iso639_1(target) or target.partition("_")[0]


@lru_cache(maxsize=None)
def metrics_for(target: str) -> MetricSettings:
    """The metric settings for translations into `target` (a FLORES-200 code)."""
    wanted = _BLEU_TOKENIZER_BY_LANGUAGE.get(_language(target), "13a")
    tokenize, notes = wanted, []
    if wanted in _FALLBACK and not _mecab_available(wanted):
        tokenize = _FALLBACK[wanted]
        notes.append(f"BLEU into {target}: sacrebleu's '{wanted}' tokenizer needs MeCab (pip install "
                     f"\"sacrebleu[{_EXTRA[wanted]}]\" or \"seedmt[cjk]\"); scored with '{tokenize}' instead, as the "
                     "signature says")
    return MetricSettings(target, tokenize, script_of(target) in TER_ASIAN_SCRIPTS, tuple(notes))


def _mecab_available(tokenizer: str) -> bool:
    from sacrebleu.metrics.bleu import _get_tokenizer

    try:
        _get_tokenizer(tokenizer)()
    except (ImportError, RuntimeError, AssertionError, OSError):
        return False
    return True
