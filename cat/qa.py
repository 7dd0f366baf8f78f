"""QA checks over (source, translation) pairs, as translators' QA tools run them (Xbench, Okapi CheckMate,
translate-toolkit's pofilter).

Each finding names its check, a severity (`error`: the meaning or the data is wrong; `warning`: likely wrong,
a person should look; `info`: form) and the character spans (code points, end exclusive) it concerns in the
source and in the translation.

Checks (`CHECKS`): where translate-toolkit's `translate.filters.checks.StandardChecker` has the check it decides
(URLs, e-mail addresses, end punctuation with each language's conventions, double spaces, repeated words,
leading and trailing whitespace, XML/HTML tags, printf and Python brace placeholders); seedmt adds what the
toolkit does not know: numbers written the ways languages write them (significant digits, so `300,000` =
`30万`; Chinese numerals, month names and number words as a translation's spelled-out forms), brackets and
quotation marks of every script (full-width `（）`, `「」`, `«»`...), untranslated text (the source copied, or
left in the source's script), a length ratio far off the pair's norm in the same set of pairs, glossary terms,
and consistency across the pairs (one source translated two ways, two sources given one translation).
"""
from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from seedmt.cat.glossary import Glossary
from seedmt.core.languages import dominant_script, iso639_1, script_of, scripts_match, written_without_spaces
from seedmt.translate.quality import is_untranslated

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

# check id -> (severity, what it finds)
CHECKS: dict[str, tuple[str, str]] = {
    "numbers": (ERROR, "a number of the source is missing from the translation, or the translation has one the "
                       "source does not"),
    "urls": (ERROR, "URLs differ between source and translation (translate-toolkit)"),
    "emails": (ERROR, "e-mail addresses differ (translate-toolkit)"),
    "placeholders": (ERROR, "printf or {brace} placeholders differ (translate-toolkit)"),
    "markup": (ERROR, "XML/HTML tags differ (translate-toolkit)"),
    "untranslated": (ERROR, "the translation is the source copied, or mostly in the source's script"),
    "source_script": (WARNING, "words left in the source's script inside the translation"),
    "glossary": (WARNING, "a glossary term is in the source and its target term is not in the translation"),
    "forbidden_term": (ERROR, "the translation uses a term the glossary forbids"),
    "brackets": (WARNING, "brackets balanced in the source are unbalanced in the translation"),
    "quotes": (WARNING, "quotation marks balanced in the source are unbalanced in the translation"),
    "end_punctuation": (WARNING, "a question or exclamation becomes another kind of sentence (each script's "
                                 "marks: ? ？ ؟, ! ！)"),
    "final_stop": (INFO, "the source ends with a full stop, the translation with no mark (a source sentence split "
                         "inside a sentence often ends like this legitimately)"),
    "length": (WARNING, "the translation is far longer or shorter than this language pair's translations are"),
    "inconsistent_translation": (WARNING, "the same source sentence is translated differently elsewhere"),
    "inconsistent_source": (WARNING, "the same translation is given to different source sentences"),
    "repeated_words": (INFO, "a word repeated back to back in the translation (translate-toolkit)"),
    "double_spaces": (INFO, "double spaces in the translation where the source has none (translate-toolkit)"),
    "whitespace": (INFO, "leading or trailing whitespace differs (translate-toolkit)"),
}

# A translation whose length ratio to its source is this many times off the language pair's median ratio.
LENGTH_FACTOR = 3.0
MIN_LENGTH_CHARACTERS = 20  # shorter sources (headings, list items) vary too much to judge
MIN_PAIRS_FOR_NORM = 8  # fewer pairs of a language pair: the norm of its scripts (LENGTH_PRIOR) is used
# translation/source character ratio between scripts written without spaces (Chinese, Japanese...) and others
LENGTH_PRIOR = {(True, False): 3.0, (False, True): 1 / 3.0}
# Consistency looks at phrases and sentences, not at list numbers, single words or names.
MIN_CONSISTENCY_WORDS = 2
MIN_CONSISTENCY_CHARACTERS = 8  # letters and digits, vowel signs included
MIN_COPIED_WORDS = 3  # a copy this long, between languages sharing a script, is no name
SOURCE_SCRIPT_SHARE = 0.5  # of the translation's letters in the source's script: untranslated
MIN_SOURCE_SCRIPT_RUN = 4  # letters of the source's script in a row inside a translation in another script


