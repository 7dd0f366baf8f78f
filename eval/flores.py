"""FLORES-200 / FLORES+ as a seedmt test set (`seedmt flores import`).

Reads a local copy in either published layout, or the Hub id through `datasets.load_dataset`:
- the FLORES-200 release: `flores200_dataset/<split>/<code>.<split>`, one sentence per line, the line number
  being the sentence id (SOURCE is `flores200_dataset/` or the folder holding it);
- FLORES+: parquet files with `iso_639_3`, `iso_15924`, `text` and an `id` column, one file per language or
  several languages per file, under a `<split>/` folder (the Hub dataset's layout) or named `<split>*.parquet`;
  also files without the ISO columns whose folder or name is the FLORES-200 code (`<code>/<split>-*.parquet`
  with `id` and `sentence`, FLORES-200's per-language layout on the Hub).
  Rows are matched across languages by id, so file order does not matter. FLORES+ writes Mandarin as
  `cmn_Hans` / `cmn_Hant`; they are NLLB's `zho_Hans` / `zho_Hant`.

Writes, under DIR:
- `seeds/flores-<split>-<code>.txt` per source language: one sentence per line in id order, with a `.lang`
  sidecar, for `seedmt translate --presegmented` (segment `<doc_id>:<i>` is sentence i, 0-based);
- `references/<target>/flores-<split>-<code>.jsonl`: segment-level references (`segment_id`, `source`,
  `text`, `flores_id`) for `seedmt eval`, `compare` and `report`;
- `references/README.md`: where the references came from (FLORES' human translations), file checksums."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from seedmt.core.files import write_text_atomically
from seedmt.core.errors import SeedMTError
from seedmt.core.languages import is_flores200
from seedmt.core.clock import utc_now
from seedmt.eval.references import (FLORES_IMPORT, Provenance, check_replaceable, reference_path, write_folder_provenance,
                                    write_reference)
from seedmt.text.segment import make_segment_id

SPLITS = ("dev", "devtest")
DEFAULT_TARGETS = ("eng_Latn", "zho_Hans")
# FLORES+ names Mandarin by its ISO 639-3 individual-language code; NLLB and FLORES-200 use the macrolanguage.
FLORES_PLUS_ALIASES = {"cmn_Hans": "zho_Hans", "cmn_Hant": "zho_Hant"}
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
ID_COLUMNS = ("id", "sentence_id")
TEXT_COLUMNS = ("text", "sentence")


class FloresError(SeedMTError):
    """The FLORES source cannot give what was asked (a language missing, sentence counts differing...)."""


@dataclass
class FloresSet:
    """Sentences per FLORES-200 code, all in the same id order."""

    split: str
    source: str  # the folder or Hub id read
    layout: str  # "flores200", "flores_plus" or "hub"
    ids: list[int]
    sentences: dict[str, list[str]]
    files: dict[str, str] = field(default_factory=dict)  # file read -> sha256


def doc_id_for(split: str, code: str) -> str:
    return f"flores-{split}-{code}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _flores200_folder(source: Path, split: str) -> Path | None:
    for candidate in (source / split, source / "flores200_dataset" / split):
        if candidate.is_dir() and any(candidate.glob(f"*.{split}")):
            return candidate
    if source.name == split and any(source.glob(f"*.{split}")):
        return source
    return None


def _read_flores200(folder: Path, split: str, codes: list[str], source: str) -> FloresSet:
    sentences, files = {}, {}
    for code in codes:
        path = folder / f"{code}.{split}"
        if not path.is_file():
            raise FloresError(f"{code}: no {path.name} in {folder}")
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        sentences[code] = [line.rstrip("\r") for line in lines]
        files[str(path)] = _sha256(path)
    count = len(next(iter(sentences.values())))
    return FloresSet(split, source, "flores200", list(range(1, count + 1)), sentences, files)


def _parquet_files(source: Path, split: str) -> list[Path]:
    files = sorted(source.rglob("*.parquet"))

    def in_split(path: Path) -> bool:
        relative = path.relative_to(source)
        stem = path.stem
        return split in relative.parts[:-1] or stem == split or re.match(rf"^{split}[-_.]", stem) is not None

    chosen = [path for path in files if in_split(path)]
    if not chosen and source.name == split:
        chosen = files
    return chosen


def _code_from_path(path: Path) -> str | None:
    """`vec_Latn/devtest-00000-of-00001.parquet` (the per-language layout of FLORES-200 on the Hub) or
    `devtest/kor_Hang.parquet`: the FLORES-200 code in the file's folder or name, if any."""
    for name in (path.parent.name, path.stem):
        if is_flores200(name) or name in FLORES_PLUS_ALIASES:
            return name
    return None


