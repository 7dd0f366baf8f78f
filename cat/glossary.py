"""Glossaries: the terms a project's translations must use (and those they must not).

Two formats:
- TBX (TermBase eXchange), read through translate-toolkit: each entry's term in the glossary's source language
  and its term in one target language; a target term marked deprecated or superseded
  (`administrativeStatus`) is forbidden.
- CSV or TSV with a header: `source term, target term, target language[, note][, forbidden]` (`forbidden`:
  yes/true/1). The target language is a FLORES-200 code (`eng_Latn`) or an ISO 639-1 code (`en`).

Matching (`find_term`) follows how each language writes words: in scripts written without spaces (Chinese,
Japanese, Thai...) a term matches anywhere; elsewhere it starts at a word boundary and ends at one, allowing a
short inflectional ending on words of four letters or more (of six or more, in place of their last letter:
"translation memory" matches "translation memories"), and any ending in agglutinative languages (Korean particles, Turkish, Georgian, Uyghur... suffixes).
Case is ignored."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from seedmt.core.errors import SeedMTError
from seedmt.core.languages import flores_code_for, written_without_spaces

# Languages whose words take suffixes freely: a term is found at the start of a longer word.
AGGLUTINATIVE = frozenset({"kor", "jpn", "tur", "uig", "kat", "kaz", "kir", "uzn", "azj", "tuk", "tat", "bak",
                           "fin", "est", "hun", "eus", "kan", "tam", "tel", "mal", "khk", "mar"})
INFLECTION_LETTERS = 3  # the ending a term of MIN_INFLECTED letters or more may take in other languages
MIN_INFLECTED = 4
MIN_STEM_CHANGE = 6  # letters of a word whose last letter an inflection may replace
_YES = {"yes", "y", "true", "1", "forbidden", "x"}


class GlossaryError(SeedMTError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class Term:
    source: str
    target: str
    target_lang: str  # FLORES-200 code
    note: str = ""
    forbidden: bool = False  # the target term must not be used in translations into target_lang


@dataclass(frozen=True)
class TermHit:
    term: Term
    source_spans: tuple[tuple[int, int], ...]
    target_spans: tuple[tuple[int, int], ...]  # where the target term occurs in the translation

    def to_dict(self) -> dict:
        return {"source_term": self.term.source, "target_term": self.term.target, "note": self.term.note,
                "forbidden": self.term.forbidden, "source_spans": [list(s) for s in self.source_spans],
                "target_spans": [list(s) for s in self.target_spans]}


def flores_code(code: str, path: Path, where: str) -> str:
    """The FLORES-200 code of a language the glossary names, or GlossaryError naming the file and the place."""
    flores = flores_code_for(code)
    if flores is None:
        raise GlossaryError(path, f"{where}: unknown language '{code.strip()}' (a FLORES-200 code such as eng_Latn, "
                                  "or an ISO 639-1 code such as en)")
    return flores


@lru_cache(maxsize=4096)
def _pattern(term: str, lang: str) -> re.Pattern:
    words = [re.escape(w) for w in term.split()]
    if written_without_spaces(lang):
        return re.compile(r"\s*".join(words), re.IGNORECASE)
    last = term.split()[-1]
    if lang.split("_")[0] in AGGLUTINATIVE:
        ending = r"\w*"
    elif len(last) >= MIN_STEM_CHANGE:  # "memory" -> "memories", "produce" -> "producing": the last letter may go
        words[-1] = re.escape(last[:-1])
        ending = r"\w{0,%d}" % (INFLECTION_LETTERS + 1)
    elif len(last) >= MIN_INFLECTED:
        ending = r"\w{0,%d}" % INFLECTION_LETTERS
    else:
        ending = r"(?:s|es)?"
    body = r"\s+".join(words)
    return re.compile(r"(?<!\w)" + body + ending + r"(?!\w)", re.IGNORECASE)


def find_term(term: str, text: str, lang: str) -> tuple[tuple[int, int], ...]:
    """Character spans where `term` occurs in `text` (language `lang`), by the rules in the module docstring."""
    if not term.strip():
        return ()
    return tuple(m.span() for m in _pattern(term.strip(), lang).finditer(text))


class Glossary:
    """Terms by target language; `hits` finds the terms of one (source, translation) pair."""

    def __init__(self, terms: list[Term], path: Path | None = None) -> None:
        self.terms = terms
        self.path = path
        self._by_target: dict[str, list[Term]] = {}
        for term in terms:
            self._by_target.setdefault(term.target_lang, []).append(term)

    def __len__(self) -> int:
        return len(self.terms)

    def hits(self, source: str, source_lang: str, translation: str, target_lang: str) -> list[TermHit]:
        """Terms whose source term is in `source` (with where the target term is in `translation`), and
        forbidden terms found in `translation` whatever the source holds."""
        found = []
        for term in self._by_target.get(target_lang, ()):
            in_target = find_term(term.target, translation, target_lang)
            if term.forbidden:
                if in_target:
                    found.append(TermHit(term, find_term(term.source, source, source_lang), in_target))
                continue
            in_source = find_term(term.source, source, source_lang)
            if in_source:
                found.append(TermHit(term, in_source, in_target))
        return found


def read_glossary(path: Path | str) -> Glossary:
    """A glossary from a .tbx, .csv or .tsv file (GlossaryError naming the file and line on bad input)."""
    path = Path(path)
    if not path.is_file():
        raise GlossaryError(path, "no such glossary file")
    suffix = path.suffix.lower()
    if suffix == ".tbx":
        return Glossary(_read_tbx(path), path)
    if suffix in {".csv", ".tsv", ".txt"}:
        return Glossary(_read_table(path, "\t" if suffix != ".csv" else ","), path)
    raise GlossaryError(path, "unknown glossary format (use .tbx, .csv or .tsv)")


def _read_table(path: Path, delimiter: str) -> list[Term]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise GlossaryError(path, f"not UTF-8 text (byte {err.start})") from None
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    if not rows:
        raise GlossaryError(path, "empty glossary")
    header = [h.strip().lower().replace("_", " ") for h in rows[0]]
    columns = {name: header.index(name) for name in ("source term", "target term", "target language", "note",
                                                     "forbidden") if name in header}
    missing = [n for n in ("source term", "target term", "target language") if n not in columns]
    if missing:
        raise GlossaryError(path, f"line 1: the header needs the columns {', '.join(missing)} (found: "
                                  f"{', '.join(rows[0])})")
    terms = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda name: row[columns[name]].strip() if name in columns and columns[name] < len(row) else ""  # noqa: E731
        source, target = cell("source term"), cell("target term")
        forbidden = cell("forbidden").lower() in _YES
        if not target or (not source and not forbidden):
            raise GlossaryError(path, f"line {number}: a term needs a source term and a target term")
        terms.append(Term(source, target, flores_code(cell("target language"), path, f"line {number}"),
                          cell("note"), forbidden))
    return terms


def _read_tbx(path: Path) -> list[Term]:
    from seedmt.core.toolkit import toolkit_module

    tbx = toolkit_module("storage.tbx")
    try:
        store = tbx.tbxfile.parsefile(str(path))
    except Exception as err:  # lxml and the toolkit raise several kinds on malformed files
        raise GlossaryError(path, f"not a readable TBX file ({type(err).__name__}: {err})") from None
    target_lang = store.gettargetlanguage() or ""
    terms = []
    for unit in store.getunits():
        element = unit.xmlelement
        # the toolkit gives the first two languages as source and target; an entry holds a langSet per language
        languages = {}
        for lang_set in element.iter("{*}langSet", "langSet"):
            code = lang_set.get("{http://www.w3.org/XML/1998/namespace}lang") or lang_set.get("lang") or ""
            for tig in lang_set.iter("{*}tig", "{*}ntig", "tig", "ntig", "{*}termSec", "termSec"):
                term = next((t.text for t in tig.iter("{*}term", "term") if t.text), None)
                status = next(((n.text or "").lower() for n in tig.iter("{*}termNote", "termNote")
                               if n.get("type") == "administrativeStatus"), "")
                if term:
                    languages.setdefault(code, []).append((term.strip(), "deprecated" in status
                                                           or "superseded" in status))
        if len(languages) < 2:
            if unit.source and unit.target and target_lang:
                terms.append(Term(unit.source, unit.target, flores_code(target_lang, path, "header")))
            continue
        codes = list(languages)
        source_terms = [t for t, bad in languages[codes[0]] if not bad]
        if not source_terms:
            continue
        note = " ".join((n.text or "").strip() for n in element.iter("{*}descrip", "descrip", "{*}note", "note")
                        if (n.text or "").strip())
        for code in codes[1:]:
            flores = flores_code(code, path, f"entry {element.get('id') or ''}".strip())
            for term, forbidden in languages[code]:
                terms.append(Term(source_terms[0], term, flores, note, forbidden))
    if not terms:
        raise GlossaryError(path, "no term entries with a source and a target term")
    return terms
