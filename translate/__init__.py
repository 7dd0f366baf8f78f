"""seedmt.translate: the translation job (`pipeline`): prepared documents -> engine (`engines`, `ray_engine`) ->
backend (`backends/`) -> quality flags and similarity -> the dataset on disk (seedmt.dataset)."""
