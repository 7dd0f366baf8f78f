"""Cross-lingual sentence alignment: a document and its translation, sentence by sentence (Vecalign's method,
Thompson & Koehn 2019, with multilingual sentence embeddings).

1. Every sentence, and every run of 2 or 3 consecutive sentences joined, is embedded (`seedmt.align.embed`;
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

5. Paragraphs, when known (`paragraph_starts`), make a link across a paragraph break cost `paragraph_penalty` more
   per break: translators rarely merge sentences of two paragraphs, and page furniture (a "Related articles" or a
   copyright line) stands in lines of its own, so it is no longer taken into a neighbouring sentence's link. Where
   a side's paragraphs are unknown, every sentence boundary inside a link costs `unknown_break_share` of a break.
6. A merge must earn its place: the programme takes a sentence without counterpart into a good neighbouring link
   whenever that costs less than leaving it out, which for a well-translated pair is nearly always. So the
   sentence at a merged link's edge beside an unlinked sentence is detached when the link is closer without it;
   and, as a merge costs more than leaving a sentence out unless the joined text is much closer, a sentence left
   unlinked joins a neighbouring link in its paragraph unless that lowers the link's score by more than
   `-attach_gain` (a piece a translator split off scores about as well joined; a furniture line pulls the link
   down), one sentence after another up to `attach_longest` sentences on that side.

Every link carries `score` = 1 - distance (about 0 for a pair no closer than random sentences, 0.3-0.7 for
good translations). `needs_review` marks what a person should look at: unlinked sentences, links barely closer than
random text (`review_threshold`), links far weaker than the rest of the alignment (under half its median score:
scores differ by language pair), links whose sides hold different numbers, merged links that did not clearly earn
their place, and weak links among unlinked sentences (see `DocumentPair._flagged`).

Re-alignment around anchors (`DocumentPair.align(anchors)`): links a person accepted or made by hand are kept as
they are; the programme runs again, with the same costs, only on each stretch between two linked anchors, and a
sentence fixed as having no counterpart cannot enter any link. The embeddings, backgrounds and length ratio are
those of the whole documents, so an unanchored stretch gets exactly the links a full alignment gives it."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from seedmt.align.coarse import coarse_band
from seedmt.align.costs import length_ratio, link_distances, merge_gain, nearest_neighbours, numbers_disagree
from seedmt.align.dp import Band, search
from seedmt.align.embed import Embedder
from seedmt.align.links import ALIGNER, AlignSettings, Link, link_shapes
from seedmt.align.overlaps import MAX_RUN, EmbeddedSide
from seedmt.core.errors import SeedMTError

__all__ = ["AlignSettings", "AnchorError", "DocumentPair", "Link", "align_sentences"]


class AnchorError(SeedMTError):
    """Fixed links that cannot all hold: out of range, overlapping, crossing, or not runs of sentences."""


class DocumentPair:
    """A document and its translation, embedded once: align them, and re-align them around fixed links as
    often as a person asks (the embeddings, backgrounds and length ratio are computed here, once)."""

    def __init__(self, source: Sequence[str], target: Sequence[str], embedder: Embedder,
                 joiners: tuple[str, str] = (" ", " "), settings: AlignSettings | None = None,
                 paragraph_starts: tuple[Sequence[bool], Sequence[bool]] | None = None) -> None:
        self.settings = settings = settings or AlignSettings()
        rng = np.random.default_rng(settings.seed)
        # A one-sentence side has no mean of its own to remove, and centring only the other side would compare
        # vectors of two different spaces.
        prior = settings.centering_prior if min(len(source), len(target)) >= 2 else None
        starts = paragraph_starts or (None, None)
        self.src = EmbeddedSide(source, joiners[0], embedder, prior, starts[0], settings.unknown_break_share)
        self.tgt = EmbeddedSide(target, joiners[1], embedder, prior, starts[1], settings.unknown_break_share)
        self.ratio = 1.0
        if self.src.n and self.tgt.n:
            self.src.set_background(self.tgt, settings.background_samples, rng)
            self.tgt.set_background(self.src, settings.background_samples, rng)
            neighbours = nearest_neighbours(self.src, self.tgt)
            self.ratio = min(max((self.tgt.total_length + 1) / (self.src.total_length + 1), 1 / 5), 5) \
                if settings.length_ratio == "documents" else \
                length_ratio(self.src, self.tgt, settings.anchor_distance, neighbours)
        # Each stretch's coarse pass starts from the same random state: re-aligning is reproducible.
        self._coarse_state = rng.bit_generator.state
        self.shapes = link_shapes(settings.max_link_sentences)
        self._longest_run = min(MAX_RUN, settings.max_link_sentences - 1)
        self.skip_source = np.full(self.src.n, settings.skip_cost)
        self.skip_target = np.full(self.tgt.n, settings.skip_cost)
        if self.src.n and self.tgt.n:
            self._embed_runs()
            if settings.length_ratio == "linked":
                self.ratio = self._linked_length_ratio()

    def _embed_runs(self) -> None:
        """Embed the runs of 2-3 sentences the programme can use. With `settings.runs == "all"`, every one (as
        Vecalign does). With "doubtful" (the default), a first pass links single sentences only (1-1 links and
        unlinked sentences); runs are embedded only around what it leaves in doubt: unlinked sentences and links
        scoring under `doubt` x its median score (a merged pair shows up as one good 1-1 link beside an unlinked
        sentence). Both sides' runs cost 2-3 times a sentence each to embed, and most of a document aligns 1-1."""
        if self.settings.runs == "all":
            self.src.ensure_all(self._longest_run)
            self.tgt.ensure_all(self._longest_run)
            return
        if self.settings.runs == "estimated":
            self.src.estimate(self._longest_run)
            self.tgt.estimate(self._longest_run)
            path = self._whole_path(self.shapes)
            wanted_source: dict[int, set] = {}
            wanted_target: dict[int, set] = {}
            for i, a, j, b in path:
                if a and b and a + b > 2:  # the merges the path rests on, and their neighbours one sentence off
                    for wanted, start, size in ((wanted_source, i, a), (wanted_target, j, b)):
                        for k, x in ((size, start), (size - 1, start), (size - 1, start + 1), (size + 1, start),
                                     (size + 1, start - 1)):
                            if 2 <= k <= MAX_RUN:
                                wanted.setdefault(k, set()).add(x)
            self.src.ensure(wanted_source)
            self.tgt.ensure(wanted_target)
            return
        one_to_one = [self._link(i, a, j, b) for i, a, j, b in self._whole_path(((1, 1),))]
        scored = [x.score for x in one_to_one if x.is_linked]
        cut = self.settings.doubt * float(np.median(scored)) if scored else 0.0
        doubtful_source, doubtful_target = set(), set()
        for link in one_to_one:
            if not link.is_linked or link.score < cut:
                doubtful_source.update(link.source_indices)
                doubtful_target.update(link.target_indices)
        for side, doubtful in ((self.src, doubtful_source), (self.tgt, doubtful_target)):
            # every run that takes in a doubtful sentence
            side.ensure({k: [p - o for p in doubtful for o in range(k)] for k in range(2, self._longest_run + 1)})

    def _linked_length_ratio(self) -> float:
        """The languages' length ratio as the text that a first path links says it is: the characters of the
        linked target sentences over those of the linked source sentences. Unlike the whole documents' ratio, it
        leaves out what has no counterpart (a missing passage, page furniture); unlike 1-1 nearest neighbours,
        it counts the sentences a translator split or merged."""
        path = self._whole_path(self.shapes)
        source = sum(self.src.lengths[a][i] for i, a, j, b in path if a and b)
        target = sum(self.tgt.lengths[b][j] for i, a, j, b in path if a and b)
        return min(max((target + 1) / (source + 1), 1 / 5), 5) if source and target else self.ratio

    def _whole_path(self, shapes: tuple[tuple[int, int], ...]) -> list[tuple[int, int, int, int]]:
        """The programme over both whole documents with these link shapes (a first pass)."""
        with threadpool_limits(1, "blas"):  # see `_stretch`
            return search(self.src, self.tgt, self._band(self.src, self.tgt), self.settings, self.ratio,
                          link_shapes=shapes)

    def _band(self, src: EmbeddedSide, tgt: EmbeddedSide) -> Band:
        if (src.n + 1) * (tgt.n + 1) <= self.settings.full_search_cells:
            return Band.full(src.n, tgt.n)
        rng = np.random.default_rng()
        rng.bit_generator.state = self._coarse_state
        return coarse_band(src, tgt, self.settings, rng)

    def align(self, anchors: Sequence[Link] = ()) -> list[Link]:
        """Links covering every sentence once, in document order. `anchors` (links with at least one sentence;
        a one-sided anchor fixes its sentences as having no counterpart) come out unchanged, with their origin."""
        n, m = self.src.n, self.tgt.n
        check_anchors(anchors, n, m)
        kept = {(a.source_indices, a.target_indices): a for a in anchors}
        unlinked_source, unlinked_target = np.zeros(n, dtype=bool), np.zeros(m, dtype=bool)
        for anchor in anchors:
            if not anchor.target_indices:
                unlinked_source[list(anchor.source_indices)] = True
            if not anchor.source_indices:
                unlinked_target[list(anchor.target_indices)] = True
        fixed = sorted((a for a in anchors if a.is_linked), key=lambda a: a.source_indices[0])
        links: list[Link] = []
        i = j = 0
        for anchor in fixed + [None]:
            i_end, j_end = (anchor.source_indices[0], anchor.target_indices[0]) if anchor else (n, m)
            links += self._stretch(i, i_end, j, j_end, unlinked_source[i:i_end], unlinked_target[j:j_end])
            if anchor is not None:
                links.append(self._link(anchor.source_indices[0], len(anchor.source_indices),
                                        anchor.target_indices[0], len(anchor.target_indices), anchor.origin))
                i, j = anchor.source_indices[-1] + 1, anchor.target_indices[-1] + 1
        links = [_keep_origin(link, kept) for link in links]  # sentences fixed as unlinked are anchors too
        detached: set[tuple[bool, int]] = set()
        if self.settings.trim_merges:
            links = self._trimmed(links, detached)
        if self.settings.attach_gain is not None:
            links = self._attached(links, detached)
        return [_keep_origin(link, kept) for link in self._flagged(links)]

    def _distance(self, link: Link) -> float:
        """The distance of a linked link's joined texts (its runs embedded)."""
        a, b = len(link.source_indices), len(link.target_indices)
        return float(link_distances(self.src, self.tgt, a, link.source_indices[0], b,
                                    np.array([link.target_indices[0]]))[0])

    def _edge_cuts(self, link: Link, at_start: bool) -> list[tuple[float, str]]:
        """The distance of a merged link without its first (or last) source sentence, and without its first (or
        last) target sentence: how much that edge sentence brings to the pair."""
        a, b = len(link.source_indices), len(link.target_indices)
        i, j = link.source_indices[0], link.target_indices[0]
        cuts = []
        if a > 1:
            start = i + 1 if at_start else i
            self.src.ensure({a - 1: [start]})
            cuts.append((float(link_distances(self.src, self.tgt, a - 1, start, b, np.array([j]))[0]), "source"))
        if b > 1:
            start = j + 1 if at_start else j
            self.tgt.ensure({b - 1: [start]})
            cuts.append((float(link_distances(self.src, self.tgt, a, i, b - 1, np.array([start]))[0]), "target"))
        return cuts

    def _merged_beside_gap(self, links: list[Link], k: int) -> list[bool]:
        """For a merged link made by the aligner: which of its edges (start, end) touch an unlinked sentence."""
        link = links[k]
        a, b = len(link.source_indices), len(link.target_indices)
        if not link.is_linked or a + b <= 2 or a > MAX_RUN or b > MAX_RUN:
            return []
        return [at_start for at_start, neighbour in ((True, k - 1), (False, k + 1))
                if 0 <= neighbour < len(links) and not links[neighbour].is_linked]

    def _short(self, a: int, i: int, b: int, j: int) -> bool:
        """Whether either side of the link is a short line (under `short_line` x its document's median sentence
        length): a list number, a caption, a line of page furniture, whose embedding says little."""
        return bool(self.src.lengths[a][i] < self.settings.short_line * np.median(self.src.lengths[1]) or
                    self.tgt.lengths[b][j] < self.settings.short_line * np.median(self.tgt.lengths[1]))

    def _attached(self, links: list[Link], detached: set[tuple[bool, int]] = frozenset()) -> list[Link]:
        """The other half of a merge earning its place: a sentence left unlinked joins a neighbouring link that
        holds fewer than `attach_longest` sentences on its side, in the same paragraph, when the link's score with
        it is at least its score without it plus `attach_gain` (negative: a small loss is accepted). A merge costs
        the programme more than leaving the sentence out unless the joined text is much closer, so a short lead-in
        ("He said:") merged into the next sentence, or the pieces of a long sentence a translator split, are
        otherwise left out. A sentence that `_trimmed` took out of a link (`detached`: (on the source side, index))
        stays out: the link was closer without it."""
        out = list(links)
        k = 0
        while k < len(out):
            joined = None if out[k].is_linked or out[k].is_anchor else self._best_join(out, k, detached)
            if joined is None:
                k += 1
                continue
            n, merged = joined
            out[min(k, n):max(k, n) + 1] = [merged]
            k = min(k, n) + 1
        return out

    def _best_join(self, links: list[Link], k: int, detached: set[tuple[bool, int]] = frozenset()) \
            -> tuple[int, Link] | None:
        """The neighbouring link (its position, and the link with unlinked sentence k in it) whose score sentence k
        changes the most, by at least `attach_gain`, if any."""
        on_source = bool(links[k].source_indices)
        x = (links[k].source_indices or links[k].target_indices)[0]
        if (on_source, x) in detached:
            return None
        side = self.src if on_source else self.tgt
        best, found = self.settings.attach_gain, None
        for n, before in ((k + 1, True), (k - 1, False)):
            if not 0 <= n < len(links) or not links[n].is_linked or links[n].is_anchor:
                continue
            other = links[n]
            part = other.source_indices if on_source else other.target_indices
            first_of_paragraph = x + 1 if before else x
            adjacent = part[0] == x + 1 if before else part[-1] == x - 1
            if len(part) >= self.settings.attach_longest or not adjacent or \
                    (side.starts is not None and side.starts[first_of_paragraph]):
                continue
            sources = ((x,) + part if before else part + (x,)) if on_source else other.source_indices
            targets = other.target_indices if on_source else ((x,) + part if before else part + (x,))
            merged = self._link(sources[0], len(sources), targets[0], len(targets))
            if merged.score is None or other.score is None or merged.score - other.score < best:
                continue
            if merged.score < other.score and self._alone_distance(on_source, x, other) > self.settings.attach_distance:
                continue  # a loss is accepted only from a sentence that is itself related to the other side
            best, found = merged.score - other.score, (n, merged)
        return found

    def _alone_distance(self, on_source: bool, x: int, link: Link) -> float:
        """The distance of sentence x alone to the other side of `link` (its run of sentences)."""
        part = link.target_indices if on_source else link.source_indices
        if len(part) > MAX_RUN:
            return float("inf")
        if on_source:
            self.tgt.ensure({len(part): [part[0]]})
            return float(link_distances(self.src, self.tgt, 1, x, len(part), np.array([part[0]]))[0])
        self.src.ensure({len(part): [part[0]]})
        return float(link_distances(self.src, self.tgt, len(part), part[0], 1, np.array([x]))[0])

    def _trimmed(self, links: list[Link], detached: set[tuple[bool, int]] | None = None) -> list[Link]:
        """A merge must earn its place: the sentence at a merged link's edge beside an unlinked sentence is
        detached when the link is closer without it. The programme takes a sentence with no counterpart (a
        boilerplate line, the neighbour of a missing passage) into a good link whenever that costs less than
        leaving it out, which for a well-translated pair is nearly always, even when it adds nothing. Each sentence
        detached is added to `detached` as (on the source side, index)."""
        out: list[Link] = []
        for k, link in enumerate(links):
            edges = [] if link.is_anchor else self._merged_beside_gap(links, k)
            whole = self._distance(link) if edges else 0.0
            cuts = [(distance, side, at_start) for at_start in edges for distance, side in self._edge_cuts(link, at_start)
                    if distance < whole]
            if not cuts:
                out.append(link)
                continue
            _, side, at_start = min(cuts)
            sources, targets = list(link.source_indices), list(link.target_indices)
            alone = (sources if side == "source" else targets).pop(0 if at_start else -1)
            single = Link((alone,), (), None, True) if side == "source" else Link((), (alone,), None, True)
            if detached is not None:
                detached.add((side == "source", alone))
            rest = self._link(sources[0], len(sources), targets[0], len(targets))
            out += [single, rest] if at_start else [rest, single]
        return out

    def _flagged(self, links: list[Link]) -> list[Link]:
        """Mark the links a person should look at (`needs_review`), besides unlinked sentences and links scoring
        under `review_threshold`:
        - links scoring under `relative_review` x the median score of this alignment (scores differ by language
          pair: a weak link for English-German can be a good one for Uyghur-Chinese);
        - links whose two sides both hold numbers and share none ("7." against "6.", one date line against
          another);
        - merged links that did not clearly earn their place: joined texts no closer than a part of them alone,
          or an edge sentence beside an unlinked sentence that brings less than `edge_gain` (where a sentence
          without counterpart is easily taken in);
        - links between two unlinked sentences scoring under `isolated_review` x the median (a pair of page
          furniture lines, or two sentences of passages missing on either side, matched for want of better);
        - links beside an unlinked sentence scoring under the median, with a short line on either side."""
        scored = [x.score for x in links if x.is_linked and x.score is not None]
        if not scored:
            return links
        median = float(np.median(scored))
        out = []
        for k, link in enumerate(links):
            if link.is_linked and link.score is not None and not link.needs_review and self._doubtful(links, k, median):
                link = Link(link.source_indices, link.target_indices, link.score, True, link.origin)
            out.append(link)
        return out

    def _doubtful(self, links: list[Link], k: int, median: float) -> bool:
        """Whether link k falls under one of the rules of `_flagged` (`median`: the alignment's median score)."""
        link, settings = links[k], self.settings
        a, b = len(link.source_indices), len(link.target_indices)
        if link.score < settings.relative_review * median:
            return True
        if a > MAX_RUN or b > MAX_RUN:
            return False
        i, j = link.source_indices[0], np.array([link.target_indices[0]])
        if numbers_disagree(self.src, self.tgt, a, i, b, j)[0]:
            return True
        gaps = [0 <= n < len(links) and not links[n].is_linked for n in (k - 1, k + 1)]
        if all(gaps) and link.score < settings.isolated_review * median:
            return True
        if any(gaps) and link.score < median and self._short(a, i, b, j[0]):
            return True
        if a + b <= 2:
            return False
        distance = self._distance(link)
        self.src.ensure({a - 1: [i, i + 1]} if a > 1 else {})
        self.tgt.ensure({b - 1: [j[0], j[0] + 1]} if b > 1 else {})
        if float(merge_gain(self.src, self.tgt, a, i, b, j, np.array([distance]))[0]) < 0:
            return True
        return any(cut - distance < settings.edge_gain for at_start in self._merged_beside_gap(links, k)
                   for cut, _ in self._edge_cuts(link, at_start))

    def _stretch(self, i0: int, i1: int, j0: int, j1: int, unlinked_source: np.ndarray,
                 unlinked_target: np.ndarray) -> list[Link]:
        if i1 == i0 or j1 == j0:
            return [Link((i,), (), None, True) for i in range(i0, i1)] + \
                   [Link((), (j,), None, True) for j in range(j0, j1)]
        src, tgt = self.src.window(i0, i1), self.tgt.window(j0, j1)
        # The search multiplies one vector by a few hundred rows at a time: multi-threaded BLAS spends more on
        # waking its threads than on the product (tens of times slower on busy cores for 900-d vectors).
        with threadpool_limits(1, "blas"):
            path = search(src, tgt, self._band(src, tgt), self.settings, self.ratio,
                          unlinked_source if unlinked_source.any() else None,
                          unlinked_target if unlinked_target.any() else None, link_shapes=self.shapes,
                          skip_source=self.skip_source[i0:i1], skip_target=self.skip_target[j0:j1])
        return [self._link(i0 + i, a, j0 + j, b) for i, a, j, b in path]

    def rescored(self, link: Link) -> Link:
        """The link with its score measured (for links a person made); an anchor is not marked for review."""
        if not link.is_linked:
            return link
        measured = self._link(link.source_indices[0], len(link.source_indices), link.target_indices[0],
                              len(link.target_indices), link.origin)
        return Link(link.source_indices, link.target_indices, measured.score,
                    measured.needs_review and not link.is_anchor, link.origin)

    def _link(self, i: int, a: int, j: int, b: int, origin: str = ALIGNER) -> Link:
        sources, targets = tuple(range(i, i + a)), tuple(range(j, j + b))
        if a == 0 or b == 0:
            return Link(sources, targets, None, True, origin)
        if a <= len(self.src.runs) and b <= len(self.tgt.runs):
            self.src.ensure({a: [i]})  # a hand-made link may join sentences no run was embedded for
            self.tgt.ensure({b: [j]})
            distance = float(link_distances(self.src, self.tgt, a, i, b, np.array([j]))[0])
            score = round(1.0 - distance, 4)
        else:
            score = None  # a hand-made link longer than any run the aligner embeds
        review = score is not None and score < self.settings.review_threshold
        return Link(sources, targets, score, review, origin)


