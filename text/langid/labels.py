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




def codes_of_label(label: str) -> tuple[str, ...]:
    """Every FLORES-200 code an ISO 639-3 label (or a FLORES-200 code) can mean, in any script."""
    if is_flores200(label):
        return (label,)
    return HELIPORT_LABELS.get(label) or _CODES_BY_LANGUAGE.get(label, ())
