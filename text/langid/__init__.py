"""Stage 2: identify each document's language as a FLORES-200 code, or refuse when it is not clear-cut.

- `identifiers`: the identifiers behind `--lid` (heliport, py3langid, fastText) and their labels' meaning;
- `labels`: what identifiers' labels mean as FLORES-200 codes;
- `decision`: the rule that turns their rankings into one code or an undecided document;
- `sidecar`: codes the user states (`--source-lang`, `<seed>.lang`), which beat identification;
- `isolated`: identifying many documents in a short-lived child process."""
from seedmt.text.langid.decision import LanguageDecision, LanguageUndecidedError, detect_language, identify
from seedmt.text.langid.identifiers import (DEFAULT_IDENTIFIER, IDENTIFIER_NAMES, IdentifierConfigError, check_identifier,
                                            make_identifier)
from seedmt.text.langid.isolated import decide_languages
from seedmt.text.langid.sidecar import SIDECAR_SUFFIX, decide_language, read_sidecar, validate_code

__all__ = ["DEFAULT_IDENTIFIER", "IDENTIFIER_NAMES", "SIDECAR_SUFFIX", "IdentifierConfigError", "LanguageDecision",
           "LanguageUndecidedError", "check_identifier", "decide_language", "decide_languages", "detect_language",
           "identify", "make_identifier", "read_sidecar", "validate_code"]
