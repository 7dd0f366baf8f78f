"""Scoring a human evaluation campaign (`seedmt.dataset.campaigns`) the way WMT scores its campaigns.

- **MQM** (Freitag et al. 2021, the weights of WMT's MQM scoring): each error weighs 5 when major and 1 when
  minor, 0.1 for a minor Fluency/Punctuation error, and 25 for a non-translation; a translation's penalty is the
  sum of its errors' weights (0 when the rater marked none). A system's `mqm_per_segment` is the mean penalty of
  its rated segments, each segment counting once with the mean of its raters' penalties (the same per-item values
  the interval, the tests and the clusters use); `mqm_per_100_words` divides the summed per-segment penalties by
  the source words of those segments (characters / 2 for a source written without spaces) x 100. An error marked
  twice, or spans that overlap, count once.
  Lower is better.
- **ESA** (error span annotation, WMT 2024): the mean of the 0-100 scores; higher is better.
- Per system, a 95% interval from bootstrap resampling of the items (the campaign's segments); between every two
  systems, a paired permutation test over items (each item's difference flipped in sign at random; ties with the
  observed difference count as extreme); systems ranked in clusters: a system opens a new cluster when it is
  significantly worse (p < 0.05) than the best system of the cluster above, as WMT groups systems that are not
  significantly different.
- **Agreement** on the items two annotators judged: Krippendorff's alpha (interval) on the scores (ESA) or the
  penalties (MQM), with the `krippendorff` package, and span agreement: the character-level F1 of two raters'
  error spans on the same translation.
- **Quality control**, per annotator: how often the deliberately degraded translation of a check item got a lower
  score (more penalty) than the same translation in the original item, with a one-sided Wilcoxon signed-rank test.
- **How far to trust the metrics**: segment-level Kendall tau (`scipy.stats.kendalltau`, tau-b) between each
  metric's segment scores and the human scores, and system-level pairwise accuracy (the share of system pairs the
  metric orders as the humans do), for BLEU, chrF2++, TER (negated) and, given a COMET model, COMET against the
  references when there are references for the items.

Annotations go out in the MQM TSV layout WMT publishes (system, doc, doc_id, seg_id, rater, source, target with
the span in `<v>...</v>`, category, severity) and come back in: `score_mqm_tsv` scores any such file."""
from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from seedmt.core.languages import written_without_spaces
from seedmt.dataset.campaigns import QUALITY_CONTROL, REGULAR, CampaignStore, Item, Judgement, TranslationJudgement

BOOTSTRAP_SAMPLES = 1000
PERMUTATIONS = 10000
SIGNIFICANCE = 0.05
TSV_COLUMNS = ("system", "doc", "doc_id", "seg_id", "rater", "source", "target", "category", "severity")
NO_ERROR = "No-error"
MISSING = "[MISSING]"


def mqm_weight(severity: str, category: str | None) -> float:
    """WMT's MQM weight of one error (0 for a "No-error" or "Neutral" row)."""
    severity, category = (severity or "").strip().lower(), (category or "").strip().lower()
    if category.startswith("non-translation"):
        return 25.0
    if severity == "major":
        return 5.0
    if severity == "minor":
        return 0.1 if category == "fluency/punctuation" else 1.0
    return 0.0


def mqm_penalty(judged: TranslationJudgement) -> float:
    """The sum of the translation's error weights. An error marked twice counts once: spans that overlap (a
    stored judgement from before overlaps were refused, an imported one) count as one error of the heaviest
    weight among them."""
    total, cluster_end, cluster_weight = 0.0, None, 0.0
    for span in sorted(set(judged.spans), key=lambda s: (s.start, s.end)):
        weight = mqm_weight(span.severity, span.category)
        if cluster_end is not None and (span.start < cluster_end or span.start == span.end == cluster_end):
            cluster_end, cluster_weight = max(cluster_end, span.end), max(cluster_weight, weight)
            continue
        total += cluster_weight
        cluster_end, cluster_weight = span.end, weight
    return total + cluster_weight


def source_words(text: str, lang: str) -> float:
    return len(text) / 2 if written_without_spaces(lang) else float(len(text.split()))