def _keep_origin(link: Link, anchors: dict) -> Link:
    """An anchor's links keep the person's origin and are no longer marked for review."""
    anchor = anchors.get((link.source_indices, link.target_indices))
    if anchor is None:
        return link
    return Link(link.source_indices, link.target_indices, link.score, False, anchor.origin)


def check_anchors(anchors: Sequence[Link], n: int, m: int) -> None:
    """Raise AnchorError unless the anchors can all be links of one monotonic alignment of n x m sentences."""
    seen_source: set[int] = set()
    seen_target: set[int] = set()
    for anchor in anchors:
        what = f"fixed link {list(anchor.source_indices)}:{list(anchor.target_indices)}"
        if not anchor.source_indices and not anchor.target_indices:
            raise AnchorError(f"{what} holds no sentence")
        for indices, size, seen, side in ((anchor.source_indices, n, seen_source, "source"),
                                          (anchor.target_indices, m, seen_target, "target")):
            if any(k < 0 or k >= size for k in indices):
                raise AnchorError(f"{what}: the {side} has {size} sentences")
            if indices and list(indices) != list(range(indices[0], indices[0] + len(indices))):
                raise AnchorError(f"{what}: {side} sentences must be consecutive and in order")
            if seen & set(indices):
                raise AnchorError(f"{what}: {side} sentence {min(seen & set(indices))} is in another fixed link")
            seen.update(indices)
    linked = sorted((a for a in anchors if a.is_linked), key=lambda a: a.source_indices[0])
    for before, after in zip(linked, linked[1:]):
        if after.target_indices[0] <= before.target_indices[-1]:
            raise AnchorError(f"fixed links {list(before.source_indices)}:{list(before.target_indices)} and "
                              f"{list(after.source_indices)}:{list(after.target_indices)} cross")
    for anchor in anchors:
        if anchor.is_linked:
            continue
        side, index = ("source", anchor.source_indices[0]) if anchor.source_indices else \
            ("target", anchor.target_indices[0])
        for other in linked:
            inside = other.source_indices if side == "source" else other.target_indices
            if inside[0] <= index <= inside[-1]:
                raise AnchorError(f"{side} sentence {index} is both fixed as unlinked and in a fixed link")


def align_sentences(source: Sequence[str], target: Sequence[str], embedder: Embedder,
                    joiners: tuple[str, str] = (" ", " "), settings: AlignSettings | None = None,
                    anchors: Sequence[Link] = (),
                    paragraph_starts: tuple[Sequence[bool], Sequence[bool]] | None = None) -> list[Link]:
    """Monotonic many-to-many alignment of two sentence lists (each sentence in exactly one link).

    `joiners` join consecutive sentences of each side into one text ("" for Chinese, Japanese, Thai...);
    `anchors` are links to keep as they are (see `DocumentPair.align`); `paragraph_starts` flags, per side and
    sentence, the first sentence of each paragraph (a link across a paragraph break costs more)."""
    return DocumentPair(source, target, embedder, joiners, settings, paragraph_starts).align(anchors)
