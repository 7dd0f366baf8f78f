"""Helpers the tests share: the repository's seeds and references, ways to rewrite a dataset, the model card's
own usage (the oracle the backends must equal), and alignment cases with a known gold alignment."""
from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from seedmt.core.languages import sentence_joiner
from seedmt.eval.references import load_references
from seedmt.text.segment import DEFAULT_MAX_CHARS, segment_document

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
    source_starts: list[bool] | None = None  # the first sentence of each paragraph, per side
    target_starts: list[bool] | None = None

    @property
    def paragraph_starts(self) -> tuple[list[bool], list[bool]]:
        return self.source_starts, self.target_starts


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
                         [s.text for s in sentences], gold, [s.sentence_index == 0 for s in segments],
                         [s.sentence_index == 0 for s in sentences])


# Web-page furniture in each target language, as crawled pages carry it around an article.
BOILERPLATE = {
    "eng_Latn": ["Related articles", "Back to top", "Share this article", "Read more",
                 "© 2024 The Daily Courier. All rights reserved.", "Published 12 March 2024, 09:41",
                 "Subscribe to our newsletter", "Photo: Reuters", "Comments (0)", "Most read"],
    "zho_Hans": ["相关文章", "返回顶部", "分享到：", "阅读更多", "© 2024 新闻网 版权所有", "发布时间：2024年3月12日 09:41",
                 "订阅我们的新闻", "图片来源：路透社", "评论（0）", "热门文章"],
}
_FINAL_PUNCTUATION = ".!?。！？"


def build_robust_case(doc_id: str, target: str, seed: int, *, target_deletions: float = 0.0,
                      source_deletions: float = 0.0, boilerplate: int = 0, merges: int = 0) -> AlignmentCase:
    """A seed and its reference made harder, deterministically (`seed`): whole paragraphs, or the last sentences of
    one (about `target_deletions` / `source_deletions` of the text), left out of the translation or of the source,
    `boilerplate` lines of page furniture in the target language inserted between paragraphs, and `merges` pairs
    of neighbouring sentences joined into one by the translator (a comma instead of a full stop)."""
    import random

    rng = random.Random(f"{doc_id}/{target}/{seed}")
    source_lang = EXPECTED_SEED_LANGS[doc_id]
    segments = segment_document(doc_id, (SEEDS_DIR / f"{doc_id}.txt").read_text(encoding="utf-8"), source_lang)
    by_id = {line.segment_id: line.text for line in load_references(REFERENCES, target)[doc_id].lines}
    with_reference = [seg for seg in segments if by_id.get(seg.segment_id)]

    # what a translation (or an original) can lack: a whole paragraph, or the last sentences of one
    paragraphs_of: list[list[int]] = []
    for seg in with_reference:
        if seg.sentence_index == 0 or not paragraphs_of:
            paragraphs_of.append([])
        paragraphs_of[-1].append(seg.index)
    units = [p for p in paragraphs_of[1:]] + [p[-k:] for p in paragraphs_of for k in (2, 3) if len(p) > k + 1]

    def passages(fraction: float, taken: set[int]) -> set[int]:
        chosen: set[int] = set()
        total = sum(len(by_id[seg.segment_id]) for seg in with_reference)
        candidates = [u for u in units if sum(len(by_id[segments[i].segment_id]) for i in u) < 0.25 * total]
        rng.shuffle(candidates)
        for unit in candidates:
            if sum(len(by_id[segments[i].segment_id]) for i in chosen) >= fraction * total:
                break
            if not set(unit) & (taken | chosen):
                chosen |= set(unit)
        return chosen

    dropped_from_target = passages(target_deletions, set())
    dropped_from_source = passages(source_deletions, dropped_from_target)
    source = [seg for seg in segments if seg.index not in dropped_from_source]
    new_index = {seg.index: k for k, seg in enumerate(source)}
    # the translation: paragraphs of (text, source indices it translates)
    paragraphs: list[list[tuple[str, list[int]]]] = []
    for seg in segments:
        if seg.sentence_index == 0 or not paragraphs:
            paragraphs.append([])
        if seg.segment_id in by_id and by_id[seg.segment_id] and seg.index not in dropped_from_target:
            paragraphs[-1].append((by_id[seg.segment_id], [new_index[seg.index]] if seg.index in new_index else []))
    paragraphs = [p for p in paragraphs if p]
    joiner = sentence_joiner(target)
    candidates = [(p, k) for p, paragraph in enumerate(paragraphs) for k in range(len(paragraph) - 1)
                  if paragraph[k][1] and paragraph[k + 1][1] and paragraph[k][1][-1] + 1 == paragraph[k + 1][1][0]
                  and len(paragraph[k][0]) + len(paragraph[k + 1][0]) < DEFAULT_MAX_CHARS - 20]  # stays one sentence
    picked: list[tuple[int, int]] = []
    for p, k in rng.sample(candidates, len(candidates)):  # merges of distinct sentences (never a merge merged again)
        if len(picked) < merges and all(q != p or abs(k - m) > 1 for q, m in picked):
            picked.append((p, k))
    for p, k in sorted(picked, reverse=True):
        (first, a), (second, b) = paragraphs[p][k], paragraphs[p][k + 1]
        comma = "，" if target == "zho_Hans" else ", "
        paragraphs[p][k:k + 2] = [(first.rstrip().rstrip(_FINAL_PUNCTUATION) + comma + second, a + b)]
    lines = BOILERPLATE.get(target, BOILERPLATE["eng_Latn"])
    for line in rng.sample(lines, min(boilerplate, len(lines))):
        paragraphs.insert(rng.randint(0, len(paragraphs)), [(line, [])])
    pieces, owners, cursor = [], [], 0
    for paragraph in paragraphs:
        if pieces:
            pieces.append("\n")
            cursor += 1
        for k, (text, indices) in enumerate(paragraph):
            if k:
                pieces.append(joiner)
                cursor += len(joiner)
            owners += [(cursor, cursor + len(text), index) for index in indices]
            pieces.append(text)
            cursor += len(text)
    target_text = "".join(pieces)
    sentences = segment_document("ref", target_text, target)
    gold = {(index, t) for t, sentence in enumerate(sentences) for start, end, index in owners
            if start < sentence.end and sentence.start < end}
    source_starts = [seg.sentence_index == 0 or k == 0 or source[k - 1].index != seg.index - 1
                     for k, seg in enumerate(source)]  # a deleted passage leaves a break where it was
    return AlignmentCase(doc_id, source_lang, target, [seg.text for seg in source], target_text,
                         [s.text for s in sentences], gold, source_starts, [s.sentence_index == 0 for s in sentences])


