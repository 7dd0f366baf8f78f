"""One self-contained HTML page per dataset (the Python API behind `seedmt report`).

Per document: source and each translation side by side, segment by segment, with the reference and the
segment's chrF2++ where references exist, quality flags highlighted; with `compare_to`, every other system's
translation and per-segment chrF2++ difference, `seedmt compare`'s significance table and a plot of each
system's score per direction with its 95% interval. Summary plots (matplotlib, PNG embedded as base64):
corpus chrF2++ per document and direction, and quality-flag counts per document.

The page's only script counts the rendered segments into `body[data-rendered-segments]` and wires a
"flagged only" filter; errors land in `body[data-script-errors]`, which the browser test reads."""
from __future__ import annotations

import base64
import html
import io
import os
from collections import Counter, defaultdict
from pathlib import Path

from seedmt.core.metric_settings import metrics_for

from seedmt.eval.evaluate import pair_dataset, per_document_scores, system_description
from seedmt.eval.metrics import segment_chrf
from seedmt.eval.references import reference_targets
from seedmt.dataset.storage import open_dataset
from seedmt.core.languages import script_of
from seedmt.dataset.schema import SEGMENTS, TRANSLATION_COLUMN, similarity_column

# Scripts written right to left; a cell in one of them gets dir="rtl", any other known script "ltr".
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm"})


def text_direction(code: str | None) -> str:
    """The `dir` of text in FLORES-200 language `code`: rtl or ltr by its script, auto when unknown."""
    if not code or "_" not in code:
        return "auto"
    return "rtl" if script_of(code) in RTL_SCRIPTS else "ltr"


