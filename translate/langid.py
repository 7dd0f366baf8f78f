"""Stage 2: identify each document's language as a FLORES-200 code.

py3langid (langid.py's model, shipped in the wheel) names the language as ISO 639-1; the Unicode script
of the text picks the FLORES-200 variant and guards against confident nonsense (a Cyrillic text must not
come out as a Latin-script code)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from translate.languages import ISO639_1_TO_FLORES, dominant_script, is_flores200, script_of, scripts_match

MIN_CONFIDENCE = 0.5
SIDECAR_SUFFIX = ".lang"


class LanguageUndecidedError(ValueError):
    """LID could not give a FLORES-200 code NLLB supports; the user must pass one."""


@dataclass(frozen=True)
class LanguageDecision:
    code: str
    method: str  # "py3langid", "sidecar" or "override"
    confidence: float | None


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> LanguageDecision:
    """FLORES-200 code of `text`, or LanguageUndecidedError explaining why not."""
    if not any(char.isalpha() for char in text):
        raise LanguageUndecidedError("no letters to identify the language from")
    iso, confidence = _identifier().classify(text)
    confidence = float(confidence)
    text_script = dominant_script(text)
    candidates = ISO639_1_TO_FLORES.get(iso)
    if candidates is None:
        raise LanguageUndecidedError(f"detected language '{iso}' is not one NLLB-200 supports")
    if confidence < MIN_CONFIDENCE:
        raise LanguageUndecidedError(f"language unclear (best guess '{iso}' at {confidence:.2f})")
    for code in candidates:
        if scripts_match(script_of(code), text_script):
            return LanguageDecision(code, "py3langid", confidence)
    raise LanguageUndecidedError(
        f"detected '{iso}' but the text is written in script '{text_script}', "
        f"which matches none of {', '.join(candidates)}"
    )


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


def decide_language(text: str, seed_path: Path, override: str | None = None) -> LanguageDecision:
    """Override (CLI) beats sidecar beats detection."""
    if override:
        return LanguageDecision(validate_code(override), "override", None)
    sidecar = read_sidecar(seed_path)
    if sidecar:
        return LanguageDecision(sidecar, "sidecar", None)
    return detect_language(text)
