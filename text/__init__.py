"""seedmt.text: from a file to segments: read a seed (`ingest`), identify its language (`langid`), split it
into paragraphs and sentences that reconstruct it exactly (`segment`)."""
