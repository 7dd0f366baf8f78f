"""seedmt eval: scoring translation datasets against references/, and comparing checkpoints."""