def _human_scores(protocol: str, items: dict[int, Item], judgements: Iterable[Judgement]) \
        -> dict[tuple[int, str], list[float]]:
    """(regular item, system) -> each rater's score: ESA score, or MQM penalty."""
    scores: dict[tuple[int, str], list[float]] = defaultdict(list)
    for judgement in judgements:
        item = items[judgement.item_id]
        if item.kind != REGULAR:
            continue
        for system, judged in zip(item.systems, judgement.translations):
            scores[(item.id, system)].append(float(judged.score) if protocol == "esa" else mqm_penalty(judged))
    return scores


def _per_item(scores: dict[tuple[int, str], list[float]], systems: list[str]) -> tuple[list[int], np.ndarray]:
    """Items judged for every system, and their mean score per system (items x systems)."""
    item_ids = sorted({item for item, _ in scores if all((item, s) in scores for s in systems)})
    return item_ids, np.array([[np.mean(scores[(i, s)]) for s in systems] for i in item_ids], dtype=float)


def _bootstrap_ci(values: np.ndarray, rng: np.random.Generator) -> list[float] | None:
    if len(values) < 2:
        return None
    means = values[rng.integers(0, len(values), size=(BOOTSTRAP_SAMPLES, len(values)))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)]


def paired_permutation_p(differences: np.ndarray, rng: np.random.Generator) -> float:
    """Two-sided p of a mean difference over items: signs flipped at random; ties count as extreme."""
    if not len(differences):
        return 1.0
    observed = abs(differences.mean())
    signs = rng.choice((-1.0, 1.0), size=(PERMUTATIONS, len(differences)))
    flipped = np.abs((signs * differences).mean(axis=1))
    return float((np.sum(flipped >= observed - 1e-12) + 1) / (PERMUTATIONS + 1))


def clusters(ranked: list[str], p_values: dict[frozenset, float]) -> list[list[str]]:
    """Systems best first, grouped: a system opens a new cluster when significantly worse than the best of the
    current one."""
    groups: list[list[str]] = []
    for system in ranked:
        if groups and p_values[frozenset((groups[-1][0], system))] >= SIGNIFICANCE:
            groups[-1].append(system)
        else:
            groups.append([system])
    return groups


def _span_f1(a: TranslationJudgement, b: TranslationJudgement) -> float | None:
    marked_a = {c for s in a.spans for c in range(s.start, s.end)}
    marked_b = {c for s in b.spans for c in range(s.start, s.end)}
    if not marked_a and not marked_b:
        return None  # both saw no error: agreement on that, not on spans
    return 2 * len(marked_a & marked_b) / (len(marked_a) + len(marked_b))


