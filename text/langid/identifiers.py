"""The language identifiers behind `--lid`, each ranking its labels for a text as FLORES-200 candidates:

- `heliport` (default): HPLT's identifier, about 200 languages, model inside the wheel. Its labels are
  ISO 639-3 (a few macrolanguages, e.g. `hbs`, `msa`, `ara`, split where FLORES-200 splits them).
- `py3langid`: langid.py's model (97 languages, ISO 639-1).
- `fasttext:PATH`: a local fastText model with FLORES-200 labels (`__label__kat_Geor`): OpenLID, GlotLID,
  NLLB's LID-218e.

A spec that names no identifier, or a fastText model that cannot be used, is a configuration error
(`IdentifierConfigError`), never an undecided document."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from seedmt.core.errors import SettingsError
from seedmt.core.languages import ISO639_1_TO_FLORES, script_of, scripts_match
from seedmt.text.langid.labels import PY3LANGID_LABELS, codes_of_label

DEFAULT_IDENTIFIER = "heliport"
IDENTIFIER_NAMES = ("heliport", "py3langid", "fasttext:PATH")
TOP_K = 12


class IdentifierConfigError(SettingsError):
    """`--lid` names no usable identifier: an unknown name, a missing or unreadable fastText model."""


@dataclass(frozen=True)
class Guess:
    label: str  # the identifier's label
    codes: tuple[str, ...]  # FLORES-200 codes it can mean in the text's script
    score: float  # higher is better
    in_nllb: bool  # the label is a language NLLB-200 has, in some script


class Identifier:
    """Ranks an identifier's labels for a text; `name` keys the decision rule's margins."""

    name: str

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        raise NotImplementedError

    def known_codes(self) -> frozenset[str]:
        """FLORES-200 codes this identifier has a label for; for the others it can only name a neighbour."""
        raise NotImplementedError


def _codes_in_script(codes: tuple[str, ...], text_script: str | None) -> tuple[str, ...]:
    return tuple(c for c in codes if scripts_match(script_of(c), text_script))


def _guess(label: str, codes: tuple[str, ...], text_script: str | None, score: float) -> Guess:
    return Guess(label, _codes_in_script(codes, text_script), score, bool(codes))


class HeliportIdentifier(Identifier):
    name = "heliport"

    @staticmethod
    @lru_cache(maxsize=1)
    def _model():
        import heliport

        return heliport.Identifier()

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        flat = " ".join(text.split())
        # heliport's raw scores are costs (lower is better); negated so that higher is better everywhere.
        return [_guess(label, codes_of_label(label), text_script, -float(score))
                for label, score in self._model().identify_topk_with_score(flat, TOP_K)]

    @lru_cache(maxsize=1)
    def known_codes(self) -> frozenset[str]:
        return frozenset(code for label in self._model().get_confidence_all() for code in codes_of_label(label))


class Py3langidIdentifier(Identifier):
    name = "py3langid"

    @staticmethod
    @lru_cache(maxsize=1)
    def _model():
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    @staticmethod
    def codes_of(label: str) -> tuple[str, ...]:
        """langid.py's labels are ISO 639-1 where the language has a code, ISO 639-3 otherwise (crh, vec)."""
        return ISO639_1_TO_FLORES.get(label) or PY3LANGID_LABELS.get(label) or codes_of_label(label)

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        ranked = self._model().rank(text)[:TOP_K]
        return [_guess(label, self.codes_of(label), text_script, float(p)) for label, p in ranked]

    @lru_cache(maxsize=1)
    def known_codes(self) -> frozenset[str]:
        return frozenset(code for label in self._model().nb_classes for code in self.codes_of(label))


class FastTextIdentifier(Identifier):
    """A local fastText LID model whose labels are FLORES-200 codes (`__label__kat_Geor`)."""

    name = "fasttext"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise IdentifierConfigError(f"fastText model not found: {self.path}")
        self._loaded = None

    @staticmethod
    def check_installed() -> None:
        if importlib.util.find_spec("fasttext") is None:
            raise IdentifierConfigError("--lid fasttext:PATH needs the fasttext package: "
                                        "pip install 'seedmt[fasttext]'")

    def _model(self):
        if self._loaded is None:
            self.check_installed()
            import fasttext

            try:
                self._loaded = fasttext.load_model(str(self.path))
            except ValueError as err:
                raise IdentifierConfigError(f"{self.path} is not a fastText model ({err})") from None
        return self._loaded

    def guesses(self, text: str, text_script: str | None) -> list[Guess]:
        labels, probabilities = self._model().predict(" ".join(text.split()), k=TOP_K)
        out = []
        for label, p in zip(labels, probabilities):
            label = label.removeprefix("__label__")
            out.append(_guess(label, codes_of_label(label), text_script, float(p)))
        return out

    def known_codes(self) -> frozenset[str]:
        return frozenset(code for label in self._model().get_labels()
                         for code in codes_of_label(label.removeprefix("__label__")))


def make_identifier(spec: str) -> Identifier:
    """`heliport`, `py3langid` or `fasttext:PATH`."""
    name, _, path = spec.partition(":")
    if name == "heliport" and not path:
        return _shared("heliport")
    if name == "py3langid" and not path:
        return _shared("py3langid")
    if name == "fasttext" and path:
        return FastTextIdentifier(Path(path).expanduser())
    raise IdentifierConfigError(f"unknown language identifier '{spec}' (choose {', '.join(IDENTIFIER_NAMES)})")


@lru_cache(maxsize=None)
def _shared(name: str) -> Identifier:
    return HeliportIdentifier() if name == "heliport" else Py3langidIdentifier()




def check_identifier(spec: str) -> None:
    """IdentifierConfigError unless `spec` names a usable identifier (a fastText model is not loaded here)."""
    identifier = make_identifier(spec)
    if isinstance(identifier, FastTextIdentifier):
        identifier.check_installed()
