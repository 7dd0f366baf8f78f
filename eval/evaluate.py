"""Score a translated dataset against references/ - the Python API behind `seedmt eval`.

    from seedmt.eval.evaluate import evaluate
    report = evaluate(Path("out/translations"), Path("references"))
    report["directions"][0]["scores"]["chrF2++"]["score"]

Hypotheses and references are paired per document: by segment id when the reference file is segment-level
and matches the dataset's segmentation, otherwise by re-segmenting the document's translation to the
reference units (seedmt.eval.resegment). Directions are (source language, target); a target with several source
languages also gets a pooled row."""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from seedmt.eval.resegment import join_segments, resegment, ResegmentTooLarge
from seedmt.core.metric_settings import metrics_for
from seedmt.eval.metrics import DEFAULT_METRICS, SPBLEU_SKIPPED, corpus_scores, make_metrics, segment_chrf
from seedmt.eval.references import (DocumentReference, check_segment_ids, load_references, reference_targets,
                             segmentation_changed)
from seedmt.dataset.storage import open_dataset
from seedmt.core.errors import SeedMTError
from seedmt.dataset.schema import SEGMENTS, TRANSLATION_COLUMN

log = logging.getLogger(__name__)
ALL_SOURCES = "*"


@dataclass
class PairedSegments:
    """Hypotheses of one system paired with references, for one (source language, target) direction."""

    source_lang: str
    target: str
    doc_ids: list[str] = field(default_factory=list)
    # segment id, "<id>+<id>" for segments sharing one reference, or "<doc_id>#<n>" for re-segmented units;
    # a label for people: a document id may itself contain "+", so code reads `unit_segments` instead
    unit_ids: list[str] = field(default_factory=list)
    unit_segments: list[tuple[str, ...]] = field(default_factory=list)  # the segment ids behind each unit
    sources: list[str | None] = field(default_factory=list)  # each unit's source text (None: re-segmented)
    hypotheses: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    skipped_segments: int = 0
    resegmented_documents: list[str] = field(default_factory=list)

    def extend(self, other: PairedSegments) -> None:
        self.doc_ids += other.doc_ids
        self.unit_ids += other.unit_ids
        self.unit_segments += other.unit_segments
        self.sources += other.sources
        self.hypotheses += other.hypotheses
        self.references += other.references
        self.skipped_segments += other.skipped_segments
        self.resegmented_documents += other.resegmented_documents


def _document_rows(segments) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = defaultdict(list)
    for row in segments.to_list():  # one Arrow conversion; row-by-row iteration is far slower on large tables
        rows[row["doc_id"]].append(row)
    for doc_rows in rows.values():
        doc_rows.sort(key=lambda r: r["index"])
    return rows


def pair_document(rows: list[dict], reference: DocumentReference, target: str) -> PairedSegments:
    doc_id, source_lang = rows[0]["doc_id"], rows[0]["source_lang"]
    paired = PairedSegments(source_lang, target)
    sources = {r["segment_id"]: r[TRANSLATION_COLUMN][source_lang] for r in rows}
    hypotheses = {r["segment_id"]: r[TRANSLATION_COLUMN][target] for r in rows}
    if reference.segment_level and not segmentation_changed(reference, sources):
        check_segment_ids(reference, [r["segment_id"] for r in rows])
        members: dict[str, list[str]] = defaultdict(list)  # a shared reference's segments, in document order
        for line in reference.lines:
            if line.joined_with is not None:
                members[line.joined_with].append(line.segment_id)
        for line in reference.lines:
            if line.text is None:
                paired.skipped_segments += line.joined_with is None
                continue
            group = [line.segment_id, *members[line.segment_id]]
            paired.doc_ids.append(doc_id)
            paired.unit_ids.append("+".join(group))
            paired.unit_segments.append(tuple(group))
            paired.sources.append(sources[line.segment_id] if len(group) == 1 else
                                  join_segments([sources[s] for s in group], source_lang))
            paired.hypotheses.append(hypotheses[line.segment_id] if len(group) == 1 else
                                     join_segments([hypotheses[s] for s in group], target))
            paired.references.append(line.text)
        return paired
    if reference.segment_level:
        log.warning("%s: the recorded source segments differ from the dataset's segmentation; "
                    "re-segmenting the translation to the references", reference.path)
    units = reference.texts
    pieces = resegment(join_segments([hypotheses[r["segment_id"]] for r in rows], target), units, target)
    paired.doc_ids += [doc_id] * len(units)
    paired.unit_ids += [f"{doc_id}#{n}" for n in range(len(units))]
    paired.unit_segments += [()] * len(units)  # re-segmented units follow no dataset segment
    paired.sources += [None] * len(units)
    paired.hypotheses += pieces
    paired.references += units
    paired.resegmented_documents.append(doc_id)
    return paired