def _rows_from_parquet(files: list[Path]) -> list[dict]:
    import pyarrow.parquet as pq

    rows: list[dict] = []
    for path in files:
        table = pq.read_table(path)
        columns = set(table.column_names)
        id_column = next((c for c in ID_COLUMNS if c in columns), None)
        text_column = next((c for c in TEXT_COLUMNS if c in columns), None)
        path_code = None if {"iso_639_3", "iso_15924"} <= columns else _code_from_path(path)
        if id_column is None or text_column is None or ({"iso_639_3", "iso_15924"} - columns and path_code is None):
            raise FloresError(f"{path}: not a FLORES+ file (needs an id column, a text column and either "
                              "iso_639_3 + iso_15924 or a FLORES-200 code as its folder or file name)")
        for row in table.to_pylist():
            language, script = path_code.split("_") if path_code else (row["iso_639_3"], row["iso_15924"])
            rows.append({"iso_639_3": language, "iso_15924": script, "text": row[text_column],
                         "id": row[id_column]})
    return rows


def _from_rows(rows: list[dict], split: str, codes: list[str], source: str, layout: str,
               files: dict[str, str]) -> FloresSet:
    by_code: dict[str, dict[int, str]] = {}
    for row in rows:
        code = f"{row['iso_639_3']}_{row['iso_15924']}"
        code = FLORES_PLUS_ALIASES.get(code, code)
        sentence_id = int(row["id"])
        if sentence_id in by_code.setdefault(code, {}):
            raise FloresError(f"{code}: sentence id {sentence_id} appears twice in {source}")
        by_code[code][sentence_id] = row["text"]
    absent = [code for code in codes if code not in by_code]
    if absent:
        available = ", ".join(sorted(by_code)[:12]) + (" ..." if len(by_code) > 12 else "")
        raise FloresError(f"{', '.join(absent)}: not in {source} (split {split}; it has {available or 'nothing'})")
    reference_ids = sorted(by_code[codes[0]])
    sentences = {}
    for code in codes:
        ids = sorted(by_code[code])
        if ids != reference_ids:
            raise FloresError(f"{code}: {len(ids)} sentences, but {codes[0]} has {len(reference_ids)} "
                              f"(ids must match across languages)")
        sentences[code] = [by_code[code][i] for i in ids]
    return FloresSet(split, source, layout, reference_ids, sentences, files)


def _read_hub(dataset_id: str, split: str, codes: list[str]) -> FloresSet:
    try:
        from datasets import load_dataset

        rows = load_dataset(dataset_id, split=split).to_list()
    except Exception as err:  # noqa: BLE001 - offline, gated without a token, unknown id: one message
        raise FloresError(f"cannot load {dataset_id} (split {split}) from the Hugging Face Hub: {err}. FLORES+ "
                          "is gated: accept its terms on the Hub and log in (`hf auth login`), or pass a local "
                          "copy (a flores200_dataset/ folder or FLORES+ parquet files)") from None
    return _from_rows(rows, split, codes, dataset_id, "hub", {})


def read_flores(source: str | Path, codes: list[str], split: str = "devtest") -> FloresSet:
    """The sentences of `codes` (FLORES-200 codes) in `split`, from a local copy or a Hub dataset id."""
    if split not in SPLITS:
        raise FloresError(f"unknown split '{split}' (choose from {', '.join(SPLITS)})")
    bad = [code for code in codes if not is_flores200(code)]
    if bad:
        raise FloresError(f"not FLORES-200 codes: {', '.join(bad)}")
    path = Path(source).expanduser()
    if not path.exists():
        if HUB_ID.match(str(source)):
            return _read_hub(str(source), split, codes)
        raise FloresError(f"{source}: no such folder (pass a flores200_dataset/ folder, a folder of FLORES+ "
                          "parquet files, or a Hub dataset id)")
    folder = _flores200_folder(path, split)
    if folder is not None:
        flores = _read_flores200(folder, split, codes, str(path))
        counts = {code: len(lines) for code, lines in flores.sentences.items()}
        first = codes[0]
        for code, count in counts.items():
            if count != counts[first]:
                raise FloresError(f"{code}: {count} sentences, but {first} has {counts[first]}")
        return flores
    files = _parquet_files(path, split)
    if not files:
        raise FloresError(f"{path}: neither a FLORES-200 folder ({split}/<code>.{split}) nor FLORES+ parquet files "
                          f"for split {split}")
    return _from_rows(_rows_from_parquet(files), split, codes, str(path), "flores_plus",
                      {str(f): _sha256(f) for f in files})