@dataclass(frozen=True)
class Finding:
    check: str
    message: str
    source_spans: tuple[tuple[int, int], ...] = ()
    target_spans: tuple[tuple[int, int], ...] = ()

    @property
    def severity(self) -> str:
        return CHECKS[self.check][0]

    def to_dict(self) -> dict:
        return {"check": self.check, "severity": self.severity, "message": self.message,
                "source_spans": [list(s) for s in self.source_spans],
                "target_spans": [list(s) for s in self.target_spans]}


@dataclass(frozen=True)
class Pair:
    """One translation to check. `kind`: machine translation, post-edit or reference."""
    key: str  # the segment id (or any id the caller keeps)
    source: str
    target: str
    source_lang: str
    target_lang: str
    kind: str = "machine translation"


@dataclass
class PairReport:
    pair: Pair
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"key": self.pair.key, "kind": self.pair.kind, "source_lang": self.pair.source_lang,
                "target_lang": self.pair.target_lang, "source": self.pair.source, "target": self.pair.target,
                "findings": [f.to_dict() for f in self.findings]}


# --- numbers ---------------------------------------------------------------------------------------------------

# digits with decimal/thousands separators, or groups of three split by (narrow/no-break) spaces
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+(?:[.,]\d+)*")
_CHINESE_NUMERAL = re.compile("[零〇一二两三四五六七八九十百千万亿]+")
_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_GROUPS = {"万": 10_000, "亿": 100_000_000}
# Spelled-out forms a translation may give a source's digits: month names and small number words (English),
# which count for a source number but are never themselves reported as numbers the source lacks.
_ENGLISH_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_ENGLISH_WORDS |= {w: (i + 3) * 10 for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split())}
_ENGLISH_WORDS |= {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}
_ENGLISH_WORDS |= {"hundred": 100, "thousand": 1000, "million": 1, "billion": 1, "trillion": 1, "dozen": 12,
                   "half": 5, "once": 1, "twice": 2, "single": 1, "double": 2, "doubled": 2, "triple": 3,
                   "tripled": 3, "quadruple": 4, "quadrupled": 4, "a": 1, "an": 1}
