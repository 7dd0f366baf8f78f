"""The decision rule: a FLORES-200 code only when the identifiers make it clear-cut, else undecided.

A wrong source code is worse than none: it goes into the dataset and steers the translation. So a decision is
taken only when it is clear-cut, and otherwise the document is reported as undecided with the candidates
named, for the user to pass `--source-lang`.

Clear-cut means: the best label names exactly one FLORES-200 code in the text's script, and its lead over
the best *different* language is at least the identifier's margin (`MIN_MARGIN`). With heliport, py3langid
is asked for a second opinion: when it confidently names another language, the document is undecided.
The Unicode script of the text picks the FLORES-200 variant (`zho_Hans` / `zho_Hant`, `kas_Arab` /
`kas_Deva`) and rules out labels whose script does not match the text."""
from __future__ import annotations

import re
from dataclasses import dataclass

from seedmt.core.languages import dominant_script
from seedmt.text.langid.identifiers import DEFAULT_IDENTIFIER, Guess, Identifier, _shared, make_identifier
from seedmt.text.langid.labels import _NO_LANGUAGE, SPLIT_BY_SECOND_OPINION, relatives_of

# Least lead of the best language over the runner-up, in each identifier's own units: heliport's raw
# scores (lower is better, a gap of 1.0 is large), probabilities for py3langid and fastText. Chosen on
# the evaluation in benchmarks/langid_eval.py.
MIN_MARGIN = {"heliport": 0.5, "py3langid": 0.5, "fasttext": 0.5}
# A probability-scored identifier's best guess must be at least this likely (after script filtering).
MIN_PROBABILITY = 0.5
# py3langid's second opinion overrules heliport only when it is at least this sure.
SECOND_OPINION_CONFIDENCE = 0.95
# ... and confirms a language with a close relative neither identifier knows only when at least this sure.
RELATIVE_CONFIRMATION = 0.99
# Written Cantonese uses characters Mandarin prose does not; both are written in Traditional Han.
_CANTONESE_MARKERS = re.compile("[嘅咗佢唔冇喺哋嘢啲咁噉乜嚟]")