def robustness_figures(links, case: AlignmentCase) -> dict:
    """Pair precision, recall and F1, and how the review flags fall on the links made: a link is wrong when its
    sentences do not all belong to one gold unit (a group of sentences that translate each other), and the
    figures are the shares of wrong links and of right links marked needs_review."""
    precision, recall, f1 = scores(link_pairs(links), case.gold)
    unit_of: dict[tuple[str, int], int] = {}
    for number, unit in enumerate(x for x in gold_links(case) if x.is_linked):
        unit_of.update({("s", i): number for i in unit.source_indices})
        unit_of.update({("t", j): number for j in unit.target_indices})
    linked = [x for x in links if x.source_indices and x.target_indices]

    def is_wrong(link) -> bool:
        units = {unit_of.get(("s", i)) for i in link.source_indices} | \
            {unit_of.get(("t", j)) for j in link.target_indices}
        return len(units) != 1 or None in units

    wrong = [x for x in linked if is_wrong(x)]
    right = [x for x in linked if not is_wrong(x)]
    return {"precision": precision, "recall": recall, "f1": f1, "wrong": len(wrong), "right": len(right),
            "wrong_flagged": sum(x.needs_review for x in wrong), "right_flagged": sum(x.needs_review for x in right)}


# The harder cases: for each seed and reference, passages deleted from the translation with boilerplate added;
# passages deleted from the source with boilerplate and translator merges; deletions and merges.
ROBUSTNESS_SEEDS = (0, 1)  # each variant built with these generator seeds (60 cases)
ROBUSTNESS_VARIANTS = {
    "target-deletions+boilerplate": {"target_deletions": 0.15, "boilerplate": 5},
    "source-deletions+boilerplate+merges": {"source_deletions": 0.15, "boilerplate": 4, "merges": 2},
    "target-deletions+merges": {"target_deletions": 0.15, "merges": 3},
}


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
    match = re.search(r"(http://\S+?)/\?token=(\S+)", line)
    assert match, (line, process.stderr.read() if process.poll() is not None else "")
    return process, match.group(0)


