"""Scoring an alignment against a gold alignment, as Vecalign's `score.py` reports it (strict and lax
precision, recall and F1; Thompson & Koehn 2019, after Veronis & Langlais 2000).

A link is a pair (source sentences, target sentences). Strict: a test link counts only if the gold alignment has
exactly that link. Lax: a test link also counts when one of its source sentences is linked in the gold alignment
to one of its target sentences. Precision is over every test link (unlinked sentences included); recall is over
the gold links that join sentences on both sides, matched the same way against the test links that do.

Alignment files: `seedmt align` JSONL (source_indices, target_indices), or Vecalign's lines `[0, 1]:[2]`."""
from __future__ import annotations

import ast
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.errors import SeedMTError

Pair = tuple[tuple[int, ...], tuple[int, ...]]


class AlignmentFileError(SeedMTError):
    """An alignment file that cannot be read."""


@dataclass(frozen=True)
class GoldScores:
    precision_strict: float
    recall_strict: float
    f1_strict: float
    precision_lax: float
    recall_lax: float
    f1_lax: float

    def table(self) -> str:
        return ("           strict    lax\n"
                f"precision   {self.precision_strict:.3f}  {self.precision_lax:.3f}\n"
                f"recall      {self.recall_strict:.3f}  {self.recall_lax:.3f}\n"
                f"F1          {self.f1_strict:.3f}  {self.f1_lax:.3f}\n")


def read_alignment(path: Path) -> list[Pair]:
    """Links of an alignment file (either format, one link a line)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AlignmentFileError(f"{path}: cannot read ({err})") from None
    return parse_alignment(text, str(path))


def parse_alignment(text: str, name: str) -> list[Pair]:
    """Links of an alignment given as text; `name` says where it came from in errors."""
    pairs: list[Pair] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            if line.lstrip().startswith("{"):
                record = json.loads(line)
                pair = (record["source_indices"], record["target_indices"])
            else:
                left, right = line.split(":")
                pair = (ast.literal_eval(left.strip()), ast.literal_eval(right.strip()))
            pairs.append((tuple(int(x) for x in pair[0]), tuple(int(x) for x in pair[1])))
        except (ValueError, KeyError, TypeError, SyntaxError):
            raise AlignmentFileError(f"{name}:{number}: expected a JSON link with source_indices and "
                                     "target_indices, or a line like [0, 1]:[2]") from None
    return pairs


def _counts(gold: Iterable[Pair], test: Iterable[Pair]) -> tuple[int, int, int, int]:
    """(strict hits, strict misses, lax hits, lax misses) of the test links against the gold links."""
    gold_set = {p for p in gold if p[0] or p[1]}
    linked_in_gold: dict[int, set[int]] = defaultdict(set)
    for sources, targets in gold_set:
        for s in sources:
            linked_in_gold[s].update(targets)
    strict_hits = strict_misses = lax_hits = lax_misses = 0
    for sources, targets in {p for p in test if p[0] or p[1]}:
        if (sources, targets) in gold_set:
            strict_hits += 1
            lax_hits += 1
            continue
        strict_misses += 1
        reachable = set().union(*(linked_in_gold[s] for s in sources)) if sources else set()
        if reachable & set(targets):
            lax_hits += 1
        else:
            lax_misses += 1
    return strict_hits, strict_misses, lax_hits, lax_misses


def _ratio(hits: int, misses: int) -> float:
    return hits / (hits + misses) if hits + misses else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def gold_scores(pairs: Sequence[tuple[Sequence[Pair], Sequence[Pair]]]) -> GoldScores:
    """Scores over one or more (test, gold) alignments, counts pooled over all of them."""
    precision_counts = [0, 0, 0, 0]
    recall_counts = [0, 0, 0, 0]
    for test, gold in pairs:
        for k, value in enumerate(_counts(gold, test)):
            precision_counts[k] += value
        both_sides = [p for p in test if p[0] and p[1]]
        for k, value in enumerate(_counts(both_sides, [p for p in gold if p[0] and p[1]])):
            recall_counts[k] += value
    ps, pl = _ratio(*precision_counts[:2]), _ratio(*precision_counts[2:])
    rs, rl = _ratio(*recall_counts[:2]), _ratio(*recall_counts[2:])
    return GoldScores(ps, rs, _f1(ps, rs), pl, rl, _f1(pl, rl))
