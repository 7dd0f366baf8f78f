"""FLORES-200 language codes, the mapping from ISO 639-1 (what LID libraries emit) to them, and
Unicode script detection, which decides between codes that share a language (zho_Hans/zho_Hant)."""
from __future__ import annotations

import unicodedata
from collections import Counter

# The 202 codes NLLB-200 was trained with, in the order of the checkpoint's vocabulary
# (NLLB model card / fairseq `langs`); the tokenizer must know every one of them as a special token.
FLORES200_CODES: tuple[str, ...] = (
    "ace_Arab", "ace_Latn", "acm_Arab", "acq_Arab", "aeb_Arab", "afr_Latn", "ajp_Arab", "aka_Latn",
    "amh_Ethi", "apc_Arab", "arb_Arab", "ars_Arab", "ary_Arab", "arz_Arab", "asm_Beng", "ast_Latn",
    "awa_Deva", "ayr_Latn", "azb_Arab", "azj_Latn", "bak_Cyrl", "bam_Latn", "ban_Latn", "bel_Cyrl",
    "bem_Latn", "ben_Beng", "bho_Deva", "bjn_Arab", "bjn_Latn", "bod_Tibt", "bos_Latn", "bug_Latn",
    "bul_Cyrl", "cat_Latn", "ceb_Latn", "ces_Latn", "cjk_Latn", "ckb_Arab", "crh_Latn", "cym_Latn",
    "dan_Latn", "deu_Latn", "dik_Latn", "dyu_Latn", "dzo_Tibt", "ell_Grek", "eng_Latn", "epo_Latn",
    "est_Latn", "eus_Latn", "ewe_Latn", "fao_Latn", "pes_Arab", "fij_Latn", "fin_Latn", "fon_Latn",
    "fra_Latn", "fur_Latn", "fuv_Latn", "gla_Latn", "gle_Latn", "glg_Latn", "grn_Latn", "guj_Gujr",
    "hat_Latn", "hau_Latn", "heb_Hebr", "hin_Deva", "hne_Deva", "hrv_Latn", "hun_Latn", "hye_Armn",
    "ibo_Latn", "ilo_Latn", "ind_Latn", "isl_Latn", "ita_Latn", "jav_Latn", "jpn_Jpan", "kab_Latn",
    "kac_Latn", "kam_Latn", "kan_Knda", "kas_Arab", "kas_Deva", "kat_Geor", "knc_Arab", "knc_Latn",
    "kaz_Cyrl", "kbp_Latn", "kea_Latn", "khm_Khmr", "kik_Latn", "kin_Latn", "kir_Cyrl", "kmb_Latn",
    "kon_Latn", "kor_Hang", "kmr_Latn", "lao_Laoo", "lvs_Latn", "lij_Latn", "lim_Latn", "lin_Latn",
    "lit_Latn", "lmo_Latn", "ltg_Latn", "ltz_Latn", "lua_Latn", "lug_Latn", "luo_Latn", "lus_Latn",
    "mag_Deva", "mai_Deva", "mal_Mlym", "mar_Deva", "min_Latn", "mkd_Cyrl", "plt_Latn", "mlt_Latn",
    "mni_Beng", "khk_Cyrl", "mos_Latn", "mri_Latn", "zsm_Latn", "mya_Mymr", "nld_Latn", "nno_Latn",
    "nob_Latn", "npi_Deva", "nso_Latn", "nus_Latn", "nya_Latn", "oci_Latn", "gaz_Latn", "ory_Orya",
    "pag_Latn", "pan_Guru", "pap_Latn", "pol_Latn", "por_Latn", "prs_Arab", "pbt_Arab", "quy_Latn",
    "ron_Latn", "run_Latn", "rus_Cyrl", "sag_Latn", "san_Deva", "sat_Beng", "scn_Latn", "shn_Mymr",
    "sin_Sinh", "slk_Latn", "slv_Latn", "smo_Latn", "sna_Latn", "snd_Arab", "som_Latn", "sot_Latn",
    "spa_Latn", "als_Latn", "srd_Latn", "srp_Cyrl", "ssw_Latn", "sun_Latn", "swe_Latn", "swh_Latn",
    "szl_Latn", "tam_Taml", "tat_Cyrl", "tel_Telu", "tgk_Cyrl", "tgl_Latn", "tha_Thai", "tir_Ethi",
    "taq_Latn", "taq_Tfng", "tpi_Latn", "tsn_Latn", "tso_Latn", "tuk_Latn", "tum_Latn", "tur_Latn",
    "twi_Latn", "tzm_Tfng", "uig_Arab", "ukr_Cyrl", "umb_Latn", "urd_Arab", "uzn_Latn", "vec_Latn",
    "vie_Latn", "war_Latn", "wol_Latn", "xho_Latn", "ydd_Hebr", "yor_Latn", "yue_Hant", "zho_Hans",
    "zho_Hant", "zul_Latn",
)
FLORES200_SET = frozenset(FLORES200_CODES)