def agreement(protocol: str, items: dict[int, Item], judgements: list[Judgement], annotators: list[str]) -> dict:
    import krippendorff

    by_item: dict[int, dict[str, Judgement]] = defaultdict(dict)
    for j in judgements:
        if items[j.item_id].kind == REGULAR:
            by_item[j.item_id][j.annotator] = j
    shared = sorted(i for i, raters in by_item.items() if len(raters) >= 2)
    units = [(i, p) for i in shared for p in range(len(items[i].translations))]
    matrix = np.full((len(annotators), len(units)), np.nan)
    for column, (i, p) in enumerate(units):
        for row, annotator in enumerate(annotators):
            judged = by_item[i].get(annotator)
            if judged is not None:
                t = judged.translations[p]
                matrix[row, column] = float(t.score) if protocol == "esa" else mqm_penalty(t)
    alpha = None
    values = matrix[~np.isnan(matrix)]
    if units and len(set(values.tolist())) > 1:
        alpha = round(float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")), 4)
    f1s, both_clean = [], 0
    for i in shared:
        raters = sorted(by_item[i])
        for x in range(len(raters)):
            for y in range(x + 1, len(raters)):
                for p in range(len(items[i].translations)):
                    f1 = _span_f1(by_item[i][raters[x]].translations[p], by_item[i][raters[y]].translations[p])
                    if f1 is None:
                        both_clean += 1
                    else:
                        f1s.append(f1)
    return {"shared_items": len(shared), "units": len(units), "krippendorff_alpha": alpha,
            "alpha_on": "ESA scores" if protocol == "esa" else "MQM penalties",
            "span_f1": round(float(np.mean(f1s)), 4) if f1s else None, "span_pairs": len(f1s),
            "pairs_both_without_errors": both_clean, "reliability_matrix": matrix.tolist()}


def quality_control(protocol: str, items: dict[int, Item], judgements: list[Judgement], annotators: list[str]) -> dict:
    from scipy.stats import wilcoxon

    mine = {(j.annotator, j.item_id): j for j in judgements}
    out = {}
    for annotator in annotators:
        differences = []  # original minus degraded, in "higher is better" terms
        for item in items.values():
            if item.kind != QUALITY_CONTROL or (annotator, item.id) not in mine or \
                    (annotator, item.original) not in mine:
                continue
            p = item.degraded_position
            check, original = mine[(annotator, item.id)].translations[p], mine[(annotator, item.original)].translations[p]
            if protocol == "esa":
                differences.append(float(original.score) - float(check.score))
            else:
                differences.append(mqm_penalty(check) - mqm_penalty(original))
        passed = sum(d > 0 for d in differences)
        p_value = None
        if len(differences) >= 5 and any(differences):
            p_value = round(float(wilcoxon(differences, alternative="greater").pvalue), 4)
        out[annotator] = {"checks": len(differences), "passed": passed,
                          "pass_rate": round(passed / len(differences), 4) if differences else None,
                          "wilcoxon_p": p_value}
    return out


class _Comet:
    """COMET through seedmt's native implementation, shaped like a sacrebleu metric for `_metric_scores`: a
    segment's score and a system's (the mean of its segments', as COMET reports it)."""

    def __init__(self, model: str) -> None:
        from seedmt.eval.evaluate import NeuralScorer

        self.scorer = NeuralScorer("COMET", model)

    def scores(self, sources: list[str], hypotheses: list[str], references: list[str]) -> list[float]:
        from seedmt.eval.evaluate import PairedSegments

        return self.scorer.segment_scores(PairedSegments("", "", sources=sources, hypotheses=hypotheses,
                                                         references=references))


def _metric_scores(items: dict[int, Item], systems: list[str], item_ids: list[int], references: dict[str, str],
                   target: str, comet_model: str | None = None) -> dict[str, dict]:
    """Per metric: segment scores (item, system) and system scores, on items with a reference."""
    from seedmt.core.metric_settings import metrics_for

    settings = metrics_for(target)
    # (segment-level metric, corpus-level metric): the same settings as `seedmt eval`; BLEU of one sentence with
    # effective order, as sacrebleu recommends
    metrics = {"BLEU": (settings.bleu(sentence=True), settings.bleu()), "chrF2++": (settings.chrf(),) * 2,
               "TER": (settings.ter(),) * 2}
    usable = [i for i in item_ids if items[i].segment_id in references]
    out = {}
    for name, (sentence_metric, corpus_metric) in metrics.items():
        segment, system_scores = {}, {}
        for s in systems:
            hyps, refs = [], []
            for i in usable:
                text = items[i].translations[items[i].systems.index(s)]
                reference = references[items[i].segment_id]
                value = sentence_metric.sentence_score(text, [reference]).score
                segment[(i, s)] = -value if name == "TER" else value
                hyps.append(text)
                refs.append(reference)
            corpus = corpus_metric.corpus_score(hyps, [refs]).score if hyps else float("nan")
            system_scores[s] = -corpus if name == "TER" else corpus
        signature = str(corpus_metric.get_signature()) if usable else None
        out[name] = {"segments": segment, "systems": system_scores, "items": usable, "signature": signature}
    if comet_model is not None:
        comet, segment, system_scores = _Comet(comet_model), {}, {}
        for s in systems:
            texts = [items[i].translations[items[i].systems.index(s)] for i in usable]
            scores = comet.scores([items[i].source for i in usable], texts, [references[items[i].segment_id]
                                                                               for i in usable])
            segment.update({(i, s): value for i, value in zip(usable, scores)})
            system_scores[s] = float(np.mean(scores)) if scores else float("nan")
        out["COMET"] = {"segments": segment, "systems": system_scores, "items": usable}
    return out


def metric_trust(items: dict[int, Item], systems: list[str], human: dict[tuple[int, str], list[float]],
                 item_ids: list[int], protocol: str, references: dict[str, str], target: str,
                 comet_model: str | None = None) -> dict:
    from scipy.stats import kendalltau

    sign = 1.0 if protocol == "esa" else -1.0  # MQM penalties: lower is better
    out = {}
    for name, scores in _metric_scores(items, systems, item_ids, references, target, comet_model).items():
        keys = [(i, s) for i in scores["items"] for s in systems]
        if len(keys) < 3:
            continue
        metric_values = [scores["segments"][k] for k in keys]
        human_values = [sign * float(np.mean(human[k])) for k in keys]
        tau = kendalltau(metric_values, human_values)
        human_system = {s: sign * float(np.mean([np.mean(human[(i, s)]) for i in scores["items"]])) for s in systems}
        pairs = [(a, b) for x, a in enumerate(systems) for b in systems[x + 1:]]
        agree = sum(np.sign(scores["systems"][a] - scores["systems"][b]) == np.sign(human_system[a] - human_system[b])
                    for a, b in pairs)
        out[name] = {"kendall_tau": None if math.isnan(tau.statistic) else round(float(tau.statistic), 4),
                     "kendall_p": None if math.isnan(tau.pvalue) else round(float(tau.pvalue), 4),
                     "segments": len(keys), "pairwise_accuracy": round(agree / len(pairs), 4) if pairs else None,
                     "system_scores": {s: round(v, 4) for s, v in scores["systems"].items()},
                     "signature": scores.get("signature")}
    return out


def _references(references_dir: Path | None, target: str) -> dict[str, str]:
    if references_dir is None or not Path(references_dir).is_dir():
        return {}
    from seedmt.eval.references import load_references

    return {line.segment_id: line.text for reference in load_references(references_dir, target).values()
            for line in reference.lines if line.segment_id and line.text is not None}


def campaign_report(path: Path, references_dir: Path | None = None, *, seed: int = 0,
                    comet_model: str | None = None) -> dict:
    """Everything `seedmt humaneval report` shows, JSON-ready; `comet_model` adds COMET to the metrics."""
    store = CampaignStore(path)
    try:
        protocol, target = store.protocol, store.target
        systems = [s.name for s in store.systems()]
        annotators = store.annotators()
        items = {item.id: item for item in store.items()}
        judgements = store.judgements()
        progress = {a: {"judged": sum(j.annotator == a for j in judgements), "queue": len(store.queue(a))}
                    for a in annotators}
        seconds = [j.seconds for j in judgements]
    finally:
        store.close()
    rng = np.random.default_rng(seed)
    human = _human_scores(protocol, items, judgements)
    item_ids, table = _per_item(human, systems)
    per_system = {}
    for column, system in enumerate(systems):
        values = table[:, column] if len(item_ids) else np.array([])
        entry = {"items": len(item_ids)}
        if protocol == "esa":
            entry.update(esa_mean=round(float(values.mean()), 4) if len(values) else None,
                         esa_ci95=_bootstrap_ci(values, rng))
        else:
            # the same data as the interval and the tests: each item once, the mean of its raters' penalties
            words = sum(source_words(items[i].source, items[i].source_lang) for i in item_ids)
            entry.update(mqm_per_segment=round(float(values.mean()), 4) if len(values) else None,
                         mqm_per_100_words=round(100 * float(values.sum()) / words, 4) if words else None,
                         rated_segments=len(item_ids),
                         ratings=sum(len(vs) for (i, s), vs in human.items() if s == system and i in set(item_ids)),
                         mqm_ci95=_bootstrap_ci(values, rng))
        per_system[system] = entry
    p_values, pairwise = {}, []
    for x, a in enumerate(systems):
        for y in range(x + 1, len(systems)):
            b = systems[y]
            p = paired_permutation_p(table[:, x] - table[:, y], rng) if len(item_ids) else 1.0
            p_values[frozenset((a, b))] = p
            pairwise.append({"a": a, "b": b, "difference": round(float((table[:, x] - table[:, y]).mean()), 4)
                             if len(item_ids) else None, "p_value": round(p, 4)})
    key = "esa_mean" if protocol == "esa" else "mqm_per_segment"
    scored = [s for s in systems if per_system[s].get(key) is not None]
    ranked = sorted(scored, key=lambda s: -per_system[s][key] if protocol == "esa" else per_system[s][key])
    references = _references(references_dir, target)
    return {"campaign": str(path), "protocol": protocol, "target": target, "systems": per_system,
            "ranking": clusters(ranked, p_values) if ranked else [], "pairwise": pairwise,
            "annotators": progress, "items": sum(i.kind == REGULAR for i in items.values()),
            "quality_control_items": sum(i.kind == QUALITY_CONTROL for i in items.values()),
            "median_seconds_per_item": round(float(np.median(seconds)), 1) if seconds else None,
            "agreement": agreement(protocol, items, judgements, annotators),
            "quality_control": quality_control(protocol, items, judgements, annotators),
            "metrics": metric_trust(items, systems, human, item_ids, protocol, references, target, comet_model)
            if references else {}}


# --- the MQM TSV layout WMT publishes -------------------------------------------------------------------------------

def _marked(text: str, start: int, end: int) -> str:
    """The translation with the span in `<v>...</v>`; an omission (the slot after the text) as `<v>[MISSING]</v>`,
    as WMT's ESA data marks it."""
    if start == end == len(text):
        return f"{text} <v>{MISSING}</v>"
    return f"{text[:start]}<v>{text[start:end]}</v>{text[end:]}"


def _tsv_field(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ")


def export_mqm_tsv(path: Path) -> str:
    """The campaign's annotations (regular items) as WMT's MQM TSV: one row per error, one "No-error" row for a
    translation without errors. ESA spans have no category: their rows say "ESA"."""
    store = CampaignStore(path)
    try:
        items = {item.id: item for item in store.items()}
        judgements = store.judgements()
    finally:
        store.close()
    out = io.StringIO()
    out.write("\t".join(TSV_COLUMNS) + "\n")
    for j in judgements:
        item = items[j.item_id]
        if item.kind != REGULAR:
            continue
        segment_index = item.segment_id.rsplit(":", 1)[-1]
        for system, text, judged in zip(item.systems, item.translations, j.translations):
            common = [system, item.doc_id, segment_index, str(item.id), j.annotator, _tsv_field(item.source)]
            if not judged.spans:
                out.write("\t".join(common + [_tsv_field(text), NO_ERROR, NO_ERROR]) + "\n")
            for span in judged.spans:
                out.write("\t".join(common + [_tsv_field(_marked(text, span.start, span.end)),
                                              span.category or "ESA", span.severity.capitalize()]) + "\n")
    return out.getvalue()


def score_mqm_tsv(path: Path) -> dict:
    """Per system, the mean MQM penalty per rated segment of a WMT-layout MQM TSV (a segment rated "No-error"
    counts with penalty 0; a segment rated by several raters counts once, with their mean; an error listed twice
    counts once), the segments and the raters."""
    text = Path(path).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        return {"systems": {}}
    header = [h.strip().lower() for h in rows[0]]
    if {"system", "seg_id", "rater", "category", "severity"} <= set(header):
        column = {name: header.index(name) for name in header}
        rows = rows[1:]
    else:  # no header: the published column order
        column = {name: k for k, name in enumerate(TSV_COLUMNS)}
    penalties: dict[str, dict[tuple, float]] = defaultdict(dict)
    raters: dict[str, set] = defaultdict(set)
    seen: set[tuple] = set()
    for number, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(column[k] for k in ("system", "seg_id", "rater", "category", "severity")):
            raise ValueError(f"{path}: line {number}: expected the columns {', '.join(TSV_COLUMNS)}")
        system = row[column["system"]]
        key = (row[column["doc"]] if "doc" in column else "", row[column["seg_id"]], row[column["rater"]])
        error = (system, key, row[column["target"]] if "target" in column else "", row[column["category"]],
                 row[column["severity"]])
        if error in seen:  # the same error listed twice counts once
            continue
        seen.add(error)
        weight = mqm_weight(row[column["severity"]], row[column["category"]])
        penalties[system][key] = penalties[system].get(key, 0.0) + weight
        raters[system].add(row[column["rater"]])
    out = {}
    for system, by_rating in sorted(penalties.items()):
        # each segment once, with the mean of its raters' penalties (as a campaign's report counts it)
        by_segment: dict[tuple, list[float]] = defaultdict(list)
        for (doc, segment, _), penalty in by_rating.items():
            by_segment[(doc, segment)].append(penalty)
        means = [sum(v) / len(v) for v in by_segment.values()]
        out[system] = {"mqm_per_segment": round(sum(means) / len(means), 4), "segments": len(means),
                       "ratings": len(by_rating), "raters": sorted(raters[system])}
    return {"systems": out}


def report_markdown(report: dict) -> str:
    """The report as text: systems ranked in clusters, then agreement, quality control and the metrics."""
    esa = report["protocol"] == "esa"
    lines = [f"# Human evaluation ({report['protocol'].upper()}, {report['target']}): {report['items']} items, "
             f"{len(report['annotators'])} annotators", ""]
    lines += ["| rank | system | " + ("ESA mean | 95% CI" if esa else "MQM per segment | per 100 words | 95% CI") +
              " |", "|---|---|" + ("---:|---:|" if esa else "---:|---:|---:|")]
    for rank, cluster in enumerate(report["ranking"], 1):
        for system in cluster:
            s = report["systems"][system]
            ci = s["esa_ci95"] if esa else s["mqm_ci95"]
            interval = f"{ci[0]:.2f}-{ci[1]:.2f}" if ci else "-"
            values = f"{s['esa_mean']:.2f}" if esa else f"{s['mqm_per_segment']:.3f} | {s['mqm_per_100_words']:.3f}"
            lines.append(f"| {rank} | {system} | {values} | {interval} |")
    lines += ["", "Systems in one rank are not significantly different (paired permutation test, p >= 0.05).", "",
              "| pair | difference | p |", "|---|---:|---:|"]
    lines += [f"| {p['a']} vs {p['b']} | {p['difference']} | {p['p_value']} |" for p in report["pairwise"]]
    a = report["agreement"]
    lines += ["", f"Agreement on {a['shared_items']} items judged twice: Krippendorff's alpha ({a['alpha_on']}) "
              f"{a['krippendorff_alpha']}, span F1 {a['span_f1']} over {a['span_pairs']} pairs of ratings.", "",
              "| annotator | judged | quality checks passed |", "|---|---:|---:|"]
    for annotator, progress in report["annotators"].items():
        qc = report["quality_control"][annotator]
        test = "" if qc["wilcoxon_p"] is None else f" (Wilcoxon p {qc['wilcoxon_p']})"
        lines.append(f"| {annotator} | {progress['judged']} / {progress['queue']} | {qc['passed']} / {qc['checks']}"
                     f"{test} |")
    if report["metrics"]:
        lines += ["", "| metric | segment Kendall tau | system pairwise accuracy |", "|---|---:|---:|"]
        lines += [f"| {name} | {m['kendall_tau']} | {m['pairwise_accuracy']} |" for name, m in report["metrics"].items()]
    return "\n".join(lines) + "\n"


def card_section(report: dict) -> str:
    """What a dataset card says of the campaign: systems, protocol, items, annotators, agreement, scores."""
    esa = report["protocol"] == "esa"
    key = "esa_mean" if esa else "mqm_per_segment"
    scores = "; ".join(f"{s}: {report['systems'][s][key]}" for cluster in report["ranking"] for s in cluster)
    return (f"## Human evaluation\n\nA blind {report['protocol'].upper()} campaign (`seedmt humaneval`) into "
            f"{report['target']}: {report['items']} items, systems {', '.join(report['systems'])}, annotators "
            f"{', '.join(report['annotators'])}; {'ESA mean score' if esa else 'MQM penalty per segment'}: {scores}. "
            f"Ranking in clusters of systems not significantly different: "
            f"{' > '.join('{' + ', '.join(c) + '}' for c in report['ranking'])}. Krippendorff's alpha on "
            f"{report['agreement']['shared_items']} doubly judged items: {report['agreement']['krippendorff_alpha']}.\n")


def judgements_json(judgement: Judgement | None) -> list[dict] | None:
    if judgement is None:
        return None
    return [{"score": t.score, "spans": [{"start": s.start, "end": s.end, "severity": s.severity,
                                          "category": s.category} for s in t.spans]} for t in judgement.translations]

