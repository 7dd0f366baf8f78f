"""seedmt.align: cross-lingual sentence embeddings and the sentence aligner (Vecalign's method), plus the
source-translation similarity score built on the same embeddings."""
