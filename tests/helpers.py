"""Helpers the tests share: the repository's seeds and references, ways to rewrite a dataset, the model card's
own usage (the oracle the backends must equal), and alignment cases with a known gold alignment."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.languages import sentence_joiner
from seedmt.eval.references import load_references
from seedmt.text.segment import segment_document

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO_ROOT / "seeds"
REFERENCES = REPO_ROOT / "references"
TARGETS = ("eng_Latn", "zho_Hans")
EXPECTED_SEED_LANGS = {
    "000_1a3a948149a5a5b3": "uig_Arab",
    "001_3e2915cf1267708f": "kat_Geor",
    "002_5be13cb78bb9960d": "kan_Knda",
    "003_8e8481b4ceab6e39": "bel_Cyrl",
    "004_673d402516499681": "kor_Hang",
}
# Small enough for a fast suite, large enough to exercise beam search and batching.
TEST_DECODING_ARGS = ["--beam-size", "4", "--max-new-tokens", "12"]


def seed_lines() -> list[str]:
    return [line for path in sorted(SEEDS_DIR.glob("*.txt"))
            for line in path.read_text(encoding="utf-8").splitlines()]


# --- datasets -------------------------------------------------------------------------------------------

def reference_texts() -> dict[tuple[str, str], str]:
    """(segment_id, target) -> reference text, for every non-skipped reference line in references/."""
    out = {}
    for target in TARGETS:
        for doc in load_references(REFERENCES, target).values():
            for line in doc.lines:
                if line.text is not None:
                    out[(line.segment_id, target)] = line.text
    return out





def perturb(text: str, target: str) -> str:
    """Drop every fourth word (characters for Chinese): a worse but related system."""
    if target == "zho_Hans":
        return "".join(c for i, c in enumerate(text) if i % 4 != 3)
    return " ".join(w for i, w in enumerate(text.split()) if i % 4 != 3)


def rewrite_translations(src: Path, dst: Path, translate) -> Path:
    """Copy of a dataset whose segment translations are `translate(segment_id, target)`."""
    from datasets import load_from_disk

    dataset = load_from_disk(str(src))

    def update(row):
        translation = dict(row["translation"])
        for target in TARGETS:
            if target not in row["copied_targets"]:
                translation[target] = translate(row["segment_id"], target)
        return {"translation": translation}

    dataset["segments"] = dataset["segments"].map(update)
    dataset.save_to_disk(str(dst))
    return dst


def tables(out: Path) -> dict[str, list[dict]]:
    """documents and segments, the part of a dataset that must not depend on how the run went."""
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    return {name: dataset[name].to_list() for name in ("documents", "segments")}


def cache_rows(path: Path) -> int:
    """Translations in a segment cache, read without disturbing the run that writes it."""
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


# --- the model card's usage -----------------------------------------------------------------------------

class ModelCardTranslator:
    def __init__(self, model_dir: Path) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir)).eval()

    def translate(self, text: str, src_lang: str, tgt_lang: str, *, num_beams: int, max_new_tokens: int) -> str:
        import torch

        self.tokenizer.src_lang = src_lang
        inputs = self.tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            tokens = self.model.generate(**inputs, forced_bos_token_id=self.tokenizer.convert_tokens_to_ids(tgt_lang),
                                         num_beams=num_beams, max_new_tokens=max_new_tokens)
        return self.tokenizer.batch_decode(tokens, skip_special_tokens=True)[0]


# --- alignment cases: the seeds and their references ------------------------------------------------------

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


def gold_links(case: AlignmentCase):
    """The gold alignment as links: groups of sentences joined by gold pairs, the rest unlinked (origin
    `edited`: what a person who knows the answer would fix each link to)."""
    from seedmt.align.editing import in_document_order
    from seedmt.align.links import EDITED, Link

    owner: dict[tuple[str, int], tuple[str, int]] = {}

    def root(node):
        while owner.setdefault(node, node) != node:
            node = owner[node]
        return node

    for i, j in case.gold:
        owner[root(("s", i))] = root(("t", j))
    groups: dict = {}
    for i in range(len(case.source)):
        groups.setdefault(root(("s", i)), ([], []))[0].append(i)
    for j in range(len(case.target_sentences)):
        groups.setdefault(root(("t", j)), ([], []))[1].append(j)
    links = [Link(tuple(s), tuple(t), None, False, EDITED) for s, t in groups.values()]
    links = [x for x in links if x.is_linked] + [Link((i,), (), None, False, EDITED) for x in links if not x.is_linked
                                                 for i in x.source_indices] + \
        [Link((), (j,), None, False, EDITED) for x in links if not x.is_linked for j in x.target_indices]
    return in_document_order(links, len(case.source), len(case.target_sentences))


ALL_CASES = [(doc_id, target) for doc_id in sorted(EXPECTED_SEED_LANGS) for target in ("eng_Latn", "zho_Hans")]


# --- the review app ---------------------------------------------------------------------------------------

# Markup in a seed, which every page must show as text.
XSS = "<img src=x onerror=alert(1)> </script><script>alert(2)</script>"


def fresh_copy(dataset: Path, tmp_path: Path) -> Path:
    """A copy of the dataset with no review store, so that each test starts from nothing."""
    import shutil

    copy = tmp_path / "translations"
    shutil.copytree(dataset, copy)
    return copy


def start_server(dataset: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "seedmt", "review", str(dataset), "--port", "0",
                                "--reviewer", "ana", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
    assert match, (line, process.stderr.read() if process.poll() is not None else "")
    return process, match.group(0)