# ISO 639-1 (py3langid's labels) -> FLORES-200 candidates; the first whose script matches the text wins.
# Languages langid knows but NLLB does not (an, br, la, se, vo, wa) are absent on purpose: they are
# reported as unsupported rather than silently mapped to a neighbour.
ISO639_1_TO_FLORES: dict[str, tuple[str, ...]] = {
    "af": ("afr_Latn",), "am": ("amh_Ethi",), "ar": ("arb_Arab",), "as": ("asm_Beng",),
    "az": ("azj_Latn", "azb_Arab"), "be": ("bel_Cyrl",), "bg": ("bul_Cyrl",), "bn": ("ben_Beng",),
    "bs": ("bos_Latn",), "ca": ("cat_Latn",), "cs": ("ces_Latn",), "cy": ("cym_Latn",),
    "da": ("dan_Latn",), "de": ("deu_Latn",), "dz": ("dzo_Tibt",), "el": ("ell_Grek",),
    "en": ("eng_Latn",), "eo": ("epo_Latn",), "es": ("spa_Latn",), "et": ("est_Latn",),
    "eu": ("eus_Latn",), "fa": ("pes_Arab",), "fi": ("fin_Latn",), "fo": ("fao_Latn",),
    "fr": ("fra_Latn",), "ga": ("gle_Latn",), "gl": ("glg_Latn",), "gu": ("guj_Gujr",),
    "he": ("heb_Hebr",), "hi": ("hin_Deva",), "hr": ("hrv_Latn",), "ht": ("hat_Latn",),
    "hu": ("hun_Latn",), "hy": ("hye_Armn",), "id": ("ind_Latn",), "is": ("isl_Latn",),
    "it": ("ita_Latn",), "ja": ("jpn_Jpan",), "jv": ("jav_Latn",), "ka": ("kat_Geor",),
    "kk": ("kaz_Cyrl",), "km": ("khm_Khmr",), "kn": ("kan_Knda",), "ko": ("kor_Hang",),
    "ku": ("kmr_Latn", "ckb_Arab"), "ky": ("kir_Cyrl",), "lb": ("ltz_Latn",), "lo": ("lao_Laoo",),
    "lt": ("lit_Latn",), "lv": ("lvs_Latn",), "mg": ("plt_Latn",), "mk": ("mkd_Cyrl",),
    "ml": ("mal_Mlym",), "mn": ("khk_Cyrl",), "mr": ("mar_Deva",), "ms": ("zsm_Latn",),
    "mt": ("mlt_Latn",), "nb": ("nob_Latn",), "ne": ("npi_Deva",), "nl": ("nld_Latn",),
    "nn": ("nno_Latn",), "no": ("nob_Latn",), "oc": ("oci_Latn",), "or": ("ory_Orya",),
    "pa": ("pan_Guru",), "pl": ("pol_Latn",), "ps": ("pbt_Arab",), "pt": ("por_Latn",),
    "qu": ("quy_Latn",), "ro": ("ron_Latn",), "ru": ("rus_Cyrl",), "rw": ("kin_Latn",),
    "si": ("sin_Sinh",), "sk": ("slk_Latn",), "sl": ("slv_Latn",), "sq": ("als_Latn",),
    "sr": ("srp_Cyrl",), "sv": ("swe_Latn",), "sw": ("swh_Latn",), "ta": ("tam_Taml",),
    "te": ("tel_Telu",), "th": ("tha_Thai",), "tl": ("tgl_Latn",), "tr": ("tur_Latn",),
    "ug": ("uig_Arab",), "uk": ("ukr_Cyrl",), "ur": ("urd_Arab",), "vi": ("vie_Latn",),
    "xh": ("xho_Latn",), "zh": ("zho_Hans", "zho_Hant"), "zu": ("zul_Latn",),
    "ha": ("hau_Latn",), "ig": ("ibo_Latn",), "ln": ("lin_Latn",), "om": ("gaz_Latn",), "sa": ("san_Deva",),
    "sn": ("sna_Latn",), "st": ("sot_Latn",),
}

