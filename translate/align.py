"""Cross-lingual sentence alignment: a document and its translation, sentence by sentence (Vecalign's method,
Thompson & Koehn 2019, with multilingual sentence embeddings).

1. Every sentence, and every run of 2 or 3 consecutive sentences joined, is embedded (`seedmt.translate.embed`;
   each distinct text once). Each document's mean sentence vector is subtracted from its vectors: what all
   sentences of one document share (its language, its topic) says nothing about which sentence translates
   which, and removing it makes the embeddings markedly more language-neutral (Libovicky et al. 2020). For a
   short document the mean is mostly the sentences themselves, so it is shrunk towards zero (`centering_prior`);
   when either side has a single sentence, neither is centred.
2. A link joins 1-3 source sentences to 1-3 target sentences (1-1, 1-2, 2-1, 2-2, 1-3, 3-1); a sentence can
   also stay unlinked (1-0, 0-1). Its distance is the cosine distance of the joined texts' embeddings divided by
   how far each side lies, on average, from the sentences of the other document (a sample of 512 in long
   ones). That margin keeps a generic sentence that resembles everything (a date, "Photo: Xinhua") from
   capturing its neighbours' partners: a pair no closer than random sentences has distance 1, a good
   translation 0.3-0.7.
3. A length term (Gale & Church) adds the |log| of how far a link's length ratio is from the ratio of the two
   languages, measured on confident 1-1 pairs (mutual nearest neighbours) rather than on whole documents, so
   that boilerplate or an untranslated passage on one side does not skew it.
4. A monotonic dynamic programme picks the links of least total cost: distance x sentences covered for a link,
   `skip_cost` per unlinked sentence. Long documents first align averaged blocks of sentences (a coarse pass),
   then run the full programme only in a band around the coarse path, so the cost grows linearly with length.

Every link carries `score` = 1 - distance (about 0 for a pair no closer than random sentences, 0.3-0.7 for
good translations); links scoring under `review_threshold` (default 0.2), and unlinked sentences, are marked
`needs_review`."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seedmt.translate.embed import Embedder, normalise

LINK_SHAPES: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1))
SKIPS: tuple[tuple[int, int], ...] = ((1, 0), (0, 1))
MAX_RUN = 3
MAX_LENGTH_RATIO = 5.0  # characters, e.g. English against Chinese is about 3-4


@dataclass(frozen=True)
class AlignSettings:
    skip_cost: float = 0.55  # per unlinked sentence, in distance units (a random pair has distance 1)
    shape_penalty: float = 0.2  # extra cost per sentence beyond 1-1, so that ties prefer 1-1 links
    length_weight: float = 0.2  # cost per unit of |log length ratio| off the languages' ratio (Gale-Church)
    review_threshold: float = 0.2  # links scoring under this are marked needs_review
    background_samples: int = 512  # sentences of the other side each candidate is compared with (all, if fewer)
    centering_prior: float = 2.0  # the mean removed is shrunk by n / (n + this), n = the document's sentences
    anchor_distance: float = 0.7  # mutual nearest neighbours closer than this measure the length ratio
    full_search_cells: int = 300_000  # (n+1) x (m+1) up to this: no coarse pass
    coarse_blocks: int = 400  # blocks per side in the coarse pass
    band: int = 10  # sentences kept on either side of the coarse path
    seed: int = 0


@dataclass(frozen=True)
class Link:
    source_indices: tuple[int, ...]
    target_indices: tuple[int, ...]
    score: float | None  # None for an unlinked sentence
    needs_review: bool

    def record(self, source: Sequence[str], target: Sequence[str], joiners: tuple[str, str]) -> dict:
        """The JSONL line of `seedmt align`."""
        return {"source_indices": list(self.source_indices), "target_indices": list(self.target_indices),
                "source_text": joiners[0].join(source[i] for i in self.source_indices),
                "target_text": joiners[1].join(target[j] for j in self.target_indices),
                "score": self.score, "needs_review": self.needs_review}


class _Side:
    """Embeddings of one document's sentences and runs of 2-3 consecutive sentences."""

    def __init__(self, sentences: Sequence[str], joiner: str, embedder: Embedder,
                 centering_prior: float | None) -> None:
        self.n = len(sentences)
        runs = {k: [joiner.join(sentences[i:i + k]) for i in range(self.n - k + 1)] for k in range(1, MAX_RUN + 1)}
        self.lengths = {k: np.array([len(t) for t in texts], dtype=np.float64) for k, texts in runs.items()}
        self.total_length = float(sum(len(t) for t in sentences))
        everything = [t for k in runs for t in runs[k]]
        vectors = embedder.embed(everything) if everything else np.zeros((0, 1), dtype=np.float32)
        self.runs: dict[int, np.ndarray] = {}
        start = 0
        for k in range(1, MAX_RUN + 1):
            self.runs[k] = np.asarray(vectors[start:start + len(runs[k])], dtype=np.float32)
            start += len(runs[k])
        if self.n and centering_prior is not None:  # what all sentences share says nothing about alignment
            shared = self.runs[1].mean(axis=0) * (self.n / (self.n + centering_prior))
            self.runs = {k: normalise(run_vectors - shared) if len(run_vectors) else run_vectors
                         for k, run_vectors in self.runs.items()}
        self.background: dict[int, np.ndarray] = {}

    def set_background(self, other: _Side, samples: int, rng: np.random.Generator) -> None:
        """Mean cosine distance of each run to the other document's sentences (a random sample if there are more)."""
        if other.n == 0:
            for k, vectors in self.runs.items():
                self.background[k] = np.ones(len(vectors), dtype=np.float32)
            return
        picks = rng.choice(other.n, size=min(samples, other.n), replace=False)
        sample = other.runs[1][picks]
        for k, vectors in self.runs.items():
            self.background[k] = (1.0 - vectors @ sample.T).mean(axis=1) if len(vectors) else np.zeros(0)