class LanguageUndecidedError(ValueError):
    """LID could not give a FLORES-200 code NLLB supports with confidence; the user must pass one."""

    def __init__(self, message: str, candidates: tuple[str, ...] = (), label: str | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates  # FLORES-200 codes the text may be in, when the identifier named some
        self.label = label  # the identifier's label behind them


@dataclass(frozen=True)
class LanguageDecision:
    code: str
    method: str  # the identifier ("heliport", "py3langid", "fasttext"), "sidecar" or "override"
    confidence: float | None  # the identifier's own: heliport's margin, a probability for the others
    runner_up: str | None = None  # the best different language, as a FLORES-200 code or the identifier's label
    margin: float | None = None  # lead over the runner-up, in the identifier's units


def _prefer_cantonese(code: str, text: str) -> str:
    if code == "zho_Hant" and len(_CANTONESE_MARKERS.findall(text)) >= max(3, len(text) // 500):
        return "yue_Hant"
    return code


def _describe(guess: Guess) -> str:
    if not guess.codes:
        return guess.label
    return guess.codes[0] if len(guess.codes) == 1 else f"{guess.label} ({'/'.join(guess.codes)})"


def identify(text: str, identifier: Identifier) -> LanguageDecision:
    """The clear-cut FLORES-200 code of `text` by `identifier`, or LanguageUndecidedError naming the candidates."""
    if not any(char.isalpha() for char in text):
        raise LanguageUndecidedError("no letters to identify the language from")
    text_script = dominant_script(text)
    # A label whose script does not match the text is no candidate at all (a Cyrillic text is not Latin).
    guesses = [g for g in identifier.guesses(text, text_script) if g.codes or not g.in_nllb]
    if not guesses:
        raise LanguageUndecidedError(f"{identifier.name} names no language written in the text's script "
                                     f"({text_script})")
    best = guesses[0]
    if best.label in _NO_LANGUAGE:
        raise LanguageUndecidedError(f"{identifier.name} finds no natural language in the text")
    if not best.codes:
        raise LanguageUndecidedError(f"{identifier.name} identifies '{best.label}', which NLLB-200 does not support"
                                     f" (in script {text_script})")
    if len(best.codes) > 1:
        raise LanguageUndecidedError(f"{identifier.name} identifies '{best.label}', which is any of "
                                     f"{', '.join(best.codes)}; the text alone does not say which",
                                     best.codes, best.label)
    if identifier.name != "heliport" and best.score < MIN_PROBABILITY:
        raise LanguageUndecidedError(f"language unclear: {identifier.name}'s best guess {best.codes[0]} has "
                                     f"probability {best.score:.2f}")
    runner_up = next((g for g in guesses[1:] if g.codes != best.codes), None)
    margin = best.score - runner_up.score if runner_up else float("inf")
    if margin < MIN_MARGIN[identifier.name]:
        raise LanguageUndecidedError(f"not clear-cut: {identifier.name} ranks {best.codes[0]} ({best.score:.2f}) "
                                     f"barely above {_describe(runner_up)} ({runner_up.score:.2f})")
    confidence = margin if identifier.name == "heliport" else best.score
    return LanguageDecision(_prefer_cantonese(best.codes[0], text), identifier.name, round(confidence, 4),
                            _describe(runner_up) if runner_up else None,
                            None if runner_up is None else round(margin, 4))


def ensemble(text: str, primary: Identifier, second: Identifier) -> LanguageDecision:
    """`primary` (heliport), with `second`'s (py3langid's) opinion.

    - A confident second opinion for another language makes the document undecided, except where the primary
      identifier has no label for that language and the two are not close relatives: then the primary could
      only have named a neighbour, and the second opinion stands.
    - A language with a close relative that neither identifier knows (`CLOSE_RELATIVES`) is named only when
      both identifiers name it, the second at least `RELATIVE_CONFIRMATION` sure: one identifier alone, however
      clear its margin, may be naming the relative it knows for the one it lacks."""
    primary_known, second_known = primary.known_codes(), second.known_codes()
    try:
        decision: LanguageDecision | None = identify(text, primary)
        refusal = None
    except LanguageUndecidedError as err:
        decision, refusal = None, err
    try:
        other = identify(text, second)
    except LanguageUndecidedError:
        other = None
    confident = other if other is not None and (other.confidence or 0) >= SECOND_OPINION_CONFIDENCE else None
    confirmed = False
    if decision is not None:
        if confident is None:
            result = decision
        elif _same_language(decision.code, confident.code):
            result, confirmed = decision, (confident.confidence or 0) >= RELATIVE_CONFIRMATION
        elif confident.code not in primary_known and confident.code not in relatives_of(decision.code):
            result = confident
        else:
            raise LanguageUndecidedError(f"the identifiers disagree: {primary.name} says {decision.code} "
                                         f"(margin {decision.margin}), {second.name} says {confident.code} "
                                         f"({confident.confidence:.2f})", (decision.code, confident.code))
    elif confident is not None and confident.code not in primary_known:
        result = confident
    elif confident is not None and refusal.label in SPLIT_BY_SECOND_OPINION and confident.code in refusal.candidates:
        result = LanguageDecision(confident.code, f"{primary.name}+{second.name}", confident.confidence,
                                  confident.runner_up, confident.margin)
        confirmed = (confident.confidence or 0) >= RELATIVE_CONFIRMATION
    else:
        raise refusal  # type: ignore[misc]
    unknown = sorted(relatives_of(result.code) - primary_known - second_known)
    if unknown and not confirmed:
        raise LanguageUndecidedError(
            f"looks like {result.code}, but may be a close relative that neither {primary.name} nor {second.name} "
            f"knows ({', '.join(unknown)}), and they do not both name {result.code}", (result.code, *unknown))
    return result


def _same_language(a: str, b: str) -> bool:
    return a.split("_")[0] == b.split("_")[0] or {a, b} <= {"zho_Hant", "yue_Hant"}


def detect_language(text: str, lid: str = DEFAULT_IDENTIFIER) -> LanguageDecision:
    """FLORES-200 code of `text`, or LanguageUndecidedError explaining why not. The default identifier is
    heliport with py3langid's second opinion; `heliport`, `py3langid` or `fasttext:PATH` otherwise."""
    if lid == DEFAULT_IDENTIFIER:
        return ensemble(text, _shared("heliport"), _shared("py3langid"))
    return identify(text, make_identifier(lid))