def pair_dataset(out_dir: Path, references_dir: Path, targets: list[str] | None = None,
                 leave_out: frozenset[str] = frozenset()) -> tuple[dict[tuple[str, str], PairedSegments], list[str]]:
    """Paired segments per direction, and notes on what was left out (and why). Documents in `leave_out` are
    not paired (the caller says why)."""
    opened = open_dataset(out_dir)
    dataset, run_targets = opened.tables, opened.targets
    available = reference_targets(references_dir) if Path(references_dir).is_dir() else []
    targets = targets or [t for t in run_targets if t in available]
    if not targets:
        raise SeedMTError(f"no references in {references_dir} for the dataset's targets ({', '.join(run_targets)}); "
                          f"expected files like {references_dir}/{run_targets[0]}/<doc_id>.jsonl")
    notes: list[str] = []
    directions: dict[tuple[str, str], PairedSegments] = {}
    documents = _document_rows(dataset[SEGMENTS])
    for target in targets:
        if target not in run_targets:
            raise SeedMTError(f"{out_dir} holds no translations into {target} (targets: {', '.join(run_targets)})")
        references = load_references(references_dir, target)
        for doc_id, rows in documents.items():
            if doc_id in leave_out:
                continue
            if target in rows[0]["copied_targets"]:
                notes.append(f"{doc_id} -> {target}: not scored, the seed is already in {target} (copied)")
                continue
            if doc_id not in references:
                notes.append(f"{doc_id} -> {target}: no reference file ({references_dir}/{target}/{doc_id}.jsonl)")
                continue
            try:
                paired = pair_document(rows, references[doc_id], target)
            except ResegmentTooLarge as err:  # one document left out, named; the others are scored
                notes.append(f"{doc_id} -> {target}: not scored: {err}")
                continue
            key = (paired.source_lang, target)
            directions.setdefault(key, PairedSegments(*key)).extend(paired)
        unused = sorted(set(references) - set(documents))
        if unused:
            notes.append(f"{target}: reference files for documents not in the dataset: {', '.join(unused)}")
    return directions, notes


def pooled_by_target(directions: dict[tuple[str, str], PairedSegments]) -> dict[str, PairedSegments]:
    pooled: dict[str, PairedSegments] = {}
    for (_, target), paired in sorted(directions.items()):
        pooled.setdefault(target, PairedSegments(ALL_SOURCES, target)).extend(paired)
    return pooled


def system_description(out_dir: Path) -> dict:
    run = open_dataset(out_dir).run
    return {"dataset": str(out_dir), "model": run["model"], "revision": run["revision"],
            "backend": run["backend"], "compute_type": run["compute_type"], "run_signature": run["signature"]}


class NeuralScorer:
    """A COMET model scoring the units of a direction; each model loads once per run, and a unit is scored
    once whatever blocks it appears in (a direction and its target's pool)."""

    def __init__(self, name: str, model_id: str, cache=None) -> None:
        from seedmt.eval.comet import load_comet, model_fingerprint

        self.name, self.model, self.cache = name, load_comet(model_id), cache
        self.fingerprint = model_fingerprint(self.model.folder)
        self.signature = (f"{name.lower()}:{model_id}|fingerprint:{self.fingerprint}|folder:{self.model.folder}"
                          f"|pool:{self.model.pool}")
        self._memo: dict[tuple, float] = {}

    def segment_scores(self, paired: PairedSegments) -> list[float | None]:
        from seedmt.eval.comet import CometTriple

        keys = [(s, h, r if self.model.needs_references else None)
                for s, h, r in zip(paired.sources, paired.hypotheses, paired.references)]
        todo = list(dict.fromkeys(k for k in keys if k[0] is not None and k not in self._memo))
        if self.cache is not None and todo:  # scores of earlier runs, by model fingerprint and triple
            self._memo.update(self.cache.lookup_scores(self.fingerprint, todo))
            todo = [k for k in todo if k not in self._memo]
        scored = list(zip(todo, self.model.score([CometTriple(*k) for k in todo]))) if todo else []
        self._memo.update(scored)
        if self.cache is not None and scored:
            self.cache.store_scores(self.fingerprint, scored)
        return [None if k[0] is None else self._memo[k] for k in keys]


