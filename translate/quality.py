"""Reference-free quality flags for each translated segment, stored in the dataset.

- off_target: the translation is written in another script than the target's, or py3langid confidently
  identifies another language (only when the translation has enough letters to judge).
- repetition: the same 1-4 tokens repeated back to back (a decoder stuck in a loop, the usual shape of a
  hallucination); a name or phrase recurring across an enumeration, as good translations of lists do, is
  not a loop.
- length_ratio: translation/source length far outside what translation between these scripts gives.
- low_similarity: source and translation are no closer, in a multilingual sentence embedding space, than
  unrelated segments (`similarity_scores`; the score itself is stored in `segments.similarity_<target>`).
- untranslated: the output is (nearly) the source copied; only for sources with letters (a list number
  "1." or a date in digits is the same in every language).

A flag is written `<target>:<flag>`, e.g. `eng_Latn:off_target`. Copied targets (seed already in the
target language) are never flagged."""
from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from seedmt.translate.languages import NO_SPACE_SCRIPTS, dominant_script, script_of, scripts_match

FLAGS = ("off_target", "repetition", "length_ratio", "untranslated", "low_similarity")
# Cross-lingual similarity of source and translation (see `similarity_scores`) under which a translation is
# flagged. Measured on the references: 2 of 278 good pairs fall under 0.05, while 70-76% of wrong pairs (each
# source with a random other segment's reference) and 45-51% of near misses (the next segment's) do.
LOW_SIMILARITY = 0.05
SIMILARITY_BACKGROUND = 64  # other segments each pair is compared with
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
    if script_of(target) in NO_SPACE_SCRIPTS:
        return [c for c in text if not c.isspace()]
    return [w.lower() for w in _WORD.findall(text)]


def is_off_target(translation: str, target: str) -> bool:
    """Written in another script than the target's, or confidently identified as another language."""
    from seedmt.translate.langid import LanguageUndecidedError, detect_language

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
    longest = LONGEST_LOOP_CHARACTERS if script_of(target) in NO_SPACE_SCRIPTS else LONGEST_LOOP
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
    return a == b or SequenceMatcher(None, a, b, autojunk=False).ratio() >= UNTRANSLATED_SIMILARITY


def segment_flags(source: str, translation: str, target: str) -> list[str]:
    checks = {
        "off_target": lambda: is_off_target(translation, target),
        "repetition": lambda: has_repetition(translation, target),
        "length_ratio": lambda: has_odd_length(source, translation),
        "untranslated": lambda: is_untranslated(source, translation),
    }
    return [f"{target}:{name}" for name, check in checks.items() if check()]


def similarity_scores(sources: list[str], translations: list[str], embedder, seed: int = 0) -> list[float]:
    """Margin-normalised cross-lingual similarity of each source and its translation: 1 - d / b, with d the
    cosine distance of their embeddings and b the mean distance of each to other segments' translations and
    sources. About 0 for a translation no closer to its source than unrelated text, 0.3-0.5 for good ones;
    comparable across languages, where raw cosines of one encoder are not."""
    import numpy as np

    if not sources:
        return []
    a, b = embedder.embed(sources), embedder.embed(translations)
    n = len(sources)
    if n == 1:
        return [round(float(a[0] @ b[0]), 4)]  # no other segment to compare with: the raw cosine
    picks = np.random.default_rng(seed).choice(n, size=min(SIMILARITY_BACKGROUND, n), replace=False)
    distance_to_others_b = 1.0 - a @ b[picks].T  # (n, k)
    distance_to_others_a = 1.0 - b @ a[picks].T
    own = picks[None, :] == np.arange(n)[:, None]  # a pair is not its own background
    background = ((np.where(own, 0, distance_to_others_b).sum(1) + np.where(own, 0, distance_to_others_a).sum(1))
                  / (2 * np.maximum((~own).sum(1), 1)))
    distance = 1.0 - np.einsum("ij,ij->i", a, b)
    return [round(float(s), 4) for s in 1.0 - distance / np.maximum(background, 1e-6)]


def score_similarity(docs: list, targets, embedder) -> None:
    """Fill each document's `similarities[target]` (None for copied targets) and add `low_similarity` flags."""
    for target in targets:
        picked = [(doc, i) for doc in docs if target not in doc.copied_targets for i in range(len(doc.segments))]
        values = similarity_scores([doc.segments[i].text for doc, i in picked],
                                   [doc.translations[target][i] for doc, i in picked], embedder)
        for doc in docs:
            doc.similarities[target] = [None] * len(doc.segments)
        for (doc, i), value in zip(picked, values):
            doc.similarities[target][i] = value
            if value < LOW_SIMILARITY:
                doc.quality_flags[i].append(f"{target}:low_similarity")


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
