"""Seeds, ready to translate or align: read each, settle its language, cut it into segments.

One path for every command: `seedmt translate` prepares a whole folder (`prepare_documents`, identifying the
documents that need it in one child process), `seedmt align`, `seedmt references import` and the alignment
editor prepare single files (`prepare_text`). The same rules apply to both: a stated code beats a `.lang`
sidecar, which beats identification; a stated code whose script the text is not written in is refused, naming
the file; the text is cut by `segment_text`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.errors import SeedMTError
from seedmt.core.languages import dominant_script, script_of, scripts_match
from seedmt.text.ingest import Document, read_seed
from seedmt.text.langid import (DEFAULT_IDENTIFIER, LanguageDecision, LanguageUndecidedError, decide_language,
                                 decide_languages)
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


class PreparationError(SeedMTError):
    """A seed that cannot be prepared: the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def _prepared(document: Document, decision: LanguageDecision, role: str, presegmented: bool,
              max_chars: int) -> PreparedText:
    written_in = dominant_script(document.text)
    if decision.method in ("override", "sidecar") and written_in is not None \
            and not scripts_match(script_of(decision.code), written_in):
        stated = f"--{role}-lang {decision.code}" if decision.method == "override" else \
            f"{document.path.with_suffix('.lang').name} ({decision.code})"
        raise PreparationError(document.path, f"{stated} says script {script_of(decision.code)}, but the text is "
                                              f"written in {written_in}; check the file and the code")
    segments = segment_text(document.doc_id, document.text, decision.code, presegmented=presegmented,
                            max_chars=max_chars)
    return PreparedText(document, decision, segments)


def prepare_text(path: Path, lang: str | None = None, *, lid: str = DEFAULT_IDENTIFIER, role: str = "source",
                 presegmented: bool = False, max_chars: int = DEFAULT_MAX_CHARS) -> PreparedText:
    """Read `path`, settle its language (`lang` if given, else a sidecar, else `lid`) and segment it.

    Any problem is one PreparationError naming the file: unreadable or empty, language undecided (the message
    says to pass `--<role>-lang`), or a stated code whose script the text is not written in."""
    path = Path(path)
    try:
        document = read_seed(path)
    except (ValueError, OSError) as err:
        raise PreparationError(path, err.strerror if isinstance(err, OSError) and err.strerror else str(err)) \
            from None
    try:
        decision = decide_language(document.text, path, lang, lid)
    except LanguageUndecidedError as err:
        raise PreparationError(path, f"{err}; pass --{role}-lang CODE") from None
    return _prepared(document, decision, role, presegmented, max_chars)


def prepare_documents(documents: Sequence[Document], langs: Sequence[str | None], *, lid: str = DEFAULT_IDENTIFIER,
                      role: str = "source", presegmented: bool = False,
                      max_chars: int = DEFAULT_MAX_CHARS) -> list[PreparedText | PreparationError]:
    """`prepare_text` for documents already read (with the code stated for each, or None): the documents that
    need identification are identified together in a child process. A document that cannot be prepared is its
    PreparationError, in its place; the others are prepared."""
    decisions = decide_languages([(d.text, d.path, lang) for d, lang in zip(documents, langs)], lid)
    out: list[PreparedText | PreparationError] = []
    for document, decision in zip(documents, decisions):
        if isinstance(decision, LanguageUndecidedError):
            out.append(PreparationError(document.path, f"{decision}; pass --{role}-lang {document.doc_id}=CODE or "
                                                       f"write the code into {document.path.with_suffix('.lang').name}"))
            continue
        try:
            out.append(_prepared(document, decision, role, presegmented, max_chars))
        except PreparationError as err:
            out.append(err)
    return out
