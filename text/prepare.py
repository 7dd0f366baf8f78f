"""One document, ready to translate or align: read it, settle its language, cut it into segments.

`seedmt translate` prepares a whole folder at once (`seedmt.translate.pipeline.prepare_documents`, which
identifies the documents in one child process); `seedmt align` and `seedmt references import` prepare single
files here. Either way the same rules apply: a stated code beats a `.lang` sidecar, which beats
identification, and the text is cut by `segment_text`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedmt.core.errors import SeedMTError
from seedmt.core.languages import dominant_script, script_of, scripts_match
from seedmt.text.ingest import Document, read_seed
from seedmt.text.langid import DEFAULT_IDENTIFIER, LanguageDecision, LanguageUndecidedError, decide_language
from seedmt.text.segment import DEFAULT_MAX_CHARS, Segment, segment_text


@dataclass(frozen=True)
class PreparedText:
    document: Document
    language: LanguageDecision
    segments: list[Segment]

    @property
    def lang(self) -> str:
        return self.language.code

    @property
    def sentences(self) -> list[str]:
        return [segment.text for segment in self.segments]

    @property
    def paragraph_starts(self) -> list[bool]:
        """Per segment: does it begin a paragraph (the aligner's evidence against links across paragraphs)."""
        return [segment.sentence_index == 0 for segment in self.segments]


def prepare_text(path: Path, lang: str | None = None, *, lid: str = DEFAULT_IDENTIFIER, role: str = "source",
                 presegmented: bool = False, max_chars: int = DEFAULT_MAX_CHARS) -> PreparedText:
    """Read `path`, settle its language (`lang` if given, else a sidecar, else `lid`) and segment it.

    Any problem is one SeedMTError naming the file: unreadable or empty, language undecided (the message says
    to pass `--<role>-lang`), or a stated code whose script the text is not written in."""
    path = Path(path)
    try:
        document = read_seed(path)
    except (ValueError, OSError) as err:
        raise SeedMTError(f"{path}: {err.strerror if isinstance(err, OSError) and err.strerror else err}") from None
    try:
        decision = decide_language(document.text, path, lang, lid)
    except LanguageUndecidedError as err:
        raise SeedMTError(f"{path}: {err}; pass --{role}-lang CODE") from None
    written_in = dominant_script(document.text)
    if decision.method in ("override", "sidecar") and written_in is not None \
            and not scripts_match(script_of(decision.code), written_in):
        stated = f"--{role}-lang {decision.code}" if decision.method == "override" else \
            f"{path.with_suffix('.lang').name} ({decision.code})"
        raise SeedMTError(f"{path}: {stated} says script {script_of(decision.code)}, but the text is written in "
                          f"{written_in}; check the file and the code")
    segments = segment_text(document.doc_id, document.text, decision.code, presegmented=presegmented,
                            max_chars=max_chars)
    return PreparedText(document, decision, segments)
