"""seedmt.eval: scoring translation datasets against references (sacrebleu metrics and COMET), comparing
checkpoints with paired significance tests, reports, and the references themselves (reading, import, FLORES,
post-edits)."""
