"""Stage 2: identify each document's language as a FLORES-200 code, or refuse when it is not clear-cut.

A wrong source code is worse than none: it goes into the dataset and steers the translation. So a
decision is taken only when it is clear-cut, and otherwise the document is reported as undecided with the
candidates named, for the user to pass `--source-lang`.

Identifiers (`--lid`):
- `heliport` (default): HPLT's identifier, about 200 languages, model inside the wheel. Its labels are
  ISO 639-3 (a few macrolanguages, e.g. `hbs`, `msa`, `ara`, split where FLORES-200 splits them).
- `py3langid`: langid.py's model (97 languages, ISO 639-1).
- `fasttext:PATH`: a local fastText model with FLORES-200 labels (`__label__kat_Geor`): OpenLID, GlotLID,
  NLLB's LID-218e.

Clear-cut means: the best label names exactly one FLORES-200 code in the text's script, and its lead over
the best *different* language is at least the identifier's margin (`MIN_MARGIN`). With heliport, py3langid
is asked for a second opinion: when it confidently names another language, the document is undecided.
The Unicode script of the text picks the FLORES-200 variant (`zho_Hans` / `zho_Hant`, `kas_Arab` /
`kas_Deva`) and rules out labels whose script does not match the text."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from seedmt.translate.languages import (FLORES200_CODES, ISO639_1_TO_FLORES, dominant_script, is_flores200,
                                        script_of, scripts_match)

SIDECAR_SUFFIX = ".lang"
DEFAULT_IDENTIFIER = "heliport"
IDENTIFIER_NAMES = ("heliport", "py3langid", "fasttext:PATH")
# Least lead of the best language over the runner-up, in each identifier's own units: heliport's raw
# scores (lower is better, a gap of 1.0 is large), probabilities for py3langid and fastText. Chosen on
# the evaluation in benchmarks/langid_eval.py.
MIN_MARGIN = {"heliport": 0.5, "py3langid": 0.5, "fasttext": 0.5}
# A probability-scored identifier's best guess must be at least this likely (after script filtering).
MIN_PROBABILITY = 0.5
# py3langid's second opinion overrules heliport only when it is at least this sure.
SECOND_OPINION_CONFIDENCE = 0.95
TOP_K = 12

# heliport labels that are not a FLORES-200 language as such: macrolanguages and HPLT's splits of them.
# A label mapping to several codes in the same script is ambiguous, and the document is undecided.
_ARABIC = ("arb_Arab", "acm_Arab", "acq_Arab", "aeb_Arab", "ajp_Arab", "apc_Arab", "ars_Arab", "ary_Arab",
           "arz_Arab")
HELIPORT_LABELS: dict[str, tuple[str, ...]] = {
    "ara": _ARABIC, "aze": ("azj_Latn", "azb_Arab"), "cmn": ("zho_Hans", "zho_Hant"),
    "hbs": ("hrv_Latn", "bos_Latn", "srp_Cyrl"), "hbsbos": ("bos_Latn",), "hbshrv": ("hrv_Latn",),
    "hbssrp": ("srp_Cyrl",), "lav": ("lvs_Latn",), "mlg": ("plt_Latn",), "mon": ("khk_Cyrl",),
    "msa": ("zsm_Latn", "ind_Latn"), "msaind": ("ind_Latn",), "msazsm": ("zsm_Latn",), "msamin": ("min_Latn",),
    "msamalay": ("zsm_Latn",), "nep": ("npi_Deva",), "ori": ("ory_Orya",), "que": ("quy_Latn",),
    "sqi": ("als_Latn",), "swa": ("swh_Latn",), "yid": ("ydd_Hebr",), "fas": ("pes_Arab", "prs_Arab"),
    "pus": ("pbt_Arab",), "uzb": ("uzn_Latn",), "kau": ("knc_Latn", "knc_Arab"), "orm": ("gaz_Latn",),
    "aym": ("ayr_Latn",), "zho": ("zho_Hans", "zho_Hant"), "est": ("est_Latn",),
}
# Ambiguous heliport labels whose members py3langid tells apart reliably (Indonesian and Malay); Arabic
# varieties and Bosnian/Croatian it does not, so those stay undecided.
SPLIT_BY_SECOND_OPINION = {"msa"}
# Labels meaning "no language" rather than a language NLLB lacks.
_NO_LANGUAGE = {"und", "undhtml", "zxx"}
_CODES_BY_LANGUAGE: dict[str, tuple[str, ...]] = {}
for _code in FLORES200_CODES:
    _CODES_BY_LANGUAGE[_code.split("_")[0]] = _CODES_BY_LANGUAGE.get(_code.split("_")[0], ()) + (_code,)
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


@dataclass(frozen=True)
class Guess:
    label: str  # the identifier's label
    codes: tuple[str, ...]  # FLORES-200 codes it can mean in the text's script
    score: float  # higher is better
    in_nllb: bool  # the label is a language NLLB-200 has, in some script


class Identifier:
    """Ranks an identifier's labels for a text; `name` keys MIN_MARGIN."""

    name: str

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        raise NotImplementedError


