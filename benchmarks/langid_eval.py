"""Language-ID evaluation: correct / undecided / wrong per identifier on human-translated text.

Documents come from the gettext message catalogs installed on the machine (`/usr/share/locale/<locale>/
LC_MESSAGES/*.mo`): every translated message of every catalog of one locale, placeholders and keyboard
accelerators removed, joined into one document of about 3,000 characters. These are human translations
(program messages, language and country names) in well over a hundred locales; a locale counts when it maps
to exactly one FLORES-200 code and yields at least 1,000 characters of translated text.

    python benchmarks/langid_eval.py                  # JSON in benchmarks/results/langid-eval.json

A "wrong" answer is a FLORES-200 code other than the expected one; "undecided" is a refusal (the user is
asked for --source-lang), which costs a flag but never mislabels a document.

The harder half ("unknown language"): every document whose language has a close relative
(`CLOSE_RELATIVES`) is identified again with that language taken out of both identifiers, labels and all, as
if they had never been trained on it. Whatever code they then give is wrong: this is how a language outside
the identifiers' label sets (Rundi, Dari, Bhojpuri...) gets a close relative's code. Only "undecided" is right."""
from __future__ import annotations

import argparse
import gettext
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

from dataclasses import replace

from seedmt.text.langid import LanguageUndecidedError, detect_language, identify, make_identifier
from seedmt.text.langid.decision import ensemble
from seedmt.text.langid.identifiers import Identifier
from seedmt.text.langid.labels import relatives_of

# gettext locale -> the FLORES-200 code of its language (locales whose language NLLB-200 lacks are absent).
LOCALE_TO_FLORES = {
    "af": "afr_Latn", "ak": "aka_Latn", "am": "amh_Ethi", "ar": "arb_Arab", "as": "asm_Beng",
    "ast": "ast_Latn", "ay": "ayr_Latn", "az": "azj_Latn", "ba": "bak_Cyrl", "be": "bel_Cyrl",
    "bg": "bul_Cyrl", "bn": "ben_Beng", "bs": "bos_Latn", "ca": "cat_Latn", "ckb": "ckb_Arab",
    "crh": "crh_Latn", "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn", "de": "deu_Latn",
    "dz": "dzo_Tibt", "ee": "ewe_Latn", "el": "ell_Grek", "eo": "epo_Latn", "es": "spa_Latn",
    "et": "est_Latn", "eu": "eus_Latn", "fa": "pes_Arab", "fi": "fin_Latn", "fil": "tgl_Latn",
    "fo": "fao_Latn", "fr": "fra_Latn", "fur": "fur_Latn", "ga": "gle_Latn", "gd": "gla_Latn",
    "gl": "glg_Latn", "gn": "grn_Latn", "gu": "guj_Gujr", "ha": "hau_Latn", "he": "heb_Hebr",
    "hi": "hin_Deva", "hr": "hrv_Latn", "ht": "hat_Latn", "hu": "hun_Latn", "hy": "hye_Armn",
    "id": "ind_Latn", "is": "isl_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "ka": "kat_Geor",
    "kab": "kab_Latn", "ki": "kik_Latn", "kk": "kaz_Cyrl", "km": "khm_Khmr", "kmr": "kmr_Latn",
    "kn": "kan_Knda", "ko": "kor_Hang", "ky": "kir_Cyrl", "lg": "lug_Latn", "li": "lim_Latn",
    "lo": "lao_Laoo", "lt": "lit_Latn", "lv": "lvs_Latn", "mai": "mai_Deva", "mg": "plt_Latn",
    "mi": "mri_Latn", "mk": "mkd_Cyrl", "ml": "mal_Mlym", "mn": "khk_Cyrl", "mr": "mar_Deva",
    "ms": "zsm_Latn", "mt": "mlt_Latn", "my": "mya_Mymr", "nb": "nob_Latn", "ne": "npi_Deva",
    "nl": "nld_Latn", "nn": "nno_Latn", "nso": "nso_Latn", "oc": "oci_Latn", "or": "ory_Orya",
    "pa": "pan_Guru", "pap": "pap_Latn", "pl": "pol_Latn", "ps": "pbt_Arab", "pt": "por_Latn",
    "qu": "quy_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl", "rw": "kin_Latn", "sc": "srd_Latn",
    "sd": "snd_Arab", "si": "sin_Sinh", "sk": "slk_Latn", "sl": "slv_Latn", "so": "som_Latn",
    "sq": "als_Latn", "sr": "srp_Cyrl", "sv": "swe_Latn", "sw": "swh_Latn", "ta": "tam_Taml",
    "te": "tel_Telu", "tg": "tgk_Cyrl", "th": "tha_Thai", "ti": "tir_Ethi", "tk": "tuk_Latn",
    "tr": "tur_Latn", "tt": "tat_Cyrl", "ug": "uig_Arab", "uk": "ukr_Cyrl", "ur": "urd_Arab",
    "uz": "uzn_Latn", "vi": "vie_Latn", "wo": "wol_Latn", "xh": "xho_Latn", "yi": "ydd_Hebr",
    "yo": "yor_Latn", "zh_CN": "zho_Hans", "zh_TW": "zho_Hant", "zu": "zul_Latn",
}
_PLACEHOLDER = re.compile(r"%[-+ #0-9.*]*[a-zA-Z]|%\([^)]*\)[a-z]|\{[^}]*\}|<[^>]+>|\\[nt]|[_&](?=\w)")
DOC_CHARS = 3000
MIN_CHARS = 1000


