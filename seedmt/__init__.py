"""seedmt: a machine-translation and alignment workbench.

The code lives in two packages, `seedmt.translate` (seeds -> language ID -> segmentation -> NLLB translation
-> aligned dataset) and `seedmt.eval` (references, sacrebleu scores, significance tests, reports)."""
__version__ = "0.1.0"
