"""Stage 3: split a document into paragraphs and sentences, keeping character offsets.

Segments never include surrounding whitespace; everything between two segments is a separator taken
verbatim from the document, so `reconstruct(text, segments) == text` always holds.
Sentences longer than `max_chars` are cut at clause punctuation, then at spaces: NLLB drops content
from long inputs (it was trained on sentences up to ~200 tokens), and a stable, model-independent
segmentation keeps reference files aligned whatever checkpoint is used."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sentencex import segment as sentencex_segment

from seedmt.core.languages import iso639_1

DEFAULT_MAX_CHARS = 400
_PARAGRAPH = re.compile(r"[^\n]+")
# Clause boundaries preferred for cutting over-long sentences (Latin, Arabic, CJK commas and friends).
_CLAUSE_END = re.compile(r"[,;:،؛、，；：](?=\s)|[，；：、]")


@dataclass(frozen=True)
class Segment:
    doc_id: str
    index: int  # position in the document
    paragraph_index: int
    sentence_index: int  # position in the paragraph
    start: int
    end: int
    text: str

    @property
    def segment_id(self) -> str:
        return make_segment_id(self.doc_id, self.index)


def make_segment_id(doc_id: str, index: int) -> str:
    return f"{doc_id}:{index:04d}"


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_spans(paragraph: str, iso_lang: str) -> Iterator[tuple[int, int]]:
    """Offsets of sentencex's sentences inside `paragraph`, found left to right."""
    cursor = 0
    for sentence in sentencex_segment(iso_lang, paragraph):
        sentence = sentence.strip()
        if not sentence:
            continue
        found = paragraph.find(sentence, cursor)
        if found < 0:  # splitter altered the text: keep the rest as one sentence rather than lose it
            break
        yield found, found + len(sentence)
        cursor = found + len(sentence)
    if paragraph[cursor:].strip():
        yield _strip_span(paragraph, cursor, len(paragraph))


def _cut_point(text: str, start: int, end: int, max_chars: int) -> int:
    """Where to cut text[start:end] so the first part is at most max_chars and as long as possible."""
    limit = start + max_chars
    window = text[start:limit]
    clause_ends = [m.end() for m in _CLAUSE_END.finditer(window)]
    if clause_ends and clause_ends[-1] > max_chars // 3:
        return start + clause_ends[-1]
    space = window.rfind(" ")
    if space > max_chars // 3:
        return start + space
    return limit


def split_long_span(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = _cut_point(text, start, end, max_chars)
        piece = _strip_span(text, start, cut)
        if piece[1] > piece[0]:
            spans.append(piece)
        start, end = _strip_span(text, cut, end)
    if end > start:
        spans.append((start, end))
    return spans


def segment_document(
    doc_id: str, text: str, flores_lang: str, max_chars: int = DEFAULT_MAX_CHARS
) -> list[Segment]:
    iso_lang = iso639_1(flores_lang) or "en"
    segments: list[Segment] = []
    paragraph_index = 0
    for match in _PARAGRAPH.finditer(text):
        paragraph = match.group()
        if not paragraph.strip():
            continue
        sentence_index = 0
        for rel_start, rel_end in _sentence_spans(paragraph, iso_lang):
            for start, end in split_long_span(text, match.start() + rel_start, match.start() + rel_end, max_chars):
                segments.append(
                    Segment(doc_id, len(segments), paragraph_index, sentence_index, start, end, text[start:end])
                )
                sentence_index += 1
        paragraph_index += 1
    return segments


def segment_lines(doc_id: str, text: str) -> list[Segment]:
    """One segment per non-empty line, taken as it is: no sentence splitting, no clause cutting. For test sets
    and corpora that come one sentence per line (FLORES, WMT, a bitext side); each line is its own paragraph."""
    segments: list[Segment] = []
    start = 0
    for line in text.split("\n"):
        if line.strip():
            segments.append(Segment(doc_id, len(segments), len(segments), 0, start, start + len(line), line))
        start += len(line) + 1
    return segments


def segment_text(doc_id: str, text: str, lang: str, *, presegmented: bool = False,
                 max_chars: int = DEFAULT_MAX_CHARS) -> list[Segment]:
    """How seedmt cuts every text it translates or aligns: paragraphs and sentences, or with `presegmented`
    one segment per non-empty line."""
    return segment_lines(doc_id, text) if presegmented else segment_document(doc_id, text, lang, max_chars)


def separators(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The verbatim text before each span, plus the tail after the last one (len(spans) + 1 items)."""
    out, cursor = [], 0
    for start, end in spans:
        out.append(text[cursor:start])
        cursor = end
    out.append(text[cursor:])
    return out


def reconstruct(text: str, segments: list[Segment]) -> str:
    """Join segments with the document's own separators; equals `text` by construction."""
    seps = separators(text, [(s.start, s.end) for s in segments])
    return "".join(sep + seg.text for sep, seg in zip(seps, segments)) + seps[-1]