def _cell(text: str, code: str | None, css: str = "text", after: str = "") -> str:
    """A text cell laid out in its language's direction; `after`: markup appended inside it."""
    return f"<td class=\"{css}\" dir=\"{text_direction(code)}\">{html.escape(text)}{after}</td>"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:2em;table-layout:fixed}
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;font-size:13px;word-wrap:break-word}
th{background:#f3f3f3}
tr.flagged td{background:#fff4e5}
td.flags{width:9em}
.qa{display:block;border:1px solid #b58900;color:#7a5c00;border-radius:3px;padding:0 4px;margin:1px 0;font-size:11px}
.qa.error{border-color:#c0392b;color:#c0392b}
.flag{display:block;background:#d9480f;color:#fff;border-radius:3px;padding:0 4px;margin:1px 0;font-size:11px;
      overflow-wrap:anywhere;white-space:normal}
.score{font-variant-numeric:tabular-nums;text-align:right}
.similarity{display:block;color:#666;font-size:11px;margin-top:2px}
.up{color:#2b8a3e}.down{color:#c92a2a}
img{max-width:100%}
"""
_SCRIPT = """
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message));
  document.body.dataset.scriptErrors = window.__errors.join(' | ');
});
document.addEventListener('DOMContentLoaded', function () {
  var rows = document.querySelectorAll('tr.segment');
  document.body.dataset.renderedSegments = String(rows.length);
  var box = document.getElementById('flagged-only');
  box.addEventListener('change', function () {
    rows.forEach(function (row) {
      row.style.display = (box.checked && !row.classList.contains('flagged')) ? 'none' : '';
    });
  });
  document.body.dataset.scriptErrors = window.__errors.join(' | ');
});
"""


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short_labels(doc_ids: list[str], width: int = 14) -> list[str]:
    """Axis labels: what tells the documents apart (a prefix they all share, like `flores-devtest-`, is dropped)."""
    common = os.path.commonprefix(doc_ids) if len(doc_ids) > 1 else ""
    common = common[:max(common.rfind("-"), common.rfind("_")) + 1]  # whole words only
    return [(d[len(common):] or d)[:width] for d in doc_ids]


def _plots(doc_scores: dict[str, dict[str, float]], flag_counts: dict[str, int]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = []
    if doc_scores:
        targets = sorted({t for scores in doc_scores.values() for t in scores})
        docs = sorted(doc_scores)
        figure, axis = plt.subplots(figsize=(8, 3))
        width = 0.8 / max(1, len(targets))
        for k, target in enumerate(targets):
            axis.bar([i + k * width for i in range(len(docs))], [doc_scores[d].get(target, 0) for d in docs],
                     width, label=target)
        axis.set_xticks([i + width * (len(targets) - 1) / 2 for i in range(len(docs))])
        axis.set_xticklabels(_short_labels(docs), rotation=20, fontsize=8)
        axis.set_ylabel("chrF2++")
        axis.legend(fontsize=8)
        plots.append(("chrF2++ per document and target", _png(figure)))
        plt.close(figure)
    figure, axis = plt.subplots(figsize=(8, 2.5))
    docs = sorted(flag_counts)
    axis.bar(range(len(docs)), [flag_counts[d] for d in docs], color="#d9480f")
    axis.set_xticks(range(len(docs)))
    axis.set_xticklabels(_short_labels(docs), rotation=20, fontsize=8)
    axis.set_ylabel("flagged translations")
    plots.append(("quality flags per document", _png(figure)))
    plt.close(figure)
    return plots


def _segment_references(out_dir: Path, references_dir: Path | None,
                        comet=None) -> tuple[dict, dict, list[str]]:
    """(segment_id, target) -> (reference, chrF2++, COMET or None), per-document corpus chrF2++ per target,
    notes. `comet`: a seedmt.eval.evaluate.NeuralScorer, or None."""
    if references_dir is None or not Path(references_dir).is_dir() or not reference_targets(references_dir):
        return {}, {}, ["no references: scores are not shown"]
    directions, notes = pair_dataset(out_dir, references_dir)
    per_segment, per_doc = {}, defaultdict(dict)
    for (_, target), paired in directions.items():
        comet_scores = comet.segment_scores(paired) if comet is not None else [None] * len(paired.references)
        for members, ref, chrf, comet_score in zip(paired.unit_segments, paired.references,
                                                   segment_chrf(paired.hypotheses, paired.references), comet_scores):
            for segment_id in members:  # segments sharing one reference show it on each row
                per_segment[(segment_id, target)] = (ref, chrf, comet_score)
        for doc_id, scores in per_document_scores(paired, {"chrF2++": metrics_for(target).chrf()}).items():
            per_doc[doc_id][target] = scores["chrF2++"]
    return per_segment, dict(per_doc), notes


def _comparison(out_dirs: list[Path], references_dir: Path | None, metrics: tuple[str, ...],
                comet_model: str | None) -> tuple[dict | None, str | None]:
    """`seedmt compare`'s report for the systems, or why there is none."""
    if references_dir is None or not Path(references_dir).is_dir() or not reference_targets(references_dir):
        return None, "no references: no significance tests"
    from seedmt.eval.compare import compare

    return compare(out_dirs, Path(references_dir), metrics=metrics, comet_model=comet_model), None


def _significance_table(report: dict, metric: str = "chrF2++", details: bool = True) -> str:
    """`metric` directions x systems on top; every metric's scores, intervals and p-values folded below."""
    from seedmt.eval.report import summary_rows

    esc = html.escape
    names, summary = summary_rows(report, metric)
    heading = f"Significance ({esc(report['test'])}, {report['samples']} samples)" if details else esc(metric)
    parts = [f"<h2>{heading}</h2>"
             f"<p>Baseline <code>{esc(report['baseline'])}</code>. {esc(metric)} per direction; other systems: score "
             "(Δ = score − baseline, * for p &lt; 0.05).</p><table class=\"significance summary\"><tr>"
             "<th>direction</th>" + "".join(f"<th>{esc(name)}</th>" for name in names) + "</tr>"]
    for direction, cells in summary:
        parts.append(f"<tr><td>{esc(direction)}</td>" + "".join(f"<td class=\"score\">{esc(c)}</td>" for c in cells)
                     + "</tr>")
    if not details:
        parts.append("</table>")
        return "".join(parts)
    parts.append("</table><details><summary>every metric, with 95% confidence intervals and p-values</summary>"
                 "<table class=\"significance\"><tr><th>direction</th><th>metric</th><th>system</th><th>score</th>"
                 "<th>Δ</th><th>95% CI</th><th>p</th></tr>")
    for block in report["directions"]:
        direction = f"{'all' if block['source_lang'] == '*' else block['source_lang']} → {block['target']}"
        for metric, result in block["metrics"].items():
            for row in result["systems"]:
                p = row["p_value"]
                p_text = "baseline" if p is None else f"{p:.4f}" + (" *" if p < 0.05 and not row.get("note") else "")
                ci = "—" if row["ci95"] is None else f"± {row['ci95']:.2f}"
                parts.append(f"<tr><td>{esc(direction)}</td><td>{esc(metric)}</td><td>{esc(row['system'])}</td>"
                             f"<td class=\"score\">{row['score']:.2f}</td><td class=\"score\">{row['delta']:+.2f}"
                             f"</td><td class=\"score\">{ci}</td><td>{esc(p_text)}</td></tr>")
    parts.append("</table></details>")
    return "".join(parts)


def _systems_plot(report: dict, metric: str = "chrF2++") -> tuple[str, str]:
    """Each system's score per direction with its 95% interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks = [b for b in report["directions"] if metric in b["metrics"]]
    systems = [s["name"] for s in report["systems"]]
    labels = [f"{'all' if b['source_lang'] == '*' else b['source_lang'][:8]}→{b['target'][:3]}" for b in blocks]
    figure, axis = plt.subplots(figsize=(max(6, 0.9 * len(blocks) + 2), 3.2))
    width = 0.8 / max(1, len(systems))
    for k, name in enumerate(systems):
        rows = [next(r for r in b["metrics"][metric]["systems"] if r["system"] == name) for b in blocks]
        axis.bar([i + k * width for i in range(len(blocks))], [r["score"] for r in rows], width,
                 yerr=[r["ci95"] or 0 for r in rows], capsize=2, label=name[:30])
    axis.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(blocks))])
    axis.set_xticklabels(labels, rotation=25, fontsize=8)
    axis.set_ylabel(metric)
    axis.legend(fontsize=8)
    title = f"{metric} per direction and system, with 95% confidence intervals"
    image = _png(figure)
    plt.close(figure)
    return title, image


def _human_evaluation_section(report: dict) -> str:
    """A human evaluation campaign's results: systems ranked in clusters, agreement, quality control, metrics."""
    esc = html.escape
    esa = report["protocol"] == "esa"
    rows = []
    for rank, cluster in enumerate(report["ranking"], 1):
        for system in cluster:
            s = report["systems"][system]
            ci = s["esa_ci95"] if esa else s["mqm_ci95"]
            value = f"{s['esa_mean']:.2f}" if esa else f"{s['mqm_per_segment']:.3f} ({s['mqm_per_100_words']:.3f} per 100 words)"
            rows.append(f"<tr><td>{rank}</td><td>{esc(system)}</td><td>{esc(value)}</td>"
                        f"<td>{esc(f'{ci[0]:.2f}-{ci[1]:.2f}') if ci else '-'}</td></tr>")
    agreement = report["agreement"]
    metrics = "".join(f"<tr><td>{esc(name)}</td><td>{m['kendall_tau']}</td><td>{m['pairwise_accuracy']}</td></tr>"
                      for name, m in report["metrics"].items())
    checks = "".join(f"<tr><td>{esc(a)}</td><td>{q['passed']} / {q['checks']}</td></tr>"
                     for a, q in report["quality_control"].items())
    return (f"<section class=\"human-evaluation\"><h2>Human evaluation ({esc(report['protocol'].upper())}, "
            f"{esc(report['target'])})</h2><p>{report['items']} items judged blind by {len(report['annotators'])} "
            "annotators; systems in one rank are not significantly different (paired permutation test).</p>"
            f"<table class=\"significance\"><tr><th>rank</th><th>system</th><th>{'ESA mean' if esa else 'MQM per segment'}"
            f"</th><th>95% CI</th></tr>{''.join(rows)}</table><p>Krippendorff's alpha ({esc(agreement['alpha_on'])}) on "
            f"{agreement['shared_items']} items judged twice: {agreement['krippendorff_alpha']}; span F1 "
            f"{agreement['span_f1']}.</p><table><tr><th>annotator</th><th>quality checks passed</th></tr>{checks}"
            "</table>" + (f"<table><tr><th>metric</th><th>segment Kendall tau</th><th>system pairwise accuracy</th>"
                          f"</tr>{metrics}</table>" if metrics else "") + "</section>")


def build_report(out_dir: Path, references_dir: Path | None = None,
                 compare_to: Path | list[Path] | None = None, *, comet_model: str | None = None,
                 campaign: Path | None = None, qa: dict | None = None) -> str:
    """The page for `out_dir`; `compare_to`: other datasets of the same segments (other checkpoints), each
    shown beside it with its per-segment chrF2++ difference, plus `seedmt compare`'s significance table.
    `comet_model` (a COMET Hub id or folder) adds a per-segment COMET column, a COMET summary matrix and a
    COMET plot with confidence intervals to the comparison. `campaign`: a human evaluation campaign
    (`seedmt humaneval`) whose results get a section of their own. `qa`: (segment_id, target) -> QA findings
    of that translation as (check, severity, message) (`seedmt.cat.qa`), shown beside the quality flags."""
    qa = qa or {}
    others = [] if compare_to is None else [compare_to] if isinstance(compare_to, (str, Path)) else list(compare_to)
    opened = open_dataset(out_dir)
    dataset, targets = opened.tables, opened.targets
    metrics = ("chrf", "comet") if comet_model else ("bleu", "chrf", "ter")
    comet = None
    if comet_model:
        from seedmt.eval.evaluate import NeuralScorer

        comet = NeuralScorer("COMET", comet_model)
    references, doc_scores, notes = _segment_references(Path(out_dir), references_dir, comet)
    other_rows, other_refs, other_names = [], [], []
    for other in others:
        other_rows.append({r["segment_id"]: r for r in open_dataset(other).tables[SEGMENTS]})
        other_refs.append(_segment_references(Path(other), references_dir)[0])
    if others:
        from seedmt.eval.compare import name_systems

        other_names = [system.name for system in name_systems([Path(out_dir), *map(Path, others)])[1:]]
    system = system_description(Path(out_dir))
    rows_by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in dataset[SEGMENTS]:
        rows_by_doc[row["doc_id"]].append(row)
    flag_counts = {doc: sum(bool(r["quality_flags"]) for r in rows) for doc, rows in rows_by_doc.items()}

    esc = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>seedmt report: "
             f"{esc(str(out_dir))}</title><style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>",
             f"<h1>seedmt report</h1><p>Dataset <code>{esc(str(out_dir))}</code>, model <code>{esc(system['model'])}"
             f"</code> ({esc(system['backend'])}, {esc(system['compute_type'])}).<br>Run: "
             f"<code>{esc(system['run_signature'])}</code></p>"]
    if others:
        listed = "".join(f"<li><code>{esc(name)}</code>: <code>{esc(str(other))}</code> (model "
                         f"<code>{esc(system_description(Path(other))['model'])}</code>)</li>"
                         for name, other in zip(other_names, others))
        parts.append(f"<p>Compared with (Δ = that system's chrF2++ − this dataset's, per segment):</p><ul>{listed}</ul>")
        comparison, why_not = _comparison([Path(out_dir), *map(Path, others)], references_dir, metrics, comet_model)
        if comparison is not None:
            for metric in ("chrF2++", "COMET") if comet else ("chrF2++",):
                parts.append(_significance_table(comparison, metric, details=metric == "chrF2++"))
                title, image = _systems_plot(comparison, metric)
                parts.append(f"<figure><img alt=\"{esc(title)}\" src=\"{image}\"><figcaption>{esc(title)}"
                             "</figcaption></figure>")
        else:
            notes.append(why_not)
    if campaign is not None:
        from seedmt.eval.humaneval import campaign_report

        parts.append(_human_evaluation_section(campaign_report(Path(campaign), references_dir)))
    parts += [f"<p>{esc(note)}</p>" for note in notes]
    for title, image in _plots(doc_scores, flag_counts):
        parts.append(f"<figure><img alt=\"{esc(title)}\" src=\"{image}\"><figcaption>{esc(title)}</figcaption>"
                     "</figure>")
    parts.append("<label><input type=\"checkbox\" id=\"flagged-only\"> flagged segments only</label>")
    for doc_id, rows in sorted(rows_by_doc.items()):
        rows.sort(key=lambda r: r["index"])
        source_lang = rows[0]["source_lang"]
        counts = Counter(flag for r in rows for flag in r["quality_flags"])
        summary = ", ".join(f"{esc(f)} {n}" for f, n in sorted(counts.items())) or "no quality flags"
        qa_counts = Counter(f"{target}:{check}" for r in rows for target in targets
                            for check, _, _ in qa.get((r["segment_id"], target), ()))
        if qa:
            summary += "; QA: " + (", ".join(f"{esc(c)} {n}" for c, n in sorted(qa_counts.items())) or "no findings")
        parts.append(f"<section class=\"document\" id=\"{esc(doc_id)}\"><h2>{esc(doc_id)} ({esc(source_lang)})</h2>"
                     f"<p>{summary}</p><table><tr><th style=\"width:4em\">#</th><th style=\"width:9em\">flags</th>"
                     f"<th>{esc(source_lang)}</th>")
        for target in targets:
            parts.append(f"<th class=\"translation\" data-target=\"{esc(target)}\">{esc(target)}</th>")
            if references:
                parts.append(f"<th>reference {esc(target)}</th><th style=\"width:4em\">chrF2++</th>")
                if comet:
                    parts.append("<th style=\"width:4em\" class=\"comet\">COMET</th>")
            for name in other_names:
                parts.append(f"<th class=\"translation\" data-target=\"{esc(target)}\">{esc(name)} {esc(target)}</th>"
                             "<th style=\"width:4em\">Δ</th>")
        parts.append("</tr>")
        for row in rows:
            flags = row["quality_flags"]
            findings = [(target, *finding) for target in targets for finding in qa.get((row["segment_id"], target), ())]
            badges = "".join(f"<span class=\"flag\">{esc(f)}</span>" for f in flags) + "".join(
                f"<span class=\"qa {esc(severity)}\" title=\"{esc(message)}\">{esc(target)}:{esc(check)}</span>"
                for target, check, severity, message in findings)
            parts.append(f"<tr class=\"segment{' flagged' if flags else ''}\" data-segment-id=\"{esc(row['segment_id'])}\">"
                         f"<td>{row['index']}</td><td class=\"flags\">{badges}</td>"
                         + _cell(row[TRANSLATION_COLUMN][source_lang], source_lang, "text source"))
            for target in targets:
                similarity = row.get(similarity_column(target))
                note = "" if similarity is None else \
                    f"<span class=\"similarity\" dir=\"ltr\">similarity {similarity:.2f}</span>"
                parts.append(_cell(row[TRANSLATION_COLUMN][target] or "", target, after=note))
                ref = references.get((row["segment_id"], target))
                if references:
                    parts.append((_cell(ref[0], target) if ref else "<td>—</td>") +
                                 f"<td class=\"score\">{f'{ref[1]:.1f}' if ref else '—'}</td>")
                    if comet:
                        value = ref[2] if ref else None
                        parts.append(f"<td class=\"score comet\">{'—' if value is None else f'{value:.3f}'}</td>")
                for rows_of_other, refs_of_other in zip(other_rows, other_refs):
                    other = rows_of_other.get(row["segment_id"])
                    other_ref = refs_of_other.get((row["segment_id"], target))
                    delta = other_ref[1] - ref[1] if ref and other_ref else None
                    css = "" if delta is None else (" up" if delta > 0 else " down" if delta < 0 else "")
                    parts.append((_cell(other[TRANSLATION_COLUMN][target] or "", target) if other else "<td>—</td>") +
                                 f"<td class=\"score{css}\">{'—' if delta is None else f'{delta:+.1f}'}</td>")
            parts.append("</tr>")
        parts.append("</table></section>")
    parts.append("</body></html>")
    return "\n".join(parts)