_MONTHS = "january february march april may june july august september october november december".split()
_MONTH_WORDS = {m: i + 1 for i, m in enumerate(_MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | \
    {"sept": 9}
_WORD = re.compile(r"[^\W\d_]+")
MAX_NUMERAL = 12  # characters of a Chinese numeral read (longer runs are cut)


def significant(digits: str) -> str:
    """A number as its significant digits: "300,000" -> "3", "33.69" -> "3369", "09" -> "9"."""
    return digits.strip("0") or "0"


def _digit_string(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if c.isdigit())


# Scale words written after a number ("30万", "2 million", "1,5 млрд"), by their value.
SCALES = {
    1e3: ("thousand", "千", "천", "тыс", "тысяч", "тысячи", "тысяча", "тысячы", "Tsd", "mille", "mil", "ათასი",
          "مىڭ", "ಸಾವಿರ", "हज़ार", "हजार"),
    1e4: ("万", "萬", "만"),
    1e5: ("lakh", "lakhs", "ಲಕ್ಷ", "लाख"),
    1e6: ("million", "millions", "mln", "mn", "m", "млн", "мільён", "мільёнаў", "миллион", "миллионов", "Mio",
          "Millionen", "Million", "millón", "millones", "milione", "milioni", "მილიონი", "مىليون", "ಮಿಲಿಯನ್"),
    1e7: ("crore", "crores", "ಕೋಟಿ", "करोड़"),
    1e8: ("亿", "億", "억"),
    1e9: ("billion", "billions", "bn", "млрд", "мільярд", "мільярдаў", "миллиард", "Mrd", "Milliarden",
          "milliard", "milliards", "mil millones", "miliardo", "miliardi", "მილიარდი", "مىليارد", "ಬಿಲಿಯನ್"),
    1e12: ("trillion", "trillions", "兆", "조", "трлн", "Billionen", "ტრილიონი", "ترىليون", "ಟ್ರಿಲಿಯನ್"),
}
_SCALE_WORDS = {word.casefold(): value for value, words in SCALES.items() for word in words}
_AFTER_NUMBER = re.compile(r"\s?([^\W\d_]+)")


@dataclass(frozen=True)
class NumberMention:
    significant: str  # significant digits ("300,000" and "30万" both "3")
    values: frozenset[float]  # what it may be worth, separators read as thousands or as a decimal point
    span: tuple[int, int]
    scaled: bool  # followed by a scale word seedmt knows ("万", "million")
    followed_by_word: bool  # followed by a word (which may be a scale word of a language seedmt does not list)


def _readings(digits_text: str) -> set[float]:
    """The values a number written with separators may have: "1,234" is 1234 or 1.234, "3.5" is 3.5 (or 35)."""
    plain = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in digits_text)
    plain = re.sub(r"[ \u00a0\u202f]", "", plain)
    readings = {float(re.sub(r"[.,]", "", plain))}
    last = max(plain.rfind("."), plain.rfind(","))
    if last >= 0:
        readings.add(float(re.sub(r"[.,]", "", plain[:last]) + "." + plain[last + 1:]))
    return readings


def numbers_in(text: str) -> list[NumberMention]:
    """Every number written with digits, in any script's digits, with what follows it."""
    mentions = []
    for match in _NUMBER.finditer(text):
        after = _AFTER_NUMBER.match(text, match.end())
        word = after.group(1) if after else ""
        scale = _SCALE_WORDS.get(word.casefold()) or next(
            (v for w, v in _SCALE_WORDS.items() if word.casefold().startswith(w) and len(w) == 1 and not w.isascii()),
            None)  # 万元, 亿美元: a one-character scale glued to what it counts
        values = frozenset(round(v * (scale or 1), 6) for v in _readings(match.group()))
        mentions.append(NumberMention(significant(_digit_string(match.group())), values, match.span(),
                                      scale is not None, bool(word)))
    return mentions


def _same_number(a: NumberMention, b: NumberMention) -> bool:
    if a.values & b.values:
        return True
    # one side scales the number with a word seedmt knows, the other with a word it may not know
    return a.significant == b.significant and ((a.scaled and b.followed_by_word) or (b.scaled and a.followed_by_word))


def _chinese_value(numeral: str) -> int:
    if not any(c in _CHINESE_UNITS or c in _CHINESE_GROUPS for c in numeral):
        return int("".join(str(_CHINESE_DIGITS[c]) for c in numeral))  # 二〇二三: digit by digit
    total = section = number = 0
    for char in numeral:
        if char in _CHINESE_DIGITS:
            number = _CHINESE_DIGITS[char]
        elif char in _CHINESE_UNITS:
            section += (number or 1) * _CHINESE_UNITS[char]
            number = 0
        else:
            total += (section + number) * _CHINESE_GROUPS[char]
            section = number = 0
    return total + section + number


def spelled_numbers(text: str) -> set[str]:
    """Significant digits of the numbers `text` spells out: Chinese numerals, English number words and months."""
    values = set()
    for match in _CHINESE_NUMERAL.finditer(text):
        numeral = match.group()[:MAX_NUMERAL]
        # every part as well as the whole: "十四五" (the 14th five-year plan) holds 14 and 5
        values |= {significant(str(_chinese_value(numeral[i:j]))) for i in range(len(numeral))
                   for j in range(i + 1, len(numeral) + 1)}
    for word in _WORD.findall(text.lower()):
        if word.endswith("fold") and word[:-4] in _ENGLISH_WORDS:
            word = word[:-4]
        value = _ENGLISH_WORDS.get(word, _MONTH_WORDS.get(word))
        if value is not None:
            values.add(significant(str(value)))
    return values


SPELLED_OUT_BELOW = 12  # small numbers a source may write as words ("three"): not reported as added
# a digit number followed by one of these is a month ("5月", "5월"): a source may name its months in words
_MONTH_MARKS = ("月", "월")


def check_numbers(source: str, target: str) -> Finding | None:
    """A number of the source that the translation does not have (by value: "300,000" = "30万" = "300.000", but
    not "30,000"; or spelled out, as months and number words), and a number of the translation the source does
    not have, where the source writes its numbers in digits (month numbers such as "5月", and numbers up to
    SPELLED_OUT_BELOW, which sources often write as words, left out)."""
    source_numbers, target_numbers = numbers_in(source), numbers_in(target)
    spelled_target, spelled_source = spelled_numbers(target), spelled_numbers(source)
    missing = [n for n in source_numbers if n.significant not in spelled_target
               and not any(_same_number(n, t) for t in target_numbers)]
    extra = [n for n in target_numbers if n.significant not in spelled_source and max(n.values) > SPELLED_OUT_BELOW
             and target[n.span[1]:n.span[1] + 1] not in _MONTH_MARKS
             and not any(_same_number(n, s) for s in source_numbers)] if source_numbers else []
    if not missing and not extra:
        return None
    parts = []
    if missing:
        parts.append("missing from the translation: " + ", ".join(source[slice(*n.span)] for n in missing))
    if extra:
        parts.append("not in the source: " + ", ".join(target[slice(*n.span)] for n in extra))
    return Finding("numbers", "; ".join(parts), tuple(n.span for n in missing), tuple(n.span for n in extra))


# --- brackets and quotes --------------------------------------------------------------------------------------

# opening -> closing, grouped by kind: a translation may write a round bracket as ( or （
BRACKETS = {"round": ("(（", ")）"), "square": ("[［【〔", "]］】〕"), "curly": ("{｛", "}｝"),
            "angle": ("《〈", "》〉")}
# quotation marks written as pairs of distinct characters, and those where one character opens and closes
QUOTE_PAIRS = (("“", "”"), ("‘", "’"), ("«", "»"), ("„", "“"), ("「", "」"), ("『", "』"), ("‹", "›"))
SAME_CHARACTER_QUOTES = ('"', "＂")


def _bracket_profile(text: str) -> dict[str, tuple[int, bool]]:
    """kind -> (number of opening brackets, balanced)."""
    profile = {}
    for kind, (opening, closing) in BRACKETS.items():
        depth, balanced, opened = 0, True, 0
        for char in text:
            if char in opening:
                depth += 1
                opened += 1
            elif char in closing:
                depth -= 1
                if depth < 0:
                    balanced = False
        profile[kind] = (opened, balanced and depth == 0)
    return profile


def _spans_of(text: str, characters: str) -> tuple[tuple[int, int], ...]:
    return tuple((i, i + 1) for i, c in enumerate(text) if c in characters)


def check_brackets(source: str, target: str) -> Finding | None:
    """Brackets balanced in the source and left unbalanced in the translation. (A bracketed gloss a translator
    drops whole, as Korean's Hanja in brackets often are, is no bracket error.)"""
    source_profile, target_profile = _bracket_profile(source), _bracket_profile(target)
    problems, target_spans = [], []
    for kind, (opening, closing) in BRACKETS.items():
        if source_profile[kind][1] and not target_profile[kind][1]:
            problems.append(f"{kind} brackets unbalanced in the translation")
            target_spans += _spans_of(target, opening + closing)
    if not problems:
        return None
    return Finding("brackets", "; ".join(problems), (), tuple(target_spans))


def _quotes_balanced(text: str) -> bool:
    if any(text.count(q) % 2 for q in SAME_CHARACTER_QUOTES):
        return False
    for opening, closing in QUOTE_PAIRS:
        if opening == "„":  # German „...“ shares its closing mark with English “...”
            continue
        if text.count(opening) != text.count(closing):
            german = text.count("„")
            if not (closing == "”" and text.count("“") - german == text.count("”")) and \
                    not (opening == "“" and text.count("“") == german + text.count("”")):
                return False
    return True


def check_quotes(source: str, target: str) -> Finding | None:
    if not _quotes_balanced(source) or _quotes_balanced(target):
        return None
    marks = "".join(SAME_CHARACTER_QUOTES) + "".join(a + b for a, b in QUOTE_PAIRS)
    return Finding("quotes", "quotation marks unbalanced in the translation", (), _spans_of(target, marks))


# --- scripts ------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def _script_of_letter(char: str) -> str | None:
    return dominant_script(char)


def check_scripts(source: str, target: str, source_lang: str, target_lang: str) -> Finding | None:
    """Untranslated: the translation is the source (nearly) copied, or most of its letters are in the source's
    script when the target language writes another; source_script: a run of such letters inside it."""
    source_script = script_of(source_lang)
    same_script = scripts_match(script_of(target_lang), source_script) or \
        scripts_match(source_script, script_of(target_lang))
    # between languages that share a script, a name or a term of a word or two is kept as it is
    if is_untranslated(source, target) and (not same_script or len(source.split()) >= MIN_COPIED_WORDS):
        return Finding("untranslated", "the translation is the source copied", ((0, len(source)),),
                       ((0, len(target)),))
    if same_script:
        return None
    letters = [(i, c) for i, c in enumerate(target) if c.isalpha()]
    if not letters:
        return None
    foreign = [i for i, c in letters if scripts_match(source_script, _script_of_letter(c))]
    if len(foreign) >= SOURCE_SCRIPT_SHARE * len(letters) and len(foreign) >= MIN_SOURCE_SCRIPT_RUN:
        return Finding("untranslated", f"{len(foreign)} of {len(letters)} letters of the translation are in the "
                                       f"source's script ({source_script})", (), ((0, len(target)),))
    runs, start, previous = [], None, None
    for i in foreign:
        if start is not None and i - previous <= 2 and all(not target[k].isalpha() or k in (previous, i)
                                                           for k in range(previous, i + 1)):
            previous = i
            continue
        if start is not None:
            runs.append((start, previous + 1))
        start = previous = i
    if start is not None:
        runs.append((start, previous + 1))
    runs = [(s, e) for s, e in runs if sum(target[k].isalpha() for k in range(s, e)) >= MIN_SOURCE_SCRIPT_RUN]
    if not runs:
        return None
    return Finding("source_script", "left in the source's script: " + ", ".join(target[s:e] for s, e in runs), (),
                   tuple(runs))


# --- translate-toolkit's checks ---------------------------------------------------------------------------------

# toolkit check -> seedmt check id
_TOOLKIT_CHECKS = {"urls": "urls", "emails": "emails", "printf": "placeholders", "pythonbraceformat": "placeholders",
                   "xmltags": "markup", "doublespacing": "double_spaces",
                   "doublewords": "repeated_words", "startwhitespace": "whitespace", "endwhitespace": "whitespace"}
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-+ #0]*\d*(?:\.\d+)?[sdifouxXeEgGcr]|\{[^{}\s]*\}")
_REPEATED = re.compile(r"(?<!\w)(\w+)(\s+\1)(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=64)
def _checker(target_lang: str):
    from seedmt.core.toolkit import toolkit_module

    checks = toolkit_module("filters.checks")
    return checks.StandardChecker(checks.CheckerConfig(targetlanguage=iso639_1(target_lang) or "en"))


def _items_differ(source: str, target: str, found: Sequence[tuple[int, int]], other: Sequence[tuple[int, int]]):
    """Spans of `found` items (in `source`) that `other` items (in `target`) do not repeat verbatim."""
    others = {target[s:e] for s, e in other}
    return tuple(span for span in found if source[span[0]:span[1]] not in others)


def _toolkit_spans(check: str, source: str, target: str) -> tuple[tuple, tuple]:
    from seedmt.core.toolkit import toolkit_module

    decoration = toolkit_module("filters.decoration")

    def located(text: str, items: Iterable[str]) -> list[tuple[int, int]]:
        spans, start = [], 0
        for item in items:
            at = text.find(item, start)
            if at >= 0:
                spans.append((at, at + len(item)))
                start = at + len(item)
        return spans

    if check in {"urls", "emails"}:
        get = decoration.geturls if check == "urls" else decoration.getemails
        s, t = located(source, get(source)), located(target, get(target))
        return _items_differ(source, target, s, t), _items_differ(target, source, t, s)
    if check in {"printf", "pythonbraceformat", "xmltags"}:
        pattern = _TAG if check == "xmltags" else _PLACEHOLDER
        s = [m.span() for m in pattern.finditer(source)]
        t = [m.span() for m in pattern.finditer(target)]
        return _items_differ(source, target, s, t), _items_differ(target, source, t, s)
    if check == "doublespacing":
        return (), tuple(m.span() for m in re.finditer(r" {2,}", target))
    if check == "doublewords":
        return (), tuple(m.span() for m in _REPEATED.finditer(target))
    if check == "startwhitespace":
        return ((0, len(source) - len(source.lstrip())),), ((0, len(target) - len(target.lstrip())),)
    return ((len(source.rstrip()), len(source)),), ((len(target.rstrip()), len(target)),)


def toolkit_findings(source: str, target: str, target_lang: str) -> list[Finding]:
    """translate-toolkit's StandardChecker, each check run on its own (one failing does not hide another)."""
    from seedmt.core.toolkit import toolkit_module

    failure = toolkit_module("filters.checks").FilterFailure
    checker = _checker(target_lang)
    findings: dict[str, Finding] = {}
    for name, check in _TOOLKIT_CHECKS.items():
        if check in findings:
            continue
        try:
            getattr(checker, name)(source, target)
        except failure as err:
            source_spans, target_spans = _toolkit_spans(name, source, target)
            findings[check] = Finding(check, str(err), source_spans, target_spans)
    return list(findings.values())


# --- end punctuation --------------------------------------------------------------------------------------------

# The kind of sentence the final mark makes, in every script's marks. translate-toolkit's `endpunc` compares the
# marks themselves and assumes an English-like source, so that a Korean "…했다." rendered as Chinese "…强调：" or a
# list number "1." kept in a Chinese translation are reported: it does not fit translation between scripts.
END_MARKS = {"question": "?？؟՞፧", "exclamation": "!！¡՜", "stop": ".。．।॥۔።…:：;；"}
_CLOSERS = "\"'”’»」』)）]】›*"
MIN_END_WORDS = 4  # a heading, a list item or a date line may drop its final mark


def _end_kind(text: str) -> str | None:
    end = text.rstrip().rstrip(_CLOSERS).rstrip()
    if not end:
        return None
    for kind, marks in END_MARKS.items():
        if end[-1] in marks:
            return kind
    return None


def check_end_punctuation(source: str, target: str) -> Finding | None:
    source_kind, target_kind = _end_kind(source), _end_kind(target)
    if source_kind == target_kind:
        return None
    end_source, end_target = len(source.rstrip()), len(target.rstrip())
    spans = ((max(0, end_source - 1), end_source),), ((max(0, end_target - 1), end_target),)
    if "question" in (source_kind, target_kind) or "exclamation" in (source_kind, target_kind):
        return Finding("end_punctuation", f"the source ends as a {source_kind or 'phrase without a mark'}, the "
                                          f"translation as a {target_kind or 'phrase without a mark'}", *spans)
    last_word = (source.rstrip().rstrip(_CLOSERS + ".").split() or [""])[-1]
    # "16 красавіка 2024 г.": the stop of an abbreviation (a cased word of one or two letters) is no sentence end
    abbreviation = len(last_word) <= 2 and all(c.lower() != c.upper() for c in last_word)
    if source_kind == "stop" and target_kind is None and len(source.split()) >= MIN_END_WORDS and not abbreviation:
        return Finding("final_stop", "the translation has lost the source's final punctuation", *spans)
    return None


# --- one pair, and a set of pairs -------------------------------------------------------------------------------

def _length_ratio(pair: Pair) -> float | None:
    source, target = pair.source.strip(), pair.target.strip()
    if len(source) < MIN_LENGTH_CHARACTERS or not target:
        return None
    return len(target) / len(source)


def length_norms(pairs: Iterable[Pair]) -> dict[tuple[str, str], float]:
    """The median translation/source length ratio of each language pair among `pairs` (those with enough)."""
    ratios = defaultdict(list)
    for pair in pairs:
        ratio = _length_ratio(pair)
        if ratio is not None:
            ratios[(pair.source_lang, pair.target_lang)].append(ratio)
    return {key: statistics.median(values) for key, values in ratios.items() if len(values) >= MIN_PAIRS_FOR_NORM}


def check_length(pair: Pair, norm: float | None) -> Finding | None:
    ratio = _length_ratio(pair)
    if ratio is None:
        return None
    if norm is None:
        norm = LENGTH_PRIOR.get((written_without_spaces(pair.source_lang), written_without_spaces(pair.target_lang)),
                                1.0)
    if abs(math.log(ratio / norm)) <= math.log(LENGTH_FACTOR):
        return None
    how = "longer" if ratio > norm else "shorter"
    return Finding("length", f"{ratio / norm:.1f}x the usual length ratio of this language pair ({how})")


def check_glossary(pair: Pair, glossary: Glossary) -> list[Finding]:
    findings = []
    for hit in glossary.hits(pair.source, pair.source_lang, pair.target, pair.target_lang):
        note = f" ({hit.term.note})" if hit.term.note else ""
        if hit.term.forbidden:
            findings.append(Finding("forbidden_term", f"'{hit.term.target}' is forbidden{note}", hit.source_spans,
                                    hit.target_spans))
        elif not hit.target_spans:
            findings.append(Finding("glossary", f"'{hit.term.source}' should be translated '{hit.term.target}'"
                                                f"{note}", hit.source_spans))
    return findings


def check_pair(pair: Pair, glossary: Glossary | None = None, length_norm: float | None = None) -> list[Finding]:
    """Every check of one pair except consistency, which needs the others (`check_pairs`)."""
    if not pair.target.strip():
        return []
    findings = [f for f in (check_numbers(pair.source, pair.target), check_brackets(pair.source, pair.target),
                            check_quotes(pair.source, pair.target), check_end_punctuation(pair.source, pair.target),
                            check_scripts(pair.source, pair.target, pair.source_lang, pair.target_lang),
                            check_length(pair, length_norm)) if f is not None]
    findings += toolkit_findings(pair.source, pair.target, pair.target_lang)
    if any(f.check == "untranslated" for f in findings):
        # the source copied: its form (punctuation, spacing) is the source's, but a mangled URL or number is news
        findings = [f for f in findings if f.severity == ERROR]
    if glossary is not None:
        findings += check_glossary(pair, glossary)
    return findings


def _consistency_key(text: str) -> str:
    """Case, spacing and punctuation aside ("X, said" and "X said" are one sentence)."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _judged_for_consistency(text: str, lang: str) -> bool:
    characters = sum(c.isalnum() or unicodedata.category(c).startswith("M") for c in text)
    return characters >= MIN_CONSISTENCY_CHARACTERS and any(c.isalpha() for c in text) and \
        (written_without_spaces(lang) or len(text.split()) >= MIN_CONSISTENCY_WORDS)


def consistency_findings(pairs: Sequence[Pair]) -> dict[int, list[Finding]]:
    """Index in `pairs` -> findings: one source sentence with two translations into one language, or one
    translation given to two different sources (pairs of one kind compared with each other)."""
    by_source, by_target = defaultdict(list), defaultdict(list)
    for index, pair in enumerate(pairs):
        if not pair.target.strip():
            continue
        if _judged_for_consistency(pair.source, pair.source_lang):
            by_source[(pair.kind, pair.source_lang, pair.target_lang, _consistency_key(pair.source))].append(index)
        if _judged_for_consistency(pair.target, pair.target_lang):
            by_target[(pair.kind, pair.target_lang, _consistency_key(pair.target))].append(index)
    found = defaultdict(list)
    for indices in by_source.values():
        translations = {_consistency_key(pairs[i].target) for i in indices}
        if len(translations) > 1:
            for i in indices:
                others = [pairs[j].key for j in indices if j != i
                          and _consistency_key(pairs[j].target) != _consistency_key(pairs[i].target)]
                found[i].append(Finding("inconsistent_translation", "translated differently in " + ", ".join(others),
                                        (), ((0, len(pairs[i].target)),)))
    for indices in by_target.values():
        sources = {_consistency_key(pairs[i].source) for i in indices}
        if len(sources) > 1:
            for i in indices:
                others = [pairs[j].key for j in indices if j != i
                          and _consistency_key(pairs[j].source) != _consistency_key(pairs[i].source)]
                found[i].append(Finding("inconsistent_source", "the same translation is given to " + ", ".join(others),
                                        ((0, len(pairs[i].source)),), ()))
    return found


def check_pairs(pairs: Sequence[Pair], glossary: Glossary | None = None) -> list[PairReport]:
    """Every check over every pair, consistency across them; one report per pair, in order."""
    pairs = list(pairs)
    norms = length_norms(pairs)
    consistency = consistency_findings(pairs)
    reports = []
    for index, pair in enumerate(pairs):
        findings = check_pair(pair, glossary, norms.get((pair.source_lang, pair.target_lang)))
        findings += consistency.get(index, [])
        reports.append(PairReport(pair, findings))
    return reports


def finding_counts(reports: Iterable[PairReport]) -> dict[str, int]:
    """Findings per check, in CHECKS order (checks with none left out)."""
    counts = defaultdict(int)
    for report in reports:
        for finding in report.findings:
            counts[finding.check] += 1
    return {check: counts[check] for check in CHECKS if counts[check]}


def card_section(reports: Sequence[PairReport]) -> str:
    """The dataset card's paragraph on QA: how many translations `seedmt qa` checked, flagged, and the findings
    per check."""
    counts = finding_counts(reports)
    flagged = sum(any(f.severity != INFO for f in r.findings) for r in reports)
    listed = ", ".join(f"{check} {n}" for check, n in counts.items()) or "none"
    return (f"`seedmt qa` checked {len(reports)} translations (machine translations and post-edits): {flagged} "
            f"have an error or warning finding. Findings per check: {listed}. The checks and their severities are "
            "listed in seedmt's documentation (docs/translators.md).")
