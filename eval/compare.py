"""Compare checkpoints: the same segments translated by several systems, scored against the same
references, with paired significance tests (the Python API behind `seedmt compare`).

The first system is the baseline. Per direction and metric each system gets its score, the delta to the
baseline, a 95% confidence interval of its score (bootstrap) and the p-value of the difference: paired
bootstrap resampling (Koehn, 2004) by default, approximate randomisation (Riezler & Maxwell, 2005) on
request, run as sacrebleu runs them but with ties counted (`seedmt.eval.significance`). The RNG seed
(SACREBLEU_SEED, default 12345) makes the numbers reproducible. A direction where both systems produced the
same translations reports p = 1 and "identical outputs" without resampling."""
from __future__ import annotations

import math

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedmt.eval.evaluate import PairedSegments, pair_dataset, pooled_by_target, system_description
from seedmt.core.metric_settings import metrics_for
from seedmt.eval.metrics import DEFAULT_METRICS, SPBLEU_SKIPPED, make_metrics
from seedmt.core.errors import SeedMTError
from seedmt.eval.significance import DEFAULT_SAMPLES, TESTS, SacrebleuMetric, paired_test

IDENTICAL_OUTPUTS = "identical outputs"


@dataclass(frozen=True)
class System:
    name: str
    out_dir: Path


def name_systems(out_dirs: list[Path]) -> list[System]:
    names = [Path(d).name for d in out_dirs]
    if len(set(names)) < len(names):
        names = [str(d) for d in out_dirs]
    return [System(n, Path(d)) for n, d in zip(names, out_dirs)]


def _segment_sources(out_dir: Path) -> dict[str, str]:
    from seedmt.dataset.storage import open_dataset
    from seedmt.dataset.schema import SEGMENTS, TRANSLATION_COLUMN

    return {row["segment_id"]: row[TRANSLATION_COLUMN][row["source_lang"]]
            for row in open_dataset(out_dir).tables[SEGMENTS]}


def check_same_segments(systems: list[System]) -> None:
    """Every dataset must hold the same source segments as the baseline's (ids and text)."""
    baseline = _segment_sources(systems[0].out_dir)
    for system in systems[1:]:
        sources = _segment_sources(system.out_dir)
        differing = sorted(set(baseline) ^ set(sources)) or sorted(s for s in baseline if baseline[s] != sources[s])
        if differing:
            raise SeedMTError(f"{system.out_dir} and {systems[0].out_dir} do not cover the same segments "
                              f"({len(differing)} differ, e.g. {differing[0]}); translate the same seeds, with the "
                              "same segmentation settings, with each checkpoint")


def languages_that_differ(systems: list[System]) -> dict[str, dict[str, str]]:
    """Documents whose source language the runs identified differently (one passed --source-lang, say):
    doc_id -> {system name: its code}. Such a document sits in a different direction in each run."""
    from seedmt.dataset.schema import DOCUMENTS
    from seedmt.dataset.storage import open_dataset

    codes = [{row["doc_id"]: row["source_lang"] for row in open_dataset(s.out_dir).tables[DOCUMENTS]}
             for s in systems]
    return {doc_id: {s.name: c[doc_id] for s, c in zip(systems, codes)}
            for doc_id in sorted(codes[0]) if len({c.get(doc_id) for c in codes}) > 1}


def _number(value) -> float | None:
    """sacrebleu returns numpy scalars; JSON wants plain floats."""
    return None if value is None or math.isnan(float(value)) else round(float(value), 4)


class SegmentMean:
    """A metric whose system score is the mean of per-segment scores (COMET), for the paired tests: each
    segment's sufficient statistics are (score, 1), so bootstrap resampling and approximate randomisation
    treat it exactly as they treat BLEU or chrF."""

    def __init__(self, name: str, scorer, sources: list[str | None]) -> None:
        self.name, self.scorer, self.sources = name, scorer, sources

    def statistics(self, hypotheses, references) -> np.ndarray:
        paired = PairedSegments("", "", sources=list(self.sources), hypotheses=list(hypotheses),
                                references=list(references[0]))
        scores = self.scorer.segment_scores(paired)
        return np.array([[s, 1.0] if s is not None else [0.0, 0.0] for s in scores], dtype="float64")

    def score(self, totals: np.ndarray) -> float:
        return float(totals[0] / totals[1]) if totals[1] else float("nan")

    def signature(self, **settings) -> str:
        return "|".join([self.scorer.signature] + [f"{key}:{value}" for key, value in settings.items()])


