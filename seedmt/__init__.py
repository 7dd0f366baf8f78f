"""seedmt: a machine-translation and alignment workbench.

Packages, from the top layer down (each imports only those below it; README "Architecture"):
`seedmt.cli` (the command line), `seedmt.eval` and `seedmt.translate`, `seedmt.align` and `seedmt.dataset`,
`seedmt.text` (reading, language ID, segmentation), `seedmt.core` (errors, languages, atomic files)."""
__version__ = "0.1.0"