def _distances(src: _Side, tgt: _Side, a: int, i: int, b: int, js: np.ndarray) -> np.ndarray:
    """Distance of linking source run (i, a) with target runs (j, b) for every j in `js`."""
    cos = tgt.runs[b][js] @ src.runs[a][i]
    scale = np.maximum(src.background[a][i] + tgt.background[b][js], 1e-6) / 2
    return (1.0 - cos) / scale


def _sentence_distances(src: _Side, tgt: _Side, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Distances of source sentences `rows` to every target sentence (one row each)."""
    return (1.0 - src.runs[1][rows] @ tgt.runs[1].T) / np.maximum(
        (src.background[1][rows, None] + tgt.background[1][None, :]) / 2, 1e-6)


def _length_mismatch(src: _Side, tgt: _Side, ratio: float, a: int, i: int, b: int, js: np.ndarray) -> np.ndarray:
    """|log| of how far the pair's length ratio is from the languages' `ratio` (0 when equal)."""
    return np.abs(np.log((tgt.lengths[b][js] + 10) / (ratio * src.lengths[a][i] + 10)))


def _length_ratio(src: _Side, tgt: _Side, anchor_distance: float) -> float:
    """Target/source length ratio of the two languages, measured on confident 1-1 pairs.

    Confident pairs are mutual nearest neighbours closer than `anchor_distance`; with fewer than 3 of them, the
    ratio of the whole documents stands in, within what translation between any two scripts gives."""
    nearest_target = np.empty(src.n, dtype=np.int64)
    nearest_distance = np.empty(src.n, dtype=np.float32)
    column_best = np.full(tgt.n, np.inf, dtype=np.float32)
    nearest_source = np.zeros(tgt.n, dtype=np.int64)
    for start in range(0, src.n, 1024):  # row blocks: two 5,000-sentence documents never hold n x m distances
        rows = np.arange(start, min(start + 1024, src.n))
        distance = _sentence_distances(src, tgt, rows)
        nearest_target[rows] = distance.argmin(axis=1)
        nearest_distance[rows] = distance.min(axis=1)
        better = distance.min(axis=0) < column_best
        column_best[better] = distance.min(axis=0)[better]
        nearest_source[better] = rows[distance.argmin(axis=0)[better]]
    anchors = [(i, int(j)) for i, j in enumerate(nearest_target)
               if nearest_source[j] == i and nearest_distance[i] < anchor_distance]
    if len(anchors) >= 3:
        return float(np.median([(tgt.lengths[1][j] + 10) / (src.lengths[1][i] + 10) for i, j in anchors]))
    ratio = (tgt.total_length + 1) / (src.total_length + 1)
    return min(max(ratio, 1 / MAX_LENGTH_RATIO), MAX_LENGTH_RATIO)


class _Band:
    """Cells (i, j) the programme may visit: for each i, j in [lo[i], hi[i]]."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo, self.hi = lo, hi

    @classmethod
    def full(cls, n: int, m: int) -> _Band:
        return cls(np.zeros(n + 1, dtype=np.int64), np.full(n + 1, m, dtype=np.int64))


def _search(src: _Side, tgt: _Side, band: _Band, settings: AlignSettings,
            length_ratio: float) -> list[tuple[int, int, int, int]]:
    """Least-cost monotonic path through the band; returns links as (i, a, j, b), in order."""
    n, m = src.n, tgt.n
    inf = np.inf
    cost: list[np.ndarray] = []
    move: list[np.ndarray] = []  # index into SHAPES_AND_SKIPS, -1 at the origin
    shapes = LINK_SHAPES + SKIPS
    for i in range(n + 1):
        lo, hi = int(band.lo[i]), int(band.hi[i])
        js = np.arange(lo, hi + 1)
        row = np.full(len(js), inf)
        back = np.full(len(js), -1, dtype=np.int8)
        if i == 0:
            row[js == 0] = 0.0
        for index, (a, b) in enumerate(shapes):
            if a == 0 or i - a < 0:
                continue
            prev_lo, prev_hi = int(band.lo[i - a]), int(band.hi[i - a])
            # target start j - b must lie in the previous row's band and j - b >= 0
            valid = (js - b >= max(prev_lo, 0)) & (js - b <= prev_hi)
            if b > 0:
                valid &= js - b + b <= m
                valid &= js - b <= tgt.n - b
            if not valid.any():
                continue
            starts = js[valid] - b
            previous = cost[i - a][starts - prev_lo]
            if b == 0:
                candidate = previous + settings.skip_cost
            else:
                extra = (a + b - 2) * settings.shape_penalty
                distance = _distances(src, tgt, a, i - a, b, starts)
                mismatch = (_length_mismatch(src, tgt, length_ratio, a, i - a, b, starts)
                            if settings.length_weight else 0.0)
                candidate = previous + (distance + settings.length_weight * mismatch) * (a + b) / 2 + extra
            better = candidate < row[valid]
            positions = np.flatnonzero(valid)[better]
            row[positions] = candidate[better]
            back[positions] = index
        # 0-1 moves stay in the row: row[j] = min(row[j], row[j-1] + skip), one pass left to right
        skip_index = len(shapes) - 1
        for k in range(1, len(js)):
            candidate = row[k - 1] + settings.skip_cost
            if candidate < row[k]:
                row[k] = candidate
                back[k] = skip_index
        cost.append(row)
        move.append(back)
    if not math.isfinite(cost[n][m - int(band.lo[n])]):
        raise RuntimeError("alignment band does not reach the end of both documents")
    links: list[tuple[int, int, int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        a, b = shapes[int(move[i][j - int(band.lo[i])])]
        links.append((i - a, a, j - b, b))
        i, j = i - a, j - b
    return links[::-1]


def _block_means(vectors: np.ndarray, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Averages of `blocks` near-equal runs of consecutive rows, and each block's first row."""
    edges = np.linspace(0, len(vectors), blocks + 1).round().astype(np.int64)
    means = np.stack([vectors[a:b].mean(axis=0) for a, b in zip(edges[:-1], edges[1:])])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12), edges


class _Blocks(_Side):
    """A coarse side: block averages stand in for sentences (runs of one block only)."""

    def __init__(self, means: np.ndarray) -> None:  # noqa: D107 - no embedding here
        self.n = len(means)
        self.runs = {1: means.astype(np.float32)}
        self.background = {}


def _coarse_band(src: _Side, tgt: _Side, settings: AlignSettings, rng: np.random.Generator) -> _Band:
    blocks = min(settings.coarse_blocks, src.n, tgt.n)
    src_means, src_edges = _block_means(src.runs[1], blocks)
    tgt_means, tgt_edges = _block_means(tgt.runs[1], blocks)
    coarse_src, coarse_tgt = _Blocks(src_means), _Blocks(tgt_means)
    coarse_src.set_background(coarse_tgt, settings.background_samples, rng)
    coarse_tgt.set_background(coarse_src, settings.background_samples, rng)
    coarse_settings = AlignSettings(skip_cost=settings.skip_cost, shape_penalty=settings.shape_penalty)
    path = _search_one_to_one(coarse_src, coarse_tgt, coarse_settings)
    n, m = src.n, tgt.n
    lo = np.full(n + 1, m, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for p, q in path:  # coarse cells (block p of the source, block q of the target) on the path
        rows = slice(src_edges[max(p - 1, 0)], src_edges[min(p + 1, blocks)] + 1)
        lo[rows] = np.minimum(lo[rows], tgt_edges[max(q - 1, 0)])
        hi[rows] = np.maximum(hi[rows], tgt_edges[min(q + 1, blocks)])
    lo = np.maximum(lo - settings.band, 0)
    hi = np.minimum(hi + settings.band, m)
    lo[0], hi[n] = 0, m
    # monotonic: a later row never starts before, or ends before, an earlier one
    lo = np.minimum.accumulate(lo[::-1])[::-1]
    hi = np.maximum.accumulate(hi)
    return _Band(lo, hi)


def _search_one_to_one(src: _Side, tgt: _Side, settings: AlignSettings) -> list[tuple[int, int]]:
    """Coarse cells on the least-cost path with 1-1, 1-0 and 0-1 moves only."""
    n, m = src.n, tgt.n
    distance = _sentence_distances(src, tgt)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0] = np.arange(m + 1) * settings.skip_cost
    for i in range(1, n + 1):
        row = np.full(m + 1, np.inf)
        row[0] = cost[i - 1][0] + settings.skip_cost
        row[1:] = np.minimum(cost[i - 1][:-1] + distance[i - 1], cost[i - 1][1:] + settings.skip_cost)
        # 0-1 moves within the row: row[j] = min_k<=j row[k] + (j-k) * skip
        steps = np.arange(m + 1) * settings.skip_cost
        cost[i] = np.minimum.accumulate(row - steps) + steps
    cells, i, j = [], n, m
    while i > 0 and j > 0:
        cells.append((i - 1, j - 1))
        here = cost[i, j]
        if np.isclose(here, cost[i - 1, j - 1] + distance[i - 1, j - 1]):
            i, j = i - 1, j - 1
        elif np.isclose(here, cost[i - 1, j] + settings.skip_cost):
            i -= 1
        else:
            j -= 1
    cells += [(k, 0) for k in range(i)] + [(0, k) for k in range(j)]
    return sorted(set(cells))


def align_sentences(source: Sequence[str], target: Sequence[str], embedder: Embedder,
                    joiners: tuple[str, str] = (" ", " "),
                    settings: AlignSettings | None = None) -> list[Link]:
    """Monotonic many-to-many alignment of two sentence lists (each sentence in exactly one link).

    `joiners` join consecutive sentences of each side into one text ("" for Chinese, Japanese, Thai...)."""
    settings = settings or AlignSettings()
    rng = np.random.default_rng(settings.seed)
    # A one-sentence side has no mean of its own to remove, and centring only the other side would compare
    # vectors of two different spaces.
    prior = settings.centering_prior if min(len(source), len(target)) >= 2 else None
    src, tgt = _Side(source, joiners[0], embedder, prior), _Side(target, joiners[1], embedder, prior)
    if src.n == 0 or tgt.n == 0:
        return [Link((i,), (), None, True) for i in range(src.n)] + [Link((), (j,), None, True) for j in range(tgt.n)]
    src.set_background(tgt, settings.background_samples, rng)
    tgt.set_background(src, settings.background_samples, rng)
    if (src.n + 1) * (tgt.n + 1) <= settings.full_search_cells:
        band = _Band.full(src.n, tgt.n)
    else:
        band = _coarse_band(src, tgt, settings, rng)
    links = []
    length_ratio = _length_ratio(src, tgt, settings.anchor_distance)
    for i, a, j, b in _search(src, tgt, band, settings, length_ratio):
        if a == 0 or b == 0:
            links.append(Link(tuple(range(i, i + a)), tuple(range(j, j + b)), None, True))
            continue
        score = round(float(1.0 - _distances(src, tgt, a, i, b, np.array([j]))[0]), 4)
        links.append(Link(tuple(range(i, i + a)), tuple(range(j, j + b)), score, score < settings.review_threshold))
    return links


# --- documents: read, identify, split, align (the API behind `seedmt align`) ---------------------------

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
        import json

        return "".join(json.dumps(link.record(self.source, self.target, self.joiners), ensure_ascii=False) + "\n"
                       for link in self.links)

    def tsv(self) -> str:
        """Two-column bitext of the linked pairs (unlinked sentences left out), one pair per line."""
        def cell(text: str) -> str:
            return " ".join(text.split())  # a tab or newline inside a sentence must not break the columns

        rows = [link.record(self.source, self.target, self.joiners) for link in self.links
                if link.source_indices and link.target_indices]
        return "".join(f"{cell(r['source_text'])}\t{cell(r['target_text'])}\n" for r in rows)


def sentence_joiner(code: str) -> str:
    from seedmt.translate.languages import NO_SPACE_SCRIPTS, script_of

    return "" if script_of(code) in NO_SPACE_SCRIPTS else " "


def read_document(path, lang: str | None, lid: str, role: str) -> tuple[str, str]:
    """(text, FLORES-200 code) of one side; SeedMTError naming the file and the problem."""
    from seedmt.translate.errors import SeedMTError
    from seedmt.translate.ingest import read_seed
    from seedmt.translate.langid import LanguageUndecidedError, detect_language, validate_code
    from seedmt.translate.languages import dominant_script, script_of, scripts_match

    try:
        text = read_seed(path).text
    except (ValueError, OSError) as err:
        raise SeedMTError(f"{path}: {err.strerror if isinstance(err, OSError) and err.strerror else err}") from None
    try:
        if lang is None:
            return text, detect_language(text, lid).code
        code = validate_code(lang)
    except LanguageUndecidedError as err:
        raise SeedMTError(f"{path}: {err}; pass --{role}-lang CODE") from None
    written_in = dominant_script(text)
    if written_in is not None and not scripts_match(script_of(code), written_in):
        raise SeedMTError(f"{path}: --{role}-lang {code} says script {script_of(code)}, but the text is written "
                          f"in {written_in}; check the file and the code")
    return text, code


def split_sentences(text: str, lang: str, presegmented: bool) -> list[str]:
    """As `seedmt translate` splits (paragraphs, sentencex, over-long sentences cut), or one line = one sentence."""
    from seedmt.translate.segment import segment_document, segment_lines

    segments = segment_lines("doc", text) if presegmented else segment_document("doc", text, lang)
    return [segment.text for segment in segments]


def align_documents(source_path, target_path, embedder: Embedder, *, source_lang: str | None = None,
                    target_lang: str | None = None, presegmented: bool = False, lid: str = "heliport",
                    settings: AlignSettings | None = None) -> AlignedDocuments:
    """Read two plain-text documents (a text and its translation), split them into sentences, align them."""
    source_text, source_code = read_document(source_path, source_lang, lid, "source")
    target_text, target_code = read_document(target_path, target_lang, lid, "target")
    source = split_sentences(source_text, source_code, presegmented)
    target = split_sentences(target_text, target_code, presegmented)
    warnings = []
    counts = sorted((len(source), len(target)))
    if counts[1] > SUSPICIOUS_COUNT_RATIO * max(counts[0], 1):
        warnings.append(f"{source_path} has {len(source)} sentences and {target_path} {len(target)}: most "
                        "sentences will stay unlinked; check that the second file translates the first")
    links = align_sentences(source, target, embedder, (sentence_joiner(source_code), sentence_joiner(target_code)),
                            settings)
    return AlignedDocuments(source_code, target_code, source, target, links, warnings)
