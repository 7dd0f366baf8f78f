"""Languages the user states: `--source-lang` and `<seed>.lang` sidecar files, which beat identification."""
from __future__ import annotations

from pathlib import Path

from seedmt.core.languages import is_flores200
from seedmt.text.langid.decision import LanguageDecision, LanguageUndecidedError, detect_language
from seedmt.text.langid.identifiers import DEFAULT_IDENTIFIER

SIDECAR_SUFFIX = ".lang"


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