def _codes_in_script(codes: tuple[str, ...], text_script: str | None) -> tuple[str, ...]:
    return tuple(c for c in codes if scripts_match(script_of(c), text_script))


def codes_of_label(label: str) -> tuple[str, ...]:
    """Every FLORES-200 code an ISO 639-3 label (or a FLORES-200 code) can mean, in any script."""
    if is_flores200(label):
        return (label,)
    return HELIPORT_LABELS.get(label) or _CODES_BY_LANGUAGE.get(label, ())


def _guess(label: str, codes: tuple[str, ...], text_script: str | None, score: float) -> Guess:
    return Guess(label, _codes_in_script(codes, text_script), score, bool(codes))


class HeliportIdentifier(Identifier):
    name = "heliport"

    @staticmethod
    @lru_cache(maxsize=1)
    def _model():
        import heliport

        return heliport.Identifier()

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        flat = " ".join(text.split())
        # heliport's raw scores are costs (lower is better); negated so that higher is better everywhere.
        return [_guess(label, codes_of_label(label), text_script, -float(score))
                for label, score in self._model().identify_topk_with_score(flat, TOP_K)]


class Py3langidIdentifier(Identifier):
    name = "py3langid"

    @staticmethod
    @lru_cache(maxsize=1)
    def _model():
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        ranked = self._model().rank(text)[:TOP_K]
        return [_guess(iso, ISO639_1_TO_FLORES.get(iso, ()), text_script, float(p)) for iso, p in ranked]


class FastTextIdentifier(Identifier):
    """A local fastText LID model whose labels are FLORES-200 codes (`__label__kat_Geor`)."""

    name = "fasttext"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise LanguageUndecidedError(f"fastText model not found: {self.path}")
        self._loaded = None

    def _model(self):
        if self._loaded is None:
            try:
                import fasttext
            except ImportError:
                raise LanguageUndecidedError("--lid fasttext:PATH needs the fasttext package: "
                                             "pip install 'seedmt[fasttext]'") from None
            try:
                self._loaded = fasttext.load_model(str(self.path))
            except ValueError as err:
                raise LanguageUndecidedError(f"{self.path} is not a fastText model ({err})") from None
        return self._loaded

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        labels, probabilities = self._model().predict(" ".join(text.split()), k=TOP_K)
        out = []
        for label, p in zip(labels, probabilities):
            label = label.removeprefix("__label__")
            out.append(_guess(label, codes_of_label(label), text_script, float(p)))
        return out


def make_identifier(spec: str) -> Identifier:
    """`heliport`, `py3langid` or `fasttext:PATH`."""
    name, _, path = spec.partition(":")
    if name == "heliport" and not path:
        return _shared("heliport")
    if name == "py3langid" and not path:
        return _shared("py3langid")
    if name == "fasttext" and path:
        return FastTextIdentifier(Path(path).expanduser())
    raise LanguageUndecidedError(f"unknown language identifier '{spec}' (choose {', '.join(IDENTIFIER_NAMES)})")


@lru_cache(maxsize=None)
def _shared(name: str) -> Identifier:
    return HeliportIdentifier() if name == "heliport" else Py3langidIdentifier()


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


@lru_cache(maxsize=1)
def heliport_codes() -> frozenset[str]:
    """FLORES-200 codes heliport has a label for; for the others it can only name a neighbour."""
    labels = HeliportIdentifier._model().get_confidence_all()
    return frozenset(code for label in labels for code in codes_of_label(label))


def _ensemble(text: str) -> LanguageDecision:
    """heliport, with py3langid's second opinion: a confident py3langid answer for a different language makes
    the document undecided, except where heliport has no label for that language (it could only have named
    a neighbour), in which case py3langid's answer stands."""
    try:
        decision: LanguageDecision | None = identify(text, _shared("heliport"))
        refusal = None
    except LanguageUndecidedError as err:
        decision, refusal = None, err
    try:
        other = identify(text, _shared("py3langid"))
    except LanguageUndecidedError:
        other = None
    confident_other = other is not None and (other.confidence or 0) >= SECOND_OPINION_CONFIDENCE
    if confident_other and other.code not in heliport_codes():
        return other
    if confident_other and refusal is not None and refusal.label in SPLIT_BY_SECOND_OPINION \
            and other.code in refusal.candidates:
        return LanguageDecision(other.code, "heliport+py3langid", other.confidence, other.runner_up, other.margin)
    if decision is None:
        raise refusal  # type: ignore[misc]
    if confident_other and not _same_language(decision.code, other.code):
        raise LanguageUndecidedError(f"the identifiers disagree: heliport says {decision.code} "
                                     f"(margin {decision.margin}), py3langid says {other.code} "
                                     f"({other.confidence:.2f})")
    return decision


