"""Documents in, links out: read a text and its translation, identify their languages, split them into
sentences as `seedmt translate` does, and align them (the API behind `seedmt align`)."""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from seedmt.align.aligner import AlignSettings, AnchorError, Link, align_sentences
from seedmt.align.links import ACCEPTED, ALIGNER, ORIGINS
from seedmt.core.errors import SeedMTError
from seedmt.align.embed import CachingEmbedder, Embedder, StoredEmbedder, embedder_for
from seedmt.core.languages import sentence_joiner
from seedmt.text.langid import DEFAULT_IDENTIFIER, check_identifier
from seedmt.text.prepare import prepare_text

# Sentence counts this far apart usually mean the wrong pair of files, or a partial translation.
SUSPICIOUS_COUNT_RATIO = 4.0


@dataclass
class AlignedDocuments:
    source_lang: str
    target_lang: str
    source: list[str]  # sentences
    target: list[str]
    links: list[Link]
    warnings: list[str]
    encoder: str = ""  # the sentence encoder that served (its name, as embedding caches key it)

    @property
    def joiners(self) -> tuple[str, str]:
        return sentence_joiner(self.source_lang), sentence_joiner(self.target_lang)

    def jsonl(self) -> str:
        return "".join(json.dumps(link.record(self.source, self.target, self.joiners), ensure_ascii=False) + "\n"
                       for link in self.links)

    def tsv(self) -> str:
        """Two-column bitext of the linked pairs (unlinked sentences left out), one pair per line."""
        def cell(text: str) -> str:
            return " ".join(text.split())  # a tab or newline inside a sentence must not break the columns

        rows = [link.record(self.source, self.target, self.joiners) for link in self.links
                if link.source_indices and link.target_indices]
        return "".join(f"{cell(r['source_text'])}\t{cell(r['target_text'])}\n" for r in rows)


class LinksFileError(SeedMTError):
    """A JSONL of links that cannot be read, or that is not an alignment of the two documents at hand."""


def links_from_jsonl(text: str, where: str, source: list[str], target: list[str], joiners: tuple[str, str],
                     default_origin: str = ALIGNER) -> list[Link]:
    """Links of a `seedmt align` / alignment-editor JSONL, checked against the two documents' sentences: indices
    in range, and a line's `source_text` / `target_text`, when given, still the text of those sentences (links
    made on another version of a document would name the wrong sentences). `where` names the file in errors."""
    links = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            sources = tuple(int(k) for k in record["source_indices"])
            targets = tuple(int(k) for k in record["target_indices"])
            origin = record.get("origin", default_origin)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LinksFileError(f"{where}:{number}: expected a JSON link with source_indices and "
                                 "target_indices") from None
        for side, indices, sentences, joiner in (("source", sources, source, joiners[0]),
                                                 ("target", targets, target, joiners[1])):
            if any(not 0 <= k < len(sentences) for k in indices):
                raise LinksFileError(f"{where}:{number}: the {side} document has {len(sentences)} sentences")
            expected = record.get(f"{side}_text")
            if expected is not None and expected != joiner.join(sentences[k] for k in indices):
                raise LinksFileError(f"{where}:{number}: its {side}_text is not {side} sentence(s) {list(indices)} "
                                     "of this document (made on another version of it, or split differently?)")
        links.append(Link(sources, targets, record.get("score"), bool(record.get("needs_review")),
                          origin if origin in ORIGINS else default_origin))
    return links


