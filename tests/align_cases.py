"""Real parallel text with a known sentence alignment: the seeds and their references.

Each reference line names the seed segment it translates. Joining a seed's reference lines into a document
(paragraphs as in the seed) and splitting that again into sentences the way seedmt splits text gives a
translation document whose gold alignment is known: every target sentence belongs to one reference line,
hence to one source segment."""
from __future__ import annotations

from dataclasses import dataclass

from seedmt.eval.references import load_references
from seedmt.core.languages import sentence_joiner
from seedmt.text.segment import segment_document
from tests.conftest import EXPECTED_SEED_LANGS, REPO_ROOT, SEEDS_DIR

REFERENCES = REPO_ROOT / "references"


@dataclass
class AlignmentCase:
    doc_id: str
    source_lang: str
    target: str
    source: list[str]  # the seed's segments
    target_text: str  # the joined reference document
    target_sentences: list[str]  # split again
    gold: set[tuple[int, int]]  # (source index, target sentence index)


def build_case(doc_id: str, target: str) -> AlignmentCase:
    source_lang = EXPECTED_SEED_LANGS[doc_id]
    text = (SEEDS_DIR / f"{doc_id}.txt").read_text(encoding="utf-8")
    segments = segment_document(doc_id, text, source_lang)
    reference = load_references(REFERENCES, target)[doc_id]
    by_id = {line.segment_id: line.text for line in reference.lines}
    paragraphs: list[list[tuple[int, str]]] = []
    for seg in segments:
        if seg.sentence_index == 0:
            paragraphs.append([])
        if by_id.get(seg.segment_id):
            paragraphs[-1].append((seg.index, by_id[seg.segment_id]))
    # the reference document, remembering which character span came from which source segment
    pieces, owners, cursor = [], [], 0
    for paragraph in (p for p in paragraphs if p):
        if pieces:
            pieces.append("\n")
            cursor += 1
        for k, (index, ref) in enumerate(paragraph):
            if k:
                pieces.append(sentence_joiner(target))
                cursor += len(sentence_joiner(target))
            owners.append((cursor, cursor + len(ref), index))
            pieces.append(ref)
            cursor += len(ref)
    target_text = "".join(pieces)
    sentences = segment_document("ref", target_text, target)
    gold = set()
    for t, sentence in enumerate(sentences):
        # A sentence the splitter made of two reference lines (a source sentence cut mid-way, say)
        # translates both segments: a 2-1 link.
        gold.update((index, t) for start, end, index in owners if start < sentence.end and sentence.start < end)
    return AlignmentCase(doc_id, source_lang, target, [s.text for s in segments], target_text,
                         [s.text for s in sentences], gold)


def link_pairs(links) -> set[tuple[int, int]]:
    return {(i, j) for link in links for i in link.source_indices for j in link.target_indices}


def scores(predicted: set, gold: set) -> tuple[float, float, float]:
    hits = len(predicted & gold)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


ALL_CASES = [(doc_id, target) for doc_id in sorted(EXPECTED_SEED_LANGS) for target in ("eng_Latn", "zho_Hans")]