def neural_scorers(metrics, comet_model: str | None, cometkiwi_model: str | None,
                   cache=None) -> dict[str, NeuralScorer]:
    from seedmt.eval.metrics import DEFAULT_COMET, DEFAULT_COMETKIWI

    scorers = {}
    if "comet" in metrics:
        scorers["COMET"] = NeuralScorer("COMET", comet_model or DEFAULT_COMET, cache)
    if "cometkiwi" in metrics:
        scorers["COMETKiwi"] = NeuralScorer("COMETKiwi", cometkiwi_model or DEFAULT_COMETKIWI, cache)
    return scorers


def score_cache(dataset_dir: Path, metrics):
    """The segment cache beside the dataset, for neural metric scores; None when none is needed or it cannot
    be opened (scores are then computed, not kept)."""
    if not ({"comet", "cometkiwi"} & set(metrics)):
        return None
    from seedmt.core.errors import OutputError
    from seedmt.dataset.cache import SegmentCache, default_cache_path

    try:
        return SegmentCache(default_cache_path(dataset_dir))
    except OutputError as err:
        log.warning("%s; COMET scores are not kept", err)
        return None


def per_document_scores(paired: PairedSegments, metrics: dict) -> dict[str, dict[str, float]]:
    """{doc_id: {metric: corpus score over that document's segments}}."""
    out = {}
    for doc_id in sorted(set(paired.doc_ids)):
        picks = [i for i, d in enumerate(paired.doc_ids) if d == doc_id]
        scores = corpus_scores([paired.hypotheses[i] for i in picks], [paired.references[i] for i in picks],
                               metrics)
        out[doc_id] = {name: s["score"] for name, s in scores.items()}
    return out


def _score_block(paired: PairedSegments, spm_model: Path | None, with_segments: bool,
                 families: tuple[str, ...] = DEFAULT_METRICS, neural: dict | None = None) -> dict:
    metrics = make_metrics(paired.target, spm_model, families)
    block = {
        "source_lang": paired.source_lang, "target": paired.target,
        "documents": sorted(set(paired.doc_ids)), "segments": len(paired.hypotheses),
        "skipped_segments": paired.skipped_segments, "resegmented_documents": paired.resegmented_documents,
        "scores": corpus_scores(paired.hypotheses, paired.references, metrics),
    }
    segment_scores = {name: scorer.segment_scores(paired) for name, scorer in (neural or {}).items()}
    for name, scores in segment_scores.items():
        scored = [s for s in scores if s is not None]
        block["scores"][name] = {"score": round(sum(scored) / len(scored), 4) if scored else None,
                                 "segments": len(scored), "signature": neural[name].signature}
    if with_segments:
        block["per_document"] = per_document_scores(paired, metrics)
        chrf = segment_chrf(paired.hypotheses, paired.references) if "chrf" in families else [None] * len(paired.hypotheses)
        block["per_segment"] = [{"id": unit, "chrF2++": value} for unit, value in zip(paired.unit_ids, chrf)]
        for name, scores in segment_scores.items():
            for entry, score in zip(block["per_segment"], scores):
                entry[name] = None if score is None else round(score, 4)
    return block


def evaluate(out_dir: Path, references_dir: Path, *, targets: list[str] | None = None,
             spm_model: Path | None = None, metrics: tuple[str, ...] = DEFAULT_METRICS,
             comet_model: str | None = None, cometkiwi_model: str | None = None) -> dict:
    """Corpus, per-document and per-segment scores of the dataset in `out_dir`; JSON-ready. `metrics`: any of
    bleu, chrf, ter, comet, cometkiwi (COMET models by Hub id or folder; the defaults otherwise)."""
    cache = score_cache(Path(out_dir), metrics)
    try:
        neural = neural_scorers(metrics, comet_model, cometkiwi_model, cache)
        directions, notes = pair_dataset(Path(out_dir), Path(references_dir), targets)
        if spm_model is None and "bleu" in metrics:
            notes.append(SPBLEU_SKIPPED)
        notes += [note for target in sorted({t for _, t in directions}) for note in metrics_for(target).notes]
        if neural and any(p.resegmented_documents for p in directions.values()):
            notes.append("COMET: re-segmented documents are left out (their units follow no source segment)")
        return {
            "system": system_description(Path(out_dir)),
            "references": str(references_dir),
            "notes": notes,
            "directions": [_score_block(p, spm_model, True, tuple(metrics), neural)
                           for _, p in sorted(directions.items())],
            "targets": [_score_block(p, spm_model, False, tuple(metrics), neural)
                        for p in pooled_by_target(directions).values()],
        }
    finally:
        if cache is not None:
            cache.close()