def _same_language(a: str, b: str) -> bool:
    return a.split("_")[0] == b.split("_")[0] or {a, b} <= {"zho_Hant", "yue_Hant"}


def detect_language(text: str, lid: str = DEFAULT_IDENTIFIER) -> LanguageDecision:
    """FLORES-200 code of `text`, or LanguageUndecidedError explaining why not. The default identifier is
    heliport with py3langid's second opinion; `heliport`, `py3langid` or `fasttext:PATH` otherwise."""
    if lid == DEFAULT_IDENTIFIER:
        return _ensemble(text)
    return identify(text, make_identifier(lid))


def validate_code(code: str) -> str:
    if not is_flores200(code):
        raise LanguageUndecidedError(f"'{code}' is not a FLORES-200 code (expected e.g. kor_Hang, uig_Arab)")
    return code


def read_sidecar(seed_path: Path) -> str | None:
    """A `<seed>.lang` file next to the seed holding one FLORES-200 code overrides detection."""
    sidecar = seed_path.with_suffix(SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return None
    return validate_code(sidecar.read_text(encoding="utf-8").strip())


def decide_language(text: str, seed_path: Path, override: str | None = None,
                    lid: str = DEFAULT_IDENTIFIER) -> LanguageDecision:
    """Override (CLI) beats sidecar beats detection."""
    if override:
        return LanguageDecision(validate_code(override), "override", None)
    sidecar = read_sidecar(seed_path)
    if sidecar:
        return LanguageDecision(sidecar, "sidecar", None)
    return detect_language(text, lid)


def decide_languages(documents: list[tuple[str, Path, str | None]], lid: str = DEFAULT_IDENTIFIER,
                     *, isolate: bool = True) -> list[LanguageDecision | LanguageUndecidedError]:
    """`decide_language` for each (text, seed path, override), an undecided document as its error.

    heliport keeps its ~0.8 GB model for the life of the process that loaded it, so with `isolate` the
    documents that need detection are identified in a short-lived child process: that memory is gone
    before a translation model loads (the whole translation job then fits in 2 GB). Costs ~1 s."""
    results: list[LanguageDecision | LanguageUndecidedError | None] = []
    to_detect: list[int] = []
    for index, (text, path, override) in enumerate(documents):
        try:
            decision = decide_language(text, path, override, lid) if override or read_sidecar(path) else None
        except LanguageUndecidedError as err:
            decision = err
        results.append(decision)
        if decision is None:
            to_detect.append(index)
    if to_detect:
        texts = [documents[i][0] for i in to_detect]
        for index, outcome in zip(to_detect, _detect_isolated(texts, lid) if isolate else _detect_all(texts, lid)):
            results[index] = outcome if isinstance(outcome, LanguageDecision) else LanguageUndecidedError(*outcome)
    return results  # type: ignore[return-value]


def _detect_all(texts: list[str], lid: str) -> list[LanguageDecision | tuple]:
    """Decisions, or an undecided document's error as plain arguments (exceptions lose theirs in pickling)."""
    outcomes: list[LanguageDecision | tuple] = []
    for text in texts:
        try:
            outcomes.append(detect_language(text, lid))
        except LanguageUndecidedError as err:
            outcomes.append((str(err), err.candidates, err.label))
    return outcomes


def _detect_isolated(texts: list[str], lid: str) -> list[LanguageDecision | tuple]:
    import json
    import os
    import subprocess
    import sys

    request = json.dumps({"lid": lid, "texts": texts})
    # The child finds seedmt where this process found it (a notebook or script may have extended sys.path).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run([sys.executable, "-m", "seedmt.translate.langid"], input=request, text=True,
                              capture_output=True, encoding="utf-8", env=env)
    except OSError:
        return _detect_all(texts, lid)  # no child process possible here: identify in this one
    if done.returncode != 0:
        from seedmt.translate.errors import SeedMTError

        raise SeedMTError(f"language identification failed in its child process: {done.stderr.strip()[-2000:]}")
    return [LanguageDecision(**item) if isinstance(item, dict) else tuple(item) for item in json.loads(done.stdout)]


def _serve_one_request() -> None:
    """`python -m seedmt.translate.langid`: a JSON request {"lid", "texts"} on stdin, outcomes on stdout."""
    import json
    import sys
    from dataclasses import asdict

    request = json.load(sys.stdin)
    outcomes = _detect_all(request["texts"], request["lid"])
    json.dump([asdict(o) if isinstance(o, LanguageDecision) else list(o) for o in outcomes], sys.stdout)


if __name__ == "__main__":
    _serve_one_request()