def _compare_direction(systems: list[System], per_system: list[PairedSegments], test: str, samples: int,
                       spm_model: Path | None, families: tuple[str, ...] = DEFAULT_METRICS,
                       neural: dict | None = None) -> dict:
    references = [per_system[0].references]
    block = {"source_lang": per_system[0].source_lang, "target": per_system[0].target,
             "segments": len(references[0]), "metrics": {}}
    named = [(s.name, p.hypotheses) for s, p in zip(systems, per_system)]
    identical = [p.hypotheses == per_system[0].hypotheses for p in per_system]
    # One test per metric: sacrebleu keys results by score name, and BLEU and spBLEU share "BLEU".
    metrics = dict(make_metrics(per_system[0].target, spm_model, families))
    # COMET scores units with a source segment; a direction whose references were all re-segmented has none
    if any(source is not None for source in per_system[0].sources):
        metrics.update({name: SegmentMean(name, scorer, per_system[0].sources)
                        for name, scorer in (neural or {}).items()})
    elif neural:
        block["not_scored"] = {name: "every reference of this direction is re-segmented: no unit has a source "
                                     "segment to score with" for name in neural}
    for name, metric in metrics.items():
        metric = metric if isinstance(metric, SegmentMean) else SacrebleuMetric(name, metric)
        signature, results = paired_test(metric, [p.hypotheses for p in per_system], references, test, samples)
        baseline_score = results[0].score
        rows = []
        for index, ((system_name, _), result) in enumerate(zip(named, results)):
            same = index > 0 and identical[index]
            rows.append({"system": system_name, "baseline": index == 0, "score": _number(result.score),
                         "delta": 0.0 if same else _number(result.score - baseline_score),
                         "mean": _number(result.mean), "ci95": _number(result.ci),
                         "p_value": 1.0 if same else _number(result.p_value),
                         "note": IDENTICAL_OUTPUTS if same else None})
        block["metrics"][name] = {"signature": signature, "systems": rows}
    block["identical_to_baseline"] = [s.name for s, same in zip(systems[1:], identical[1:]) if same]
    return block


def compare(out_dirs: list[Path], references_dir: Path, *, test: str = "bs", samples: int = 0,
            targets: list[str] | None = None, spm_model: Path | None = None,
            metrics: tuple[str, ...] = DEFAULT_METRICS, comet_model: str | None = None,
            cometkiwi_model: str | None = None) -> dict:
    """Significance-tested comparison of datasets translated by different checkpoints; JSON-ready. `metrics` as
    for `evaluate`; COMET goes through the same paired test as the sacrebleu metrics."""
    from seedmt.eval.evaluate import neural_scorers

    if len(out_dirs) < 2:
        raise SeedMTError("compare needs at least two datasets (the first is the baseline)")
    if test not in TESTS:
        raise SeedMTError(f"unknown test '{test}' (choose from {', '.join(TESTS)})")
    systems = name_systems(out_dirs)
    check_same_segments(systems)
    paired, notes = [], []
    differing = languages_that_differ(systems)
    if differing:
        notes.append("left out of the comparison, identified as different languages by the runs: " + "; ".join(
            f"{doc_id} ({', '.join(f'{name} {code}' for name, code in codes.items())})"
            for doc_id, codes in differing.items()))
    for system in systems:
        directions, system_notes = pair_dataset(system.out_dir, references_dir, targets, frozenset(differing))
        paired.append(directions)
        notes += [f"{system.name}: {n}" for n in system_notes]
    if spm_model is None and "bleu" in metrics:
        notes.append(SPBLEU_SKIPPED)
    neural = neural_scorers(metrics, comet_model, cometkiwi_model)
    families = tuple(metrics)
    # Only directions every system translated (and has references for) can be compared.
    shared = sorted(set(paired[0]).intersection(*paired[1:]))
    for name, directions in zip([s.name for s in systems], paired):
        missing = sorted(set().union(*paired) - set(directions))
        if missing:
            notes.append(f"not compared, {name} has no translations into them (or no references): " +
                         ", ".join(f"{source} -> {target}" for source, target in missing))
    notes += [note for target in sorted({t for _, t in shared}) for note in metrics_for(target).notes]
    blocks = [_compare_direction(systems, [p[key] for p in paired], test, samples, spm_model, families, neural)
              for key in shared]
    pooled = [pooled_by_target({key: p[key] for key in shared}) for p in paired]
    blocks += [_compare_direction(systems, [p[t] for p in pooled], test, samples, spm_model, families, neural)
               for t in sorted(pooled[0])]
    if not blocks:
        raise SeedMTError("nothing to compare: the datasets share no translation direction with references")
    return {"baseline": systems[0].name, "test": TESTS[test],
            "samples": samples or DEFAULT_SAMPLES[test],
            "systems": [{"name": s.name, **system_description(s.out_dir)} for s in systems],
            "notes": notes, "directions": blocks}
