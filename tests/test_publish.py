"""Publishing: Hub layout round trip through load_dataset, dataset card, TMX, Moses; quality flags."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml
from datasets import load_dataset, load_from_disk

from tests.helpers import EXPECTED_SEED_LANGS, REPO_ROOT
from seedmt.cli import EXIT_FATAL, EXIT_OK, main
from seedmt.align.similarity import LOW_SIMILARITY
from seedmt.translate.quality import segment_flags

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module")
def export_dir(translated_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "seedmt-export"
    assert main(["publish", str(translated_dir), "--to", str(out),
                 "--references", str(REPO_ROOT / "references")]) == EXIT_OK
    return out


@pytest.mark.parametrize("config", ["documents", "segments", "runs"])
def test_export_loads_back_with_load_dataset(export_dir, translated_dir, config):
    loaded = load_dataset(str(export_dir), config, split="train")
    original = load_from_disk(str(translated_dir))[config]
    assert loaded.to_list() == original.to_list()
    assert loaded.features == original.features


def test_dataset_card_header_and_body(export_dir):
    card = (export_dir / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    assert set(header["language"]) == {"ug", "ka", "kn", "be", "ko", "en", "zh"}
    assert header["task_categories"] == ["translation"]
    assert header["size_categories"] == ["n<1K"]
    assert {c["config_name"] for c in header["configs"]} == {"documents", "segments", "runs"}
    assert header["license"] == "other"
    body = card.split("---\n", 2)[2]
    assert "backend:transformers|type:float32|beam:4|maxnew:12" in body  # the run's signature
    assert "not reviewed by native speakers" in body  # from references/README.md
    assert "Known limitations" in body
    # QA over the exported translations: the tiny model's output leaves numbers out, at least
    qa = body.split("## QA checks\n\n", 1)[1].split("\n", 1)[0]
    assert re.match(r"`seedmt qa` checked \d+ translations", qa) and "numbers " in qa


def test_tmx_is_valid_xml_with_every_segment(export_dir, translated_dir):
    segments = load_from_disk(str(translated_dir))["segments"]
    root = ET.parse(export_dir / "translations.tmx").getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    units = root.findall("./body/tu")
    assert [u.get("tuid") for u in units] == segments["segment_id"]
    by_id = {u.get("tuid"): u for u in units}
    row = segments[0]
    langs = {tuv.get(XML_LANG): tuv.find("seg").text for tuv in by_id[row["segment_id"]].findall("tuv")}
    assert set(langs) == {"ug", "en", "zh-Hans"}
    assert langs["ug"] == row["translation"]["uig_Arab"]
    assert langs["zh-Hans"] == row["translation"]["zho_Hans"]


def test_moses_files_are_line_aligned_per_direction(export_dir, translated_dir):
    segments = load_from_disk(str(translated_dir))["segments"]
    directions = sorted(p.name for p in (export_dir / "moses").iterdir())
    assert directions == sorted(f"{lang}-{t}" for lang in EXPECTED_SEED_LANGS.values()
                                for t in ("eng_Latn", "zho_Hans"))
    for direction in directions:
        src, tgt = direction.split("-")
        source_lines = (export_dir / "moses" / direction / f"corpus.{src}").read_text(encoding="utf-8").splitlines()
        target_lines = (export_dir / "moses" / direction / f"corpus.{tgt}").read_text(encoding="utf-8").splitlines()
        expected = [r for r in segments if r["source_lang"] == src]
        assert len(source_lines) == len(target_lines) == len(expected)
        assert source_lines[0] == " ".join(expected[0]["translation"][src].split())


def test_push_without_network_fails_clearly_and_never_prints_the_token(export_dir, translated_dir, tmp_path):
    secret = "hf_thisIsNotARealTokenButMustNeverBePrinted"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_TOKEN": secret}
    result = subprocess.run([sys.executable, "-m", "seedmt", "publish", str(translated_dir), "--to",
                             str(tmp_path / "export"), "--push", "someone/seedmt-test"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == EXIT_FATAL
    assert "cannot push to someone/seedmt-test: HF_HUB_OFFLINE is set" in result.stderr
    assert secret not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


SOURCE = ("Таму многія вядучыя кампаніі ў галіне вырашылі пасяліцца ў Цзінані, выкарыстоўваючы яго як важную "
          "базу для развіцця.")
GOOD = {"eng_Latn": "That is why many leading companies in the field have chosen to settle in Jinan, using it as "
                    "an important base for their development.",
        "zho_Hans": "因此，许多行业龙头企业选择落户济南，将其作为重要的发展基地。"}


@pytest.mark.parametrize("target", ["eng_Latn", "zho_Hans"])
def test_clean_translation_raises_no_flag(target):
    assert segment_flags(SOURCE, GOOD[target], target) == []


@pytest.mark.parametrize("target, translation, flag", [
    ("eng_Latn", GOOD["zho_Hans"] * 2, "off_target"),
    ("zho_Hans", GOOD["eng_Latn"], "off_target"),
    ("eng_Latn", "the company the company the company the company the company in Jinan", "repetition"),
    ("zho_Hans", "济南的企业济南的企业济南的企业济南的企业", "repetition"),
    ("eng_Latn", "Jinan.", "length_ratio"),
    ("eng_Latn", SOURCE, "untranslated"),
    ("zho_Hans", SOURCE.replace("Цзінані", "Цзінань"), "untranslated"),
])
def test_each_flag_triggers_on_its_case(target, translation, flag):
    assert f"{target}:{flag}" in segment_flags(SOURCE, translation, target)


def test_flags_are_stored_per_segment_and_counted_in_the_cli(tiny_model, tmp_path, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "one.txt").write_text(SOURCE + "\n", encoding="utf-8")
    out = tmp_path / "out"
    # One generated token after the language tag: a translation far too short for its source.
    assert main(["translate", str(seeds), "--model", str(tiny_model), "--out", str(out), "--max-new-tokens", "2",
                 "--beam-size", "1", "--targets", "eng_Latn"]) == EXIT_OK
    printed = capsys.readouterr().out
    rows = load_from_disk(str(out))["segments"]
    assert rows.features["quality_flags"].feature.dtype == "string"
    flags = rows[0]["quality_flags"]
    assert "eng_Latn:length_ratio" in flags
    similarity = ["eng_Latn:low_similarity"] if rows[0]["similarity_eng_Latn"] < LOW_SIMILARITY else []
    assert flags == segment_flags(SOURCE, rows[0]["translation"]["eng_Latn"], "eng_Latn") + similarity
    assert "flags: " + ", ".join(f"{flag} 1" for flag in sorted(flags)) in printed


def test_flags_stay_quiet_on_human_quality_translations():
    """The references, taken as translations of their sources (278 pairs of good text): at most 1% flagged,
    and every flag that remains is listed here with the reason it fires."""
    from seedmt.eval.references import load_references
    from seedmt.translate.quality import segment_flags

    explained: dict[str, str] = {}  # "<segment_id> <flag>" -> why a good translation is flagged
    pairs, flagged = 0, {}
    for target in ("eng_Latn", "zho_Hans"):
        for doc in load_references(REPO_ROOT / "references", target).values():
            for line in doc.lines:
                if line.text is None:
                    continue
                pairs += 1
                for flag in segment_flags(line.source, line.text, target):
                    flagged[f"{line.segment_id} {flag}"] = line.text
    assert pairs == 278
    assert len(flagged) <= 0.01 * pairs, flagged
    assert set(flagged) <= set(explained), flagged
