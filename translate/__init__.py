"""seedmt.translate: seeds -> language ID -> segmentation -> NLLB translation -> aligned dataset."""
