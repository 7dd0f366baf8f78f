"""Publish a translated dataset: the Hugging Face Hub layout (parquet per config + dataset card), TMX 1.4
for translators' tools, and Moses-style parallel text per direction for MT tooling.

    from seedmt.dataset.publish import export_for_hub
    export_for_hub(Path("out/translations"), Path("out/export"))
    datasets.load_dataset("out/export", "segments")

`--push REPO_ID` uploads the export folder with huggingface_hub; the token comes from the usual places
(`HF_TOKEN`, `hf auth login`) and is never printed."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from seedmt.core.files import staged_folder
from seedmt.dataset.storage import dataset_targets, open_dataset
from seedmt.core.errors import SeedMTError
from seedmt.core.languages import iso639_1
from seedmt.dataset.reviews import ACCEPTED, CONTROL_CHARACTERS, EDITED, REJECTED, current_reviews, hter
from seedmt.dataset.schema import (DOCUMENTS, RUNS, SEGMENTS, TABLES, TRANSLATION_COLUMN, post_edit_column,
                                   review_column, segments_features, target_column)
from seedmt.dataset.storage import review_columns

# Characters XML 1.0 forbids even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iso_language(flores_code: str) -> str:
    """ISO 639-1 where one exists (zh keeps its script: zh-Hans), else the FLORES-200 language part."""
    language, _, script = flores_code.partition("_")
    iso = iso639_1(flores_code) or language
    return f"{iso}-{script}" if iso == "zh" else iso


def size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return name
    return "n>1M"


def dataset_card(dataset, references_note: str | None, review_note: str | None = None,
                 human_evaluation: str | None = None, qa_note: str | None = None) -> str:
    documents, segments, runs = dataset[DOCUMENTS], dataset[SEGMENTS], dataset[RUNS]
    sources = sorted(set(documents["source_lang"]))
    targets = sorted(dataset_targets(dataset))
    languages = sorted({iso_language(c).split("-")[0] for c in sources + targets})
    configs = "\n".join(f"- config_name: {name}\n  data_files:\n  - split: train\n    path: {name}/train-*.parquet"
                        for name in TABLES)
    header = ("---\nlanguage:\n" + "".join(f"- {code}\n" for code in languages) +
              "license: other\nlicense_name: mixed\n"
              "license_details: Source documents keep their publishers' terms (unknown); translations by the "
              "models listed below; references in references/ are CC BY 4.0.\n"
              f"task_categories:\n- translation\nsize_categories:\n- {size_category(len(segments))}\n"
              f"pretty_name: seedmt aligned translations\nconfigs:\n{configs}\n---\n")
    run_lines = []
    for run in runs:
        revision = run["revision"] or f"local folder, weights fingerprint {run['weights_fingerprint']}"
        run_lines.append(f"- `{run['signature']}`: model `{run['model']}` (revision: {revision}), backend "
                         f"{run['backend']} ({run['compute_type']} on {run['device']}), decoding {run['decoding']}, "
                         f"{run['started_at']} to {run['finished_at']}")
    documents_translations = "full translation per target (`translation_<code>`), " \
        if any(c.startswith("translation_") for c in documents.column_names) else \
        "no full translations (this export holds reviewed sentence pairs only: see `segments`), "
    body = f"""
# seedmt aligned translations

