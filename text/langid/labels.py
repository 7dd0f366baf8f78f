"""What identifiers' labels mean as FLORES-200 codes: heliport's ISO 639-3 labels (macrolanguages and HPLT's
splits of them), plain ISO 639-3 language parts, and labels that mean "no language"."""
from __future__ import annotations

from seedmt.core.languages import FLORES200_CODES, is_flores200

# heliport labels that are not a FLORES-200 language as such: macrolanguages and HPLT's splits of them.
# A label mapping to several codes in the same script is ambiguous, and the document is undecided.
_ARABIC = ("arb_Arab", "acm_Arab", "acq_Arab", "aeb_Arab", "ajp_Arab", "apc_Arab", "ars_Arab", "ary_Arab",
           "arz_Arab")
HELIPORT_LABELS: dict[str, tuple[str, ...]] = {
    "ara": _ARABIC, "aze": ("azj_Latn", "azb_Arab"), "cmn": ("zho_Hans", "zho_Hant"),
    "hbs": ("hrv_Latn", "bos_Latn", "srp_Cyrl"), "hbsbos": ("bos_Latn",), "hbshrv": ("hrv_Latn",),
    "hbssrp": ("srp_Cyrl",), "lav": ("lvs_Latn",), "mlg": ("plt_Latn",), "mon": ("khk_Cyrl",),
    "msa": ("zsm_Latn", "ind_Latn"), "msaind": ("ind_Latn",), "msazsm": ("zsm_Latn",), "msamin": ("min_Latn",),
    "msamalay": ("zsm_Latn",), "nep": ("npi_Deva",), "ori": ("ory_Orya",), "que": ("quy_Latn",),
    "sqi": ("als_Latn",), "swa": ("swh_Latn",), "yid": ("ydd_Hebr",), "fas": ("pes_Arab", "prs_Arab"),
    "pus": ("pbt_Arab",), "uzb": ("uzn_Latn",), "kau": ("knc_Latn", "knc_Arab"), "orm": ("gaz_Latn",),
    "aym": ("ayr_Latn",), "zho": ("zho_Hans", "zho_Hant"), "est": ("est_Latn",),
}
# Ambiguous heliport labels whose members py3langid tells apart reliably (Indonesian and Malay); Arabic
# varieties and Bosnian/Croatian it does not, so those stay undecided.
SPLIT_BY_SECOND_OPINION = {"msa"}
# Labels meaning "no language" rather than a language NLLB lacks.
_NO_LANGUAGE = {"und", "undhtml", "zxx"}
_CODES_BY_LANGUAGE: dict[str, tuple[str, ...]] = {}
for _code in FLORES200_CODES:
    _CODES_BY_LANGUAGE[_code.split("_")[0]] = _CODES_BY_LANGUAGE.get(_code.split("_")[0], ()) + (_code,)




# py3langid labels that are neither ISO 639-1 nor a FLORES-200 language part.
PY3LANGID_LABELS: dict[str, tuple[str, ...]] = {"gug": ("grn_Latn",)}

# Closely related languages (or, for Wolof and Fula, languages of one region sharing much vocabulary). An
# identifier without a label for one member of a group names another member for it, often with a clear margin: Rundi as Kinyarwanda, Dari as Persian, Bhojpuri as Hindi, Balinese as
# Indonesian, Tibetan as Dzongkha. Where a group holds a language neither identifier knows, the decision rule
# asks both identifiers to agree before it names any member (seedmt.text.langid.decision).
CLOSE_RELATIVES: tuple[frozenset[str], ...] = tuple(frozenset(group) for group in (
    ("ind_Latn", "zsm_Latn", "jav_Latn", "sun_Latn", "ace_Latn", "ban_Latn", "bjn_Latn", "bug_Latn", "min_Latn"),
    ("hin_Deva", "awa_Deva", "bho_Deva", "hne_Deva", "mag_Deva", "mai_Deva", "kas_Deva"),
    ("urd_Arab", "kas_Arab"),
    ("kin_Latn", "run_Latn"),
    ("zul_Latn", "xho_Latn", "ssw_Latn"),
    ("sot_Latn", "nso_Latn", "tsn_Latn"),
    ("nya_Latn", "tum_Latn"),
    ("kik_Latn", "kam_Latn"),
    ("twi_Latn", "aka_Latn", "ewe_Latn"),
    ("bam_Latn", "dyu_Latn"),
    ("por_Latn", "kea_Latn", "glg_Latn", "pap_Latn"),
    ("spa_Latn", "ast_Latn", "glg_Latn"),
    ("tur_Latn", "crh_Latn", "azj_Latn"),
    ("ita_Latn", "vec_Latn", "lmo_Latn", "lij_Latn", "fur_Latn", "scn_Latn"),
    ("pes_Arab", "prs_Arab"),
    ("bod_Tibt", "dzo_Tibt"),
    ("nld_Latn", "lim_Latn"),
    ("pol_Latn", "szl_Latn"),
    ("lvs_Latn", "ltg_Latn"),
    ("wol_Latn", "fuv_Latn"),
    ("tzm_Tfng", "taq_Tfng"),
))


def relatives_of(code: str) -> frozenset[str]:
    """The close relatives of a FLORES-200 code (itself excluded)."""
    return frozenset(c for group in CLOSE_RELATIVES if code in group for c in group) - {code}


def codes_of_label(label: str) -> tuple[str, ...]:
    """Every FLORES-200 code an ISO 639-3 label (or a FLORES-200 code) can mean, in any script."""
    if is_flores200(label):
        return (label,)
    return HELIPORT_LABELS.get(label) or _CODES_BY_LANGUAGE.get(label, ())
