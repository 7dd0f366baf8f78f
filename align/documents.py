"""Documents in, links out: read a text and its translation, identify their languages, split them into
sentences as `seedmt translate` does, and align them (the API behind `seedmt align`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from seedmt.align.aligner import AlignSettings, AnchorError, Link, align_sentences
from seedmt.align.links import ACCEPTED, ALIGNER, ORIGINS
from seedmt.core.errors import SeedMTError
from seedmt.align.embed import Embedder, embedder_for
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
    encoder: str = ""  # the sentence encoder that served (its name, as embedding caches key it)

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


class LinksFileError(SeedMTError):
    """A JSONL of links that cannot be read, or that is not an alignment of the two documents at hand."""


def links_from_jsonl(text: str, where: str, source: list[str], target: list[str], joiners: tuple[str, str],
                     default_origin: str = ALIGNER) -> list[Link]:
    """Links of a `seedmt align` / alignment-editor JSONL, checked against the two documents' sentences: indices
    in range, and a line's `source_text` / `target_text`, when given, still the text of those sentences (links
    made on another version of a document would name the wrong sentences). `where` names the file in errors."""
    links = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            sources = tuple(int(k) for k in record["source_indices"])
            targets = tuple(int(k) for k in record["target_indices"])
            origin = record.get("origin", default_origin)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LinksFileError(f"{where}:{number}: expected a JSON link with source_indices and "
                                 "target_indices") from None
        for side, indices, sentences, joiner in (("source", sources, source, joiners[0]),
                                                 ("target", targets, target, joiners[1])):
            if any(not 0 <= k < len(sentences) for k in indices):
                raise LinksFileError(f"{where}:{number}: the {side} document has {len(sentences)} sentences")
            expected = record.get(f"{side}_text")
            if expected is not None and expected != joiner.join(sentences[k] for k in indices):
                raise LinksFileError(f"{where}:{number}: its {side}_text is not {side} sentence(s) {list(indices)} "
                                     "of this document (made on another version of it, or split differently?)")
        links.append(Link(sources, targets, record.get("score"), bool(record.get("needs_review")),
                          origin if origin in ORIGINS else default_origin))
    return links


def read_anchors(path, source: list[str], target: list[str], joiners: tuple[str, str]) -> list[Link]:
    """Links to keep, from a JSONL of links (`seedmt align` output, or the alignment editor's); links without
    an `origin` a person gave them count as accepted."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LinksFileError(f"{path}: cannot read ({err})") from None
    return [Link(x.source_indices, x.target_indices, None, False, x.origin if x.is_anchor else ACCEPTED)
            for x in links_from_jsonl(text, str(path), source, target, joiners, ACCEPTED)]


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
        embedder = embedder_for(embedder, source.lang, target.lang)
        links = align_sentences(source.sentences, target.sentences, embedder, joiners, settings, anchors, paragraphs)
    except AnchorError as err:
        raise AnchorError(f"{anchors_path}: {err}") from None
    return AlignedDocuments(source.lang, target.lang, source.sentences, target.sentences, links, warnings,
                            getattr(embedder, "name", type(embedder).__name__))