def _provenance_readme(flores: FloresSet, sources: list[str], targets: list[str]) -> str:
    checksums = "\n".join(f"- `{name}`: sha256 `{digest}`" for name, digest in sorted(flores.files.items()))
    origin = {"flores200": "the FLORES-200 release (NLLB Team, 2022)",
              "flores_plus": "FLORES+ (Open Language Data Initiative), parquet files",
              "hub": "FLORES+ from the Hugging Face Hub"}[flores.layout]
    return (
        "# Reference translations — provenance\n\n"
        f"Imported by `seedmt flores import` on {utc_now()} from {origin}: `{flores.source}`, split "
        f"`{flores.split}`, {len(flores.ids)} sentences.\n\n"
        "- **Who made them**: FLORES' professional human translators, each language translated from the same "
        "English source sentences (Wikimedia projects); seedmt copied them unchanged.\n"
        f"- **Targets**: {', '.join(targets)}. **Sources (seeds)**: {', '.join(sources)}.\n"
        "- Each line's `flores_id` is the sentence's id in the set; `segment_id` is the segment of "
        "`seedmt translate --presegmented` on the matching seed.\n"
        "- **Licence**: FLORES-200 and FLORES+ are CC BY-SA 4.0.\n"
        + (f"\nFiles read:\n\n{checksums}\n" if checksums else "")
    )


def write_flores(flores: FloresSet, sources: list[str], targets: list[str], out_dir: Path, *,
                 force: bool = False) -> dict:
    """Seeds (one sentence per line + `.lang`) and references under `out_dir`; returns what was written. A
    reference file there that an earlier FLORES import did not write is kept unless `force`."""
    seeds_dir, references_dir = out_dir / "seeds", out_dir / "references"
    written = {"seeds": [], "references": []}
    planned = [(code, target) for code in sources for target in targets if target != code]
    check_replaceable([reference_path(references_dir, target, doc_id_for(flores.split, code))
                       for code, target in planned], (FLORES_IMPORT,), force)
    inputs = [{"role": "FLORES file", "path": name, "sha256": digest} for name, digest in sorted(flores.files.items())]
    for code in sources:
        doc_id = doc_id_for(flores.split, code)
        lines = flores.sentences[code]
        empty = [flores.ids[i] for i, line in enumerate(lines) if not line.strip()]
        if empty:
            raise FloresError(f"{code}: empty sentence(s) with id {', '.join(map(str, empty[:5]))}; one line per "
                              "segment needs text on every line")
        if any("\n" in line for line in lines):
            raise FloresError(f"{code}: a sentence contains a line break")
        seed = seeds_dir / f"{doc_id}.txt"
        write_text_atomically(seed, "\n".join(lines) + "\n")
        write_text_atomically(seed.with_suffix(".lang"), code + "\n")
        written["seeds"].append(str(seed))
        for target in targets:
            if target == code:
                continue
            records = [{"segment_id": make_segment_id(doc_id, i), "flores_id": flores.ids[i], "source": source,
                        "text": reference}
                       for i, (source, reference) in enumerate(zip(lines, flores.sentences[target]))]
            provenance = Provenance(FLORES_IMPORT, doc_id, target, inputs=inputs,
                                    settings={"source": flores.source, "layout": flores.layout, "split": flores.split,
                                              "source_lang": code},
                                    counts={"segments": len(records), "with_reference": len(records)})
            path = write_reference(references_dir, provenance, records, force=True)  # checked above
            written["references"].append(str(path))
    write_folder_provenance(references_dir, _provenance_readme(flores, sources, targets))
    return written


def import_flores(source: str | Path, sources: list[str], out_dir: Path, *, split: str = "devtest",
                  targets: tuple[str, ...] | list[str] = DEFAULT_TARGETS, force: bool = False) -> dict:
    """Read the languages of `sources` and `targets` from a FLORES copy and write seeds + references."""
    codes = list(dict.fromkeys([*sources, *targets]))
    flores = read_flores(source, codes, split)
    return write_flores(flores, list(sources), list(targets), Path(out_dir), force=force)
