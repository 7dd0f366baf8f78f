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

from pathlib import Path

from seedmt.core.errors import SeedMTError
from seedmt.eval.post_edits import ReviewSource, reviewed_provenance, reviewed_references
from seedmt.eval.references import REVIEW_EXPORT, check_replaceable, reference_path, write_reference


def export_references(dataset_dir: Path, references_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the reviewed translations of the dataset in `dataset_dir` as references; returns the files."""
    references = reviewed_references(Path(dataset_dir))
    if not references:
        raise SeedMTError(f"nothing to export: no translation of {dataset_dir} is accepted or post-edited yet")
    # every file checked before any is written: a refused export changes nothing
    check_replaceable([reference_path(references_dir, r.target, r.doc_id) for r in references], (REVIEW_EXPORT,),
                      force)
    source = ReviewSource.of(dataset_dir)  # the dataset and the store read and fingerprinted once
    return [write_reference(references_dir, reviewed_provenance(r, source, REVIEW_EXPORT), r.lines, force=force)
            for r in references]
