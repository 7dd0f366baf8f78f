"""seedmt.review: the review app (`seedmt review`): review, post-edit, accept and reject translations in the
browser, and export what people decided as references. Decisions live in the review store
(`seedmt.dataset.reviews`), beside the dataset."""