@contextlib.contextmanager
def review_client(reviewed_dataset: Path, tmp_path: Path, **settings):
    """An in-process client of the review app over a fresh copy of the dataset (references in
    tmp_path/references, reviewer "ana"), the token cookie already set; the stores are closed afterwards."""
    from starlette.testclient import TestClient

    from seedmt.review.app import ReviewSettings, create_app

    raise_errors = settings.pop("raise_server_exceptions", True)
    config = ReviewSettings(fresh_copy(reviewed_dataset, tmp_path), references_dir=tmp_path / "references",
                            reviewer="ana", port=8765, **settings)
    app = create_app(config)
    try:
        with TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=raise_errors) as client:
            client.settings = config
            client.get(f"/?token={config.token}")
            yield client
    finally:
        from seedmt.review.app import close_app

        close_app(app)


def skip_outside_ci(reason: str) -> None:
    """Skip with `reason` here; under CI (where `CI` is set) the same condition fails the run, since CI
    installs everything these tests need."""
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI must run this test")
    pytest.skip(reason)


def import_or_fail_in_ci(module: str):
    """`pytest.importorskip`, except under CI, where a missing test dependency is a failure."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        skip_outside_ci(f"{module} is not installed")


# --- translators' instruments: a dataset whose translations are the seeds' references ----------------------

SYNTHETIC_RUN = {"run_id": "references-as-translations", "started_at": "", "finished_at": "", "model": "references",
                 "model_path": "", "revision": None, "weights_fingerprint": "", "backend": "none", "device": "cpu",
                 "compute_type": "", "decoding": "{}", "batching": "{}", "threads": "{}", "engine": "{}",
                 "segmentation": "{}", "versions": "{}", "signature": "references", "backend_details": "{}"}


def dataset_of_references(out: Path, doc_ids: tuple[str, ...] = ("003_8e8481b4ceab6e39", "004_673d402516499681"),
                          targets: tuple[str, ...] = ("eng_Latn", "zho_Hans"), extra: dict | None = None) -> Path:
    """A dataset in seedmt's schema whose 'machine translations' are the references of these seeds (a skipped
    segment's translation is its source): QA, XLIFF and the translation memory get real text in both targets
    without a model. `extra`: {doc_id: [(source, {target: translation})]} segments appended to a document."""
    from seedmt.dataset.schema import SCHEMA_VERSION
    from seedmt.dataset.storage import TranslatedDocument, build_dataset, save_atomically
    from seedmt.text.segment import Segment

    docs = []
    for doc_id in doc_ids:
        lines = {t: [json.loads(x) for x in (REPO_ROOT / "references" / t / f"{doc_id}.jsonl").read_text(
            encoding="utf-8").splitlines()] for t in targets}
        sources = [line["source"] for line in lines[targets[0]]]
        translations = {t: [line.get("text") or line["source"] for line in lines[t]] for t in targets}
        for source, translated in (extra or {}).get(doc_id, []):
            sources.append(source)
            for t in targets:
                translations[t].append(translated[t])
        text = "\n".join(sources)
        segments, cursor = [], 0
        for index, source in enumerate(sources):
            segments.append(Segment(doc_id, index, index, 0, cursor, cursor + len(source), source))
            cursor += len(source) + 1
        doc = TranslatedDocument(doc_id, f"{doc_id}.txt", text, "0" * 64, EXPECTED_SEED_LANGS[doc_id], "override",
                                 None, segments)
        doc.translations = translations
        doc.quality_flags = [[] for _ in segments]
        docs.append(doc)
    save_atomically(build_dataset(docs, list(targets), {**SYNTHETIC_RUN, "targets": list(targets),
                                                        "schema_version": SCHEMA_VERSION}), out)
    return out