def read_anchors(path, source: list[str], target: list[str], joiners: tuple[str, str]) -> list[Link]:
    """Links to keep, from a JSONL of links (`seedmt align` output, or the alignment editor's); links without
    an `origin` a person gave them count as accepted."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LinksFileError(f"{path}: cannot read ({err})") from None
    return [Link(x.source_indices, x.target_indices, None, False, x.origin if x.is_anchor else ACCEPTED)
            for x in links_from_jsonl(text, str(path), source, target, joiners, ACCEPTED)]


@dataclass
class PreparedPair:
    """A document and its translation read, their languages known, split into sentences."""
    source_path: Path
    target_path: Path
    source_lang: str
    target_lang: str
    source: list[str]
    target: list[str]
    paragraphs: tuple[list[bool], list[bool]] | None  # per side, the first sentence of each paragraph
    warnings: list[str]


def prepare_pair(source_path, target_path, *, source_lang: str | None = None, target_lang: str | None = None,
                 presegmented: bool = False, lid: str = DEFAULT_IDENTIFIER) -> PreparedPair:
    """Read two plain-text documents and split them into sentences (one line = one sentence with
    `presegmented`, which says nothing about paragraphs). Raises SeedMTError naming the file for a bad input."""
    source = prepare_text(source_path, source_lang, lid=lid, role="source", presegmented=presegmented)
    target = prepare_text(target_path, target_lang, lid=lid, role="target", presegmented=presegmented)
    warnings = []
    counts = sorted((len(source.segments), len(target.segments)))
    if counts[1] > SUSPICIOUS_COUNT_RATIO * max(counts[0], 1):
        warnings.append(f"{source_path} has {len(source.segments)} sentences and {target_path} "
                        f"{len(target.segments)}: most sentences will stay unlinked; check that the second file "
                        "translates the first")
    paragraphs = None if presegmented else (list(source.paragraph_starts), list(target.paragraph_starts))
    return PreparedPair(Path(source_path), Path(target_path), source.lang, target.lang, list(source.sentences),
                        list(target.sentences), paragraphs, warnings)


def align_prepared(pair: PreparedPair, embedder: Embedder, settings: AlignSettings | None = None,
                   anchors_path=None) -> AlignedDocuments:
    """Align a prepared pair with the encoder that serves its languages (`embedder_for`)."""
    joiners = (sentence_joiner(pair.source_lang), sentence_joiner(pair.target_lang))
    anchors = read_anchors(anchors_path, pair.source, pair.target, joiners) if anchors_path else ()
    serving = embedder_for(embedder, pair.source_lang, pair.target_lang)
    try:
        links = align_sentences(pair.source, pair.target, serving, joiners, settings, anchors, pair.paragraphs)
    except AnchorError as err:
        raise AnchorError(f"{anchors_path}: {err}") from None
    return AlignedDocuments(pair.source_lang, pair.target_lang, pair.source, pair.target, links, pair.warnings,
                            getattr(serving, "name", type(serving).__name__))


def align_documents(source_path, target_path, embedder: Embedder, *, source_lang: str | None = None,
                    target_lang: str | None = None, presegmented: bool = False, lid: str = DEFAULT_IDENTIFIER,
                    settings: AlignSettings | None = None, anchors_path=None) -> AlignedDocuments:
    """Read two plain-text documents (a text and its translation), split them into sentences, align them.
    `anchors_path`: a JSONL of links to keep as they are (`read_anchors`); the rest is aligned around them.
    Raises SeedMTError naming the file for a bad input, IdentifierConfigError for an unusable `lid`."""
    check_identifier(lid)
    pair = prepare_pair(source_path, target_path, source_lang=source_lang, target_lang=target_lang,
                        presegmented=presegmented, lid=lid)
    return align_prepared(pair, embedder, settings, anchors_path)


@dataclass(frozen=True)
class PairPaths:
    """One pair of a many-pair run: the document, its translation, and where its links go."""
    source: Path
    target: Path
    out: Path


class PairListError(SeedMTError):
    """Folders or a pair list that do not name pairs of documents."""


def pairs_in_folders(source_dir, target_dir, out_dir, suffix: str = ".jsonl") -> tuple[list[PairPaths], list[Path]]:
    """The pairs of two folders: files with the same base name (`001.zh` and `001.en`, or `a.txt` in both),
    each written to `out_dir/<base name><suffix>`; and the files without a partner in the other folder."""
    source_dir, target_dir, out_dir = Path(source_dir), Path(target_dir), Path(out_dir)

    def by_stem(folder: Path) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            if path.stem in files:
                raise PairListError(f"{folder}: {files[path.stem].name} and {path.name} share the base name "
                                    f"'{path.stem}'; pair the files with --pairs instead")
            files[path.stem] = path
        return files

    for folder in (source_dir, target_dir):
        if not folder.is_dir():
            raise PairListError(f"{folder}: not a folder")
    sources, targets = by_stem(source_dir), by_stem(target_dir)
    paired = sorted(set(sources) & set(targets))
    if not paired:
        raise PairListError(f"{source_dir} and {target_dir}: no files with the same base name in both")
    alone = [sources.get(stem) or targets[stem] for stem in sorted(set(sources) ^ set(targets))]
    return [PairPaths(sources[stem], targets[stem], out_dir / f"{stem}{suffix}") for stem in paired], alone


def pairs_from_list(list_path, out_dir, suffix: str = ".jsonl") -> list[PairPaths]:
    """The pairs a TSV names, one per line: `source<TAB>translation`, optionally `<TAB>output`; relative paths
    are taken from the list's folder; an output defaults to `out_dir/<source base name><suffix>`. Blank lines and
    lines starting with # are skipped."""
    list_path, out_dir = Path(list_path), Path(out_dir)
    try:
        text = list_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PairListError(f"{list_path}: cannot read ({err})") from None
    pairs, seen = [], {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.rstrip("\r").split("\t")
        if len(cells) not in (2, 3) or not all(c.strip() for c in cells):
            raise PairListError(f"{list_path}:{number}: expected source<TAB>translation[<TAB>output], found "
                                f"{len(cells)} column(s)")
        source, target = (list_path.parent / cells[0].strip(), list_path.parent / cells[1].strip())
        out = list_path.parent / cells[2].strip() if len(cells) == 3 else out_dir / f"{source.stem}{suffix}"
        if out in seen:
            raise PairListError(f"{list_path}:{number}: writes {out} as line {seen[out]} does")
        seen[out] = number
        pairs.append(PairPaths(source, target, out))
    if not pairs:
        raise PairListError(f"{list_path}: names no pair")
    return pairs


def align_pairs(pairs: Sequence[PairPaths], embedder: Embedder, *, source_lang: str | None = None,
                target_lang: str | None = None, presegmented: bool = False, lid: str = DEFAULT_IDENTIFIER,
                settings: AlignSettings | None = None, progress: bool | None = None
                ) -> Iterator[tuple[PairPaths, AlignedDocuments | SeedMTError]]:
    """Align many pairs in one run: every document read first, the sentences of all pairs an encoder serves
    embedded together in shared batches (the encoder loaded once), then each pair aligned. Yields each pair with
    its alignment, or with the error that stopped it (a bad file stops only its own pair). `progress`: a
    progress bar over the pairs (None: only on a terminal)."""
    from tqdm.auto import tqdm

    check_identifier(lid)
    prepared: list[tuple[PairPaths, PreparedPair | SeedMTError]] = []
    for paths in pairs:
        try:
            prepared.append((paths, prepare_pair(paths.source, paths.target, source_lang=source_lang,
                                                 target_lang=target_lang, presegmented=presegmented, lid=lid)))
        except SeedMTError as err:
            prepared.append((paths, err))
    by_encoder: dict[int, tuple[Embedder, list[str]]] = {}
    for _, pair in prepared:
        if isinstance(pair, PreparedPair):
            serving = embedder_for(embedder, pair.source_lang, pair.target_lang)
            texts = by_encoder.setdefault(id(getattr(serving, "inner", serving)), (serving, []))[1]
            texts += pair.source + pair.target
    for serving, texts in by_encoder.values():
        if isinstance(serving, (CachingEmbedder, StoredEmbedder)):  # what it embeds now, the alignments reuse
            serving.embed(list(dict.fromkeys(texts)))
    for paths, pair in tqdm(prepared, desc="aligning", unit="pair", disable=(not progress) if progress is not None
                            else None):
        if isinstance(pair, SeedMTError):
            yield paths, pair
            continue
        try:
            yield paths, align_prepared(pair, embedder, settings)
        except SeedMTError as err:
            yield paths, err
