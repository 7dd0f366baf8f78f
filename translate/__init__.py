"""seedmt translate: seeds -> language ID -> segmentation -> NLLB translation -> aligned dataset."""
__version__ = "0.1.0"
