"""Translators' instruments: QA checks, glossaries, a translation memory with concordance, and XLIFF/TMX files
that CAT tools (OmegaT, Trados, memoQ, Phrase) read and write."""
