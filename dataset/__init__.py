"""seedmt.dataset: the translation dataset: its schema (declared once), storage on disk, and publishing."""
