"""Documents in, links out: read a text and its translation, identify their languages, split them into
sentences as `seedmt translate` does, and align them (the API behind `seedmt align`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from seedmt.align.aligner import AlignSettings, AnchorError, Link, align_sentences
from seedmt.align.links import ACCEPTED, ANCHOR_ORIGINS
from seedmt.align.embed import Embedder
from seedmt.core.languages import sentence_joiner
from seedmt.text.langid import DEFAULT_IDENTIFIER, check_identifier
from seedmt.text.prepare import prepare_text

# Sentence counts this far apart usually mean the wrong pair of files, or a partial translation.
SUSPICIOUS_COUNT_RATIO = 4.0


@dataclass
class AlignedDocuments:
    source_lang: str
    target_lang: str
    source: list[str]  # sentences
    target: list[str]
    links: list[Link]
    warnings: list[str]

    @property
    def joiners(self) -> tuple[str, str]:
        return sentence_joiner(self.source_lang), sentence_joiner(self.target_lang)

    def jsonl(self) -> str:
        return "".join(json.dumps(link.record(self.source, self.target, self.joiners), ensure_ascii=False) + "\n"
                       for link in self.links)

    def tsv(self) -> str:
        """Two-column bitext of the linked pairs (unlinked sentences left out), one pair per line."""
        def cell(text: str) -> str:
            return " ".join(text.split())  # a tab or newline inside a sentence must not break the columns

        rows = [link.record(self.source, self.target, self.joiners) for link in self.links
                if link.source_indices and link.target_indices]
        return "".join(f"{cell(r['source_text'])}\t{cell(r['target_text'])}\n" for r in rows)


def read_anchors(path, source: list[str], target: list[str], joiners: tuple[str, str]) -> list[Link]:
    """Links to keep, from a JSONL of links (`seedmt align` output, or the alignment editor's). A line's
    `source_text` / `target_text`, when given, must still be the text of those sentences: anchors made on another
    version of a document would fix the wrong sentences. Links without an `origin` count as accepted."""
    anchors = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise AnchorError(f"{path}: cannot read ({err})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            sources = tuple(int(k) for k in record["source_indices"])
            targets = tuple(int(k) for k in record["target_indices"])
            origin = record.get("origin", ACCEPTED)
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"{path}:{number}: expected a JSON link with source_indices and target_indices") from None
        if origin not in ANCHOR_ORIGINS:
            origin = ACCEPTED
        for side, indices, sentences, joiner in (("source", sources, source, joiners[0]),
                                                 ("target", targets, target, joiners[1])):
            if any(not 0 <= k < len(sentences) for k in indices):
                raise AnchorError(f"{path}:{number}: the {side} document has {len(sentences)} sentences")
            expected = record.get(f"{side}_text")
            if expected is not None and expected != joiner.join(sentences[k] for k in indices):
                raise AnchorError(f"{path}:{number}: its {side}_text is not {side} sentence(s) {list(indices)} of "
                                  "this document (made on another version of it?)")
        anchors.append(Link(sources, targets, None, False, origin))
    return anchors


def align_documents(source_path, target_path, embedder: Embedder, *, source_lang: str | None = None,
                    target_lang: str | None = None, presegmented: bool = False, lid: str = DEFAULT_IDENTIFIER,
                    settings: AlignSettings | None = None, anchors_path=None) -> AlignedDocuments:
    """Read two plain-text documents (a text and its translation), split them into sentences, align them.
    `anchors_path`: a JSONL of links to keep as they are (`read_anchors`); the rest is aligned around them.
    Raises SeedMTError naming the file for a bad input, IdentifierConfigError for an unusable `lid`."""
    check_identifier(lid)
    source = prepare_text(source_path, source_lang, lid=lid, role="source", presegmented=presegmented)
    target = prepare_text(target_path, target_lang, lid=lid, role="target", presegmented=presegmented)
    warnings = []
    counts = sorted((len(source.segments), len(target.segments)))
    if counts[1] > SUSPICIOUS_COUNT_RATIO * max(counts[0], 1):
        warnings.append(f"{source_path} has {len(source.segments)} sentences and {target_path} "
                        f"{len(target.segments)}: most sentences will stay unlinked; check that the second file "
                        "translates the first")
    joiners = (sentence_joiner(source.lang), sentence_joiner(target.lang))
    anchors = read_anchors(anchors_path, source.sentences, target.sentences, joiners) if anchors_path else ()
    try:
        # one line = one sentence says nothing about paragraphs
        paragraphs = None if presegmented else (source.paragraph_starts, target.paragraph_starts)
        links = align_sentences(source.sentences, target.sentences, embedder, joiners, settings, anchors, paragraphs)
    except AnchorError as err:
        raise AnchorError(f"{anchors_path}: {err}") from None
    return AlignedDocuments(source.lang, target.lang, source.sentences, target.sentences, links, warnings)