def locale_document(folder: Path, seed: int = 0) -> str:
    messages: dict[str, None] = {}
    for mo in sorted(folder.glob("*.mo")):
        try:
            with open(mo, "rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001 - the parsed .mo, as is
        except (OSError, ValueError, IndexError, KeyError, SyntaxError):  # a broken catalog is skipped
            continue
        for msgid, msgstr in catalog.items():
            source = msgid[1] if isinstance(msgid, tuple) else msgid
            if not source or not isinstance(msgstr, str) or msgstr == source:
                continue
            text = " ".join(_PLACEHOLDER.sub("", msgstr).split())
            if sum(c.isalpha() for c in text) >= 3:
                messages[text] = None
    lines = list(messages)
    random.Random(seed).shuffle(lines)
    out, size = [], 0
    for line in lines:
        if size >= DOC_CHARS:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def build_documents(root: Path) -> dict[str, tuple[str, str]]:
    """locale -> (expected FLORES-200 code, document)."""
    docs = {}
    for locale, code in sorted(LOCALE_TO_FLORES.items()):
        folder = root / locale / "LC_MESSAGES"
        if folder.is_dir():
            text = locale_document(folder)
            if len(text) >= MIN_CHARS:
                docs[locale] = (code, text)
    return docs


class MaskedIdentifier(Identifier):
    """An identifier without `masked`: its guesses and its label set lose that language."""

    def __init__(self, inner: Identifier, masked: str) -> None:
        self.inner, self.masked, self.name = inner, masked, inner.name

    def guesses(self, text, text_script):
        out = []
        for guess in self.inner.guesses(text, text_script):
            codes = tuple(c for c in guess.codes if c != self.masked)
            if guess.codes and not codes:
                continue  # a label that meant only the masked language
            out.append(replace(guess, codes=codes))
        return out

    def known_codes(self) -> frozenset[str]:
        return self.inner.known_codes() - {self.masked}


def evaluate_unknown(docs: dict[str, tuple[str, str]], name: str, decide) -> dict:
    """Each document with its own language masked (`decide(text, masked_code)`): any code is wrong."""
    counts: Counter[str] = Counter()
    wrong, started = [], time.perf_counter()
    for locale, (expected, text) in docs.items():
        if not relatives_of(expected):
            continue
        try:
            got = decide(text, expected).code
        except LanguageUndecidedError:
            counts["undecided"] += 1
            continue
        counts["wrong"] += 1
        wrong.append(f"{locale}: {expected} unknown, got {got}")
    return {"identifier": name, "documents": counts["undecided"] + counts["wrong"], "correct": 0,
            "undecided": counts["undecided"], "wrong": counts["wrong"], "wrong_cases": wrong,
            "seconds": round(time.perf_counter() - started, 2)}


def evaluate(docs: dict[str, tuple[str, str]], name: str, decide) -> dict:
    counts: Counter[str] = Counter()
    wrong, started = [], time.perf_counter()
    for locale, (expected, text) in docs.items():
        try:
            got = decide(text).code
        except LanguageUndecidedError:
            counts["undecided"] += 1
            continue
        if got == expected:
            counts["correct"] += 1
        else:
            counts["wrong"] += 1
            wrong.append(f"{locale}: expected {expected}, got {got}")
    return {"identifier": name, "documents": len(docs), "correct": counts["correct"],
            "undecided": counts["undecided"], "wrong": counts["wrong"], "wrong_cases": wrong,
            "seconds": round(time.perf_counter() - started, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locales", type=Path, default=Path("/usr/share/locale"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "langid-eval.json")
    parser.add_argument("--smoke", action="store_true", help="the first 3 locales only (checks the script still runs)")
    args = parser.parse_args(argv)
    docs = build_documents(args.locales)
    if args.smoke:
        docs = dict(list(docs.items())[:3])
    if not docs:
        print(f"no usable catalogs under {args.locales}", file=sys.stderr)
        return 1
    heliport_alone = make_identifier("heliport")
    results = [
        evaluate(docs, "seedmt default (heliport + py3langid second opinion)", detect_language),
        evaluate(docs, "heliport alone (margin rule)", lambda t: identify(t, heliport_alone)),
        evaluate(docs, "py3langid (margin rule)", lambda t: detect_language(t, "py3langid")),
    ]
    py3langid = make_identifier("py3langid")
    unknown = [
        evaluate_unknown(docs, "unknown language: seedmt default", lambda t, code: ensemble(
            t, MaskedIdentifier(heliport_alone, code), MaskedIdentifier(py3langid, code))),
        evaluate_unknown(docs, "unknown language: heliport alone",
                         lambda t, code: identify(t, MaskedIdentifier(heliport_alone, code))),
    ]
    for result in results + unknown:
        print(f"{result['identifier']}: {result['correct']} correct, {result['undecided']} undecided, "
              f"{result['wrong']} wrong of {result['documents']}")
        for case in result["wrong_cases"]:
            print(f"    {case}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"source": str(args.locales), "doc_chars": DOC_CHARS,
                                    "locales": sorted(docs), "results": results,
                                    "unknown_language": unknown}, indent=2) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
