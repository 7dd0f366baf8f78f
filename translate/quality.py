"""Reference-free quality flags for each translated segment, stored in the dataset.

- off_target: the translation is written in another script than the target's, or py3langid confidently
  identifies another language (only when the translation has enough letters to judge).
- repetition: the same 1-4 tokens repeated back to back (a decoder stuck in a loop, the usual shape of a
  hallucination); a name or phrase recurring across an enumeration, as good translations of lists do, is
  not a loop.
- length_ratio: translation/source length far outside what translation between these scripts gives.
- low_similarity: source and translation are no closer, in a multilingual sentence embedding space, than
  unrelated segments (seedmt.align.similarity; the score itself is stored in `segments.similarity_<target>`).
- untranslated: the output is (nearly) the source copied; only for sources with letters (a list number
  "1." or a date in digits is the same in every language).

A flag is written `<target>:<flag>`, e.g. `eng_Latn:off_target`. Copied targets (seed already in the
target language) are never flagged."""
from __future__ import annotations

import re
from collections import Counter

from seedmt.core.languages import dominant_script, script_of, scripts_match, written_without_spaces

FLAGS = ("off_target", "repetition", "length_ratio", "untranslated", "low_similarity")
MIN_LETTERS_FOR_LID = 20
MIN_LID_CONFIDENCE = 0.9
LONGEST_LOOP = 4  # words in the repeated unit
LONGEST_LOOP_CHARACTERS = 10  # the same for scripts written without spaces, counted in characters
LOOP_TIMES = 3  # a unit of 2-4 tokens seen this many times in a row; one token needs LOOP_TIMES + 1
# Character-length ratio translation/source. Wide on purpose: Korean or Chinese sources are 2-4x shorter
# than their English translations, and the reverse; only gross failures should fall outside.
LENGTH_RATIO_BOUNDS = (0.15, 6.0)
MIN_CHARS_FOR_RATIO = 15
UNTRANSLATED_SIMILARITY = 0.9
_WORD = re.compile(r"\w+", re.UNICODE)


def _tokens(text: str, target: str) -> list[str]:
    if written_without_spaces(target):
        return [c for c in text if not c.isspace()]
    return [w.lower() for w in _WORD.findall(text)]


def is_off_target(translation: str, target: str) -> bool:
    """Written in another script than the target's, or confidently identified as another language."""
    from seedmt.text.langid import LanguageUndecidedError, detect_language

    if sum(c.isalpha() for c in translation) < MIN_LETTERS_FOR_LID:
        return False
    if not scripts_match(script_of(target), dominant_script(translation)):
        return True
    try:
        decision = detect_language(translation, "py3langid")
    except LanguageUndecidedError:
        return False  # LID cannot tell: no verdict rather than a false alarm
    return decision.confidence >= MIN_LID_CONFIDENCE and decision.code.split("_")[0] != target.split("_")[0]


def has_repetition(translation: str, target: str) -> bool:
    """A unit of 1-4 words (1-10 characters without spaces) repeated back to back ("the the the the", "of the city of the city of the city")."""
    tokens = _tokens(translation, target)
    longest = LONGEST_LOOP_CHARACTERS if written_without_spaces(target) else LONGEST_LOOP
    for size in range(1, longest + 1):
        needed = (LOOP_TIMES + 1 if size == 1 else LOOP_TIMES) * size
        for start in range(len(tokens) - needed + 1):
            unit = tokens[start:start + size]
            if all(tokens[start + k] == unit[k % size] for k in range(needed)):
                return True
    return False


def has_odd_length(source: str, translation: str) -> bool:
    source_chars, translation_chars = len(source.strip()), len(translation.strip())
    if source_chars < MIN_CHARS_FOR_RATIO:
        return False
    low, high = LENGTH_RATIO_BOUNDS
    return not low <= translation_chars / source_chars <= high


def is_untranslated(source: str, translation: str) -> bool:
    a, b = source.strip().casefold(), translation.strip().casefold()
    if not a or not b or not any(char.isalpha() for char in a):
        return False
    if a == b:
        return True
    if 2 * min(len(a), len(b)) < UNTRANSLATED_SIMILARITY * (len(a) + len(b)):
        return False  # lengths alone keep the similarity below the threshold
    from rapidfuzz import fuzz

    # the share of characters the two have in common, in order (difflib's ratio, computed exactly and in C)
    return fuzz.ratio(a, b) / 100 >= UNTRANSLATED_SIMILARITY


def segment_flags(source: str, translation: str, target: str) -> list[str]:
    checks = {
        "off_target": lambda: is_off_target(translation, target),
        "repetition": lambda: has_repetition(translation, target),
        "length_ratio": lambda: has_odd_length(source, translation),
        "untranslated": lambda: is_untranslated(source, translation),
    }
    return [f"{target}:{name}" for name, check in checks.items() if check()]


def count_flags(flags_per_segment: list[list[str]]) -> Counter:
    """{'eng_Latn:off_target': 3, ...} over a document's segments."""
    return Counter(flag for flags in flags_per_segment for flag in flags)


def flag_documents(docs: list, targets: tuple[str, ...] | list[str]) -> None:
    """Fill each TranslatedDocument's `quality_flags` (one list per segment); copied targets are skipped."""
    for doc in docs:
        doc.quality_flags = [
            [flag for target in targets if target not in doc.copied_targets
             for flag in segment_flags(segment.text, doc.translations[target][i], target)]
            for i, segment in enumerate(doc.segments)]
