"""Paired significance tests between systems scored on the same segments: paired bootstrap resampling (Koehn,
2004) and approximate randomisation (Riezler & Maxwell, 2005), as sacrebleu's `PairedTest` runs them (the same
random draws from the same seed, the same confidence intervals), with one difference: the p-value counts ties.

The p-value is (c + 1) / (n + 1), c the resamples (bootstrap) or shuffles (approximate randomisation) whose
difference is at least the observed one. sacrebleu counts only *strictly* larger ones, which makes two systems
differing in one segment come out "significant" under approximate randomisation (every shuffled difference is
either the observed one or 0, never larger); Riezler & Maxwell define the test with "at least". Where no
resampled difference ties the observed one, every figure here equals sacrebleu's (tests/test_eval.py checks it
against `sacrebleu.significance.PairedTest`).

A metric is anything with per-segment sufficient statistics that sum over a corpus, and a score computed from
their sum: sacrebleu's BLEU, chrF and TER (`SacrebleuMetric`), and the mean of segment scores (COMET)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

TESTS = {"bs": "paired bootstrap resampling", "ar": "approximate randomization"}
DEFAULT_SAMPLES = {"bs": 1000, "ar": 10000}
AR_CONFIDENCE_SAMPLES = 1000  # bootstrap resamples for the confidence interval under approximate randomisation
SEED_VARIABLE = "SACREBLEU_SEED"  # the same variable sacrebleu reads, default 12345; "none" draws from the OS
# Differences closer than this (in score points) to the observed one count as ties, not as smaller.
TIE_TOLERANCE = 1e-9


class CorpusMetric(Protocol):
    name: str

    def statistics(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> np.ndarray:
        """One row of sufficient statistics per segment."""

    def score(self, totals: np.ndarray) -> float:
        """The corpus score of summed statistics."""

    def signature(self, **settings) -> str:
        """What the score depends on (sacrebleu's signature), with the test's `settings` added."""


class SacrebleuMetric:
    """A sacrebleu metric object (BLEU, CHRF, TER) as a CorpusMetric: its sufficient statistics and its score
    from their sum, through the two methods sacrebleu's own paired tests call (read, never replaced; the
    version range in pyproject.toml is the one tested)."""

    def __init__(self, name: str, metric) -> None:
        self.name, self.metric = name, metric

    def statistics(self, hypotheses, references) -> np.ndarray:
        return np.asarray(self.metric._extract_corpus_statistics(hypotheses, references))  # noqa: SLF001

    def score(self, totals: np.ndarray) -> float:
        # kept as sacrebleu returns it (a float32 from float32 statistics): means of resamples then agree
        return self.metric._compute_score_from_stats(totals).score  # noqa: SLF001

    def signature(self, **settings) -> str:
        signature = self.metric.get_signature()
        for key, value in settings.items():
            signature.update(key, value)
        return str(signature)


def seed_from_environment() -> int | None:
    seed = os.environ.get(SEED_VARIABLE, "12345")
    return None if seed.lower() == "none" else int(seed)


@dataclass(frozen=True)
class TestedScore:
    score: float
    mean: float | None = None  # of the bootstrap resamples
    ci: float | None = None  # half the width of their 95% interval
    p_value: float | None = None  # against the baseline (None for the baseline itself)


def p_value_counting_ties(stats: np.ndarray, real_difference: float) -> float:
    """(c + 1) / (n + 1), c = resampled differences at least as large as the observed one."""
    count = int(np.sum(stats >= real_difference - TIE_TOLERANCE))
    return (count + 1) / (len(stats) + 1)


def mean_and_ci(scores: np.ndarray) -> tuple[float, float]:
    """The mean of resampled scores and half the width of their central 95% (1/40 off each end)."""
    scores = np.sort(scores)
    lower = len(scores) // 40
    return float(scores.mean()), float(0.5 * (scores[len(scores) - lower - 1] - scores[lower]))


def _resampled_scores(metric: CorpusMetric, stats: np.ndarray, indices: np.ndarray) -> np.ndarray:
    rows = stats.astype("float32")
    return np.array([metric.score(rows[sample].sum(0)) for sample in indices])


def paired_test(metric: CorpusMetric, systems: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                test: str = "bs", samples: int = 0) -> tuple[str, list[TestedScore]]:
    """Each system's score, bootstrap mean and 95% interval, and (after the first, the baseline) p-value of its
    difference to the baseline. Returns the signature (the metric's, with seed, test and samples) too."""
    if test not in TESTS:
        raise ValueError(f"unknown test '{test}' (one of {', '.join(TESTS)})")
    samples = samples or DEFAULT_SAMPLES[test]
    confidence = samples if test == "bs" else AR_CONFIDENCE_SAMPLES
    seed = seed_from_environment()
    stats = [metric.statistics(hypotheses, references) for hypotheses in systems]
    scores = [metric.score(s.sum(0)) for s in stats]
    n = len(systems[0])
    baseline_draws = np.random.default_rng(seed).choice(n, size=(confidence, n), replace=True)
    results = [TestedScore(scores[0], *mean_and_ci(_resampled_scores(metric, stats[0], baseline_draws)))]
    for system_stats, system_score in zip(stats[1:], scores[1:]):
        rng = np.random.default_rng(seed or None)  # sacrebleu seeds each comparison alike (0 counts as unset)
        difference = abs(scores[0] - system_score)
        if test == "bs":
            draws = rng.choice(n, size=(samples, n), replace=True)
            resampled = _resampled_scores(metric, system_stats, draws)
            differences = np.abs(resampled - _resampled_scores(metric, stats[0], draws))
            p_value = p_value_counting_ties(differences - differences.mean(), difference)
        else:
            keep = rng.integers(2, size=(samples, n), dtype=bool)
            draws = rng.choice(n, size=(confidence, n), replace=True)
            shuffled_a = keep @ stats[0] + ~keep @ system_stats
            shuffled_b = ~keep @ stats[0] + keep @ system_stats
            differences = np.abs(np.array([metric.score(a) for a in shuffled_a]) -
                                 np.array([metric.score(b) for b in shuffled_b]))
            p_value = p_value_counting_ties(differences, difference)
            resampled = _resampled_scores(metric, system_stats, draws)
        results.append(TestedScore(system_score, *mean_and_ci(resampled), p_value))
    settings = {"seed": str(seed).lower(), test: samples, **({"bs": confidence} if test == "ar" else {})}
    return metric.signature(**settings), results
