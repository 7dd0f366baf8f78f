"""Correcting an alignment by hand: the link operations of the alignment editor (as in InterText or OmegaT's
aligner), each a pure function from one alignment to the next.

An alignment is a list of links in document order that covers every sentence of both sides exactly once, with
no two links crossing (`in_document_order` puts any such set of links in that order, or says why it cannot).
Every operation returns a new list; the links it makes or changes are the person's (origin `edited`), which makes
them anchors that a re-alignment (`DocumentPair.align(anchors)`) keeps as they are. `accept` turns a link the
aligner made into an anchor without changing it (origin `accepted`)."""
from __future__ import annotations

from collections.abc import Sequence

from seedmt.align.links import ACCEPTED, EDITED, REALIGNED, Link
from seedmt.core.errors import SeedMTError

SIDES = ("source", "target")


class EditError(SeedMTError):
    """An operation that does not apply where it was asked (no next link, nothing to split...)."""


def _sides(link: Link, side: str) -> tuple[int, ...]:
    return link.source_indices if side == "source" else link.target_indices


def _made(sources: Sequence[int], targets: Sequence[int]) -> Link:
    """A link a person made: no score yet (the caller rescores), not for review, an anchor."""
    return Link(tuple(sorted(sources)), tuple(sorted(targets)), None, False, EDITED)


def _at(links: Sequence[Link], k: int) -> Link:
    if not 0 <= k < len(links):
        raise EditError(f"there is no link {k} (the alignment has {len(links)})")
    return links[k]


def in_document_order(links: Sequence[Link], n: int, m: int) -> list[Link]:
    """The links as a path through both documents: each linked pair after the sentences left unlinked before it
    (source ones first). Raises EditError if a sentence is missing or repeated, or two links cross."""
    source_owner: dict[int, Link] = {}
    target_owner: dict[int, Link] = {}
    for link in links:
        for owners, indices, size, side in ((source_owner, link.source_indices, n, "source"),
                                            (target_owner, link.target_indices, m, "target")):
            for k in indices:
                if not 0 <= k < size:
                    raise EditError(f"{side} sentence {k} is out of range (there are {size})")
                if k in owners:
                    raise EditError(f"{side} sentence {k} is in two links")
                owners[k] = link
            if indices and list(indices) != list(range(indices[0], indices[0] + len(indices))):
                raise EditError(f"a link's {side} sentences must be consecutive: {list(indices)}")
    if len(source_owner) != n or len(target_owner) != m:
        missing = [f"source {k}" for k in range(n) if k not in source_owner][:1] + \
                  [f"target {k}" for k in range(m) if k not in target_owner][:1]
        raise EditError(f"{missing[0]} sentence is in no link")
    ordered: list[Link] = []
    i = j = 0
    for link in sorted((x for x in links if x.is_linked), key=lambda x: x.source_indices[0]):
        for k in range(i, link.source_indices[0]):
            if source_owner[k].is_linked:
                raise EditError("two links cross")
            ordered.append(source_owner[k])
        for k in range(j, link.target_indices[0]):
            if target_owner[k].is_linked:
                raise EditError("two links cross")
            ordered.append(target_owner[k])
        if link.target_indices[0] < j:
            raise EditError("two links cross")
        ordered.append(link)
        i, j = link.source_indices[-1] + 1, link.target_indices[-1] + 1
    ordered += [source_owner[k] for k in range(i, n)] + [target_owner[k] for k in range(j, m)]
    # a one-sided link of several sentences appears once, where its first sentence is
    unique: list[Link] = []
    seen: set[int] = set()
    for link in ordered:
        if id(link) not in seen:
            seen.add(id(link))
            unique.append(link)
    return unique


def accept(links: Sequence[Link], k: int) -> list[Link]:
    """Confirm link k as it is (it becomes an anchor)."""
    link = _at(links, k)
    if link.is_anchor:
        return list(links)
    return [*links[:k], Link(link.source_indices, link.target_indices, link.score, False, ACCEPTED), *links[k + 1:]]


def merge(links: Sequence[Link], k: int, side: str = "both") -> list[Link]:
    """Merge link k with the next one: both sides (one link of the two), or one side only (the next link's
    sentences on that side join link k; what is left of the next link stays as it is)."""
    first, second = _at(links, k), _at(links, k + 1) if k + 1 < len(links) else None
    if second is None:
        raise EditError("the last link has no next link to merge with")
    if side == "both":
        merged = _made(first.source_indices + second.source_indices, first.target_indices + second.target_indices)
        if not merged.is_linked:
            raise EditError("merging these two would give a link with no sentence on one side")
        return [*links[:k], merged, *links[k + 2:]]
    if side not in SIDES:
        raise EditError(f"unknown side '{side}' (source, target or both)")
    moving = _sides(second, side)
    if not moving:
        raise EditError(f"the next link has no {side} sentence")
    return _move(links, k + 1, k, side, moving)


