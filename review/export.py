"""`seedmt review export`: what reviewers accepted or post-edited becomes references.

For each document and target with at least one accepted or post-edited translation, one segment-level
reference file `references/<target>/<doc_id>.jsonl` (the shape `seedmt eval` reads; built by
`seedmt.eval.post_edits`): a post-edit or an accepted translation is the segment's `text`, with `origin`
"post-edited" or "accepted as is", the reviewer and the date; every other segment gets `skip` with the reason
(not reviewed, or rejected and why). `<doc_id>.provenance.json` beside it says how the file was made: by
`seedmt review export`, from which dataset and translation system, by whom, when, and how many segments of
each kind.

A reference file that this export did not write (a human translation, an import) is never replaced without
`force`: the export stops before writing anything and names the files."""
from __future__ import annotations

import json
from pathlib import Path

from seedmt.core.clock import utc_now
from seedmt.core.errors import SeedMTError
from seedmt.core.files import write_text_atomically
from seedmt.dataset.storage import open_dataset
from seedmt.eval.post_edits import reference_jsonl, reviewed_references
from seedmt.eval.references import REFERENCE_SUFFIX

MADE_BY = "seedmt review export"


def _written_by_this_export(reference: Path) -> bool:
    try:
        provenance = json.loads(reference.with_suffix(".provenance.json").read_text(encoding="utf-8"))
        return provenance.get("made_by") == MADE_BY
    except (OSError, ValueError, AttributeError):
        return False


def export_references(dataset_dir: Path, references_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the reviewed translations of the dataset in `dataset_dir` as references; returns the files."""
    references = reviewed_references(Path(dataset_dir))
    if not references:
        raise SeedMTError(f"nothing to export: no translation of {dataset_dir} is accepted or post-edited yet")
    run = open_dataset(dataset_dir).run
    planned = [(Path(references_dir) / r.target / f"{r.doc_id}{REFERENCE_SUFFIX}", r) for r in references]
    protected = [str(out) for out, _ in planned if out.exists() and not _written_by_this_export(out)]
    if protected and not force:
        raise SeedMTError(f"{len(protected)} reference file(s) were not written by a review export and would be "
                          f"replaced: {', '.join(protected[:3])}{' ...' if len(protected) > 3 else ''}; pass "
                          "--force to replace them, or --references DIR to write elsewhere")
    exported_at = utc_now()
    for out, reference in planned:
        provenance = {"doc_id": reference.doc_id, "target": reference.target, "made_by": MADE_BY,
                      "dataset": str(dataset_dir), "run_id": run["run_id"], "system": run["signature"],
                      "reviewers": sorted(reference.reviewers), "exported_at": exported_at,
                      "segments": len(reference.lines), **dict(reference.kinds),
                      "mean_hter": round(sum(reference.hters) / len(reference.hters), 2) if reference.hters else None}
        write_text_atomically(out, reference_jsonl(reference.lines))
        write_text_atomically(out.with_suffix(".provenance.json"),
                              json.dumps(provenance, indent=2, ensure_ascii=False) + "\n")
    return [out for out, _ in planned]