{len(documents)} source documents in {', '.join(sources)}, split into {len(segments)} sentence segments with
character offsets, each translated into {', '.join(targets)} by the runs below. Produced with
[seedmt](https://pypi.org/project/seedmt/) (`seedmt translate`, then `seedmt publish`).

## Configs

- `documents`: one row per source document: id, file name, detected language (method, confidence), text,
  {documents_translations}targets copied because the source is already in them.
- `segments`: one row per sentence: id `<doc_id>:<index>`, paragraph and sentence index, offsets into the
  document text, `translation` (source and every target under their FLORES-200 codes), quality flags.
- `runs`: provenance of each translation run (model, revision, backend, decoding settings, package versions,
  start and end time).

## Provenance

{chr(10).join(run_lines)}

## References

{references_note or 'No reference translations were published with this export.'}

## Review

{review_note or 'No translation has been reviewed by a person.'}

{human_evaluation + chr(10) if human_evaluation else ''}{('## QA checks' + chr(10) + chr(10) + qa_note + chr(10) + chr(10)) if qa_note else ''}## Known limitations

- Machine translations; only those with a `review_<target>` of accepted or edited were checked by a person.
  `segments.quality_flags` marks segments whose translation
  looks off-target, repetitive, of implausible length or untranslated (heuristics, no reference needed).
- Language identification (`documents.lang_method`: heliport with py3langid as a second opinion, unless set
  by hand) decides each document's source language; `lang_runner_up` and `lang_margin` show how clear-cut
  the decision was.
- Web-page boilerplate in the sources is translated like the article text.
"""
    return header + body


def with_current_reviews(dataset, out_dir: Path):
    """The dataset with review_<target> and post_edit_<target> taken from the review store as it is now."""
    targets = sorted(dataset_targets(dataset))
    segments = dataset[SEGMENTS]
    reviews = current_reviews(out_dir, [(row["segment_id"], t, row[TRANSLATION_COLUMN][t])
                                        for row in segments for t in targets])
    features = segments_features(segments.features[TRANSLATION_COLUMN].languages, targets)
    # keep_in_memory: `datasets` would otherwise write cache-*.arrow files into the dataset folder (which may be
    # read-only, and whose contents review export fingerprints)
    dataset[SEGMENTS] = segments.map(
        lambda row: review_columns(row["segment_id"], targets, row["copied_targets"], reviews), features=features,
        keep_in_memory=True)
    return dataset


def reviewed_pairs_only(dataset):
    """Segments with at least one accepted or post-edited translation; each target holds the text the reviewer
    stands behind (the post-edit, or the machine translation accepted as is), the others nothing."""
    targets = sorted(dataset_targets(dataset))

    def final(row):
        translation = dict(row[TRANSLATION_COLUMN])
        for t in targets:
            if t == row["source_lang"]:
                continue
            status = row[review_column(t)]
            translation[t] = row[post_edit_column(t)] if status == EDITED else \
                translation[t] if status == ACCEPTED else None
        return {TRANSLATION_COLUMN: translation}

    kept = dataset[SEGMENTS].filter(lambda row: any(row[review_column(t)] in (ACCEPTED, EDITED) for t in targets),
                                    keep_in_memory=True)
    dataset[SEGMENTS] = kept.map(final, features=kept.features, keep_in_memory=True)
    # A document's full translation is machine text nobody reviewed as a whole: it is left out, not published.
    documents = dataset[DOCUMENTS]
    dataset[DOCUMENTS] = documents.remove_columns([c for c in documents.column_names
                                                   if c in {target_column(t) for t in targets}])
    return dataset


def review_summary(dataset) -> str:
    """The card's paragraph on what people reviewed: counts per status and the mean HTER of the edits."""
    targets = sorted(dataset_targets(dataset))
    counts, effort = defaultdict(int), []
    for row in dataset[SEGMENTS]:
        for t in targets:
            status = row.get(review_column(t))
            if status is None:
                continue
            counts[status] += 1
            if status == EDITED:
                effort.append(hter(row[TRANSLATION_COLUMN][t], row[post_edit_column(t)], t))
    reviewed = counts[ACCEPTED] + counts[EDITED] + counts[REJECTED]
    if not reviewed:
        return "No translation has been reviewed by a person (`seedmt review`)."
    mean = f"mean HTER {round(sum(effort) / len(effort), 2)}" if effort else "no post-edits"
    return (f"{reviewed} translations reviewed by people with `seedmt review`: {counts[EDITED]} post-edited, "
            f"{counts[ACCEPTED]} accepted as is, {counts[REJECTED]} rejected ({mean}: TER of the machine "
            f"translation against its post-edit). `segments.review_<target>` holds each status and "
            "`segments.post_edit_<target>` each post-edit.")


def export_for_hub(out_dir: Path, export_dir: Path, references_note: str | None = None, *,
                   reviewed_only: bool = False, human_evaluation: str | None = None,
                   qa_note: str | None = None) -> Path:
    """Parquet per config + README.md card in `export_dir` (written to a temp folder, then renamed), with the
    review columns as the review store holds them now; `references_note`: the card's paragraph on the references
    (`seedmt.eval.references.references_summary`); `reviewed_only`: only accepted or post-edited pairs;
    `human_evaluation`: a card section on a human evaluation campaign (`seedmt.eval.humaneval.card_section`);
    `qa_note`: the card's paragraph on QA findings (`seedmt.cat.qa.card_section`)."""
    dataset = with_current_reviews(open_dataset(out_dir).tables, out_dir)
    summary = review_summary(dataset)
    if reviewed_only:
        dataset = reviewed_pairs_only(dataset)
        summary += (" This export holds only the reviewed pairs: accepted translations and post-edits, "
                    f"{len(dataset[SEGMENTS])} segments.")
    export_dir = Path(export_dir).resolve()
    with staged_folder(export_dir, "the export") as staging:
        for name in TABLES:
            (staging / name).mkdir()
            dataset[name].to_parquet(str(staging / name / "train-00000-of-00001.parquet"))
        (staging / "README.md").write_text(dataset_card(dataset, references_note, summary,
                                                        human_evaluation, qa_note),
                                           encoding="utf-8")
        write_tmx(dataset, staging / "translations.tmx")
        write_moses(dataset, staging / "moses")
    return export_dir


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold even escaped (the toolkit's XML writer refuses them)."""
    return _XML_INVALID.sub("", text)


def seedmt_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("seedmt")
    except metadata.PackageNotFoundError:
        return "unknown"


def write_tmx(dataset, path: Path) -> int:
    """TMX 1.4 through translate-toolkit: one translation unit per segment (`tuid` the segment id), with the
    source and every target language (`xml:lang` ISO codes, the FLORES-200 code as an `x-flores` property)."""
    from lxml import etree

    from seedmt.core.toolkit import toolkit_module

    tmx = toolkit_module("storage.tmx").tmxfile(sourcelanguage="*all*")
    header = tmx.document.getroot().find("header")
    header.attrib.update({"creationtool": "seedmt", "creationtoolversion": seedmt_version(), "o-tmf": "seedmt",
                          "datatype": "plaintext"})
    units = 0
    for row in dataset[SEGMENTS]:
        texts = [(code, text) for code, text in sorted(row[TRANSLATION_COLUMN].items()) if text is not None]
        source_lang = row["source_lang"]
        # the source first: the toolkit reads a unit's first language as its source
        texts.sort(key=lambda item: item[0] != source_lang)
        unit = tmx.addsourceunit(xml_text(texts[0][1]))
        unit.xmlelement.set("tuid", row["segment_id"])
        for code, text in texts[1:]:  # a language node each (the toolkit's settarget keeps one target only)
            unit.set_target_dom(unit.createlanguageNode(iso_language(code), xml_text(text), "target"), append=True)
        nodes = unit.getlanguageNodes()
        nodes[0].set("{http://www.w3.org/XML/1998/namespace}lang", iso_language(texts[0][0]))
        for node, (code, _) in zip(nodes, texts):
            prop = etree.Element("prop", type="x-flores")
            prop.text = code
            node.insert(0, prop)
        doc_prop = etree.Element("prop", type="x-doc-id")
        doc_prop.text = row["doc_id"]
        unit.xmlelement.insert(0, doc_prop)
        units += 1
    path.write_bytes(bytes(tmx))
    return units


def write_moses(dataset, folder: Path) -> dict[str, int]:
    """`<src>-<tgt>/corpus.<src>` and `corpus.<tgt>`: line-aligned plain text per translated direction."""
    lines: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for row in dataset[SEGMENTS]:
        source_lang = row["source_lang"]
        for code, text in row[TRANSLATION_COLUMN].items():
            if code == source_lang or text is None or code in row["copied_targets"]:
                continue
            lines[(source_lang, code)].append((row[TRANSLATION_COLUMN][source_lang], text))
    counts = {}
    for (src, tgt), pairs in sorted(lines.items()):
        direction = folder / f"{src}-{tgt}"
        direction.mkdir(parents=True)
        # a segment must stay on its line: control characters and line separators become spaces
        one_line = lambda text: " ".join(CONTROL_CHARACTERS.sub(" ", text).split())  # noqa: E731
        (direction / f"corpus.{src}").write_text("".join(one_line(s) + "\n" for s, _ in pairs), encoding="utf-8")
        (direction / f"corpus.{tgt}").write_text("".join(one_line(t) + "\n" for _, t in pairs), encoding="utf-8")
        counts[f"{src}-{tgt}"] = len(pairs)
    return counts


def push_to_hub(export_dir: Path, repo_id: str, *, private: bool = True) -> str:
    """Upload the export folder as a dataset repository; returns the repository URL."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(folder_path=str(export_dir), repo_id=repo_id, repo_type="dataset",
                          commit_message="Upload seedmt export")
    except OfflineModeIsEnabled:
        raise SeedMTError(f"cannot push to {repo_id}: HF_HUB_OFFLINE is set; unset it on a machine with network "
                          "access") from None
    except LocalTokenNotFoundError:
        raise SeedMTError(f"cannot push to {repo_id}: no Hugging Face token; set HF_TOKEN or run "
                          "`hf auth login`") from None
    except HfHubHTTPError as err:
        status = getattr(err.response, "status_code", "?")
        raise SeedMTError(f"cannot push to {repo_id}: the Hub answered HTTP {status}") from None
    except OSError as err:
        raise SeedMTError(f"cannot push to {repo_id}: the Hub is unreachable ({type(err).__name__})") from None
    return f"https://huggingface.co/datasets/{repo_id}"