def _move(links: Sequence[Link], giver: int, taker: int, side: str, moving: tuple[int, ...]) -> list[Link]:
    """Sentences `moving` of `side` go from link `giver` to link `taker` (neighbours)."""
    give, take = links[giver], links[taker]
    kept = tuple(x for x in _sides(give, side) if x not in moving)
    taken = tuple(sorted(_sides(take, side) + moving))
    new_give = _made(kept, give.target_indices) if side == "source" else _made(give.source_indices, kept)
    new_take = _made(taken, take.target_indices) if side == "source" else _made(take.source_indices, taken)
    result = list(links)
    result[giver], result[taker] = new_give, new_take
    return _one_sided_apart(result)


def _one_sided_apart(links: Sequence[Link]) -> list[Link]:
    """Sentences left with no counterpart each stand alone (a 2-0 link is two unlinked sentences); empty links go."""
    out: list[Link] = []
    for link in links:
        if link.is_linked:
            out.append(link)
        else:
            out += [_made((s,), ()) for s in link.source_indices] + [_made((), (t,)) for t in link.target_indices]
    return out


def move(links: Sequence[Link], k: int, side: str, direction: int) -> list[Link]:
    """Move one sentence of link k's `side` to the previous link (direction -1: its first sentence) or to the
    next link (+1: its last sentence)."""
    link = _at(links, k)
    if side not in SIDES:
        raise EditError(f"unknown side '{side}' (source or target)")
    sentences = _sides(link, side)
    if not sentences:
        raise EditError(f"link {k} has no {side} sentence to move")
    neighbour = k + (1 if direction > 0 else -1)
    if not 0 <= neighbour < len(links):
        raise EditError(f"there is no {'next' if direction > 0 else 'previous'} link")
    return _move(links, k, neighbour, side, (sentences[-1] if direction > 0 else sentences[0],))


def split(links: Sequence[Link], k: int) -> list[Link]:
    """Split a merged link into 1-1 links, sentence by sentence in order; sentences left over on the longer side
    stay unlinked."""
    link = _at(links, k)
    sources, targets = link.source_indices, link.target_indices
    if len(sources) <= 1 and len(targets) <= 1:
        raise EditError(f"link {k} holds one sentence a side; nothing to split")
    pairs = min(len(sources), len(targets))
    pieces = [_made((sources[x],), (targets[x],)) for x in range(pairs)]
    pieces += [_made((s,), ()) for s in sources[pairs:]] + [_made((), (t,)) for t in targets[pairs:]]
    return [*links[:k], *pieces, *links[k + 1:]]


def unlink(links: Sequence[Link], k: int, side: str | None = None) -> list[Link]:
    """Leave link k's sentences without a counterpart: all of them (side None), or, for a link of several
    sentences on `side`, its last one on that side."""
    link = _at(links, k)
    if side is None or len(_sides(link, side)) <= 1:
        if not link.is_linked:
            raise EditError(f"link {k} is already unlinked")
        return [*links[:k], *[_made((s,), ()) for s in link.source_indices],
                *[_made((), (t,)) for t in link.target_indices], *links[k + 1:]]
    last = _sides(link, side)[-1]
    rest = _made(link.source_indices[:-1], link.target_indices) if side == "source" else \
        _made(link.source_indices, link.target_indices[:-1])
    alone = _made((last,), ()) if side == "source" else _made((), (last,))
    return [*links[:k], rest, alone, *links[k + 1:]]


def link_unlinked(links: Sequence[Link], k: int, n: int, m: int) -> list[Link]:
    """Link the unlinked sentence k with the nearest unlinked sentence of the other side that it can be linked to
    without crossing another link (the next one first)."""
    link = _at(links, k)
    if link.is_linked:
        raise EditError(f"link {k} is not an unlinked sentence")
    other = "target" if link.source_indices else "source"
    order = [x for d in range(1, len(links)) for x in (k + d, k - d) if 0 <= x < len(links)]
    for x in order:
        candidate = links[x]
        if candidate.is_linked or not _sides(candidate, other):
            continue
        sources = link.source_indices or candidate.source_indices
        targets = link.target_indices or candidate.target_indices
        joined = _made(sources, targets)
        rest = [y for z, y in enumerate(links) if z not in (k, x)]
        try:
            return in_document_order([*rest, joined], n, m)
        except EditError:
            continue
    raise EditError(f"no unlinked {other} sentence can be linked with link {k} without crossing another link")


def label_realigned(links: Sequence[Link], raw: Sequence[Link]) -> list[Link]:
    """After a re-alignment: the aligner's links that differ from its first output are marked `realigned`."""
    first = {(x.source_indices, x.target_indices) for x in raw}
    return [Link(x.source_indices, x.target_indices, x.score, x.needs_review, REALIGNED)
            if not x.is_anchor and (x.source_indices, x.target_indices) not in first else x for x in links]
