"""Render evaluation and comparison results: JSON for machines, Markdown tables for people."""
from __future__ import annotations

from seedmt.eval.metrics import METRIC_ORDER


def _score(value, template: str = "{:.2f}") -> str:
    """A score as a table shows it; "-" where there is none (COMET with only re-segmented references)."""
    return "-" if value is None or value != value else template.format(value)


def _is_baseline(row: dict) -> bool:
    return row.get("baseline", row["p_value"] is None)


def _direction(block: dict) -> str:
    return f"{block['source_lang'] if block['source_lang'] != '*' else 'all'} → {block['target']}"


def _metrics_in(blocks: list[dict], key: str) -> list[str]:
    present = {name for block in blocks for name in block[key]}
    return [m for m in METRIC_ORDER if m in present]


def _signatures(blocks: list[dict], key: str, get) -> list[str]:
    seen: dict[str, None] = {}
    for block in blocks:
        for name, value in block[key].items():
            seen.setdefault(f"- {name}: `{get(value)}`", None)
    return list(seen)


def evaluation_markdown(report: dict) -> str:
    system = report["system"]
    blocks = report["directions"] + report["targets"]
    metrics = _metrics_in(blocks, "scores")
    lines = [f"# Evaluation of `{system['dataset']}`", "",
             f"Model `{system['model']}` ({system['backend']}, {system['compute_type']}); "
             f"references: `{report['references']}`.", "",
             "| direction | segments | " + " | ".join(metrics) + " |",
             "|---|---:|" + "---:|" * len(metrics)]
    for block in blocks:
        cells = [_score(block["scores"][m]["score"]) if m in block["scores"] else "-" for m in metrics]
        lines.append(f"| {_direction(block)} | {block['segments']} | " + " | ".join(cells) + " |")
    lines += ["", "Signatures:", *_signatures(blocks, "scores", lambda v: v["signature"])]
    if report["notes"]:
        lines += ["", "Notes:", *[f"- {n}" for n in report["notes"]]]
    return "\n".join(lines) + "\n"


def _p_value(row: dict) -> str:
    p = row["p_value"]
    if _is_baseline(row):
        return "baseline"
    if p is None:
        return "-"
    if row.get("note"):
        return f"{p:.4f} ({row['note']})"
    return f"{p:.4f}" + (" *" if p < 0.05 else "")


def summary_rows(report: dict, metric: str = "chrF2++") -> tuple[list[str], list[tuple[str, list[str]]]]:
    """System names, and per direction one cell per system: the baseline's score, each other system's score
    and Δ (`*` for p < 0.05)."""
    names = [s["name"] for s in report["systems"]]
    rows = []
    for block in (b for b in report["directions"] if metric in b["metrics"]):
        cells = []
        for row in block["metrics"][metric]["systems"]:
            if _is_baseline(row):
                cells.append(_score(row["score"]))
            else:
                star = " *" if row["p_value"] is not None and row["p_value"] < 0.05 and not row.get("note") else ""
                cells.append(f"{_score(row['score'])} ({_score(row['delta'], '{:+.2f}')}{star})")
        rows.append((_direction(block), cells))
    return names, rows


def summary_table(report: dict, metric: str = "chrF2++") -> list[str]:
    """Directions x systems, as Markdown lines (see `summary_rows`)."""
    names, rows = summary_rows(report, metric)
    if not rows:
        return []
    return [f"### Summary: {metric}", "", "| direction | " + " | ".join(f"`{n}`" for n in names) + " |",
            "|---|" + "---:|" * len(names), *[f"| {direction} | " + " | ".join(cells) + " |"
                                              for direction, cells in rows]]


def comparison_markdown(report: dict) -> str:
    lines = [f"# Checkpoint comparison ({report['test']}, {report['samples']} samples)", "",
             f"Baseline: `{report['baseline']}`. Δ = score − baseline; 95% CI of each score from the bootstrap; "
             "`*` marks p < 0.05: the chance of a difference at least this large if both systems were equally good.", ""]
    for system in report["systems"]:
        lines.append(f"- `{system['name']}`: model `{system['model']}` ({system['backend']}, "
                     f"{system['compute_type']})")
    lines += ["", *summary_table(report)]
    for block in report["directions"]:
        lines += ["", f"## {_direction(block)} ({block['segments']} segments)", "",
                  "| metric | system | score | Δ | 95% CI | p |", "|---|---|---:|---:|---:|---|"]
        for metric in _metrics_in([block], "metrics"):
            for row in block["metrics"][metric]["systems"]:
                ci = _score(row["ci95"], "± {:.2f}")
                lines.append(f"| {metric} | {row['system']} | {_score(row['score'])} | "
                             f"{_score(row['delta'], '{:+.2f}')} | {ci} | {_p_value(row)} |")
    lines += ["", "Signatures:", *_signatures(report["directions"], "metrics", lambda v: v["signature"])]
    if report["notes"]:
        lines += ["", "Notes:", *[f"- {n}" for n in report["notes"]]]
    return "\n".join(lines) + "\n"