# ISO 15924 codes used by FLORES-200, keyed by the first word of the Unicode character name.
_SCRIPT_BY_UNICODE_NAME: dict[str, str] = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "ARABIC": "Arab", "GEORGIAN": "Geor", "KANNADA": "Knda",
    "HANGUL": "Hang", "CJK": "Hani", "HIRAGANA": "Jpan", "KATAKANA": "Jpan", "DEVANAGARI": "Deva",
    "BENGALI": "Beng", "GREEK": "Grek", "HEBREW": "Hebr", "ARMENIAN": "Armn", "ETHIOPIC": "Ethi",
    "THAI": "Thai", "LAO": "Laoo", "KHMER": "Khmr", "MYANMAR": "Mymr", "TIBETAN": "Tibt",
    "GUJARATI": "Gujr", "GURMUKHI": "Guru", "ORIYA": "Orya", "TAMIL": "Taml", "TELUGU": "Telu",
    "MALAYALAM": "Mlym", "SINHALA": "Sinh", "TIFINAGH": "Tfng",
}

# Characters that exist only in one of the two Chinese standards; a cheap, dependency-free vote.
_TRADITIONAL_ONLY = set("這個們來時國會說對學開關長門問還過發經後見現與為無東車語書業產內實當區體點動種機進將讓總線網")
_SIMPLIFIED_ONLY = set("这个们来时国会说对学开关长门问还过发经后见现与为无东车语书业产内实当区体点动种机进将让总线网")

# Scripts written without spaces between sentences or words: sentence joins drop the space.
NO_SPACE_SCRIPTS = frozenset({"Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})


_FLORES_TO_ISO639_1 = {code: iso for iso, codes in ISO639_1_TO_FLORES.items() for code in codes}


def iso639_1(code: str) -> str | None:
    """The ISO 639-1 code of a FLORES-200 code (what sentence splitters and LID libraries use), if it has one."""
    return _FLORES_TO_ISO639_1.get(code)


def flores_code_for(code: str) -> str | None:
    """The FLORES-200 code of a language as files name it: FLORES-200 itself, or ISO 639-1 with an optional
    region or script (`en`, `en-US`, `zh-Hans`, `zh-TW`); None when seedmt does not know it."""
    code = code.strip()
    if is_flores200(code):
        return code
    if code.lower().replace("_", "-") in {"zh-tw", "zh-hant", "zh-hk"}:
        return "zho_Hant"
    candidates = ISO639_1_TO_FLORES.get(code.lower().replace("_", "-").split("-")[0])
    return candidates[0] if candidates else None


def written_without_spaces(code: str) -> bool:
    """Chinese, Japanese, Thai...: no spaces between words or sentences, so texts are compared by character."""
    return script_of(code) in NO_SPACE_SCRIPTS


def sentence_joiner(code: str) -> str:
    """What joins two consecutive sentences of a text in language `code`: a space, or nothing."""
    return "" if written_without_spaces(code) else " "


def script_of(code: str) -> str:
    """The ISO 15924 part of a FLORES-200 code: `kor_Hang` -> `Hang`."""
    return code.split("_", 1)[1]


RIGHT_TO_LEFT_SCRIPTS = {"Arab", "Hebr", "Thaa", "Syrc", "Nkoo"}


def text_direction(code: str) -> str:
    """"rtl" for a language written right to left (Arabic, Hebrew, Uyghur...), else "ltr"."""
    return "rtl" if script_of(code) in RIGHT_TO_LEFT_SCRIPTS else "ltr"


def is_flores200(code: str) -> bool:
    return code in FLORES200_SET


def dominant_script(text: str) -> str | None:
    """The script most letters of `text` are written in, as a FLORES-200 script suffix."""
    counts: Counter[str] = Counter()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        script = _SCRIPT_BY_UNICODE_NAME.get(name.split(" ", 1)[0])
        if script:
            counts[script] += 1
    if not counts:
        return None
    script = counts.most_common(1)[0][0]
    if script == "Hani":
        traditional = sum(char in _TRADITIONAL_ONLY for char in text)
        simplified = sum(char in _SIMPLIFIED_ONLY for char in text)
        return "Hant" if traditional > simplified else "Hans"
    return script


def scripts_match(code_script: str, text_script: str | None) -> bool:
    if text_script is None:
        return False
    if code_script == "Jpan":  # Japanese mixes kana with Han characters
        return text_script in {"Jpan", "Hans", "Hant"}
    if code_script == "Hang":  # Korean news text quotes Hanja
        return text_script in {"Hang", "Hans", "Hant"}
    return code_script == text_script
