"""How well each translation matches its source: a margin-normalised cross-lingual similarity per segment.

score = 1 - d / b, with d the cosine distance of the source's and the translation's embeddings and b their
background: how far each lies, on average, from the *other* segments of the same document (the source from
the other translations, the translation from the other sources). About 0 for a translation no closer to its
source than unrelated text, 0.3-0.5 for good ones, comparable across languages where raw cosines of one
encoder are not.

A score depends only on its own document and on fixed data, so adding or removing other seeds never changes
the scores of documents already published. A document with few segments has too little background of its
own, so fixed texts (`FIXED_BACKGROUND`, a few sentences in many languages that ship with seedmt) complete it
to `MIN_BACKGROUND` comparisons; a one-segment document is scored against them alone."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seedmt.align.embed import Embedder
from seedmt.align.margin import margin_distance

# Measured on the references (tests/test_similarity.py): good pairs rarely fall under it, while most wrong
# pairs (each source with a random other segment's reference) and many near misses (the next segment's) do.
LOW_SIMILARITY = 0.05
SIMILARITY_BACKGROUND = 64  # other segments of the document each pair is compared with, at most
MIN_BACKGROUND = 8  # comparisons each pair gets at least; fixed texts make up what the document lacks
# Unrelated everyday sentences, one per language and script: background for short documents.
FIXED_BACKGROUND = (
    "The city council will vote on the new budget next week.",
    "这座城市的公共图书馆将于下个月重新开放。",
    "Los agricultores esperan que la lluvia llegue antes de la cosecha.",
    "Le musée a présenté une exposition consacrée à la photographie ancienne.",
    "Поезд отправился с вокзала с опозданием на двадцать минут.",
    "افتتحت الجامعة مختبرا جديدا لأبحاث الطاقة الشمسية.",
    "बच्चों ने स्कूल के मैदान में पेड़ लगाए।",
    "週末には多くの観光客が古い寺を訪れた。",
    "Die Feuerwehr wurde am frühen Morgen zu einem Brand gerufen.",
    "O time venceu a partida final por dois gols a um.",
    "Yeni köprünün yapımı iki yıl içinde tamamlanacak.",
    "Harga beras naik di beberapa pasar tradisional minggu ini.",
    "주민들은 공원에 새 놀이터가 생기기를 바란다.",
    "Wanafunzi walifanya mtihani wa hisabati jana asubuhi.",
    "نمایشگاه کتاب امسال با حضور ناشران زیادی برگزار شد.",
    "Cơn bão đã làm đổ nhiều cây dọc theo bờ biển.",
)


def similarity_scores(sources: Sequence[str], translations: Sequence[str], embedder: Embedder,
                      seed: int = 0) -> list[float]:
    """Scores of one document's segments: `sources[i]` against `translations[i]`, with the document's other
    segments (and fixed texts, for short documents) as background."""
    n = len(sources)
    if not n:
        return []
    a, b = embedder.embed(list(sources)), embedder.embed(list(translations))
    picks = np.random.default_rng(seed).choice(n, size=min(SIMILARITY_BACKGROUND, n), replace=False)
    own = picks[None, :] == np.arange(n)[:, None]  # a pair is not its own background
    others = (~own).sum(axis=1)
    sum_a = np.where(own, 0, 1.0 - a @ b[picks].T).sum(axis=1)  # each source against other translations
    sum_b = np.where(own, 0, 1.0 - b @ a[picks].T).sum(axis=1)  # each translation against other sources
    fill = np.maximum(MIN_BACKGROUND - others, 0)
    if fill.any():
        fixed = embedder.embed(list(FIXED_BACKGROUND))
        sum_a = sum_a + fill * (1.0 - a @ fixed.T).mean(axis=1)
        sum_b = sum_b + fill * (1.0 - b @ fixed.T).mean(axis=1)
    count = others + fill
    cosine = np.einsum("ij,ij->i", a, b)
    return [round(float(s), 4) for s in 1.0 - margin_distance(cosine, sum_a / count, sum_b / count)]


def score_similarity(docs: list, targets: Sequence[str], embedder: Embedder) -> None:
    """Fill each TranslatedDocument's `similarities[target]` (None for copied targets) and add its
    `<target>:low_similarity` flags."""
    for doc in docs:
        for target in targets:
            doc.similarities[target] = [None] * len(doc.segments)
            if target in doc.copied_targets:
                continue
            values = similarity_scores([s.text for s in doc.segments], doc.translations[target], embedder)
            for i, value in enumerate(values):
                doc.similarities[target][i] = value
                if value < LOW_SIMILARITY:
                    doc.quality_flags[i].append(f"{target}:low_similarity")
