"""`seedmt references import`: a document-level translation of a seed (the human translation it was made
from, say) becomes segment-level references: the sentence aligner links the translation's sentences to the
seed's segments, a segment the translator merged with its neighbour shares one reference (`joined_with`), a
segment with no counterpart gets `skip`, and a provenance file says where it all came from."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from seedmt.align.embed import embedder_for
from seedmt.align.aligner import AlignSettings, align_sentences
from seedmt.align.links import ALIGNER
from seedmt.core.errors import SeedMTError
from seedmt.core.languages import sentence_joiner
from seedmt.eval.references import IMPORTED, Provenance, check_replaceable, file_input, reference_path, write_reference
from seedmt.text.langid import DEFAULT_IDENTIFIER, check_identifier
from seedmt.text.prepare import prepare_text



def find_seed(seed: str, seeds_dir: Path) -> Path:
    """A seed file path, or a document id looked up as `<seeds_dir>/<id>.txt`."""
    path = Path(seed)
    if path.is_file():
        return path
    candidate = Path(seeds_dir) / f"{seed}.txt"
    if candidate.is_file():
        return candidate
    raise SeedMTError(f"no seed '{seed}': neither a file nor {candidate}")


def reference_lines(segments, links, target_sentences: list[str], target: str, origin: str) -> list[dict]:
    """One reference line per seed segment from alignment links (see the module docstring for the shapes)."""
    lines: list[dict] = []
    for link in links:
        if not link.source_indices:
            continue  # a translation sentence with no source segment has nothing to be a reference for
        group = [segments[i] for i in link.source_indices]
        if not link.target_indices:
            how = "sentence aligner" if link.origin == ALIGNER else f"sentence aligner, {link.origin} by a person"
            lines += [{"segment_id": s.segment_id, "source": s.text,
                       "skip": f"no counterpart in {origin} ({how})"} for s in group]
            continue
        text = sentence_joiner(target).join(target_sentences[j] for j in link.target_indices)
        lines.append({"segment_id": group[0].segment_id, "source": group[0].text, "text": text,
                      "score": link.score, "needs_review": link.needs_review,
                      # how the link was made, when a person corrected the alignment (the alignment editor)
                      **({"link": link.origin} if link.origin != ALIGNER else {})})
        lines += [{"segment_id": s.segment_id, "source": s.text, "joined_with": group[0].segment_id}
                  for s in group[1:]]
    return lines


def import_reference(seed: str, translation: Path, target: str, references_dir: Path, embedder, *,
                     seeds_dir: Path = Path("seeds"), source_lang: str | None = None, lid: str = DEFAULT_IDENTIFIER,
                     force: bool = False) -> tuple[Path, dict]:
    """Align a document-level translation of a seed to seedmt's segmentation of the seed and write it as
    `references/<target>/<doc_id>.jsonl` (plus `<doc_id>.provenance.json`). Returns the file and provenance."""
    seed_path = find_seed(seed, seeds_dir)
    out = reference_path(references_dir, target, seed_path.stem)
    check_replaceable([out], (), force)  # found before the work: any file there needs --force
    check_identifier(lid)
    seed_text = prepare_text(seed_path, source_lang, lid=lid, role="source")
    document, language, segments = seed_text.document, seed_text.lang, seed_text.segments
    translated = prepare_text(translation, target, lid=lid, role="target")
    target, target_sentences = translated.lang, translated.sentences
    settings = AlignSettings()
    embedder = embedder_for(embedder, language, target)
    links = align_sentences([s.text for s in segments], target_sentences, embedder,
                            (sentence_joiner(language), sentence_joiner(target)), settings,
                            paragraph_starts=(seed_text.paragraph_starts, translated.paragraph_starts))
    lines = reference_lines(segments, links, target_sentences, target, Path(translation).name)
    scored = [line["score"] for line in lines if line.get("score") is not None]
    seed_copy, translation_copy = copy_names(document.doc_id)
    provenance = Provenance(
        IMPORTED, document.doc_id, target,
        inputs=[file_input("seed", seed_path), file_input("translation", translation)],
        settings={"aligner": asdict(settings), "embedder": getattr(embedder, "name", type(embedder).__name__)},
        counts={"segments": len(segments), "translation_sentences": len(target_sentences),
                "with_reference": sum("text" in line for line in lines),
                "joined": sum("joined_with" in line for line in lines),
                "skipped": sum("skip" in line for line in lines),
                "unlinked_translation_sentences": sum(len(link.target_indices) for link in links
                                                      if not link.source_indices),
                "needs_review": sum(bool(line.get("needs_review")) for line in lines),
                "mean_score": round(sum(scored) / len(scored), 4) if scored else None},
        # the two documents as they were aligned, kept beside the reference: the alignment editor reopens an
        # import from these copies (it never opens a path written elsewhere)
        details={"source_lang": language, "seed_copy": seed_copy, "translation_copy": translation_copy})
    write_reference(references_dir, provenance, lines, force=force, replaces=(),
                    companions={seed_copy: document.text, translation_copy: translated.document.text})
    return out, provenance


def copy_names(doc_id: str) -> tuple[str, str]:
    """Where, relative to the folder of `<doc_id>.jsonl`, an import keeps its seed and translation as aligned
    (the seed copy keeps the document id as its file name, so that reopening it gives the same segment ids)."""
    return f"sources/{doc_id}.txt", f"translations/{doc_id}.txt"
