"""What an alignment is made of: links between runs of sentences, and the settings that score them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seedmt.align.overlaps import MAX_RUN

# The two ways to leave a sentence out.
SKIPS: tuple[tuple[int, int], ...] = ((1, 0), (0, 1))


def link_shapes(max_sentences: int) -> tuple[tuple[int, int], ...]:
    """Link shapes (source sentences, target sentences) of at most `max_sentences` sentences in all, one at least
    on each side: 4 gives 1-1, 1-2, 2-1, 2-2, 1-3, 3-1; 5 adds 1-4, 4-1, 2-3, 3-2."""
    return tuple(sorted(((a, total - a) for total in range(2, max_sentences + 1) for a in range(1, total)),
                        key=lambda shape: (sum(shape), max(shape), shape[0])))


LINK_SHAPES = link_shapes(4)


SCORING_CHOICES = ("margin", "similarity")
LENGTH_RATIO_CHOICES = ("anchors", "documents", "linked")
RUNS_CHOICES = ("doubtful", "all", "estimated")


@dataclass(frozen=True)
class AlignSettings:
    skip_cost: float = 0.5  # per unlinked sentence, in distance units (a random pair has distance 1)
    unrelated_distance: float = 0.85  # links farther apart than this look like unrelated text ...
    unrelated_weight: float = 0.0  # ... and cost this much more per unit of distance beyond it
    shape_penalty: float = 0.1  # extra cost per sentence beyond 1-1, so that ties prefer 1-1 links
    paragraph_penalty: float = 0.6  # extra cost per paragraph break inside a link (when paragraphs are known)
    unknown_break_share: float = 1 / 12  # where a side's paragraphs are unknown, each sentence boundary inside a
    # link costs this share of a paragraph break: merges there are not guarded by paragraphs, so cost more
    scoring: str = "margin"  # link costs: "margin" (margin-normalised distance, length and shape terms) or
    # "similarity" (Bertalign's margin similarity times a length penalty, maximised; skip_cost is then its skip)
    similarity_shape_penalty: float = 0.0  # with scoring="similarity": per sentence beyond 1-1
    similarity_paragraph_penalty: float = 0.3  # with scoring="similarity": per paragraph break inside a link
    length_ratio: str = "anchors"  # the languages' length ratio: measured on confident 1-1 pairs, or "documents"
    length_weight: float = 0.2  # cost per unit of |log length ratio| off the languages' ratio (Gale-Church)
    review_threshold: float = 0.1  # links scoring under this (barely closer than random text) need review
    relative_review: float = 0.5  # ... and links scoring under this x the alignment's median link score
    isolated_review: float = 0.9  # ... and links between two unlinked sentences scoring under this x the median
    short_line: float = 0.2  # ... and links beside an unlinked sentence, under the median, with a side this short
    edge_gain: float = 0.04  # ... and merged links whose edge sentence beside an unlinked one brings less than this
    trim_merges: bool = True  # detach such an edge sentence when the link is closer without it
    attach_gain: float | None = -0.02  # an unlinked sentence joins a neighbouring link in its paragraph unless
    # that lowers the link's score by more than this (None: never). A piece a translator split off adds words
    # of the same sentence: the joined text scores about as well, while a furniture line pulls it down ...
    attach_longest: int = 4  # ... and that side of the link holds at most this many sentences with it; a
    attach_distance: float = 0.85  # sentence that lowers the score must itself be closer than this to the other side
    background_samples: int = 512  # sentences of the other side each candidate is compared with (all, if fewer)
    centering_prior: float = 2.0  # the mean removed is shrunk by n / (n + this), n = the document's sentences
    anchor_distance: float = 0.7  # mutual nearest neighbours closer than this measure the length ratio
    full_search_cells: int = 300_000  # (n+1) x (m+1) up to this: no coarse pass
    coarse_blocks: int = 400  # blocks per side in the coarse pass
    band: int = 10  # sentences kept on either side of the coarse path
    max_link_sentences: int = 4  # the largest link, source and target sentences together (see `link_shapes`)
    runs: str = "doubtful"  # runs of sentences embedded: "doubtful" (where a 1-1 pass leaves doubt), "all", or
    # "estimated" (every run estimated from its sentences' vectors; the encoder embeds the runs the path uses)
    doubt: float = 0.5  # a first-pass link under this x its median score is in doubt
    seed: int = 0

    def __post_init__(self) -> None:
        """Refuse settings that cannot work: a misspelt choice would otherwise take another branch silently."""
        for name, allowed in (("scoring", SCORING_CHOICES), ("length_ratio", LENGTH_RATIO_CHOICES),
                              ("runs", RUNS_CHOICES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"AlignSettings.{name} must be one of {', '.join(allowed)}, not "
                                 f"{getattr(self, name)!r}")
        if not 2 <= self.max_link_sentences <= 2 * MAX_RUN:
            raise ValueError(f"AlignSettings.max_link_sentences must be 2-{2 * MAX_RUN}, not "
                             f"{self.max_link_sentences}")
        for name in ("skip_cost", "shape_penalty", "paragraph_penalty", "unknown_break_share", "length_weight",
                     "unrelated_weight", "similarity_shape_penalty", "similarity_paragraph_penalty",
                     "centering_prior", "edge_gain"):
            if getattr(self, name) < 0:
                raise ValueError(f"AlignSettings.{name} must not be negative, not {getattr(self, name)}")
        for name in ("relative_review", "isolated_review", "short_line", "doubt"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"AlignSettings.{name} must be between 0 and 1, not {getattr(self, name)}")
        for name in ("background_samples", "full_search_cells", "coarse_blocks", "band", "attach_longest"):
            if getattr(self, name) < 1:
                raise ValueError(f"AlignSettings.{name} must be at least 1, not {getattr(self, name)}")


# Named settings for `seedmt align --scoring`. "margin" (the default) suits documents with page furniture and
# passages missing on one side; "similarity" suits complete translations whose translators split and merged
# sentences freely (books, literary chapters): Bertalign's scoring, links of up to 5 sentences, run vectors
# estimated from their sentences, cheap skips, and a penalty for links as far apart as unrelated text.
SCORINGS: dict[str, dict] = {
    "margin": {},
    "similarity": {"scoring": "similarity", "skip_cost": 0.1, "max_link_sentences": 5, "runs": "estimated",
                   "length_ratio": "linked", "unrelated_weight": 3.0},
}


def settings_for(scoring: str = "margin", **overrides) -> AlignSettings:
    """The AlignSettings of a named scoring (`SCORINGS`), with any field overridden."""
    if scoring not in SCORINGS:
        raise ValueError(f"unknown scoring '{scoring}' (one of {', '.join(SCORINGS)})")
    return AlignSettings(**{**SCORINGS[scoring], **overrides})


# Where a link comes from. A person's links (accepted as the aligner made them, or made by hand) are anchors: a
# re-alignment keeps them as they are and searches only the stretches between them.
ALIGNER, REALIGNED, ACCEPTED, EDITED = "aligner", "realigned", "accepted", "edited"
ORIGINS = (ALIGNER, REALIGNED, ACCEPTED, EDITED)
ANCHOR_ORIGINS = (ACCEPTED, EDITED)


@dataclass(frozen=True)
class Link:
    source_indices: tuple[int, ...]
    target_indices: tuple[int, ...]
    score: float | None  # None for an unlinked sentence
    needs_review: bool
    origin: str = ALIGNER

    @property
    def is_anchor(self) -> bool:
        return self.origin in ANCHOR_ORIGINS

    @property
    def is_linked(self) -> bool:
        return bool(self.source_indices and self.target_indices)

    def record(self, source: Sequence[str], target: Sequence[str], joiners: tuple[str, str]) -> dict:
        """The JSONL line of `seedmt align`."""
        return {"source_indices": list(self.source_indices), "target_indices": list(self.target_indices),
                "source_text": joiners[0].join(source[i] for i in self.source_indices),
                "target_text": joiners[1].join(target[j] for j in self.target_indices),
                "score": self.score, "needs_review": self.needs_review,
                **({"origin": self.origin} if self.origin != ALIGNER else {})}
